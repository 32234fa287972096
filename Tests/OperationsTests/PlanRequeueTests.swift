import Foundation
import NianjianDomain
import NianjianOperations
import NianjianStore
import Testing

@Suite("plan and requeue")
struct PlanRequeueTests {
    static let asOf = CivilDate(year: 2026, month: 3, day: 16) ?? CivilDate(daysSinceEpoch: 0)

    @Test func planIsIdempotentAndRecordsEvents() throws {
        let fixture = try OpsFixture()
        defer { fixture.close() }
        let tenant = try fixture.tenant("acme")
        try fixture.importOK(tenant, Sheets.files)
        // Window 30 from 2026-03-16 reaches 2026-04-15: S001, S002, S003, S005.
        let first = try Planner.plan(database: fixture.database, tenantIds: nil, asOf: Self.asOf, windowDays: 30)
        #expect(first.map(\.planned) == [4])
        let again = try Planner.plan(database: fixture.database, tenantIds: [tenant.id], asOf: Self.asOf, windowDays: 30)
        #expect(again.map(\.planned) == [0])
        #expect(try fixture.counts()["inspections"] == 4)
        #expect(try fixture.scalar("SELECT count(*) FROM inspection_events WHERE kind = 'planned' AND actor = 'nianjian plan'") == "4")
        #expect(try fixture.scalar("SELECT count(*) FROM inspections WHERE state = 'pending' AND cycle = 2026") == "4")
        // Due from the night of as-of (01:00 China time = 17:00 UTC the day before).
        #expect(try fixture.scalar("SELECT DISTINCT next_attempt_at = '2026-03-15T17:00:00Z'::timestamptz FROM inspections") == "t")
        #expect(try fixture.scalar("SELECT due_on::text FROM inspections i JOIN services s ON s.id = i.service_id WHERE s.service_ref = 'S001'") == "2026-03-31")
        // A wider window plans the rest, once.
        let wider = try Planner.plan(database: fixture.database, tenantIds: [tenant.id], asOf: Self.asOf, windowDays: 120)
        #expect(wider.map(\.planned) == [3])
        #expect(try Planner.plan(database: fixture.database, tenantIds: nil, asOf: Self.asOf, windowDays: 120).map(\.planned) == [0])
    }

    @Test func requeueMovesOnlyWhatItShould() throws {
        let fixture = try OpsFixture()
        defer { fixture.close() }
        let tenant = try fixture.tenant("acme")
        let other = try fixture.tenant("other")
        try fixture.importOK(tenant, Sheets.files)
        try fixture.importOK(other, Sheets.files)
        let findings = String(decoding: try JSONEncoder().encode([Finding(.usccCheckCharacter, document: .businessLicense)]), as: UTF8.self)
        let needs = try fixture.inspection(tenant, "S001", state: "needs_materials", findings: findings)
        let rejected = try fixture.inspection(tenant, "S002", state: "rejected", reason: "incomplete_materials",
                                              submittedAt: "2026-03-02T01:00:00+08", decidedAt: "2026-03-05T01:00:00+08",
                                              ticket: "T-2")
        let failed = try fixture.inspection(tenant, "S003", state: "failed", lastError: "login failed", attempts: 5)
        let approved = try fixture.inspection(tenant, "S004", state: "approved", renewedUntil: "2027-04-20", amount: "800.00")
        let inReview = try fixture.inspection(tenant, "S005", state: "in_review", ticket: "T-5")
        let leased = try fixture.inspection(tenant, "S006", state: "failed", lastError: "x", leased: true)
        let otherFailed = try fixture.inspection(other, "S003", state: "failed", lastError: "login failed", attempts: 5)
        let now = Timestamp(chinaDate: Self.asOf, hour: 1)

        // By reason code: the finding code and the rejection reason both match.
        let dry = try Requeuer.requeue(database: fixture.database, tenant: tenant,
                                       RequeueRequest(reasonCode: "uscc.check_character", note: "fixed license", operatorName: "alice",
                                                      now: now, dryRun: true))
        #expect(dry.moved.map(\.inspectionId) == [needs])
        #expect(try fixture.scalar("SELECT state FROM inspections WHERE id = $1", [.init(needs)]) == "needs_materials")

        let byReason = try Requeuer.requeue(database: fixture.database, tenant: tenant,
                                            RequeueRequest(reasonCode: "incomplete_materials", note: "collected", operatorName: "alice",
                                                           now: now))
        #expect(byReason.moved.map(\.inspectionId) == [rejected])
        #expect(byReason.moved.first?.fromState == "rejected")
        #expect(try fixture.scalar("""
            SELECT concat_ws('|', state, attempts, generation, idempotency_key IS NULL, console_ticket IS NULL, rejection_reason IS NULL,
                             next_attempt_at = '2026-03-15T17:00:00Z'::timestamptz)
              FROM inspections WHERE id = $1
            """, [.init(rejected)]) == "pending|0|1|t|t|t|t")
        #expect(try fixture.scalar("SELECT detail->>'note' || '/' || actor FROM inspection_events WHERE inspection_id = $1 AND kind = 'requeued'",
                                   [.init(rejected)]) == "collected/alice")

        // Everything requeueable that is left: needs_materials and failed, never the leased one, never other states.
        let rest = try Requeuer.requeue(database: fixture.database, tenant: tenant,
                                        RequeueRequest(note: "second try", operatorName: "bob", now: now))
        #expect(Set(rest.moved.map(\.inspectionId)) == [needs, failed])
        #expect(try fixture.scalar("SELECT state FROM inspections WHERE id = $1", [.init(approved)]) == "approved")
        #expect(try fixture.scalar("SELECT state FROM inspections WHERE id = $1", [.init(inReview)]) == "in_review")
        #expect(try fixture.scalar("SELECT state FROM inspections WHERE id = $1", [.init(leased)]) == "failed")
        #expect(try fixture.scalar("SELECT state || attempts FROM inspections WHERE id = $1", [.init(otherFailed)]) == "failed5")
        #expect(try fixture.scalar("SELECT count(*) FROM inspection_events WHERE tenant_id = $1", [.init(other.id)]) == "0")

        // A company filter and explicit ids never reach another tenant's rows.
        let crafted = try Requeuer.requeue(database: fixture.database, tenant: tenant,
                                           RequeueRequest(inspectionIds: [otherFailed], note: "x", operatorName: "eve", now: now))
        #expect(crafted.moved.isEmpty)
        #expect(try fixture.scalar("SELECT state FROM inspections WHERE id = $1", [.init(otherFailed)]) == "failed")
        #expect(throws: OperationsError.self) {
            try Requeuer.requeue(database: fixture.database, tenant: tenant,
                                 RequeueRequest(states: [.approved], note: "x", operatorName: "eve", now: now))
        }
    }
}
