import Foundation
import Logging
import NianjianDomain
import NianjianOperations
import NianjianPostgres
import NianjianRunner
import NianjianStore
import NianjianTestSupport
import Testing

/// A job for the timeout trials: a night of a few seconds, lock_timeout half a second.
private func lockJob(retrySeconds: Double) -> JobDefinition {
    testJob {
        $0.console.latencyP50Milliseconds = 5
        $0.console.latencyP99Milliseconds = 30
        $0.rateLimits.submit.perSecond = 40; $0.rateLimits.submit.burst = 4; $0.rateLimits.poll.perSecond = 40; $0.rateLimits.poll.burst = 4
        $0.concurrency.perTenant = 4
        $0.retry = RetryPolicy(maxAttempts: 40, baseDelaySeconds: 0.05, multiplier: 2, maxDelaySeconds: 0.5, jitter: 0.2)
        $0.lease.seconds = 2; $0.lease.heartbeatSeconds = 0.5
        $0.databaseRetrySeconds = retrySeconds
        $0.database.lockTimeoutSeconds = 0.5
        $0.database.statementTimeoutSeconds = 30
        $0.database.idleInTransactionTimeoutSeconds = 30
    }
}

/// Runs a night in this process with a capturing logger.
private func night(_ database: Database, _ job: JobDefinition, capture: LogCapture) throws -> RunSummary {
    try Nightly.run(database: database, job: job, asOf: Scenario.asOf, logger: capture.logger(label: "test.timeouts"))
}

/// Holds `LOCK TABLE inspections IN ACCESS EXCLUSIVE MODE` (a human's psql session) from a connection of its
/// own, without our timeouts, once 20 submissions are in, until `release` returns true.
private func holdTableLock(_ handle: TestDatabaseHandle, _ database: Database, release: @escaping () -> Bool) throws -> Double {
    let started = waitUntil(timeout: 120) {
        try Scenario.scalar(database, "SELECT count(*) FROM inspection_events WHERE kind = 'submitted'") >= 20
    }
    guard started else { throw InvariantFailure("no 20 submissions within 120 s") }
    let locker = try PostgresConnection.connectBlocking(handle.connectionString, label: "locker")
    defer { locker.close() }
    let began = Date()
    try locker.runBlocking { session in
        try session.transaction {
            try session.executeScript("LOCK TABLE inspections IN ACCESS EXCLUSIVE MODE")
            // Always longer than four lock timeouts, whatever `release` says.
            _ = waitUntil(timeout: 60, every: 0.05) { Date().timeIntervalSince(began) >= 2 && release() }
        }
    }
    return Date().timeIntervalSince(began)
}

