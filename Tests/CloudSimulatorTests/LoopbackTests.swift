import AsyncHTTPClient
import Foundation
import HummingbirdTesting
import NIOCore
import NIOHTTP1
import NianjianAliyun
import NianjianCloudSimulator
import NianjianDomain
import Testing

/// A real HTTP peer: AsyncHTTPClient over loopback, requests signed with ACS3Signer and sent with the
/// product's Host header, as the adapter sends them.
struct WireAnswer {
    var status: Int
    var json: [String: Any]
    var headers: HTTPHeaders

    var code: String? { json["Code"] as? String }
}

func wire(_ port: Int, _ product: Product, _ action: String, _ query: [(String, String)], credentials: AliyunCredentials = alice,
          timeout: TimeAmount = .seconds(10)) async throws -> WireAnswer {
    let call = SignedCall.make(product, action, query, credentials: credentials)
    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)" + call.uri)
    request.method = .POST
    for header in call.headers { request.headers.add(name: header.name, value: header.value) }
    let response = try await HTTPClient.shared.execute(request, timeout: timeout)
    let body = try await response.body.collect(upTo: 1 << 20)
    let json = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
    return WireAnswer(status: Int(response.status.code), json: json ?? [:], headers: response.headers)
}

func wireControl(_ port: Int, _ method: HTTPMethod, _ path: String, body: String? = nil) async throws -> [String: Any] {
    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)" + path)
    request.method = method
    if let body { request.body = .bytes(ByteBuffer(string: body)) }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
    let data = try await response.body.collect(upTo: 1 << 20)
    return try JSONSerialization.jsonObject(with: Data(data.readableBytesView)) as? [String: Any] ?? [:]
}

@Suite("cloud simulator: over loopback")
struct LoopbackTests {
    @Test func signedCallsWithTheProductsHostAreVerifiedOverTheWire() async throws {
        let sim = try await simulator()
        try await sim.application().test(.live) { client in
            let port = try #require(client.port)
            let ok = try await wire(port, .bss, "QueryAvailableInstances", [("InstanceIDs", "rm-bp1sim0002")])
            #expect(ok.status == 200)
            #expect(ok.headers.first(name: "x-acs-request-id") == ok.json["RequestId"] as? String)
            let ecs = try await wire(port, .ecs, "DescribeInstances", [("RegionId", "cn-hangzhou"), ("InstanceIds", "[\"i-bp1sim0001\"]")])
            #expect(ecs.json["TotalCount"] as? Int == 1)
            let wrong = AliyunCredentials(accessKeyId: alice.accessKeyId, accessKeySecret: "guess")
            let refused = try await wire(port, .rds, "DescribeDBInstanceAttribute", [("DBInstanceId", "rm-bp1sim0002")], credentials: wrong)
            #expect(refused.status == 400)
            #expect(refused.code == "SignatureDoesNotMatch")
            #expect(refused.json["HostId"] as? String == "rds.aliyuncs.com")
            let stats = try await wireControl(port, .GET, "/_simulator/stats")
            #expect(stats["signatures_verified"] as? Int == 2)
            #expect(stats["rejected_signature"] as? Int == 1)
        }
    }

    @Test func aLostAnswerOnTheWireThenTheRetryGetsTheSameOrderAndOnePayment() async throws {
        let sim = try await simulator { $0.faults.lostAnswer = 1; $0.reviewBusinessDays = 1; $0.seed = 3 }
        try await sim.application().test(.live) { client in
            let port = try #require(client.port)
            let renew: [(String, String)] = [("ProductCode", "rds"), ("InstanceId", "rm-bp1sim0002"), ("RenewPeriod", "12"),
                                             ("ClientToken", "wire-lost-1")]
            var firstFailed = false
            do {
                let first = try await wire(port, .bss, "RenewInstance", renew)
                firstFailed = first.status == 503
            } catch {
                firstFailed = true  // the connection was closed under the answer
            }
            #expect(firstFailed)
            let retry = try await wire(port, .bss, "RenewInstance", renew)
            #expect(retry.status == 200)
            let orderId = try #require((retry.json["Data"] as? [String: Any])?["OrderId"] as? String)
            _ = try await wireControl(port, .POST, "/_simulator/clock", body: "{\"business_date\": \"2026-12-04\"}")
            let detail = try await wire(port, .bss, "GetOrderDetail", [("OrderId", orderId)])
            let order = ((detail.json["Data"] as? [String: Any])?["OrderList"] as? [String: Any])?["Order"] as? [[String: Any]]
            #expect(order?.first?["PaymentStatus"] as? String == "Paid")
            let stats = try await wireControl(port, .GET, "/_simulator/stats")
            #expect(stats["orders_total"] as? Int == 1)
            #expect(stats["orders_paid"] as? Int == 1)
            let rds = try await wire(port, .rds, "DescribeDBInstanceAttribute", [("DBInstanceId", "rm-bp1sim0002")])
            let items = (rds.json["Items"] as? [String: Any])?["DBInstanceAttribute"] as? [[String: Any]]
            #expect(items?.first?["ExpireTime"] as? String == "2027-12-23T16:00:00Z")
        }
    }

    @Test func droppedConnectionsHangsAndThrottlesReachTheClient() async throws {
        let dropping = try await simulator { $0.faults.connectionDrop = 1 }
        try await dropping.application().test(.live) { client in
            let port = try #require(client.port)
            await #expect(throws: (any Error).self) {
                _ = try await wire(port, .bss, "QueryAvailableInstances", [("InstanceIDs", "i-bp1sim0001")])
            }
        }
        let hanging = try await simulator { $0.faults.timeout = 1; $0.hangMilliseconds = 3_000 }
        try await hanging.application().test(.live) { client in
            let port = try #require(client.port)
            let started = Date()
            await #expect(throws: (any Error).self) {
                _ = try await wire(port, .bss, "QueryAvailableInstances", [("InstanceIDs", "i-bp1sim0001")], timeout: .milliseconds(300))
            }
            #expect(Date().timeIntervalSince(started) < 2.5)  // the client gave up; the simulator still holds it
        }
        let throttling = try await simulator { $0.throttleRate = 1; $0.throttleRetryAfterMilliseconds = 250 }
        try await throttling.application().test(.live) { client in
            let port = try #require(client.port)
            let result = try await wire(port, .bss, "QueryAvailableInstances", [("InstanceIDs", "i-bp1sim0001")])
            #expect(result.status == 400)
            #expect(result.code == "Throttling.User")
            #expect(result.headers.first(name: "x-acs-retry-after") == "250")
        }
    }
}
