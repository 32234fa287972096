import NianjianDomain
import NianjianPostgres

/// What `nianjian bench soak` checks after every night: counts that must be zero (and a few totals).
public struct SoakInvariants: Sendable, Hashable {
    public var inspections = 0
    public var byState: [String: Int] = [:]
    /// Inspections whose state is not their last event's `to_state`.
    public var stateDisagreesWithEvents = 0
    /// Events whose `from_state` is not the previous event's `to_state` (a transition lost or applied twice).
    public var brokenEventChains = 0
    /// Approved inspections without exactly one renewal, and renewals of inspections that are not approved.
    public var renewalsNotOnePerApproval = 0
    /// Services renewed more than once this season, or not by exactly one term.
    public var servicesRenewedWrongly = 0
    /// Leases past their expiry by more than one lease period (a dead runner's work the rescuer left behind).
    public var staleLeases = 0
    /// Leases on inspections in a final state.
    public var leasesOnFinishedWork = 0
    /// Decided or in-review inspections without a console ticket, and tickets held by two inspections.
    public var ticketProblems = 0
    /// Runs whose recorded counts disagree with the events they wrote.
    public var runsDisagreeingWithEvents = 0
    public var renewals = 0
    public var events = 0

    public init() {}

    /// The names and values of the counts that must be zero.
    public var violations: [(String, Int)] {
        [("state ≠ last event", stateDisagreesWithEvents), ("broken event chains", brokenEventChains),
         ("renewals ≠ one per approval", renewalsNotOnePerApproval), ("services renewed wrongly", servicesRenewedWrongly),
         ("stale leases", staleLeases), ("leases on finished work", leasesOnFinishedWork), ("ticket problems", ticketProblems),
         ("runs ≠ their events", runsDisagreeingWithEvents)].filter { $0.1 != 0 }
    }
}

/// The soak's invariant checks, over every tenant (run as the owner: they cross tenants, like reports).
public enum SoakQueries {
    /// `leaseSeconds`: the job's lease period; `runsFrom`: the first run id of the night (its runs are checked).
    public static func invariants(_ session: PostgresSession, leaseSeconds: Double, runsFrom: Int64) throws -> SoakInvariants {
        var result = SoakInvariants()
        for row in try session.query("SELECT state, count(*) FROM inspections GROUP BY state").rows {
            result.byState[try row.requireString(0)] = try row.requireInt(1)
        }
        result.inspections = result.byState.values.reduce(0, +)
        let counts = try session.query("""
            SELECT
              (SELECT count(*) FROM inspections i
                WHERE i.state IS DISTINCT FROM (SELECT e.to_state FROM inspection_events e
                                                 WHERE e.tenant_id = i.tenant_id AND e.inspection_id = i.id
                                                 ORDER BY e.id DESC LIMIT 1)),
              (SELECT count(*) FROM (SELECT from_state,
                                            lag(to_state) OVER (PARTITION BY tenant_id, inspection_id ORDER BY id) AS previous
                                       FROM inspection_events) chain
                WHERE chain.previous IS NOT NULL AND chain.from_state IS DISTINCT FROM chain.previous),
              (SELECT count(*) FROM inspections i
                WHERE (i.state = 'approved') <> EXISTS (SELECT 1 FROM service_renewals r
                                                         WHERE r.tenant_id = i.tenant_id AND r.inspection_id = i.id)),
              (SELECT count(*) FROM services s
                WHERE s.renewed_count > 1
                   OR EXISTS (SELECT 1 FROM inspections i WHERE i.tenant_id = s.tenant_id AND i.service_id = s.id
                                AND i.state = 'approved'
                                AND s.expires_on <> (i.due_on + make_interval(months => s.term_months))::date)),
              (SELECT count(*) FROM inspection_leases WHERE expires_at < now() - make_interval(secs => $1::float8)),
              (SELECT count(*) FROM inspection_leases l JOIN inspections i ON i.tenant_id = l.tenant_id AND i.id = l.inspection_id
                WHERE i.state IN ('approved', 'rejected', 'needs_materials', 'failed', 'cancelled')),
              (SELECT count(*) FROM inspections WHERE state IN ('in_review', 'approved', 'rejected') AND console_ticket IS NULL)
                + (SELECT count(console_ticket) - count(DISTINCT console_ticket) FROM inspections),
              (SELECT count(*) FROM runs r
                 CROSS JOIN LATERAL jsonb_each_text(r.by_state) c
                WHERE r.id >= $2::bigint AND c.key IN ('approved', 'rejected', 'needs_materials', 'failed')
                  AND c.value::int <> (SELECT count(*) FROM inspection_events e
                                        WHERE e.run_id = r.id AND e.to_state = c.key AND e.from_state <> e.to_state)),
              (SELECT count(*) FROM service_renewals),
              (SELECT count(*) FROM inspection_events)
            """, [.init(leaseSeconds), .init(runsFrom)])[0]
        result.stateDisagreesWithEvents = try counts.requireInt(0)
        result.brokenEventChains = try counts.requireInt(1)
        result.renewalsNotOnePerApproval = try counts.requireInt(2)
        result.servicesRenewedWrongly = try counts.requireInt(3)
        result.staleLeases = try counts.requireInt(4)
        result.leasesOnFinishedWork = try counts.requireInt(5)
        result.ticketProblems = try counts.requireInt(6)
        result.runsDisagreeingWithEvents = try counts.requireInt(7)
        result.renewals = try counts.requireInt(8)
        result.events = try counts.requireInt(9)
        return result
    }

    /// The next run id (the night's runs are those from here on).
    public static func nextRunId(_ session: PostgresSession) throws -> Int64 {
        Int64(try session.query("SELECT coalesce(max(id), 0) + 1 FROM runs")[0].requireInt(0))
    }

    /// Leases held right now (a small table: only work in flight is in it): the soak acts on a night only
    /// while a runner holds work, so a kill, restart or failover always lands mid-work.
    public static func leasesHeld(_ session: PostgresSession) throws -> Int {
        try session.query("SELECT count(*) FROM inspection_leases")[0].requireInt(0)
    }

    /// The statuses of the night's runs (`runsFrom` on), oldest first.
    public static func runStatuses(_ session: PostgresSession, runsFrom: Int64) throws -> [String] {
        try session.query("SELECT status FROM runs WHERE id >= $1::bigint ORDER BY id", [.init(runsFrom)]).rows.map { try $0.requireString(0) }
    }

    /// Every service's console instance and expiry, with whether its inspection is in review (the cloud may
    /// have settled the renewal the database learns of at the next poll).
    public static func serviceExpiries(_ session: PostgresSession) throws -> [(instance: String, expiresOn: String, inReview: Bool)] {
        try session.query("""
            SELECT s.console_instance_id, s.expires_on::text,
                   EXISTS (SELECT 1 FROM inspections i WHERE i.tenant_id = s.tenant_id AND i.service_id = s.id
                             AND i.state IN ('in_review', 'submitting'))
              FROM services s
            """).rows.map { (try $0.requireString(0), try $0.requireString(1), try $0.bool(2) ?? false) }
    }

    /// The earliest event the new primary committed after `epochSeconds` (a failover's first write).
    public static func firstEventAfter(_ session: PostgresSession, epochSeconds: Double) throws -> Double? {
        try session.query("SELECT extract(epoch FROM min(at))::float8 FROM inspection_events WHERE at > to_timestamp($1::float8)",
                          [.text(String(epochSeconds))])[0].double(0)
    }
}
