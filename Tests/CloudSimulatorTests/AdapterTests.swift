import AsyncHTTPClient
import Foundation
import HummingbirdTesting
import NianjianAliyun
import NianjianCloudSimulator
import NianjianConsole
import NianjianDomain
import Testing

/// The project's own adapter (`AliyunConsole`) against the simulator over loopback: the two speak one protocol.
@Suite("cloud simulator: the Aliyun adapter against it")
struct AdapterTests {
    func submit(_ console: AliyunConsole, _ request: SubmitRequest) async -> Result<SubmitReceipt, ConsoleError> {
        await withCheckedContinuation { continuation in console.submit(request) { continuation.resume(returning: $0) } }
    }

    func poll(_ console: AliyunConsole, _ ticket: String) async -> Result<ReviewStatus, ConsoleError> {
        await withCheckedContinuation { continuation in
            console.poll(PollRequest(account: "agency", ticket: ticket)) { continuation.resume(returning: $0) }
        }
    }

    @Test func renewPollAndDescribeThroughTheAdapterWithALostAnswerInBetween() async throws {
        let sim = try await simulator { $0.faults.lostAnswer = 1; $0.reviewBusinessDays = 2 }
        try await sim.application().test(.live) { client in
            let port = try #require(client.port)
            var cloud = CloudSettings()
            for api in AliyunAPI.allCases { cloud.endpoints[api.rawValue] = "http://127.0.0.1:\(port)" }
            cloud.timeoutSeconds = 5
            let console = AliyunConsole(settings: cloud, client: HTTPClient.shared, credentials: { _, _ in alice })
            let request = SubmitRequest(account: "agency", idempotencyKey: "insp-77-g1", instanceId: "rm-bp1sim0002",
                                        serviceType: "RDS", termMonths: 12, amount: Money(fen: 360_000),
                                        contactName: "王芳", contactPhone: "13800000000", region: "cn-hangzhou")
            // The order is made, its answer lost: the adapter reports a transient error, the runner retries.
            guard case .failure(let lost) = await submit(console, request) else {
                Issue.record("a lost answer came back as a success"); return
            }
            #expect(lost.kind == .transient(.server) || lost.kind == .transient(.network))
            guard case .success(let receipt) = await submit(console, request) else {
                Issue.record("the retry was refused"); return
            }
            #expect(await poll(console, receipt.ticket) == .success(.reviewing))
            try await setClockOverWire(port, "2026-12-07")
            #expect(await poll(console, receipt.ticket) == .success(.approved))
            // EndTime's date in China time is the expiry, for every product; the payment moved RDS by one year.
            let described = await console.describe(serviceType: "RDS", instanceIds: ["rm-bp1sim0002"], region: "cn-hangzhou",
                                                   account: "agency")
            let rds = try described.get()
            #expect(rds.first?.expiresOn == CivilDate(year: 2027, month: 12, day: 24))
            #expect(rds.first?.renewalMethod == .auto)
            let oss = await console.describe(serviceType: "OSS", instanceIds: ["oss-sim-0003"], region: "cn-shanghai", account: "agency")
            #expect(try oss.get().first?.expiresOn == CivilDate(year: 2027, month: 3, day: 1))
            let ecs = try await console.describe(serviceType: "ECS", instanceIds: ["i-bp1sim0001", "i-bp1sim0004"],
                                                 region: "cn-hangzhou", account: "agency").get()
            #expect(ecs.map(\.status) == [.normal, .expired])
            #expect(ecs.map(\.expiresOn) == [CivilDate(year: 2026, month: 12, day: 20), CivilDate(year: 2026, month: 11, day: 30)])
        }
        let totals = try await sim.state.totals()
        #expect(totals.orders == 1)
        #expect(totals.paid == 1)
        #expect(await sim.stats.value("rejected_signature") == 0)
    }

    func setClockOverWire(_ port: Int, _ date: String) async throws {
        let answer = try await wireControl(port, .POST, "/_simulator/clock", body: "{\"business_date\": \"\(date)\"}")
        #expect(answer["business_date"] as? String == date)
    }
}
