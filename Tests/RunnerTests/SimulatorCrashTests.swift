#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import NianjianDomain
import NianjianOperations
import NianjianPostgres
import NianjianStore
import NianjianTestSupport
import Testing

/// An agency night through `nianjian cloud serve` (a real child process on loopback) and `nianjian run`
/// children: the sheets the agency imports are the simulator's instances too.
final class SimulatedNight {
    static let demoKeyId = "LTAI5tNianjianDemo"
    static let demoSecret = "nianjian-simulator-demo-secret"

    let handle: TestDatabaseHandle
    let db: Database
    let folder: String
    let simulator: SimulatorProcess
    let jobPath: String
    let services: Int
    let asOf: CivilDate

    init(seed: UInt64, companies: Int, asOf: CivilDate, simulatorSettings: String, leaseSeconds: Double = 1) async throws {
        self.asOf = asOf
        handle = try TestDatabase.fresh()
        db = handle.open(maximumConnections: 4)
        folder = NSTemporaryDirectory() + "nj-simnight-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder + "/sheets", withIntermediateDirectories: true)
        let tenant = try TenantAdmin.add(database: db, slug: "sim-agency", name: "Simulated agency")
        let generator = SyntheticCompanies(seed: seed)
        let portfolios = (1...companies).map { generator.portfolio(index: $0, referenceDate: asOf) }
        let sheets = try AgencySheets.render(portfolios.map(\.file))
        if case .failure(let failure) = try Importer.importFiles(database: db, tenant: tenant, files: sheets, source: "test", dryRun: false) {
            throw failure
        }
        _ = try Planner.plan(database: db, tenantIds: [tenant.id], asOf: asOf, windowDays: 60)
        services = portfolios.flatMap(\.services).count
        try Data(sheets["services.csv"] ?? []).write(to: URL(fileURLWithPath: folder + "/sheets/services.csv"))
        let settingsPath = folder + "/simulator.yml"
        try Data("""
            accounts:
              \(Self.demoKeyId): \(Self.demoSecret)
            \(simulatorSettings)
            """.utf8).write(to: URL(fileURLWithPath: settingsPath))
        simulator = try SimulatorProcess(["--state", folder + "/state", "--settings", settingsPath, "--instances", folder + "/sheets"])
        _ = try await simulator.control(.POST, "/_simulator/clock", body: "{\"business_date\": \"\(asOf)\"}")
        jobPath = folder + "/job.yml"
        try Data("""
            name: simulated-night
            plan_first: false
            night_hours: 8
            concurrency: {global: 16, per_tenant: 8}
            rate_limits:
              submit: {per_second: 40, burst: 4}
              poll: {per_second: 40, burst: 4}
            retry: {max_attempts: 15, base_delay_seconds: 0.05, multiplier: 2, max_delay_seconds: 0.4, jitter: 0.2}
            poll: {first_after_business_days: 0, first_after_seconds: 0, then_every_business_days: 0, then_every_seconds: 0.05}
            lease: {seconds: \(leaseSeconds), heartbeat_seconds: \(leaseSeconds / 3)}
            batch: {claim: 40, write: 40, flush_milliseconds: 5}
            shutdown_grace_seconds: 5
            console:
              adapter: simulator
              simulator_url: \(simulator.url)
              timeout_seconds: 5
            """.utf8).write(to: URL(fileURLWithPath: jobPath))
    }

