import AsyncHTTPClient
import Foundation
import NianjianAliyun
import NianjianCloudSimulator
import NianjianTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `nianjian cloud serve` as its own process.
final class ServeProcess: @unchecked Sendable {
    struct Failed: Error, CustomStringConvertible { var description: String }

    let process = Process()
    let port: Int
    let stderrPath: String

    init(_ arguments: [String]) throws {
        guard let binary = NianjianBinary.path else { throw Failed(description: "the nianjian binary is not built (swift build)") }
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["cloud", "serve", "--listen", "127.0.0.1:0"] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["ALIBABA_CLOUD_ACCESS_KEY_ID"] = nil
        environment["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] = nil
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        process.standardInput = FileHandle.nullDevice
        stderrPath = NSTemporaryDirectory() + "nianjian-cloud-serve-\(UUID().uuidString).err"
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        try process.run()
        let line = FirstLine()
        let done = DispatchSemaphore(value: 0)
        let handle = out.fileHandleForReading
        DispatchQueue.global().async {
            var data = Data()
            while !data.contains(UInt8(ascii: "\n")) {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                data.append(chunk)
            }
            line.set(String(decoding: data, as: UTF8.self))
            done.signal()
        }
        let ready = done.wait(timeout: .now() + 60) == .success
        let first = line.text.split(separator: "\n").first.map(String.init) ?? ""
        guard ready, first.hasPrefix("listening on http://127.0.0.1:"), let port = first.split(separator: ":").last.flatMap({ Int($0) }) else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let errors = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
            throw Failed(description: "cloud serve did not announce its address: stdout \(first.debugDescription), stderr \(errors)")
        }
        self.port = port
    }

    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func terminate() -> Int32 {
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        return process.terminationStatus
    }
}

private final class FirstLine: @unchecked Sendable {
    private let lock = NSLock()
    private var value = ""
    func set(_ text: String) { lock.lock(); value = text; lock.unlock() }
    var text: String { lock.lock(); defer { lock.unlock() }; return value }
}

@Suite("cloud simulator: durability", .serialized)
struct DurabilityTests {
    @Test func killedWithSIGKILLAndRestartedItKeepsOrdersTokensAndPayments() async throws {
        let folder = try temporaryFolder()
        let stateDir = folder + "/state"
        let sheets = folder + "/sheets"
        try FileManager.default.createDirectory(atPath: sheets, withIntermediateDirectories: true)
        try Data(servicesCSV.utf8).write(to: URL(fileURLWithPath: sheets + "/services.csv"))
        let settingsPath = folder + "/simulator.yml"
        try Data("""
            # the durability test's cloud
            accounts:
              \(alice.accessKeyId): \(alice.accessKeySecret)
            seed: 5
            review_business_days: 2
            """.utf8).write(to: URL(fileURLWithPath: settingsPath))
        let arguments = ["--state", stateDir, "--settings", settingsPath, "--instances", sheets]
        let renew: [(String, String)] = [("ProductCode", "ecs"), ("InstanceId", "i-bp1sim0001"), ("RenewPeriod", "12"),
                                         ("ClientToken", "durable-1")]

        var server = try ServeProcess(arguments)
        _ = try await wireControl(server.port, .POST, "/_simulator/clock", body: "{\"business_date\": \"2026-12-03\"}")
        let made = try await wire(server.port, .bss, "RenewInstance", renew)
        let orderId = try #require((made.json["Data"] as? [String: Any])?["OrderId"] as? String)
        server.kill9()

        server = try ServeProcess(arguments)
        #expect(try await wireControl(server.port, .GET, "/_simulator/clock")["business_date"] as? String == "2026-12-03")
        #expect(try await status(server.port, orderId) == "Unpaid")
        let again = try await wire(server.port, .bss, "RenewInstance", renew)
        #expect((again.json["Data"] as? [String: Any])?["OrderId"] as? String == orderId)
        _ = try await wireControl(server.port, .POST, "/_simulator/clock", body: "{\"business_date\": \"2026-12-07\"}")
        #expect(try await status(server.port, orderId) == "Paid")
        #expect(try await endTime(server.port) == "2027-12-19T16:00:00Z")
        server.kill9()

        server = try ServeProcess(arguments)
        #expect(try await status(server.port, orderId) == "Paid")
        // Paid once: neither replay nor --instances (the spreadsheet still says 2026-12-20) moves it again.
        #expect(try await endTime(server.port) == "2027-12-19T16:00:00Z")
        let stats = try await wireControl(server.port, .GET, "/_simulator/stats")
        #expect(stats["orders_total"] as? Int == 1)
        #expect(stats["orders_paid"] as? Int == 1)
        #expect(server.terminate() == 0)
        let errors = (try? String(contentsOfFile: server.stderrPath, encoding: .utf8)) ?? ""
        #expect(!errors.contains(alice.accessKeySecret))
        let journal = (try? String(contentsOfFile: stateDir + "/" + CloudState.journalName, encoding: .utf8)) ?? ""
        #expect(!journal.contains(alice.accessKeySecret))
    }

