import NianjianDomain
import NianjianPostgres

/// A service's current inspection (its latest cycle), with what a report shows about it.
public struct ReportInspectionRow: Sendable, Hashable {
    public var inspectionId: Int64
    public var companyRef: String
    public var companyName: String
    public var serviceRef: String
    public var cycle: Int
    public var state: InspectionState
    public var attempts: Int
    public var ticket: String?
    /// The stored findings (a JSON array of `Finding`).
    public var findingsJSON: String
    public var rejectionReason: RejectionReason?
    public var lastError: String?
    public var submittedAt: Timestamp?
    public var decidedAt: Timestamp?
    public var renewedUntil: CivilDate?
    public var renewalAmount: Money?
    /// The contract the service renews under.
    public var contractNumber: String
}

/// A service that expires soon and has no inspection for its cycle.
public struct ReportExpiringRow: Sendable, Hashable {
    public var companyRef: String
    public var companyName: String
    public var serviceRef: String
    public var expiresOn: CivilDate
}

/// What one run did for the tenant.
public struct ReportRunRow: Sendable, Hashable {
    public var runId: Int64
    public var startedAt: Timestamp
    public var finishedAt: Timestamp?
    public var asOf: CivilDate
    public var status: String
    public var claimed: Int
    /// Outcomes by state (JSON object text).
    public var byStateJSON: String
}

/// Transitions into `toState` on one China business date.
public struct ReportNightRow: Sendable, Hashable {
    public var date: CivilDate
    public var toState: InspectionState
    public var count: Int
}

/// One tenant's totals for `report --all`.
public struct ReportPlatformRow: Sendable, Hashable {
    public var counts: [InspectionState: Int]
    public var renewalTotal: Money
    public var lastRunAt: Timestamp?
}

/// The report's statements. Every one runs inside `asTenant(tenantId)`: row-level security, not the SQL,
/// guarantees the rows are the tenant's own.
public enum ReportQueries {
    /// The current tenant's slug and name (nil when the tenant is not visible).
    public static func selectTenant(_ session: PostgresSession) throws -> (slug: String, name: String)? {
        let result = try session.query("SELECT slug, name FROM tenants ORDER BY id LIMIT 2")
        guard result.rowCount == 1 else { return nil }
        return (try result[0].requireString(0), try result[0].requireString(1))
    }

    /// Each service's latest inspection (highest cycle), ordered by company and service.
    public static func selectCurrentInspections(_ session: PostgresSession) throws -> [ReportInspectionRow] {
        let result = try session.query("""
            SELECT DISTINCT ON (i.service_id)
                   i.id, c.company_ref, c.name, s.service_ref, i.cycle, i.state, i.attempts, i.console_ticket,
                   i.findings::text, i.rejection_reason, i.last_error, i.submitted_at, i.decided_at,
                   COALESCE(i.renewed_until, r.renewed_until), COALESCE(i.renewal_amount, r.amount), s.contract_number
              FROM inspections i
              JOIN companies c ON c.tenant_id = i.tenant_id AND c.id = i.company_id
              JOIN services s ON s.tenant_id = i.tenant_id AND s.id = i.service_id
              LEFT JOIN service_renewals r ON r.tenant_id = i.tenant_id AND r.inspection_id = i.id
             ORDER BY i.service_id, i.cycle DESC, i.id DESC
            """)
        var rows: [ReportInspectionRow] = []
        rows.reserveCapacity(result.rowCount)
        for row in result.rows {
            guard let state = InspectionState(rawValue: try row.requireString(5)) else {
                throw PostgresError(kind: .decoding, message: "unknown inspection state")
            }
            rows.append(ReportInspectionRow(
                inspectionId: try row.requireInt64(0), companyRef: try row.requireString(1), companyName: try row.requireString(2),
                serviceRef: try row.requireString(3), cycle: try row.requireInt(4), state: state, attempts: try row.requireInt(6),
                ticket: row.string(7), findingsJSON: row.string(8) ?? "[]",
                rejectionReason: row.string(9).flatMap(RejectionReason.init(rawValue:)), lastError: row.string(10),
                submittedAt: try StoreDecoding.timestamp(row, 11), decidedAt: try StoreDecoding.timestamp(row, 12),
                renewedUntil: try StoreDecoding.optionalDate(row, 13), renewalAmount: try StoreDecoding.optionalMoney(row, 14),
                contractNumber: row.string(15) ?? ""))
        }
        return rows.sorted { ($0.companyRef, $0.serviceRef) < ($1.companyRef, $1.serviceRef) }
    }

