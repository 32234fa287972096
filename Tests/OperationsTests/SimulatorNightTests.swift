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
        let (simulator, served) = try await InProcessSimulator.start(
            settings: settings, instances: try InstanceLoader.instances(fromServicesCSV: sheets["services.csv"] ?? []), asOf: asOf)
        defer { served.stop() }
        let database = fixture.database
        let summary = try await served.runNight(database, maxAttempts: 12, asOf: asOf)
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
