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
                UPDATE inspections SET
                       state = CASE WHEN id = (SELECT min(id) FROM inspections) THEN 'submitting' ELSE state END,
                       idempotency_key = CASE WHEN id = (SELECT min(id) FROM inspections) THEN 'nj-key-1' END
                 WHERE id IN (SELECT id FROM inspections ORDER BY id LIMIT 2)
                """)
            try session.query("""
                INSERT INTO inspection_leases (tenant_id, inspection_id, owner, token, expires_at)
                SELECT tenant_id, id, 'dead-runner', 1, now() - interval '1 second' FROM inspections ORDER BY id LIMIT 2
                """)
        }
        let rescued = try db.runBlocking { try InspectionQueries.rescueExpiredLeases($0, businessNow: now, actor: "rescuer:test", leaseSeconds: 1) }
        #expect(rescued == 2)
        #expect(try Scenario.scalar(db, "SELECT count(*) FROM inspection_leases") == 0)
        // The submitting one keeps its key, so the next claim resubmits with it.
        #expect(try Scenario.scalar(db, "SELECT count(*) FROM inspections WHERE state = 'submitting' AND idempotency_key = 'nj-key-1'") == 1)
        #expect(try Scenario.scalar(db, "SELECT count(*) FROM inspection_events WHERE kind = 'lease_expired' AND actor = 'rescuer:test'") == 2)
        // The dead runner's run is closed once it holds nothing; the live one is left alone.
        _ = try db.runBlocking { try InspectionQueries.rescueExpiredLeases($0, businessNow: now, actor: "rescuer:test", leaseSeconds: 1) }
        #expect(try Scenario.scalar(db, "SELECT count(*) FROM runs WHERE runner_id = 'dead-runner' AND status = 'interrupted'") == 1)
        #expect(try Scenario.scalar(db, "SELECT count(*) FROM runs WHERE runner_id = 'live-runner' AND status = 'running'") == 1)
    }
}

@Suite("write-back")
struct WriteBackTests {
    /// A batch retried after its COMMIT succeeded (the answer was lost) reports its rows as written and adds
    /// no second event; a stale token is still fenced out.
    @Test func aRetriedCommittedBatchCountsAsWrittenOnce() async throws {
        let handle = try TestDatabase.fresh()
        defer { handle.drop() }
        let db = handle.open()
        defer { db.close() }
        try Scenario.load(db, tenants: [.init(slug: "retry", companies: 2)])
        let now = Timestamp(chinaDate: Scenario.asOf, hour: 2)
        let claimed = try db.runBlocking {
            try InspectionQueries.claimDue($0, ClaimRequest(owner: "r1", leaseSeconds: 30, batchSize: 10, now: now, tenantIds: nil))
        }
        #expect(claimed.count == 2)
        let updates = claimed.map { item in
            InspectionUpdate(key: item.key, leaseToken: item.leaseToken, from: .pending, to: .submitting, attempts: 0,
                             generation: 0, idempotencyKey: "k-\(item.id)", ticket: nil, nextAttemptAt: nil, nextPollAt: nil,
                             findingsJSON: "[]", rejectionReason: nil, lastError: nil, releaseLease: false,
                             eventKind: "validated", eventDetailJSON: "{}", businessAt: now)
        }
        let first = try db.runBlocking { try InspectionQueries.writeBack($0, updates, actor: "r1", runId: nil) }
        let again = try db.runBlocking { try InspectionQueries.writeBack($0, updates, actor: "r1", runId: nil) }
        #expect(first.count == 2 && again == first)
        #expect(try Scenario.scalar(db, "SELECT count(*) FROM inspection_events WHERE kind = 'validated'") == 2)
        // A writer holding another token is fenced out.
        let stale = updates.map { update -> InspectionUpdate in
            var copy = update
            copy.leaseToken += 1000
            return copy
        }
        let fenced = try db.runBlocking { try InspectionQueries.writeBack($0, stale, actor: "r2", runId: nil) }
        #expect(fenced.isEmpty)
    }
}
