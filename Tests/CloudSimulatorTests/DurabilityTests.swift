import AsyncHTTPClient
import Foundation
import NianjianAliyun
import NianjianCloudSimulator
import NianjianTestSupport
import Testing

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

        var server = try SimulatorProcess(arguments)
        _ = try await wireControl(server.port, .POST, "/_simulator/clock", body: "{\"business_date\": \"2026-12-03\"}")
        let made = try await wire(server.port, .bss, "RenewInstance", renew)
        let orderId = try #require((made.json["Data"] as? [String: Any])?["OrderId"] as? String)
        server.kill9()

        server = try SimulatorProcess(arguments)
        #expect(try await wireControl(server.port, .GET, "/_simulator/clock")["business_date"] as? String == "2026-12-03")
        #expect(try await status(server.port, orderId) == "Unpaid")
        let again = try await wire(server.port, .bss, "RenewInstance", renew)
        #expect((again.json["Data"] as? [String: Any])?["OrderId"] as? String == orderId)
        _ = try await wireControl(server.port, .POST, "/_simulator/clock", body: "{\"business_date\": \"2026-12-07\"}")
        #expect(try await status(server.port, orderId) == "Paid")
        #expect(try await endTime(server.port) == "2027-12-19T16:00:00Z")
        server.kill9()

        server = try SimulatorProcess(arguments)
        #expect(try await status(server.port, orderId) == "Paid")
        // Paid once: neither replay nor --instances (the spreadsheet still says 2026-12-20) moves it again.
        #expect(try await endTime(server.port) == "2027-12-19T16:00:00Z")
        let stats = try await wireControl(server.port, .GET, "/_simulator/stats")
        #expect(stats["orders_total"] as? Int == 1)
        #expect(stats["orders_paid"] as? Int == 1)
        #expect(server.stop(keepingLog: true) == 0)
        let errors = (try? String(contentsOfFile: server.stderrPath, encoding: .utf8)) ?? ""
        #expect(!errors.contains(alice.accessKeySecret))
        try? FileManager.default.removeItem(atPath: server.stderrPath)
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
