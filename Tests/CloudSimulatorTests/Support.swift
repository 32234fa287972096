import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NianjianAliyun
import NianjianCloudSimulator
import NianjianDomain
import Testing

let alice = AliyunCredentials(accessKeyId: "LTAI5tSimAlice0001", accessKeySecret: "alice-secret-not-for-logs")
let bob = AliyunCredentials(accessKeyId: "LTAI5tSimBob000002", accessKeySecret: "bob-secret-not-for-logs")

/// services.csv as an agency imports it: an ECS, an RDS, an OSS instance and one already expired on 2026-12-03.
let servicesCSV = """
    company_ref,service_ref,console_instance_id,service_type,region,expires_on,renewal_amount,renewal_method,contract_number
    C001,S001-1,i-bp1sim0001,ECS,cn-hangzhou,2026-12-20,1200.00,manual,HT-001
    C001,S001-2,rm-bp1sim0002,RDS,cn-hangzhou,2026-12-24,3600.00,auto,HT-001
    C002,S002-1,oss-sim-0003,OSS,cn-shanghai,2027-03-01,300.00,manual,HT-002
    C003,S003-1,i-bp1sim0004,ECS,cn-hangzhou,2026-11-30,1200.00,manual,HT-003
    """

func settings(_ edit: (inout SimulatorSettings) -> Void = { _ in }) -> SimulatorSettings {
    var settings = SimulatorSettings()
    settings.accounts = [alice.accessKeyId: alice.accessKeySecret, bob.accessKeyId: bob.accessKeySecret]
    settings.seed = 7
    settings.reviewBusinessDays = 2
    edit(&settings)
    return settings
}

/// A simulator on 2026-12-03 (a Thursday) with the instances of `servicesCSV`.
func simulator(_ edit: (inout SimulatorSettings) -> Void = { _ in }, stateDirectory: String? = nil) async throws -> CloudSimulator {
    let simulator = try await CloudSimulator(settings: settings(edit), stateDirectory: stateDirectory)
    _ = try await simulator.state.load(try InstanceLoader.instances(fromServicesCSV: Array(servicesCSV.utf8)), replace: true)
    try await simulator.state.setBusinessDate(CivilDate(year: 2026, month: 12, day: 3)!)
    return simulator
}

enum Product {
    case bss, ecs, rds
    var host: String {
        switch self {
        case .bss: return "business.aliyuncs.com"
        case .ecs: return "ecs.cn-hangzhou.aliyuncs.com"
        case .rds: return "rds.aliyuncs.com"
        }
    }
    var version: String {
        switch self {
        case .bss: return "2017-12-14"
        case .ecs: return "2014-05-26"
        case .rds: return "2014-08-15"
        }
    }
}

/// One call signed with `ACS3Signer`, as path-and-query plus headers.
struct SignedCall {
    var uri: String
    var headers: [(name: String, value: String)]

    /// - Parameters:
    ///   - sentQuery: what goes on the wire when it differs from what was signed (tampering).
    static func make(_ product: Product, _ action: String, _ query: [(String, String)], credentials: AliyunCredentials = alice,
                     host: String? = nil, date: String? = nil, nonce: String = UUID().uuidString,
                     sentQuery: [(String, String)]? = nil) -> SignedCall {
        let request = ACS3Signer.Request(host: host ?? product.host, action: action, version: product.version, query: query,
                                         date: date ?? CloudTime.utc(RealClock.seconds(), seconds: true), nonce: nonce)
        let signed = ACS3Signer().sign(request, credentials: credentials)
        // Not sorted on the wire, to show the simulator sorts as the signer does.
        let wire = (sentQuery ?? query).reversed().map { ACS3Signer.percentEncode($0.0) + "=" + ACS3Signer.percentEncode($0.1) }
        return SignedCall(uri: "/?" + wire.joined(separator: "&"), headers: signed.headers)
    }

    var fields: HTTPFields {
        var fields = HTTPFields()
        for header in headers {
            guard let name = HTTPField.Name(header.name) else { continue }
            fields[name] = header.value
        }
        return fields
    }
}

struct Answer {
    var status: Int
    var json: [String: Any]
    var headers: [String: String]

    var code: String? { json["Code"] as? String }

    func path(_ keys: String...) -> Any? {
        var value: Any? = json
        for key in keys {
            if let index = Int(key), let array = value as? [Any] {
                value = index < array.count ? array[index] : nil
            } else {
                value = (value as? [String: Any])?[key]
            }
        }
        return value
    }
}

func answer(_ response: TestResponse) throws -> Answer {
    let object = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
    var headers: [String: String] = [:]
    for field in response.headers { headers[field.name.canonicalName] = field.value }
    return Answer(status: Int(response.status.code), json: object ?? [:], headers: headers)
}

/// Sends a signed call through the in-process router (Host is always `localhost` there).
func send(_ client: some TestClientProtocol, _ product: Product, _ action: String, _ query: [(String, String)],
          credentials: AliyunCredentials = alice, date: String? = nil, nonce: String = UUID().uuidString,
          sentQuery: [(String, String)]? = nil) async throws -> Answer {
    let call = SignedCall.make(product, action, query, credentials: credentials, host: "localhost", date: date, nonce: nonce,
                               sentQuery: sentQuery)
    return try await client.execute(uri: call.uri, method: .post, headers: call.fields) { try answer($0) }
}

func control(_ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ path: String, body: String? = nil) async throws -> Answer {
    try await client.execute(uri: path, method: method, body: body.map { ByteBuffer(string: $0) }) { try answer($0) }
}

func setClock(_ client: some TestClientProtocol, _ date: String) async throws {
    let result = try await control(client, .post, "/_simulator/clock", body: "{\"business_date\": \"\(date)\"}")
    #expect(result.json["business_date"] as? String == date)
}

func temporaryFolder() throws -> String {
    let path = NSTemporaryDirectory() + "nianjian-cloud-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
