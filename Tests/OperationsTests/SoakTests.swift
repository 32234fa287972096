import Foundation
import Logging
@testable import NianjianBench
import NianjianDomain
import NianjianOperations
import NianjianPostgres
import NianjianRunner
import NianjianStore
import NianjianTestSupport
import Testing

/// Issue 14's soak at a small size (the 30-night, 200,000-inspection run is `nianjian bench soak`, a script):
/// its own primary and synchronous standby, the cloud simulator, `nianjian run` children SIGKILLed mid-work,
/// a crash-restart and a failover; every night's invariants hold. And the invariant check itself bites.
@Suite("soak", .serialized)
struct SoakTests {
    @Test func nightsSurviveKillsARestartAndAFailoverWithEveryInvariantHolding() throws {
        let binary = try #require(NianjianBinary.path, "the nianjian executable is built with the tests")
        var options = SoakOptions()
        options.nights = 4
        options.inspections = 1_200
        options.tenants = 8
        options.kills = 2
        options.executable = binary
        let lines = LockedLines()
        let report = try BenchSoak.run(options: options) { lines.append($0) }
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as? [String: Any])
        let log = lines.text
        #expect(report.meetsTargets, "\(log)\n\(report.json())")
        #expect((json["nights_completed"] as? NSNumber)?.intValue == 4, "\(log)")
        #expect((json["sigkills"] as? NSNumber)?.intValue == 2, "both kills landed mid-work: \(log)")
        #expect((json["runs"] as? NSNumber)?.intValue ?? 0 >= 6, "every kill was followed by a run that finished the night: \(log)")
        let firstWrite = try #require((json["failover_first_write_seconds"] as? NSNumber)?.doubleValue, "the failover happened: \(log)")
        #expect(firstWrite > 0 && firstWrite < 10, "first write on the new primary \(firstWrite) s after the failover began")
        #expect((json["restart_seconds"] as? NSNumber) != nil, "the restart happened: \(log)")
        let byState = try #require(json["by_state"] as? [String: Any])
        let approved = (byState["approved"] as? NSNumber)?.intValue ?? 0
        #expect(approved > 100 && (json["renewals"] as? NSNumber)?.intValue == approved, "\(report.json())")
        #expect(log.contains("failover (promoted in") && log.contains("restart (back in"), "\(log)")
        print(log)
    }

    /// A lost transition, a renewal gone, a lease left behind by a dead runner: each shows in the soak's check.
    @Test func theInvariantCheckSeesBrokenHistoryRenewalsAndLeases() throws {
        let handle = try TestDatabase.fresh()
        defer { handle.drop() }
        let database = handle.open(maximumConnections: 2)
        defer { database.close() }
        try Scenario.load(database, tenants: [.init(slug: "inv", companies: 20)])
        var logger = Logger(label: "test.soak")
        logger.logLevel = .critical
        var job = JobDefinition()
        job.poll = PollSchedule(firstPollAfterBusinessDays: 0, firstPollAfterSeconds: 0, thenEveryBusinessDays: 0, thenEverySeconds: 0.02)
        job.console.reviewBusinessDays = 0
        _ = try Nightly.run(database: database, job: job, asOf: Scenario.asOf, logger: logger)
        let clean = try database.runBlocking { try SoakQueries.invariants($0, leaseSeconds: 5, runsFrom: 1) }
        #expect(clean.violations.isEmpty, "\(clean.violations)")
        #expect((clean.byState["approved"] ?? 0) > 10 && clean.renewals == clean.byState["approved"])
        try database.runBlocking { session in
            // A transition recorded from a state the inspection was not in; a renewal removed; an old lease.
            try session.executeScript("""
                INSERT INTO inspection_events (tenant_id, inspection_id, actor, kind, from_state, to_state)
                SELECT tenant_id, id, 'test', 'submitted', 'pending', 'in_review' FROM inspections WHERE state = 'approved' ORDER BY id LIMIT 1;
                DELETE FROM service_renewals WHERE (tenant_id, inspection_id) IN
                    (SELECT tenant_id, inspection_id FROM service_renewals ORDER BY inspection_id DESC LIMIT 1);
                INSERT INTO inspection_leases (tenant_id, inspection_id, owner, token, expires_at)
                SELECT tenant_id, id, 'dead-runner', 1, now() - interval '1 minute' FROM inspections
                 WHERE state = 'approved' ORDER BY id DESC LIMIT 1 OFFSET 1;
                """)
        }
        let broken = try database.runBlocking { try SoakQueries.invariants($0, leaseSeconds: 5, runsFrom: 1) }
        #expect(broken.stateDisagreesWithEvents == 1)
        #expect(broken.brokenEventChains == 1)
        #expect(broken.renewalsNotOnePerApproval == 1)
        #expect(broken.staleLeases == 1 && broken.leasesOnFinishedWork == 1)
    }
}

private final class LockedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var text: String { lock.withLock { lines.joined(separator: "\n") } }
}
