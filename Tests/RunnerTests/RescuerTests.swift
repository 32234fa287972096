import NianjianDomain
import NianjianPostgres
import NianjianStore
import NianjianTestSupport
import Testing

@Suite("rescuer")
struct RescuerTests {
    @Test func expiredLeasesReturnAndDeadRunsClose() async throws {
        let handle = try TestDatabase.fresh()
        defer { handle.drop() }
        let db = handle.open()
        defer { db.close() }
        try Scenario.load(db, tenants: [.init(slug: "omega", companies: 3)])
        let now = Timestamp(chinaDate: Scenario.asOf, hour: 2)
        try db.runBlocking { session in
            // A runner that died: its run is stale, one inspection is still leased (expired), one is submitting.
            try session.query("""
                INSERT INTO runs (runner_id, job_name, as_of, heartbeat_at) VALUES ('dead-runner', 'nightly', '2026-12-01', now() - interval '1 hour'),
                                                                                  ('live-runner', 'nightly', '2026-12-01', now())
                """)
            try session.query("""
                UPDATE inspections SET lease_owner = 'dead-runner', lease_expires_at = now() - interval '1 second', lease_token = 1,
                       state = CASE WHEN id = (SELECT min(id) FROM inspections) THEN 'submitting' ELSE state END,
                       idempotency_key = CASE WHEN id = (SELECT min(id) FROM inspections) THEN 'nj-key-1' END
                 WHERE id IN (SELECT id FROM inspections ORDER BY id LIMIT 2)
                """)
        }
        let rescued = try db.runBlocking { try InspectionQueries.rescueExpiredLeases($0, businessNow: now, actor: "rescuer:test", leaseSeconds: 1) }
        #expect(rescued == 2)
        #expect(try Scenario.scalar(db, "SELECT count(*) FROM inspections WHERE lease_owner IS NOT NULL") == 0)
        // The submitting one keeps its key, so the next claim resubmits with it.
        #expect(try Scenario.scalar(db, "SELECT count(*) FROM inspections WHERE state = 'submitting' AND idempotency_key = 'nj-key-1'") == 1)
        #expect(try Scenario.scalar(db, "SELECT count(*) FROM inspection_events WHERE kind = 'lease_expired' AND actor = 'rescuer:test'") == 2)
        // The dead runner's run is closed once it holds nothing; the live one is left alone.
        _ = try db.runBlocking { try InspectionQueries.rescueExpiredLeases($0, businessNow: now, actor: "rescuer:test", leaseSeconds: 1) }
        #expect(try Scenario.scalar(db, "SELECT count(*) FROM runs WHERE runner_id = 'dead-runner' AND status = 'interrupted'") == 1)
        #expect(try Scenario.scalar(db, "SELECT count(*) FROM runs WHERE runner_id = 'live-runner' AND status = 'running'") == 1)
    }
}
