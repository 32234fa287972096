import Foundation
import NianjianConsole
import NianjianDomain
import NianjianMockConsole
import NianjianPostgres
import NianjianRunner
import NianjianStore
import NianjianTestSupport
import Testing

/// The status check in the runner with the in-process mock: healthy and consistent by default (nothing
/// changes for a clean night), and what it is told is missing or expired needs materials, never submitted.
@Suite("status check before submit (mock console)")
struct StatusCheckRunnerTests {
    @Test func missingAndExpiredInstancesNeedMaterialsWithoutASubmission() async throws {
        let handle = try TestDatabase.fresh()
        defer { handle.drop() }
        let db = handle.open(maximumConnections: 8)
        defer { db.close() }
        try Scenario.load(db, tenants: [.init(slug: "status", companies: 10)])
        let ids = try db.runBlocking { session in
            try session.query("SELECT console_instance_id FROM services ORDER BY id LIMIT 2").rows.map { try $0.requireString(0) }
        }
        try #require(ids.count == 2)
        let console = InMemoryConsoleMemory()
        let job = testJob {
            $0.console.missingInstances = [ids[0]]
            $0.console.expiredInstances = [ids[1]]
        }
        _ = try await runNight(db, job, console: console)
        let total = try Scenario.scalar(db, "SELECT count(*) FROM inspections")
        #expect(try Scenario.states(db) == ["approved": total - 2, "needs_materials": 2])
        for (id, code) in [(ids[0], "console.instance_not_found"), (ids[1], "console.status_abnormal")] {
            #expect(try Scenario.scalar(db, """
                SELECT count(*) FROM inspections i JOIN services s ON s.tenant_id = i.tenant_id AND s.id = i.service_id
                 WHERE s.console_instance_id = $1 AND i.state = 'needs_materials' AND i.idempotency_key IS NULL
                   AND i.findings @> jsonb_build_array(jsonb_build_object('code', $2::text))
                """, [.text(id), .text(code)]) == 1, "\(id) \(code)")
        }
        // Submitted: every other inspection, once; the two blocked ones never.
        #expect(console.submissionCounts.count == total - 2 && console.submissionCounts.values.max() == 1)
        try checkNightCompleted(db, console: console)
    }

    @Test func aStatusCheckDuringAnOutageIsRetriedNotSubmitted() async throws {
        let handle = try TestDatabase.fresh()
        defer { handle.drop() }
        let db = handle.open(maximumConnections: 8)
        defer { db.close() }
        try Scenario.load(db, tenants: [.init(slug: "status-outage", companies: 4)])
        _ = try await runNight(db, testJob { $0.retry.maxAttempts = 3; $0.console.outage = true })
        // Each try of the check spent an attempt; the last one failed the inspection, with the check named.
        #expect(try Scenario.states(db) == ["failed": 4])
        #expect(try Scenario.scalar(db, """
            SELECT count(*) FROM inspections WHERE attempts = 3 AND idempotency_key IS NULL
               AND last_error LIKE '%service status check%'
            """) == 4)
        try checkInvariants(db)
    }
}
