import Foundation
import NianjianDomain
import NianjianPostgres

/// The claim by tenant (`StatementRouting.perTenant`): every statement that touches a tenant's rows names that
/// one tenant, so a database distributed by `tenant_id` (Citus) routes it to one shard, and no statement takes
/// `FOR UPDATE SKIP LOCKED` across shards. Three round trips: the tenants, which of the next in turn have work
/// due (one probe each, pipelined), and each of those tenants' share (one claim each, pipelined, in one
/// transaction). Each claim serves a window of tenants (a share of at least `perTenantMinimumShare` rows
/// each) and the next claim the tenants after it: every tenant's turn comes within a few claims.
extension InspectionQueries {
    /// $1 tenant ids or NULL (every tenant).
    static let claimTenantsStatement = """
        SELECT id, weight, slug FROM tenants WHERE ($1::bigint[] IS NULL OR id = ANY($1::bigint[])) ORDER BY id
        """

    /// Whether one tenant has work due. $1 tenant, $2 business now. (Prepared, unlike the claims: a plan cached
    /// while the lease table was small may read it whole for a candidate row, but a probe stops at the first
    /// unleased due row, so that costs a few pages, less than planning the probe each time.)
    static let tenantDueProbeStatement = """
        SELECT EXISTS (SELECT 1 FROM inspections i WHERE i.tenant_id = $1 AND i.next_attempt_at <= $2
                          AND NOT EXISTS (SELECT 1 FROM inspection_leases l WHERE l.tenant_id = $1 AND l.inspection_id = i.id OFFSET 0))
            OR EXISTS (SELECT 1 FROM inspections i WHERE i.tenant_id = $1 AND i.next_poll_at <= $2
                          AND NOT EXISTS (SELECT 1 FROM inspection_leases l WHERE l.tenant_id = $1 AND l.inspection_id = i.id OFFSET 0))
        """

    /// One tenant's share of a claim, the rows of the combined statement for that tenant. $1 tenant, $2 business
    /// now, $3 share, $4 owner, $5 lease seconds, $6 fencing token, $7 the tenant's slug.
    static let tenantClaimStatement = """
        WITH
        attempt AS (
            SELECT \(lockedColumns) FROM inspections i
             WHERE i.tenant_id = $1 AND i.next_attempt_at <= $2 AND i.state IN ('pending', 'submitting')
               AND NOT EXISTS (SELECT 1 FROM inspection_leases l WHERE l.tenant_id = $1 AND l.inspection_id = i.id OFFSET 0)
             ORDER BY i.next_attempt_at, i.id LIMIT $3 FOR UPDATE OF i SKIP LOCKED
        ),
        poll AS (
            SELECT \(lockedColumns) FROM inspections i
             WHERE i.tenant_id = $1 AND i.next_poll_at <= $2 AND i.state = 'in_review'
               AND NOT EXISTS (SELECT 1 FROM inspection_leases l WHERE l.tenant_id = $1 AND l.inspection_id = i.id OFFSET 0)
             ORDER BY i.next_poll_at, i.id LIMIT $3 FOR UPDATE OF i SKIP LOCKED
        ),
        picked AS (
            SELECT every_kind.* FROM (SELECT * FROM attempt UNION ALL SELECT * FROM poll) every_kind
             ORDER BY every_kind.id LIMIT $3
        ),
        leased AS (
            INSERT INTO inspection_leases (tenant_id, inspection_id, owner, token, expires_at)
            SELECT $1, p.id, $4, $6, now() + make_interval(secs => $5::double precision) FROM picked p
            ON CONFLICT DO NOTHING
            RETURNING inspection_id, token
        )
        -- The columns of the row version the claim locked, carried through `picked`.
        SELECT p.tenant_id, $7::text, p.id, p.service_id, p.company_id,
               p.cycle, p.due_on, p.state, p.attempts, p.generation, p.idempotency_key, p.console_ticket, l.token,
               NULL::bigint
          FROM leased l
          JOIN picked p ON p.id = l.inspection_id
        UNION ALL
        SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, count(*) FROM picked
        """

    /// The run's heartbeat, which the combined claim carries along (`runs` is not a tenant's table).
    static let claimHeartbeatStatement = "UPDATE runs SET heartbeat_at = now() WHERE runner_id = $1 AND status = 'running'"

    /// The fewest rows a tenant's share of a claim by tenant carries (unless the batch is smaller): below it,
    /// the per-statement cost outweighs the rows (1 ms of server time per tenant statement on PostgreSQL 15).
    public static let perTenantMinimumShare = 16

    static func claimByTenant(_ session: PostgresSession, _ request: ClaimRequest,
                              rotation: TenantRotation) throws -> (claimed: [ClaimedInspection], picked: Int) {
        let tenantIds: PostgresBind = request.tenantIds.map { PostgresBind.intArray($0) } ?? .null
        // The run's heartbeat goes with every claim, as in the combined statement: an idle runner holds no lease,
        // and the rescuer closes a run whose heartbeat is old and which holds none.
        let tenantRows = try session.pipeline([PipelineStatement(claimTenantsStatement, [tenantIds]),
                                               PipelineStatement(claimHeartbeatStatement, [.text(request.owner)])])[0]
        var tenants: [(id: Int64, weight: Int, slug: String)] = []
        for index in 0..<tenantRows.rowCount {
            let row = tenantRows[index]
            tenants.append((try row.requireInt64(0), try row.requireInt(1), try row.requireString(2)))
        }
        // This claim's window: the next tenants in turn that have work due, probed at least 64 at a time (so that
        // a night with few tenants due, or none, takes a few round trips, not one per window).
        let ordered = ClaimShares.rotation(tenants, id: \.id, after: rotation.after)
        let window = ClaimShares.windowSize(batch: request.batchSize, minimumShare: perTenantMinimumShare)
        let now = PostgresBind.text(request.now.description)
        var due: [(id: Int64, weight: Int, slug: String)] = []
        var probed = 0
        while due.count < window && probed < ordered.count {
            let chunk = ordered[probed..<min(ordered.count, probed + max(window, 64))]
            probed = chunk.endIndex
            let probes = try session.pipeline(chunk.map { PipelineStatement(tenantDueProbeStatement, [.init($0.id), now]) })
            for (tenant, probe) in zip(chunk, probes) where probe.rowCount > 0 && probe[0].string(0) == "t" && due.count < window {
                due.append(tenant)
            }
        }
        guard let last = due.last else { return ([], 0) }
        var generator = SystemRandomNumberGenerator()
        let shares = ClaimShares.split(batch: request.batchSize, among: due.map { ($0.id, $0.weight) }, using: &generator)
        let slugs = Dictionary(due.map { ($0.id, $0.slug) }, uniquingKeysWith: { first, _ in first })
        let token = PostgresBind(newLeaseToken())
        let statements = shares.map { share in
            PipelineStatement(tenantClaimStatement, [.init(share.id), now, .init(share.share), .text(request.owner),
                                                     .init(request.leaseSeconds), token, .text(slugs[share.id] ?? "")],
                              plannedEachTime: true)
        }
        let claimed = try decodeClaim(session.pipeline(statements))
        // The turn moves on once the window was served (a claim that failed leaves it to the next try). A runner
        // claims one claim at a time, so the turn is not raced.
        rotation.after = last.id
        return claimed
    }
}

/// Where one store's claims by tenant are in their turn through the tenants (the last tenant served).
public final class TenantRotation: @unchecked Sendable {
    private let lock = NSLock()
    private var last: Int64 = 0

    public init() {}

    var after: Int64 {
        get { lock.withLock { last } }
        set { lock.withLock { last = newValue } }
    }
}
