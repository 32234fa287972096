import Foundation
import NianjianConsole
import Logging
import NianjianDomain
import NianjianMockConsole
import NianjianOperations
import NianjianPostgres
import NianjianRunner
import NianjianStore
import NianjianTestSupport
import Testing

/// The failover trials' night: a few seconds of work over 300 inspections, leases of 5 s.
private func failoverJob(retrySeconds: Double, routing: StatementRouting = .combined) -> JobDefinition {
    testJob {
        $0.database.routing = routing
        $0.console.latencyP50Milliseconds = 5
        $0.console.latencyP99Milliseconds = 30
        $0.rateLimits.submit.perSecond = 30; $0.rateLimits.submit.burst = 4; $0.rateLimits.poll.perSecond = 30; $0.rateLimits.poll.burst = 4
        $0.concurrency.perTenant = 4
        $0.retry = RetryPolicy(maxAttempts: 40, baseDelaySeconds: 0.05, multiplier: 2, maxDelaySeconds: 0.5, jitter: 0.2)
        $0.lease.seconds = 5; $0.lease.heartbeatSeconds = 1
        $0.databaseRetrySeconds = retrySeconds
    }
}

private func seconds(_ from: Date, _ to: Date) -> String { String(format: "%.2f", to.timeIntervalSince(from)) }

/// What the database says of a night that survived a failover (on the new primary).
private func checkFailoverNight(_ database: Database, runIds: [Int64]) throws {
    try checkNightCompleted(database)
    #expect(try Scenario.scalar(database, "SELECT count(*) FROM inspections WHERE state = 'failed'") == 0)
    #expect(try Scenario.scalar(database, "SELECT count(*) FROM services WHERE renewed_count > 1") == 0)
    // The run's recorded counts agree with the events it wrote.
    for runId in runIds {
        let disagreeing = try Scenario.scalar(database, """
            SELECT count(*) FROM jsonb_each_text((SELECT by_state FROM runs WHERE id = $1)) c
             WHERE c.key IN ('approved', 'rejected', 'needs_materials', 'failed')
               AND c.value::int <> (SELECT count(*) FROM inspection_events e
                                     WHERE e.run_id = $1 AND e.to_state = c.key AND e.from_state <> e.to_state)
            """, [.init(runId)])
        let recorded = try database.runBlocking { try $0.query("SELECT by_state::text FROM runs WHERE id = $1", [.init(runId)])[0].string(0) }
        #expect(disagreeing == 0, "run \(runId): counts \(recorded ?? "-") disagree with events")
        // Every final state an inspection reached in the night was counted by the run that wrote it.
        let uncounted = try Scenario.scalar(database, """
            SELECT count(*) FROM inspection_events e
             WHERE e.run_id = $1 AND e.from_state <> e.to_state AND e.to_state IN ('approved', 'rejected', 'needs_materials', 'failed')
               AND NOT ((SELECT by_state FROM runs WHERE id = $1) ? e.to_state)
            """, [.init(runId)])
        #expect(uncounted == 0, "run \(runId): final events missing from its counts \(recorded ?? "-")")
    }
}