/// Issue 14: statement_timeout, lock_timeout and idle_in_transaction_session_timeout from the job file; a lock
/// held by someone else cannot hang a night, and what times out is retried or reported, never lost.
@Suite("timeouts", .serialized)
struct TimeoutTests {
    /// The job file's `database:` section: read, validated with the line, unknown keys refused.
    @Test func theJobFilesDatabaseSection() throws {
        let job = try JobDefinition.parse("""
            database: {statement_timeout_seconds: 30, lock_timeout_seconds: 5, idle_in_transaction_timeout_seconds: 60,
                       prepared_statements: false}
            """)
        #expect(job.database.statementTimeoutSeconds == 30 && job.database.lockTimeoutSeconds == 5)
        #expect(job.database.idleInTransactionTimeoutSeconds == 60 && !job.database.preparedStatements)
        #expect(job.database.sessionSettings == SessionSettings(preparedStatements: false, statementTimeoutMilliseconds: 30_000,
                                                                lockTimeoutMilliseconds: 5_000,
                                                                idleInTransactionTimeoutMilliseconds: 60_000))
        let defaults = JobDefinition().database
        #expect(defaults.preparedStatements && defaults.lockTimeoutSeconds == 30)
        for (text, fragment) in [("database:\n  lock_timeout_seconds: -1\n", "between 0 and 86400"),
                                 ("database:\n  statement_timeout_seconds: 100000\n", "between 0 and 86400"),
                                 ("database:\n  prepared_statements: maybe\n", "true or false"),
                                 ("database:\n  search_path: x\n", "unknown key 'database.search_path'")] {
            do {
                _ = try JobDefinition.parse(text, file: "job.yml")
                Issue.record("accepted: \(text)")
            } catch let error as JobFileError {
                #expect("\(error)".contains(fragment) && error.line == 2, "\(error)")
            }
        }
    }

    /// The runner's sessions carry the job's limits (a runner connection reports them).
    @Test func theJobsLimitsAreSetOnTheRunnersSessions() throws {
        var job = JobDefinition()
        job.database.statementTimeoutSeconds = 30
        job.database.lockTimeoutSeconds = 5
        job.database.idleInTransactionTimeoutSeconds = 60
        let handle = try TestDatabase.fresh()
        defer { handle.drop() }
        let database = Database(handle.connectionString.with(job.database.sessionSettings), maximumConnections: 1)
        defer { database.close() }
        let shown = try database.runBlocking { session in
            try session.query("""
                SELECT current_setting('statement_timeout') || ' ' || current_setting('lock_timeout') || ' '
                    || current_setting('idle_in_transaction_session_timeout')
                """)[0].requireString(0)
        }
        #expect(shown == "30s 5s 1min")
    }

    /// A table lock held for longer than lock_timeout (until the runner has met it three times): the blocked
    /// statements fail with 55P03, are retried, and the night completes with nothing lost or done twice.
    @Test func aTableLockLongerThanLockTimeoutIsRetriedAndTheNightCompletes() async throws {
        let handle = try TestDatabase.fresh()
        defer { handle.drop() }
        let db = handle.open(maximumConnections: 8)
        defer { db.close() }
        try Scenario.load(db, tenants: crashTenants("lock", tenants: 3, companies: 60))
        let capture = LogCapture()
        let job = lockJob(retrySeconds: 60)
        async let outcome: Result<RunSummary, any Error> = offThePool { Result { try night(db, job, capture: capture) } }
        let held = try await offThePool {
            try holdTableLock(handle, db) { capture.count(containing: "55P03") >= 3 }
        }
        let summary = try await outcome.get()
        #expect(summary.status == "completed")
        let timedOut = capture.count(containing: "55P03")
        #expect(timedOut >= 3, "the runner never met the lock timeout")
        try checkNightCompleted(db)
        #expect(try Scenario.scalar(db, "SELECT count(*) FROM inspections WHERE state = 'failed'") == 0)
        #expect(try Scenario.scalar(db, "SELECT count(*) FROM services WHERE renewed_count > 1") == 0)
        print("lock timeout: a table lock held \(String(format: "%.1f", held)) s; \(timedOut) statements timed out (55P03) "
              + "and were retried; the night completed: \(try Scenario.states(db))")
    }

    /// The same lock, held until the run gives up (retry window 1 s): the run ends with a clear message naming
    /// SQLSTATE 55P03, in English and Chinese; once the lock is gone the next run finishes the night.
    @Test func aLockLongerThanTheRetryWindowIsReportedAndTheNextRunFinishes() async throws {
        let handle = try TestDatabase.fresh()
        defer { handle.drop() }
        let db = handle.open(maximumConnections: 8)
        defer { db.close() }
        try Scenario.load(db, tenants: crashTenants("lockx", tenants: 3, companies: 40))
        let capture = LogCapture()
        let ended = Flag(false)
        let job = lockJob(retrySeconds: 1)
        async let outcome: Result<RunSummary, any Error> = offThePool {
            defer { ended.value = true }
            return Result { try night(db, job, capture: capture) }
        }
        _ = try await offThePool { try holdTableLock(handle, db) { ended.value } }
        switch try await outcome {
        case .success(let summary):
            Issue.record("the run did not stop under a lock longer than its retry window: \(summary)")
        case .failure(let error):
            let text = "\(error)"
            #expect(text.hasPrefix("The run stopped: the database failed during"), "\(text)")
            #expect(text.contains("55P03") && text.contains("运行中止"), "\(text)")
            print("lock timeout past the retry window: \(text.split(separator: "\n").prefix(2).joined(separator: " / "))")
        }
        let next = try await offThePool { try night(db, lockJob(retrySeconds: 60), capture: LogCapture()) }
        #expect(next.status == "completed")
        try checkNightCompleted(db)
        #expect(try Scenario.scalar(db, "SELECT count(*) FROM services WHERE renewed_count > 1") == 0)
    }
}
