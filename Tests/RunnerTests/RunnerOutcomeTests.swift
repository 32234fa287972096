import Foundation
import NianjianConsole
import NianjianDomain
import NianjianMockConsole
import NianjianPostgres
import NianjianRunner
import NianjianStore
import NianjianTestSupport
import Testing
import Yams

@Suite("runner outcomes", .serialized)
struct RunnerOutcomeTests {
    /// With either statement routing (one statement per claim and write-back, or one per tenant).
    @Test(arguments: StatementRouting.allCases)
    func cleanCompaniesAreApprovedAndRenewedExactlyOnce(routing: StatementRouting) async throws {
        let handle = try TestDatabase.fresh()
        defer { handle.drop() }
        let db = handle.open(maximumConnections: 8)
        defer { db.close() }
        let ids = try Scenario.load(db, tenants: [.init(slug: "alpha", companies: 40), .init(slug: "beta", companies: 25)])
        let before = try Scenario.scalar(db, "SELECT count(*) FROM inspections")
        #expect(before == 65)
        let console = InMemoryConsoleMemory()
        let summary = try await runNight(db, testJob { $0.database.routing = routing }, console: console)
        #expect(summary.status == "completed")
        #expect(try Scenario.states(db) == ["approved": 65])
        #expect(summary.byTenant["alpha"]?["approved"] == 40)
        // Each service moved by exactly one term from the expiry the inspection renewed.
        let wrong = try Scenario.scalar(db, """
            SELECT count(*) FROM inspections i JOIN services s ON s.tenant_id = i.tenant_id AND s.id = i.service_id
             WHERE s.expires_on <> (i.due_on + make_interval(months => s.term_months))::date OR i.renewed_until <> s.expires_on
                OR i.renewal_amount <> s.renewal_amount OR s.renewed_count <> 1
            """)
        #expect(wrong == 0)
        try checkInvariants(db, console: console)
        // Every key was submitted once.
        #expect(console.submissionCounts.count == 65 && console.submissionCounts.values.max() == 1)
        // A second run finds nothing to do and changes nothing.
        let again = try await runNight(db, testJob { $0.database.routing = routing }, console: console)
        #expect(again.claimed == 0)
        #expect(try Scenario.scalar(db, "SELECT sum(renewed_count) FROM services") == 65)
        // The run is recorded, per tenant too.
        #expect(try Scenario.scalar(db, "SELECT claimed FROM runs WHERE id = $1", [.init(summary.runId)]) == summary.claimed)
        #expect(try Scenario.scalar(db, "SELECT (by_state->>'approved')::int FROM run_tenants WHERE run_id = $1 AND tenant_id = $2",
                                    [.init(summary.runId), .init(ids["alpha"] ?? 0)]) == 40)
    }

    @Test(arguments: RejectionReason.allCases)
    func rejectionsKeepTheirReason(_ reason: RejectionReason) async throws {
        let handle = try TestDatabase.fresh()
        defer { handle.drop() }
        let db = handle.open(maximumConnections: 8)
        defer { db.close() }
        try Scenario.load(db, tenants: [.init(slug: "gamma", companies: 12)])
        _ = try await runNight(db, testJob { $0.console.rejectionRates = [reason: 1.0] })
        #expect(try Scenario.states(db) == ["rejected": 12])
        #expect(try Scenario.scalar(db, "SELECT count(*) FROM inspections WHERE rejection_reason = $1", [.text(reason.rawValue)]) == 12)
        #expect(try Scenario.scalar(db, "SELECT count(*) FROM service_renewals") == 0)
        try checkInvariants(db)
    }

    @Test func defectiveMaterialsNeedMaterialsWithoutAConsoleCall() async throws {
        let handle = try TestDatabase.fresh()
        defer { handle.drop() }
        let db = handle.open(maximumConnections: 8)
        defer { db.close() }
        let defects: [SyntheticCompanies.Defect] = [.missingDocument, .expiredIdentity, .amountMismatch, .lapsedService]
        try Scenario.load(db, tenants: [.init(slug: "delta", companies: 8, defect: { $0 < 4 ? defects[$0] : nil })])
        let console = InMemoryConsoleMemory()
        _ = try await runNight(db, testJob(), console: console)
        let states = try Scenario.states(db)
        #expect(states == ["needs_materials": 4, "approved": 4])
        // Findings are stored with their codes; no console call was made for them.
        #expect(try Scenario.scalar(db, "SELECT count(*) FROM inspections WHERE state = 'needs_materials' AND jsonb_array_length(findings) > 0") == 4)
        #expect(console.submissionCounts.count == 4)
        #expect(try Scenario.scalar(db, "SELECT count(*) FROM inspections WHERE findings @> '[{\"code\": \"contract.amount_mismatch\"}]'") == 1)
        try checkInvariants(db)
    }

    @Test func transientFaultsAreRetriedThenApproved() async throws {
        let handle = try TestDatabase.fresh()
        defer { handle.drop() }
        let db = handle.open(maximumConnections: 8)
        defer { db.close() }
        try Scenario.load(db, tenants: [.init(slug: "eps", companies: 30)])
        let job = testJob {
            $0.retry.maxAttempts = 20
            $0.console.loginFailureRate = 0.3
            $0.console.buttonFailureRate = 0.1
            $0.console.progressFailureRate = 0.2
            $0.console.timeoutRate = 0.1
        }
        let console = InMemoryConsoleMemory()
        let summary = try await runNight(db, job, console: console)
        let states = try Scenario.states(db)
        let errors = try db.runBlocking { session in
            try session.query("SELECT state || ' ' || attempts || ' ' || coalesce(last_error, '') FROM inspections WHERE state <> 'approved'")
                .rows.compactMap { $0.string(0) }
        }
        #expect(states == ["approved": 30], "\(summary.status): \(states) \(errors)")
        #expect(try Scenario.scalar(db, "SELECT count(*) FROM inspection_events WHERE kind = 'transient_error'") > 0)
        #expect(try Scenario.scalar(db, "SELECT count(*) FROM inspections WHERE attempts > 0") > 0)
        // A lost answer ("progress not visible") was retried with the same key: resubmitted, never duplicated.
        #expect(console.submissionCounts.values.contains { $0 > 1 })
        #expect(console.submissionCounts.count == 30)
        try checkInvariants(db, console: console)
    }

    @Test func exhaustedAttemptsFailWithTheLastError() async throws {
        let handle = try TestDatabase.fresh()
        defer { handle.drop() }
        let db = handle.open(maximumConnections: 8)
        defer { db.close() }
        try Scenario.load(db, tenants: [.init(slug: "zeta", companies: 6)])
        _ = try await runNight(db, testJob { $0.retry.maxAttempts = 3; $0.console.loginFailureRate = 1.0 })
        #expect(try Scenario.states(db) == ["failed": 6])
        #expect(try Scenario.scalar(db, "SELECT count(*) FROM inspections WHERE attempts = 3 AND last_error LIKE '%login%'") == 6)
        try checkInvariants(db)
    }

    @Test func throttlingPausesWithoutSpendingAttempts() async throws {
        let handle = try TestDatabase.fresh()
        defer { handle.drop() }
        let db = handle.open(maximumConnections: 8)
        defer { db.close() }
        try Scenario.load(db, tenants: [.init(slug: "eta", companies: 20)])
        let job = testJob {
            $0.retry.maxAttempts = 1
            $0.console.throttleRate = 0.4
            $0.console.throttleRetryAfterSeconds = 0.02
        }
        _ = try await runNight(db, job)
        // With one attempt allowed, any attempt spent on throttling would have failed the inspection.
        #expect(try Scenario.states(db) == ["approved": 20])
        #expect(try Scenario.scalar(db, "SELECT count(*) FROM inspection_events WHERE kind = 'throttled'") > 0)
        #expect(try Scenario.scalar(db, "SELECT count(*) FROM inspections WHERE attempts > 0") == 0)
        try checkInvariants(db)
    }

    @Test func reviewsSpanBusinessDaysAcrossNights() async throws {
        let handle = try TestDatabase.fresh()
        defer { handle.drop() }
        let db = handle.open(maximumConnections: 8)
        defer { db.close() }
        try Scenario.load(db, tenants: [.init(slug: "theta", companies: 5)])
        let job = testJob {
            $0.console.reviewBusinessDays = 2
            $0.poll = PollSchedule(firstPollAfterBusinessDays: 1, firstPollAfterSeconds: 0, thenEveryBusinessDays: 1, thenEverySeconds: 0)
        }
        // 2026-12-01 is a Tuesday: submitted that night, reviewing on Wednesday, decided on Thursday.
        _ = try await runNight(db, job, asOf: Scenario.asOf)
        #expect(try Scenario.states(db) == ["in_review": 5])
        _ = try await runNight(db, job, asOf: Scenario.asOf.adding(days: 1))
        #expect(try Scenario.states(db) == ["in_review": 5])
        #expect(try Scenario.scalar(db, "SELECT count(*) FROM inspection_events WHERE kind = 'polled'") == 5)
        _ = try await runNight(db, job, asOf: Scenario.asOf.adding(days: 2))
        #expect(try Scenario.states(db) == ["approved": 5])
        // Polls never used attempts.
        #expect(try Scenario.scalar(db, "SELECT max(attempts) FROM inspections") == 0)
        try checkInvariants(db)
    }

    @Test(arguments: StatementRouting.allCases)
    func twoRunnersShareANightWithoutOverlap(routing: StatementRouting) async throws {
        let handle = try TestDatabase.fresh()
        defer { handle.drop() }
        let db = handle.open(maximumConnections: 12)
        defer { db.close() }
        try Scenario.load(db, tenants: [.init(slug: "iota", companies: 300), .init(slug: "kappa", companies: 200)])
        // Leases long enough that a loaded CI machine never lets one expire: then nothing may be submitted twice.
        // (With expiring leases a resubmission with the same key is correct; the crash trials cover that.)
        // 100 submits per second per tenant per runner: one runner alone needs at least 3 s for iota's 300
        // submissions, far longer than the other takes to start, so the night cannot be won by one.
        let job = testJob {
            $0.batch.claim = 50; $0.console.latencyP50Milliseconds = 2; $0.console.latencyP99Milliseconds = 10
            $0.lease.seconds = 60; $0.lease.heartbeatSeconds = 5
            $0.rateLimits.submit.perSecond = 100; $0.rateLimits.submit.burst = 5
            $0.database.routing = routing
        }
        // One console (one cloud) for both runners.
        let console = InMemoryConsoleMemory()
        async let first = runNight(db, job, runnerId: "runner-a", console: console)
        async let second = runNight(db, job, runnerId: "runner-b", console: console)
        let (a, b) = try await (first, second)
        #expect(try Scenario.states(db) == ["approved": 500])
        // The two runs were under way at once (each started before the other finished), so both claimed.
        #expect(try Scenario.scalar(db, "SELECT (max(started_at) < min(finished_at))::int FROM runs WHERE finished_at IS NOT NULL") == 1,
                "the runs did not overlap")
        #expect(a.claimed > 0 && b.claimed > 0, "claims \(a.claimed), \(b.claimed)")
        // Each inspection was submitted once and approved once, by one runner.
        #expect(console.submissionCounts.count == 500 && console.submissionCounts.values.max() == 1)
        #expect(try Scenario.scalar(db, """
            SELECT count(*) FROM (SELECT inspection_id FROM inspection_events WHERE kind IN ('submitted', 'approved')
                                  GROUP BY tenant_id, inspection_id HAVING count(*) <> 2) x
            """) == 0)
        try checkInvariants(db)
    }

    @Test func smallTenantsAreServedInTheFirstRound() async throws {
        let handle = try TestDatabase.fresh()
        defer { handle.drop() }
        let db = handle.open(maximumConnections: 8)
        defer { db.close() }
        var specs: [Scenario.TenantSpec] = [.init(slug: "big", companies: 10_000)]
        for index in 0..<50 { specs.append(.init(slug: "small-\(index)", companies: 5)) }
        let ids = try Scenario.load(db, tenants: specs)
        let job = testJob { $0.concurrency.global = 16; $0.concurrency.perTenant = 16 }
        let console = InMemoryConsoleMemory(recordingArrivalOrder: true)
        _ = try await runNight(db, job, console: console)
        #expect(try Scenario.states(db) == ["approved": 10_250])
        // Order in which first submissions reached the console (the dispatch order; event ids would also count
        // which write-back committed first, a matter of timing on a loaded machine): every small tenant's first
        // inspection went out before the big tenant's 100th, i.e. in the first round, not after the big backlog.
        let bigId = ids["big"] ?? 0
        let tenantOfKey = try db.runBlocking { session in
            Dictionary(try session.query("SELECT idempotency_key, tenant_id FROM inspections WHERE idempotency_key IS NOT NULL")
                .rows.map { (try $0.requireString(0), try $0.requireInt64(1)) }, uniquingKeysWith: { first, _ in first })
        }
        let order = console.keysInArrivalOrder.compactMap { tenantOfKey[$0] }
        #expect(order.count == 10_250)
        var seen = Set<Int64>()
        var lastSmallFirst = 0
        for (position, tenant) in order.enumerated() where tenant != bigId && seen.insert(tenant).inserted { lastSmallFirst = position }
        let bigBefore = order.prefix(lastSmallFirst).filter { $0 == bigId }.count
        #expect(bigBefore < 100, "the big tenant had \(bigBefore) submissions before the last small tenant's first")
        try checkInvariants(db)
    }
}