    func status(_ port: Int, _ orderId: String) async throws -> String? {
        let detail = try await wire(port, .bss, "GetOrderDetail", [("OrderId", orderId)])
        let orders = ((detail.json["Data"] as? [String: Any])?["OrderList"] as? [String: Any])?["Order"] as? [[String: Any]]
        return orders?.first?["PaymentStatus"] as? String
    }

    func endTime(_ port: Int) async throws -> String? {
        let result = try await wire(port, .bss, "QueryAvailableInstances", [("InstanceIDs", "i-bp1sim0001")])
        let list = (result.json["Data"] as? [String: Any])?["InstanceList"] as? [[String: Any]]
        return list?.first?["EndTime"] as? String
    }
}

@Suite("cloud simulator: settings")
struct SettingsTests {
    @Test func everyDocumentedKeyParsesAndUnknownKeysAreRefused() throws {
        let settings = try SimulatorSettings.parse("""
            accounts:
              LTAI5tDemo0000001: demo-secret
            seed: 2026
            latency: {p50_ms: 20, p99_ms: 250}
            faults:
              service_unavailable: 0.01
              internal_error: 0.005
              timeout: 0.002
              connection_drop: 0.002
              lost_answer: 0.02
              hang_ms: 20000
            throttle: {rate: 0.01, retry_after_ms: 800}
            limits:
              requests_per_second: 30
              per_account: {LTAI5tDemo0000001: 10}
            review_business_days: 3
            wait_for_expire_days: 10
            rejection_rates:
              incomplete_materials: 0.05
              abnormal_service_status: 0.02
            """)
        #expect(settings.accounts["LTAI5tDemo0000001"] == "demo-secret")
        #expect(settings.seed == 2026)
        #expect(settings.latencyP99Milliseconds == 250)
        #expect(settings.faults.lostAnswer == 0.02)
        #expect(settings.hangMilliseconds == 20_000)
        #expect(settings.throttleRetryAfterMilliseconds == 800)
        #expect(settings.requestsPerSecond(for: "LTAI5tDemo0000001") == 10)
        #expect(settings.requestsPerSecond(for: "other") == 30)
        #expect(settings.reviewBusinessDays == 3)
        #expect(settings.rejectionRates[.abnormalServiceStatus] == 0.02)
        let json = try SimulatorSettings.parse(#"{"seed": 9, "faults": {"lost_answer": 0.5}}"#)
        #expect(json.seed == 9 && json.faults.lostAnswer == 0.5)
        #expect(throws: SettingsError.self) { try SimulatorSettings.parse("seeds: 1") }
        #expect(throws: SettingsError.self) { try SimulatorSettings.parse("faults: {lost: 0.1}") }
        #expect(throws: SettingsError.self) { try SimulatorSettings.parse("throttle: {rate: 2}") }
        #expect(throws: SettingsError.self) { try SimulatorSettings.parse("rejection_rates: {violation: 0.7, incomplete_materials: 0.6}") }
    }
}