    /// Services expiring on or before `through` with no inspection for their cycle, soonest first.
    public static func selectExpiringWithoutInspection(_ session: PostgresSession, through: CivilDate) throws -> [ReportExpiringRow] {
        let result = try session.query("""
            SELECT c.company_ref, c.name, s.service_ref, s.expires_on
              FROM services s
              JOIN companies c ON c.tenant_id = s.tenant_id AND c.id = s.company_id
             WHERE s.expires_on <= $1::date
               AND NOT EXISTS (SELECT 1 FROM inspections i WHERE i.tenant_id = s.tenant_id AND i.service_id = s.id
                                 AND i.cycle = EXTRACT(YEAR FROM s.expires_on)::int)
             ORDER BY s.expires_on, c.company_ref, s.service_ref
            """, [.text(through.description)])
        return try result.rows.map { row in
            ReportExpiringRow(companyRef: try row.requireString(0), companyName: try row.requireString(1),
                              serviceRef: try row.requireString(2), expiresOn: try StoreDecoding.date(row, 3))
        }
    }

    /// The tenant's last runs, newest first: every run that worked for the tenant, also one that found nothing
    /// due (`RunQueries.startRun` gives each tenant of a run its `run_tenants` row at the start).
    public static func selectRecentRuns(_ session: PostgresSession, limit: Int) throws -> [ReportRunRow] {
        let result = try session.query("""
            SELECT r.id, r.started_at, r.finished_at, r.as_of, r.status, rt.claimed, rt.by_state::text
              FROM run_tenants rt JOIN runs r ON r.id = rt.run_id
             ORDER BY r.started_at DESC, r.id DESC
             LIMIT $1::int
            """, [.init(limit)])
        return try result.rows.map { row in
            guard let started = try StoreDecoding.timestamp(row, 1) else {
                throw PostgresError(kind: .decoding, message: "run without a start time")
            }
            return ReportRunRow(runId: try row.requireInt64(0), startedAt: started, finishedAt: try StoreDecoding.timestamp(row, 2),
                                asOf: try StoreDecoding.date(row, 3), status: try row.requireString(4),
                                claimed: try row.requireInt(5), byStateJSON: row.string(6) ?? "{}")
        }
    }

    /// State changes per China business date (of the business clock) from `from` through `through`.
    public static func selectNightlyProgress(_ session: PostgresSession, from: CivilDate, through: CivilDate) throws -> [ReportNightRow] {
        let result = try session.query("""
            SELECT ((e.business_at AT TIME ZONE 'UTC') + interval '8 hours')::date AS night, e.to_state, count(*)
              FROM inspection_events e
             WHERE e.from_state IS DISTINCT FROM e.to_state
               AND e.business_at >= ($1::date - interval '8 hours') AT TIME ZONE 'UTC'
               AND e.business_at < ($2::date + 1 - interval '8 hours') AT TIME ZONE 'UTC'
             GROUP BY 1, 2
             ORDER BY 1, 2
            """, [.text(from.description), .text(through.description)])
        var rows: [ReportNightRow] = []
        for row in result.rows {
            guard let state = InspectionState(rawValue: try row.requireString(1)) else { continue }
            rows.append(ReportNightRow(date: try StoreDecoding.date(row, 0), toState: state, count: try row.requireInt(2)))
        }
        return rows
    }

    /// Counts by state of the current inspections, the renewal total of the approved ones, the last run.
    public static func selectPlatformRow(_ session: PostgresSession) throws -> ReportPlatformRow {
        let counts = try session.query("""
            WITH current AS (
                SELECT DISTINCT ON (i.service_id) i.tenant_id, i.id, i.state, i.renewal_amount
                  FROM inspections i ORDER BY i.service_id, i.cycle DESC, i.id DESC
            )
            SELECT cur.state, count(*),
                   COALESCE(sum(COALESCE(cur.renewal_amount, r.amount)) FILTER (WHERE cur.state = 'approved'), 0)
              FROM current cur
              LEFT JOIN service_renewals r ON r.tenant_id = cur.tenant_id AND r.inspection_id = cur.id
             GROUP BY cur.state
            """)
        var byState: [InspectionState: Int] = [:]
        var total = Money.zero
        for row in counts.rows {
            guard let state = InspectionState(rawValue: try row.requireString(0)) else { continue }
            byState[state] = try row.requireInt(1)
            total = total + (try StoreDecoding.optionalMoney(row, 2) ?? .zero)
        }
        // The last run that worked for the tenant, whether or not it claimed anything (see selectRecentRuns).
        let last = try session.query("SELECT max(r.started_at) FROM run_tenants rt JOIN runs r ON r.id = rt.run_id")
        return ReportPlatformRow(counts: byState, renewalTotal: total, lastRunAt: try StoreDecoding.timestamp(last[0], 0))
    }
}