/// Issue 14: a primary and a synchronous standby (`pg_basebackup -R`); mid-night the primary stops (`pg_ctl
/// stop -m immediate`) and the standby is promoted. The runner, on a multi-host URL with
/// target_session_attrs=read-write, reconnects to the new primary and keeps its own leases.
@Suite("failover", .serialized)
struct FailoverTests {
    /// Under both routings: by tenant, a pipeline cut by the failover is lost whole and retried.
    @Test(arguments: StatementRouting.allCases)
    func failoverMidNightKeepsTheRunnersLeasesAndCompletesTheNight(routing: StatementRouting) async throws {
        let pair = try ReplicatedPair { try Scenario.load($0, tenants: crashTenants("ha", tenants: 3, companies: 100)) }
        defer { pair.destroy() }
        let db = Database(ConnectionString(pair.url()), maximumConnections: 8)
        defer { db.close() }
        let watchOld = Database(pair.direct(pair.primary), maximumConnections: 1)
        let watchNew = Database(pair.direct(pair.standby), maximumConnections: 1)
        defer { watchOld.close(); watchNew.close() }
        let total = try Scenario.scalar(watchNew, "SELECT count(*) FROM inspections")
        let capture = LogCapture()
        let job = failoverJob(retrySeconds: 30, routing: routing)
        let nightEnded = Flag<Date?>(nil)
        // The console's memory, in this process: what was sent twice with its key is counted there.
        let memory = InMemoryConsoleMemory()
        async let outcome: Result<RunSummary, any Error> = offThePool {
            defer { nightEnded.value = Date() }
            return Result { try Nightly.run(database: db, job: job, asOf: Scenario.asOf, logger: capture.logger(label: "test.failover"),
                                            mockMemory: memory) }
        }
        let (submittedAtFailover, promoteAt, promotedAt): (Int, Date, Date) = try await offThePool {
            let started = waitUntil(timeout: 120) {
                try Scenario.scalar(watchOld, "SELECT count(*) FROM inspection_events WHERE kind = 'submitted'") >= total / 2
            }
            guard started else { throw InvariantFailure("half the inspections were not submitted within 120 s") }
            let submitted = (try? Scenario.scalar(watchOld, "SELECT count(*) FROM inspection_events WHERE kind = 'submitted'")) ?? -1
            // Fence, then promote (what a failover manager does): nothing commits on the old primary afterwards.
            try pair.primary.stop(immediate: true)
            watchOld.close()
            let promoteAt = Date()
            try pair.standby.promote()
            return (submitted, promoteAt, Date())
        }
        let summary = try await outcome.get()
        let ended = nightEnded.value ?? Date()
        #expect(summary.status == "completed", "\(summary)")
        #expect(submittedAtFailover > 0 && submittedAtFailover < total, "failover with \(submittedAtFailover) of \(total) submitted")
        // The first write on the new primary: the earliest event it committed (its `at` is the transaction's start).
        let firstWriteEpoch = try watchNew.runBlocking { session in
            try session.query("SELECT extract(epoch FROM min(at))::float8 FROM inspection_events WHERE at > to_timestamp($1::float8)",
                              [.text(String(promoteAt.timeIntervalSince1970))])[0].double(0)
        }
        let firstWrite = firstWriteEpoch.map { Date(timeIntervalSince1970: $0) }
        #expect(firstWrite != nil, "nothing was written on the new primary")
        try checkFailoverNight(watchNew, runIds: [summary.runId])
        // Kept its own leases: nothing waited for a lease to expire, nothing was rescued from itself.
        #expect(try Scenario.scalar(watchNew, "SELECT count(*) FROM inspection_events WHERE kind = 'lease_expired'") == 0)
        #expect(summary.fencedOut == 0)
        #expect(capture.count("database unavailable, retrying") > 0, "the runner never met the failover")
        if let firstWrite {
            #expect(ended.timeIntervalSince(firstWrite) < 10, "the night ended \(seconds(firstWrite, ended)) s after the first write on the new primary")
            #expect(firstWrite.timeIntervalSince(promotedAt) < 5, "first write \(seconds(promotedAt, firstWrite)) s after the promotion")
        }
        let resent = memory.figures().repeats
        #expect(memory.figures().mismatches == 0)
        print("failover: primary stopped with \(submittedAtFailover)/\(total) submitted; promote took \(seconds(promoteAt, promotedAt)) s; "
              + "first write on the new primary \(firstWrite.map { seconds(promoteAt, $0) } ?? "-") s after promote; night ended "
              + "\(seconds(promoteAt, ended)) s after promote (\(firstWrite.map { seconds($0, ended) } ?? "-") s after the first write); "
              + "claimed \(summary.claimed), \(resent) submissions resent with their key; states \(try Scenario.states(watchNew))")
    }

    /// A failover that outlasts the retry window (1 s; the primary is down for ~3 s before the promotion): the
    /// run ends with a clear message, and the next run, on the same multi-host URL, finishes the night.
    @Test func failoverLongerThanTheRetryWindowEndsTheRunAndTheNextRunFinishes() async throws {
        let pair = try ReplicatedPair { try Scenario.load($0, tenants: crashTenants("hax", tenants: 3, companies: 50)) }
        defer { pair.destroy() }
        let db = Database(ConnectionString(pair.url()), maximumConnections: 8)
        defer { db.close() }
        let watchOld = Database(pair.direct(pair.primary), maximumConnections: 1)
        let watchNew = Database(pair.direct(pair.standby), maximumConnections: 1)
        defer { watchOld.close(); watchNew.close() }
        let ended = Flag(false)
        let job = failoverJob(retrySeconds: 1)
        async let outcome: Result<RunSummary, any Error> = offThePool {
            defer { ended.value = true }
            return Result { try Nightly.run(database: db, job: job, asOf: Scenario.asOf, logger: LogCapture().logger(label: "test.failover")) }
        }
        try await offThePool {
            let started = waitUntil(timeout: 120) {
                try Scenario.scalar(watchOld, "SELECT count(*) FROM inspection_events WHERE kind = 'submitted'") >= 20
            }
            guard started else { throw InvariantFailure("no 20 submissions within 120 s") }
            try pair.primary.stop(immediate: true)
            watchOld.close()
            // Down until the run has given up: longer than its retry window by construction.
            _ = waitUntil(timeout: 30) { ended.value }
            try pair.standby.promote()
        }
        var runIds: [Int64] = []
        switch try await outcome {
        case .success(let summary):
            Issue.record("the run did not stop on a failover longer than its retry window: \(summary)")
            runIds.append(summary.runId)
        case .failure(let error):
            let text = "\(error)"
            #expect(text.hasPrefix("The run stopped: the database failed during") && text.contains("运行中止"), "\(text)")
            #expect(text.contains("database_retry_seconds"), "\(text)")
            print("failover past the retry window: \(text.split(separator: "\n").prefix(2).joined(separator: " / "))")
        }
        let next = try await offThePool {
            try Nightly.run(database: db, job: failoverJob(retrySeconds: 30), asOf: Scenario.asOf,
                            logger: LogCapture().logger(label: "test.failover"))
        }
        #expect(next.status == "completed")
        runIds.append(next.runId)
        try checkFailoverNight(watchNew, runIds: runIds)
    }
}