    /// `nianjian run --as-of` against the simulator, signed with the environment's AccessKey.
    func run(signal: Int32? = nil, after: Double = 0, when: (@Sendable () -> Bool)? = nil) async throws -> ChildOutcome {
        let arguments = ["run", "--job", jobPath, "--as-of", asOf.description, "--json"]
        let url = handle.url
        let extra = ["ALIBABA_CLOUD_ACCESS_KEY_ID": Self.demoKeyId, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": Self.demoSecret]
        return try await offThePool { try Child.run(arguments, url: url, extra: extra, signal: signal, after: after, when: when, timeout: 180) }
    }

    func close() {
        simulator.stop()
        db.close()
        handle.drop()
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// One paid order per approved inspection, every service renewed once in the database and on the cloud,
    /// no signature, date or nonce refused.
    func checkOneOrderPerApproval() async throws -> [String: Int] {
        let approved = try Scenario.scalar(db, "SELECT count(*) FROM inspections WHERE state = 'approved'")
        let states = try Scenario.states(db)
        let others = try db.runBlocking { session in
            try session.query("""
                SELECT state || ' ' || findings::text || ' ' || coalesce(last_error, '') FROM inspections WHERE state <> 'approved' LIMIT 5
                """).rows.compactMap { $0.string(0) }
        }
        #expect(approved == services, "every clean service renewed: \(states) \(others)")
        try checkInvariants(db)
        #expect(try Scenario.scalar(db, "SELECT count(DISTINCT console_ticket) FROM inspections WHERE state = 'approved'") == approved)
        let stats = try await simulator.stats()
        #expect(stats["orders_total"] == approved && stats["orders_paid"] == approved, "one order per ClientToken: \(stats)")
        #expect(stats["rejected_signature", default: 0] == 0 && stats["rejected_date", default: 0] == 0
                && stats["rejected_nonce", default: 0] == 0, "\(stats)")
        // The cloud's expiry of every instance is the database's: renewed exactly once on both sides.
        let cloud = try await simulator.instances()
        let rows = try db.runBlocking { session in
            try session.query("SELECT console_instance_id, expires_on::text FROM services").rows
                .map { (try $0.requireString(0), try $0.requireString(1)) }
        }
        let differing = rows.filter { cloud[$0.0]?.expiresOn != $0.1 }
        #expect(differing.isEmpty, "expiries differ (instance, database): \(differing.prefix(5))")
        return stats
    }
}

@Suite("crash trials through the cloud simulator", .serialized)
struct SimulatorCrashTests {
    /// The runner SIGKILLed mid-night (three times) while `cloud serve` lives on, with throttling, 503s and
    /// answers lost after the order was made; restarted, it finishes the night without a second order.
    @Test func runnerKilledMidNightMakesNoSecondOrder() async throws {
        let night = try await SimulatedNight(seed: 61, companies: 30, asOf: CivilDate(year: 2026, month: 12, day: 1) ?? Scenario.asOf,
                                             simulatorSettings: """
            seed: 17
            review_business_days: 0
            latency: {p50_ms: 5, p99_ms: 40}
            faults: {service_unavailable: 0.05, lost_answer: 0.2}
            throttle: {rate: 0.05, retry_after_ms: 50}
            """)
        defer { night.close() }
        var random = SeededRandom(seed: 2026)
        let database = night.db
        var kills = 0, killedMidWork = 0, runs = 0
        var completed = false
        while !completed && runs < 8 {
            runs += 1
            let kill = kills < 3
            let submitted = try Scenario.scalar(database, "SELECT count(*) FROM inspection_events WHERE kind = 'submitted'")
            let eventsBefore = try Scenario.scalar(database, "SELECT count(*) FROM inspection_events")
            let delay = Double(Int.random(in: 0...150, using: &random)) / 1000
            // Killed once a few more orders went through: work is in flight, answers outstanding.
            let outcome = try await night.run(signal: kill ? SIGKILL : nil, after: delay, when: {
                ((try? Scenario.scalar(database, "SELECT count(*) FROM inspection_events WHERE kind = 'submitted'")) ?? 0) >= submitted + 5
            })
            if outcome.signaled {
                kills += 1
                if try Scenario.scalar(database, "SELECT count(*) FROM inspection_events") > eventsBefore { killedMidWork += 1 }
                #expect(night.simulator.isRunning, "the simulator died with the runner")
                continue
            }
            #expect(outcome.status == 0, "run \(runs): exit \(outcome.status)\n\(outcome.stderr.suffix(2000))")
            guard outcome.status == 0 else { break }
            let open = try Scenario.scalar(database, """
                SELECT count(*) FROM inspections WHERE state NOT IN ('approved', 'rejected', 'needs_materials', 'failed')
                """)
            completed = outcome.summaryStatus == "completed" && open == 0
        }
        let states = try Scenario.states(database)
        #expect(completed, "no run completed the night: \(states)")
        #expect(kills == 3 && killedMidWork >= 2, "kills \(kills), mid-work \(killedMidWork)")
        let stats = try await night.checkOneOrderPerApproval()
        #expect(try Scenario.scalar(database, "SELECT count(*) FROM inspection_events WHERE kind = 'lease_expired'") > 0,
                "a killed runner's submissions were resumed by the next run")
        #expect(stats["lost_answers", default: 0] > 0, "answers were lost after the order was made: \(stats)")
        print("simulator crash trial: \(night.services) services, \(runs) runs, \(kills) SIGKILLs (\(killedMidWork) mid-work); "
              + "simulator \(stats.sorted { $0.key < $1.key })")
    }

    /// `--as-of` a week ahead: the business clock is a week on, `x-acs-date` is still the real time, and the
    /// simulator's 15-minute window accepts every request.
    @Test func asOfAWeekAheadIsStillSignedWithTheRealTime() async throws {
        let today = Timestamp(microseconds: Int64(Date().timeIntervalSince1970 * 1_000_000)).chinaDate
        let night = try await SimulatedNight(seed: 67, companies: 12, asOf: today.adding(days: 7), simulatorSettings: """
            seed: 23
            review_business_days: 0
            """)
        defer { night.close() }
        let outcome = try await night.run()
        #expect(outcome.status == 0 && outcome.summaryStatus == "completed", "\(outcome.stderr.suffix(2000))")
        let stats = try await night.checkOneOrderPerApproval()
        #expect((stats["orders_total"] ?? 0) > 0)
        #expect(try Scenario.scalar(night.db, "SELECT count(*) FROM inspections WHERE state = 'failed'") == 0)
        print("--as-of \(night.asOf) (a week ahead): \(night.services) services, simulator \(stats.sorted { $0.key < $1.key })")
    }
}
