import NianjianDomain
import NianjianPostgres

/// The claim by tenant (`StatementRouting.perTenant`): every statement that touches a tenant's rows names that
/// one tenant, so a database distributed by `tenant_id` (Citus) routes it to one shard, and no statement takes
/// `FOR UPDATE SKIP LOCKED` across shards. Three round trips: the tenants, which of them have work due (one
/// probe each, pipelined), and each due tenant's share (one claim each, pipelined, in one transaction).
extension InspectionQueries {
    /// $1 tenant ids or NULL (every tenant).
    static let claimTenantsStatement = """
        SELECT id, weight, slug FROM tenants WHERE ($1::bigint[] IS NULL OR id = ANY($1::bigint[])) ORDER BY id
        """

    /// Whether one tenant has work due. $1 tenant, $2 business now. (Planned each time, like the claims:
    /// a plan cached while the lease table was empty would read all of it for every candidate row.)
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
            SELECT i.tenant_id, i.id FROM inspections i
             WHERE i.tenant_id = $1 AND i.next_attempt_at <= $2 AND i.state IN ('pending', 'submitting')
               AND NOT EXISTS (SELECT 1 FROM inspection_leases l WHERE l.tenant_id = $1 AND l.inspection_id = i.id OFFSET 0)
             ORDER BY i.next_attempt_at, i.id LIMIT $3 FOR UPDATE OF i SKIP LOCKED
        ),
        poll AS (
            SELECT i.tenant_id, i.id FROM inspections i
             WHERE i.tenant_id = $1 AND i.next_poll_at <= $2 AND i.state = 'in_review'
               AND NOT EXISTS (SELECT 1 FROM inspection_leases l WHERE l.tenant_id = $1 AND l.inspection_id = i.id OFFSET 0)
             ORDER BY i.next_poll_at, i.id LIMIT $3 FOR UPDATE OF i SKIP LOCKED
        ),
        picked AS (
            SELECT every_kind.tenant_id, every_kind.id FROM (SELECT * FROM attempt UNION ALL SELECT * FROM poll) every_kind
             ORDER BY every_kind.id LIMIT $3
        ),
        leased AS (
            INSERT INTO inspection_leases (tenant_id, inspection_id, owner, token, expires_at)
            SELECT $1, p.id, $4, $6, now() + make_interval(secs => $5::double precision) FROM picked p
            ON CONFLICT DO NOTHING
            RETURNING inspection_id, token
        )
        SELECT i.tenant_id, $7::text, i.id, i.service_id, i.company_id,
               i.cycle, i.due_on, i.state, i.attempts, i.generation, i.idempotency_key, i.console_ticket, l.token,
               NULL::bigint
          FROM leased l
          CROSS JOIN LATERAL (SELECT * FROM inspections i WHERE i.tenant_id = $1 AND i.id = l.inspection_id LIMIT 1) i
        UNION ALL
        SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, count(*) FROM picked
        """

    /// The run's heartbeat, which the combined claim carries along (`runs` is not a tenant's table).
    static let claimHeartbeatStatement = "UPDATE runs SET heartbeat_at = now() WHERE runner_id = $1 AND status = 'running'"

    static func claimByTenant(_ session: PostgresSession, _ request: ClaimRequest) throws -> (claimed: [ClaimedInspection], picked: Int) {
        let tenantIds: PostgresBind = request.tenantIds.map { PostgresBind.intArray($0) } ?? .null
        let tenantRows = try session.query(claimTenantsStatement, [tenantIds])
        var tenants: [(id: Int64, weight: Int, slug: String)] = []
        for index in 0..<tenantRows.rowCount {
            let row = tenantRows[index]
            tenants.append((try row.requireInt64(0), try row.requireInt(1), try row.requireString(2)))
        }
        guard !tenants.isEmpty else { return ([], 0) }
        let now = PostgresBind.text(request.now.description)
        let probes = try session.pipeline(tenants.map {
            PipelineStatement(tenantDueProbeStatement, [.init($0.id), now], plannedEachTime: true)
        })
        var due: [(id: Int64, weight: Int)] = []
        var slugs: [Int64: String] = [:]
        for (tenant, probe) in zip(tenants, probes) where probe.rowCount > 0 && probe[0].string(0) == "t" {
            due.append((tenant.id, tenant.weight))
            slugs[tenant.id] = tenant.slug
        }
        var generator = SystemRandomNumberGenerator()
        let shares = ClaimShares.split(batch: request.batchSize, among: due, using: &generator)
        guard !shares.isEmpty else { return ([], 0) }
        let token = PostgresBind(newLeaseToken())
        var statements = shares.map { share in
            PipelineStatement(tenantClaimStatement, [.init(share.id), now, .init(share.share), .text(request.owner),
                                                     .init(request.leaseSeconds), token, .text(slugs[share.id] ?? "")],
                              plannedEachTime: true)
        }
        statements.append(PipelineStatement(claimHeartbeatStatement, [.text(request.owner)]))
        return try decodeClaim(Array(session.pipeline(statements).dropLast()))
    }
}
