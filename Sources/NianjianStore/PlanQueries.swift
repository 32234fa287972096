import NianjianDomain
import NianjianPostgres

/// Planning: one inspection per service and cycle (the year of the expiry it renews).
public enum PlanQueries {
    /// Creates a pending inspection, with a `planned` event, for every service of the current tenant that
    /// expires on or before `through` and has no inspection for its cycle. Idempotent (ON CONFLICT DO NOTHING
    /// on (tenant_id, service_id, cycle)). Run inside `asTenant(tenantId)`. Returns how many were created.
    @discardableResult
    public static func planInspections(_ session: PostgresSession, tenantId: Int64, through: CivilDate,
                                       nextAttemptAt: Timestamp, asOf: CivilDate, windowDays: Int,
                                       actor: String = "nianjian plan") throws -> Int {
        let result = try session.query("""
            WITH due AS (
                SELECT s.tenant_id, s.id, s.company_id, EXTRACT(YEAR FROM s.expires_on)::int AS cycle, s.expires_on
                  FROM services s
                 WHERE s.tenant_id = $1::bigint AND s.expires_on <= $2::date
                   AND s.expires_on >= DATE '2000-01-01' AND s.expires_on < DATE '9999-01-01'
                   AND NOT EXISTS (SELECT 1 FROM inspections i WHERE i.tenant_id = s.tenant_id AND i.service_id = s.id
                                     AND i.cycle = EXTRACT(YEAR FROM s.expires_on)::int)
            ),
            inserted AS (
                INSERT INTO inspections (tenant_id, service_id, company_id, cycle, due_on, state, next_attempt_at)
                SELECT tenant_id, id, company_id, cycle, expires_on, 'pending', $3::timestamptz FROM due
                ON CONFLICT (tenant_id, service_id, cycle) DO NOTHING
                RETURNING tenant_id, id, cycle, due_on
            ),
            events AS (
                INSERT INTO inspection_events (tenant_id, inspection_id, business_at, actor, kind, from_state, to_state, detail)
                SELECT tenant_id, id, $3::timestamptz, $4, 'planned', NULL, 'pending',
                       jsonb_build_object('cycle', cycle, 'due_on', due_on, 'as_of', $5::text, 'window_days', $6::int)
                  FROM inserted
            )
            SELECT count(*) FROM inserted
            """, [.init(tenantId), .text(through.description), .text(nextAttemptAt.description), .text(actor),
                  .text(asOf.description), .init(windowDays)])
        return try result[0].requireInt(0)
    }
}
