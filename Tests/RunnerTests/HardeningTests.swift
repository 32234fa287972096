#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Logging
import NianjianConsole
import NianjianDomain
import NianjianMockConsole
import NianjianPostgres
import NianjianRunner
import NianjianStore
import NianjianTestSupport
import Testing

/// A night runner built in this process, with its console kept for the test to switch an outage on and off.
/// `memory`: the console's memory (one console shared by several runners, or by a runner and the next one).
private func makeRunner(_ database: Database, _ job: JobDefinition, runnerId: String = NightRunner.defaultRunnerId(),
                        capture: LogCapture? = nil, memory: InMemoryConsoleMemory = InMemoryConsoleMemory())
    -> (runner: NightRunner, console: MockConsole) {
    let clock = AsOfBusinessClock(date: Scenario.asOf, nightStartHour: job.nightStartHour)
    let console = MockConsole(settings: job.console, memory: memory, clock: clock)
    var logger = Logger(label: "test.hardening")
    logger.logLevel = ProcessInfo.processInfo.environment["NJ_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
    if let capture { logger = capture.logger(label: "test.hardening") }
    let runner = NightRunner(database: database, console: console, clock: clock,
                             options: RunOptions(job: job, asOf: Scenario.asOf, runnerId: runnerId), logger: logger)
    return (runner, console)
}

/// Issue 7: a PostgreSQL restart mid-night, a console outage, four runners on 20,000 inspections, fuzzed
/// job files and DATABASE_URL values.
@Suite("hardening", .serialized)
struct HardeningTests {
    // MARK: - PostgreSQL restart

    /// A private cluster (not the shared test cluster) is stopped for ~2 s and started again while a runner
    /// works: the runner reconnects and finishes, or fails with a clear message and the next run finishes.
    @Test func postgresRestartMidNight() async throws {
        let home = NSTemporaryDirectory() + "nj-restart-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let server = try EmbeddedPostgres(options: .init(home: home, durable: false, databaseName: "nianjian"))
        defer { server.destroy(); try? FileManager.default.removeItem(atPath: home) }
        let connection = try DatabaseLocation.start(server)
        let db = Database(connection, maximumConnections: 8)
        defer { db.close() }
        _ = try db.migrate()
        try Scenario.load(db, tenants: crashTenants("pg", tenants: 3, companies: 100))
        let job = testJob {
            $0.console.latencyP50Milliseconds = 5
            $0.console.latencyP99Milliseconds = 30
            $0.rateLimits.submit.perSecond = 40; $0.rateLimits.submit.burst = 4; $0.rateLimits.poll.perSecond = 40; $0.rateLimits.poll.burst = 4
            $0.concurrency.perTenant = 4
            $0.retry = RetryPolicy(maxAttempts: 40, baseDelaySeconds: 0.05, multiplier: 2, maxDelaySeconds: 0.5, jitter: 0.2)
            $0.lease.seconds = 2; $0.lease.heartbeatSeconds = 0.5
            $0.databaseRetrySeconds = 20
        }
        let capture = LogCapture()
        let memory = InMemoryConsoleMemory()
        let (runner, _) = makeRunner(db, job, capture: capture, memory: memory)
        let database = db
        let total = try Scenario.scalar(db, "SELECT count(*) FROM inspections")
        async let outcome: Result<RunSummary, any Error> = offThePool { Result { try runner.run() } }
        // Restart once work is underway, and only after the runner has met the outage (retried at least twice).
        let retrying = "database unavailable, retrying"
        let (started, restartedAt, retried): (Bool, Int, Bool) = try await offThePool {
            let started = waitUntil(timeout: 120) {
                try Scenario.scalar(database, "SELECT count(*) FROM inspection_events WHERE kind = 'submitted'") >= 20
            }
            let done = (try? Scenario.scalar(database, "SELECT count(*) FROM inspection_events WHERE kind = 'approved'")) ?? -1
            try server.stop()
            let retried = waitUntil(timeout: 60) { capture.count(retrying) >= 2 }
            try server.start()
            return (started, done, retried)
        }
        #expect(started, "no 20 submissions within 120 s")
        #expect(retried, "the runner never met the outage: \(capture.count(retrying)) retries in 60 s")
        // The restart came mid-night: work was done and work was left.
        #expect(restartedAt >= 0 && restartedAt < total, "restarted with \(restartedAt) of \(total) approved")
        var runs = 1
        switch try await outcome {
        case .success(let summary):
            #expect(summary.status == "completed", "\(summary)")
            print("PostgreSQL restart: the runner reconnected and completed the night (\(summary.claimed) claimed)")
        case .failure(let error):
            // The retry window (20 s) is longer than the outage: giving up is only right with the runner's own
            // message, for an error it does not count as transient.
            let text = "\(error)"
            #expect(error is RunnerError && text.hasPrefix("The run stopped: the database failed during"), "unclear failure: \(text)")
            print("PostgreSQL restart: the run stopped with: \(text.split(separator: "\n").first ?? "")")
            let summary = try makeRunner(db, job, memory: memory).runner.run()
            runs += 1
            #expect(summary.status == "completed")
        }
        try checkNightCompleted(db, console: memory)
        #expect(try Scenario.scalar(db, "SELECT count(*) FROM inspections WHERE state = 'failed'") == 0)
        #expect((memory.submissionCounts.values.max() ?? 0) <= 40)
        print("PostgreSQL restart: restarted with \(restartedAt) approved of 300; \(runs) run(s); states \(try Scenario.states(db)); "
              + "\(try injectedFaults(db)) transient errors survived")
    }

    /// The same, with `nianjian run` as a subprocess whose database retry window (1 s) is shorter than the
    /// outage (~2.5 s): it exits non-zero with a clear message, and the next run finishes the night.
    @Test func postgresDownLongerThanTheRetryWindowThenTheNextRunFinishes() async throws {
        let home = NSTemporaryDirectory() + "nj-restart2-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let server = try EmbeddedPostgres(options: .init(home: home, durable: false, databaseName: "nianjian"))
        defer { server.destroy(); try? FileManager.default.removeItem(atPath: home) }
        let connection = try DatabaseLocation.start(server)
        let db = Database(connection, maximumConnections: 2)
        defer { db.close() }
        _ = try db.migrate()
        try Scenario.load(db, tenants: crashTenants("pgx", tenants: 3, companies: 60))
        let job = try Child.tempFile(crashJobYAML(seed: 12, leaseSeconds: 2, heartbeatSeconds: 0.5, submitPerSecond: 30,
                                                  databaseRetrySeconds: 1))
        defer { try? FileManager.default.removeItem(atPath: (job as NSString).deletingLastPathComponent) }
        let arguments = ["run", "--job", job, "--as-of", "2026-12-01", "--json"]
        let url = connection.raw
        let exited = Flag(false)
        async let first = offThePool { () throws -> ChildOutcome in
            defer { exited.value = true }
            return try Child.run(arguments, url: url, timeout: 90)
        }
        let database = db
        // Down until the run has given up: longer than its retry window by construction.
        let (started, gaveUp): (Bool, Bool) = try await offThePool {
            let started = waitUntil(timeout: 120) {
                try Scenario.scalar(database, "SELECT count(*) FROM inspection_events WHERE kind = 'submitted'") >= 10
            }
            try server.stop()
            let gaveUp = waitUntil(timeout: 30) { exited.value }
            try server.start()
            return (started, gaveUp)
        }
        #expect(started, "no 10 submissions within 30 s")
        #expect(gaveUp, "the run was still retrying 30 s into an outage, with a retry window of 1 s")
        let failed = try await first
        #expect(!failed.signaled && failed.status != 0, "exit \(failed.status): \(failed.stdout)")
        #expect(failed.stderr.contains("The run stopped: the database failed"), "unclear: \(failed.stderr.suffix(1500))")
        let next = try await offThePool { try Child.run(arguments, url: url, timeout: 90) }
        #expect(next.status == 0 && next.summaryStatus == "completed", "\(next.stderr.suffix(1500))")
        try checkNightCompleted(db)
        let message = failed.stderr.split(separator: "\n").first { $0.contains("The run stopped") } ?? ""
        print("PostgreSQL down 2.5 s, retry window 1 s: the run exited \(failed.status) (\(message.prefix(160))); "
              + "the next run completed: \(try Scenario.states(db))")
    }

    // MARK: - Stopping at any moment

    /// A stop requested at any moment of a short night — while a claim, an idle check or a write is in flight,
    /// or before the first claim — ends the run promptly, not after the grace period (20 s here).
    @Test func stopRequestedAtAnyMomentEndsPromptly() async throws {
        let handle = try TestDatabase.fresh()
        defer { handle.drop() }
        let db = handle.open(maximumConnections: 4)
        defer { db.close() }
        try Scenario.load(db, tenants: [.init(slug: "stop-a", companies: 3)])
        let job = testJob { $0.shutdownGraceSeconds = 20 }
        var random = SeededRandom(seed: 99)
        let trials = soak ? 200 : 40
        var slowest = 0.0, interrupted = 0, midWork = 0
        let database = db
        var trial = -1
        // More trials (up to three times as many) when a loaded machine let too few stops land mid-work.
        while trial + 1 < trials || (midWork < 2 && trial + 1 < 3 * trials) {
            trial += 1
            if trial % 10 == 9 || trial % 10 == 4 {
                // Fresh due work now and then, so some stops land mid-work.
                try Scenario.load(db, tenants: [.init(slug: "stop-\(trial)", companies: 3)])
            }
            let runnerId = "stopper-\(trial)"
            let (runner, _) = makeRunner(db, job, runnerId: runnerId)
            // The moment of the stop is a point in the run's progress, not a time (a loaded machine makes any
            // fixed delay land before the start): before the run, once it is recorded, or after its k-th event.
            let moment = trial % 8 == 0 ? -2 : Int.random(in: -1...6, using: &random)
            let started = Date()
            if moment == -2 {
                // Before the run even starts (a signal during start-up).
                runner.requestStop()
            }
            async let summary = offThePool { try runner.run() }
            if moment >= -1 {
                let reached = try await waitUntil(timeout: 10, every: 0.002) {
                    let row = try database.runBlocking { session in
                        try session.query("""
                            WITH r AS (SELECT id, status FROM runs WHERE runner_id = $1)
                            SELECT (SELECT count(*) FROM r WHERE status <> 'running'),
                                   (SELECT count(*) FROM inspection_events WHERE run_id IN (SELECT id FROM r)), (SELECT count(*) FROM r)
                            """, [.text(runnerId)])[0]
                    }
                    let (finished, events, recorded) = (try row.requireInt(0), try row.requireInt(1), try row.requireInt(2))
                    return finished > 0 || (recorded > 0 && events >= moment)
                }
                #expect(reached, "trial \(trial): the run neither reached moment \(moment) nor ended in 10 s")
            }
            // Promptness is measured from the request: reaching the moment is the run's own work, which a
            // loaded machine may slow down at will.
            let requested = Date()
            runner.requestStop()
            let result = try await summary
            let seconds = Date().timeIntervalSince(requested)
            slowest = max(slowest, seconds)
            if result.status == "interrupted" { interrupted += 1 }
            if result.status == "interrupted" && moment > 0 { midWork += 1 }
            let after = requested.timeIntervalSince(started)
            #expect(seconds < 5, "trial \(trial): stop at moment \(moment) took \(seconds) s to end the run (\(result.status), requested \(after) s after the start)")
            #expect(try Scenario.scalar(db, "SELECT count(*) FROM inspection_leases") == 0)
            #expect(try Scenario.scalar(db, "SELECT count(*) FROM runs WHERE status = 'running'") == 0, "trial \(trial): a run left 'running'")
        }
        try checkInvariants(db)
        // Stops did land mid-work (after an event of the run, before its end), not only on idle runs.
        #expect(midWork >= 2, "only \(midWork) stops landed mid-work")
        print("stop requests at random moments: \(trial + 1) runs, \(interrupted) interrupted (\(midWork) mid-work), "
              + "slowest \(String(format: "%.2f", slowest)) s")
    }

    /// A stop that arrives while a claim is in flight (held up here by a lock on `tenants`) ends the run as
    /// soon as the claim returns, not after the grace period.
    @Test func stopDuringAClaimInFlightEndsPromptly() async throws {
        let handle = try TestDatabase.fresh()
        defer { handle.drop() }
        let db = handle.open(maximumConnections: 4)
        defer { db.close() }
        try Scenario.load(db, tenants: [.init(slug: "claim-stop", companies: 2)])
        _ = try await runNight(db, testJob())
        let job = testJob { $0.shutdownGraceSeconds = 20 }
        let clock = AsOfBusinessClock(date: Scenario.asOf, nightStartHour: job.nightStartHour)
        let console = MockConsole(settings: job.console, memory: InMemoryConsoleMemory(), clock: clock)
        var logger = Logger(label: "test.hardening")
        logger.logLevel = .critical
        // Watching: nothing is due, so it claims again every few seconds.
        let runner = NightRunner(database: db, console: console, clock: clock,
                                 options: RunOptions(job: job, asOf: Scenario.asOf, watch: true, runnerId: "claim-stopper"), logger: logger)
        async let summary = offThePool { try runner.run() }
        let locker = try PostgresConnection.connectBlocking(handle.connectionString, label: "locker")
        defer { locker.close() }
        let database = db
        let blocked: Bool = try await offThePool {
            // The first claim is over (every claim touches the run's heartbeat): the lock holds up the next one.
            guard waitUntil(timeout: 10, { try Scenario.scalar(database, """
                SELECT count(*) FROM runs WHERE status = 'running' AND heartbeat_at > started_at
                """) > 0 }) else { return false }
            try locker.runBlocking { try $0.executeScript("BEGIN; LOCK TABLE tenants IN ACCESS EXCLUSIVE MODE") }
            // Wait for the runner's next claim to queue behind the lock.
            return waitUntil(timeout: 15, every: 0.02) {
                try Scenario.scalar(database, """
                    SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'
                    """) > 0
            }
        }
        #expect(blocked, "the runner never queued behind the lock")
        let stopAt = Date()
        runner.requestStop()
        // The stop reached the runner while its claim was still held up (the claim is still waiting).
        let stillWaiting = try Scenario.scalar(db, """
            SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'
            """)
        #expect(stillWaiting > 0, "the claim was no longer in flight when the stop was requested")
        try await offThePool { try locker.runBlocking { try $0.executeScript("COMMIT") } }
        let result = try await summary
        let seconds = Date().timeIntervalSince(stopAt)
        #expect(result.status == "interrupted")
        #expect(seconds < 5, "the stop took \(seconds) s: it waited for the grace period")
        #expect(try Scenario.scalar(db, "SELECT count(*) FROM runs WHERE status = 'running'") == 0)
        print("stop during a claim in flight: the run ended \(String(format: "%.2f", seconds)) s after the stop request (grace 20 s)")
    }

    // MARK: - Console outage

    /// Every console call fails for a while, then the console recovers: the runner backs off, never spends
    /// more attempts than the policy allows, and completes the night.
    @Test func consoleOutageThenRecovery() async throws {
        let handle = try TestDatabase.fresh()
        defer { handle.drop() }
        let db = handle.open(maximumConnections: 8)
        defer { db.close() }
        try Scenario.load(db, tenants: [.init(slug: "out-a", companies: 60), .init(slug: "out-b", companies: 40)])
        let maxAttempts = 30
        let job = testJob {
            $0.retry = RetryPolicy(maxAttempts: maxAttempts, baseDelaySeconds: 0.05, multiplier: 2, maxDelaySeconds: 0.25, jitter: 0)
            $0.console.latencyP50Milliseconds = 2
            $0.console.latencyP99Milliseconds = 10
        }
        let (runner, console) = makeRunner(db, job)
        console.setOutage(true)
        let outageStarted = Date()
        async let summary = offThePool { try runner.run() }
        // The outage lasts until every inspection has met it three times (so that backoff is under way).
        let database = db
        let everyoneMet = try await waitUntil(timeout: 30, every: 0.02) {
            try Scenario.scalar(database, """
                SELECT count(*) FROM (SELECT 1 FROM inspection_events WHERE kind = 'transient_error' AND detail::text LIKE '%outage%'
                                       GROUP BY tenant_id, inspection_id HAVING count(*) >= 3) x
                """) == 100
        }
        console.setOutage(false)
        #expect(everyoneMet, "not every inspection met the outage three times within 30 s")
        let outageSeconds = Date().timeIntervalSince(outageStarted)
        let result = try await summary
        #expect(result.status == "completed")
        #expect(try Scenario.states(db) == ["approved": 100])
        let outageErrors = try Scenario.scalar(db, "SELECT count(*) FROM inspection_events WHERE kind = 'transient_error' AND detail::text LIKE '%outage%'")
        #expect(outageErrors >= 100, "every inspection met the outage at least once")
        #expect(try Scenario.scalar(db, "SELECT max(attempts) FROM inspections") <= maxAttempts)
        // An attempt is spent per transient error and for nothing else.
        let mismatched = try Scenario.scalar(db, """
            SELECT count(*) FROM inspections i
             WHERE i.attempts <> (SELECT count(*) FROM inspection_events e WHERE e.tenant_id = i.tenant_id AND e.inspection_id = i.id
                                     AND e.kind = 'transient_error')
            """)
        #expect(mismatched == 0)
        // Backoff: delays 0.05, 0.1, 0.2, then 0.25 s each: a few tries per inspection during the outage, not hundreds.
        let maxTries = try Scenario.scalar(db, "SELECT max(attempts) FROM inspections")
        let bound = 4 + Int(outageSeconds / 0.25) + 2
        #expect(maxTries <= bound, "no backoff: \(maxTries) tries during a \(outageSeconds) s outage")
        try checkNightCompleted(db)
        print("console outage: \(outageErrors) calls failed during a \(String(format: "%.2f", outageSeconds)) s outage, at most \(maxTries) of \(maxAttempts) attempts used, all 100 approved after recovery")
    }

    // MARK: - Four runners

    /// Four runners (distinct ids, own pools and consoles) on one night of 20,000 inspections: every
    /// inspection is processed once.
    @Test func fourRunnersOnTwentyThousandInspections() async throws {
        let handle = try TestDatabase.fresh()
        defer { handle.drop() }
        let loader = handle.open(maximumConnections: 4)
        defer { loader.close() }
        let started = Date()
        try Scenario.load(loader, tenants: (0..<8).map { .init(slug: "four-\($0)", companies: 2_500) })
        let loaded = Date()
        // Leases that cannot expire on a loaded machine: then nothing may be submitted twice.
        let job = testJob { $0.batch.claim = 250; $0.batch.write = 250; $0.lease.seconds = 60; $0.lease.heartbeatSeconds = 5 }
        let databases = (0..<4).map { _ in handle.open(maximumConnections: 4) }
        defer { databases.forEach { $0.close() } }
        // Four runners, one cloud: their consoles share one memory.
        let memory = InMemoryConsoleMemory()
        let runners = databases.enumerated().map { makeRunner($0.element, job, runnerId: "four-\($0.offset)", memory: memory).runner }
        let summaries = try await withThrowingTaskGroup(of: RunSummary.self) { group in
            for runner in runners { group.addTask { try await offThePool { try runner.run() } } }
            var all: [RunSummary] = []
            for try await summary in group { all.append(summary) }
            return all
        }
        let seconds = Date().timeIntervalSince(loaded)
        #expect(summaries.allSatisfy { $0.status == "completed" })
        #expect(try Scenario.states(loader) == ["approved": 20_000])
        #expect(memory.submissionCounts.count == 20_000)
        // Nothing is sent twice unless a lease ran out (a runner starved of CPU past 60 s on an overloaded CI
        // machine): then the next holder resends with the same key, never with another request.
        let expired = try Scenario.scalar(loader, "SELECT count(*) FROM inspection_events WHERE kind = 'lease_expired'")
        let resent = memory.submissionCounts.values.filter { $0 > 1 }.count
        #expect(resent == 0 || resent <= expired, "\(resent) inspections sent twice with \(expired) leases expired")
        #expect(memory.figures().mismatches == 0)
        let processedTwice = try Scenario.scalar(loader, """
            SELECT count(*) FROM (SELECT 1 FROM inspection_events WHERE kind IN ('validated', 'submitted', 'approved')
                                   GROUP BY tenant_id, inspection_id HAVING count(*) <> 3) x
            """)
        #expect(processedTwice == 0)
        // The property that matters is above (nothing processed twice); it is only tested if the runners worked
        // at the same time: all four runs were under way at once (each started before any finished). Then
        // each claimed at its start, while thousands were due.
        #expect(try Scenario.scalar(loader, "SELECT (max(started_at) < min(finished_at))::int FROM runs") == 1, "the four runs did not overlap")
        let working = summaries.filter { $0.claimed > 0 }.count
        #expect(working == 4, "the work was shared: \(summaries.map(\.claimed))")
        try checkNightCompleted(loader)
        print("four runners: \(expired) leases expired, \(resent) resent with their key; 20000 inspections in \(String(format: "%.1f", seconds)) s (\(String(format: "%.0f", 20_000 / seconds))/s), "
              + "claims \(summaries.map(\.claimed)) (a poll is claimed separately), loaded in \(String(format: "%.1f", loaded.timeIntervalSince(started))) s")
    }
}
