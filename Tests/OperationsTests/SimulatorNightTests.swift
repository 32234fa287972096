import Foundation
import Hummingbird
import Logging
import NianjianCloudSimulator
import NianjianConsole
import NianjianDomain
import NianjianOperations
import NianjianRunner
import NianjianStore
import NianjianTestSupport
import Testing

// A night through the real adapter against the simulator over loopback HTTP (issue 12): signed requests,
// throttling, 503s and lost answers; exactly one paid order per approved inspection.
@Suite("a night against the cloud simulator")
struct SimulatorNightTests {
    final class PortBox: @unchecked Sendable {
        private let lock = NSLock()
        private var value: Int?
        func set(_ port: Int) { lock.lock(); value = port; lock.unlock() }
        var port: Int? { lock.lock(); defer { lock.unlock() }; return value }
    }

    @Test func aNightWithThrottling503sAndLostAnswersMakesOneOrderPerApproval() async throws {
        let fixture = try OpsFixture()
        defer { fixture.close() }
        let tenant = try fixture.tenant("cloudy")
        let asOf = Scenario.asOf
        let generator = SyntheticCompanies(seed: 31)
        let portfolios = (1...25).map { generator.portfolio(index: $0, referenceDate: asOf) }
        let sheets = try AgencySheets.render(portfolios.map(\.file))
        try fixture.importOK(tenant, sheets)
        _ = try Planner.plan(database: fixture.database, tenantIds: [tenant.id], asOf: asOf, windowDays: 60)
        let services = portfolios.flatMap(\.services)

        var settings = SimulatorSettings()
        settings.accounts = [ConsoleFactory.simulatorDemoCredentials.accessKeyId: ConsoleFactory.simulatorDemoCredentials.accessKeySecret]
        settings.seed = 9
        settings.reviewBusinessDays = 0
        settings.throttleRate = 0.08
        settings.throttleRetryAfterMilliseconds = 50
        settings.faults.serviceUnavailable = 0.08
        settings.faults.lostAnswer = 0.15
        let simulator = try await CloudSimulator(settings: settings)
        _ = try await simulator.state.load(try InstanceLoader.instances(fromServicesCSV: sheets["services.csv"] ?? []), replace: false)
        try await simulator.state.setBusinessDate(asOf)
        let box = PortBox()
        let server = Task { try await simulator.application(onListening: { box.set($0) }).runService() }
        defer { server.cancel() }
        let deadline = Date().addingTimeInterval(180)  // a loaded machine starts servers slowly
        while box.port == nil, Date() < deadline { try await Task.sleep(nanoseconds: 20_000_000) }
        let port = try #require(box.port, "the simulator did not start")

        var job = JobDefinition()
        job.planFirst = false
        job.consoleAdapter = "simulator"
        job.cloud.simulatorURL = "http://127.0.0.1:\(port)"
        job.cloud.timeoutSeconds = 5
        job.retry = RetryPolicy(maxAttempts: 12, baseDelaySeconds: 0.01, multiplier: 2, maxDelaySeconds: 0.05, jitter: 0)
        job.poll = PollSchedule(firstPollAfterBusinessDays: 0, firstPollAfterSeconds: 0, thenEveryBusinessDays: 0, thenEverySeconds: 0.01)
        job.submitRate = 0
        job.pollRate = 0
        let database = fixture.database
        let night = job
        let summary = try await offThePool {
            var logger = Logger(label: "test.simulator-night")
            logger.logLevel = .error
            return try Nightly.run(database: database, job: night, asOf: asOf, logger: logger,
                                   environment: [:])
        }
        #expect(summary.claimed >= services.count)

        let approved = Int(try fixture.scalar("SELECT count(*) FROM inspections WHERE state = 'approved'") ?? "") ?? -1
        let states = try Scenario.states(fixture.database)
        #expect(approved == services.count, "every clean service renewed: \(states)")
        #expect(try fixture.scalar("SELECT count(*) FROM service_renewals") == String(approved))
        let totals = try await simulator.state.totals()
        #expect(totals.orders == approved && totals.paid == approved, "one paid order per approval: \(totals)")
        let stats = await simulator.stats.snapshot()
        #expect(stats["rejected_signature", default: 0] == 0 && stats["rejected_date", default: 0] == 0
                && stats["rejected_nonce", default: 0] == 0, "\(stats)")
        #expect(stats["throttled", default: 0] > 0 && stats["lost_answers", default: 0] > 0, "faults were injected: \(stats)")
        // Every ticket is the simulator's order id.
        #expect(try fixture.scalar("SELECT count(*) FROM inspections WHERE console_ticket IS NULL OR console_ticket !~ '^[0-9]+$'") == "0")
        print("simulated night: \(services.count) services, stats \(stats.sorted { $0.key < $1.key })")
    }
}
