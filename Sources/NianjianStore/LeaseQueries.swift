import NianjianDomain
import NianjianPostgres

/// The runner's lease statements on `inspection_leases` (migration 0003): heartbeat, release, rescue, and
/// when work next becomes claimable. Claims and write-backs, which take and check leases, are in
/// `InspectionQueries`.
extension InspectionQueries {
    /// Extends the leases this runner holds (heartbeat): a HOT update of the narrow lease rows. Returns how
    /// many it still holds. `perTenant`: one statement per tenant, pipelined.
    @discardableResult
    public static func extendLeases(_ session: PostgresSession, owner: String, leaseSeconds: Double,
                                    routing: StatementRouting = .combined) throws -> Int {
        // Rows a write-back is changing right now are skipped: that write releases or keeps their lease itself.
        func statement(_ scope: TenantScope) -> String {
            """
            UPDATE inspection_leases l SET expires_at = now() + make_interval(secs => $2::double precision)
              FROM (SELECT tenant_id, inspection_id FROM inspection_leases WHERE owner = $1\(scope.filter(nil))
                     ORDER BY tenant_id, inspection_id FOR UPDATE SKIP LOCKED) held
             WHERE l.tenant_id = held.tenant_id\(scope.filter("l")) AND l.inspection_id = held.inspection_id
            """
        }
        let binds: [PostgresBind] = [.text(owner), .init(leaseSeconds)]
        return try eachTenant(session, routing, statement, binds).reduce(0) { $0 + $1.affectedRows }
    }

    /// Gives back every lease this runner holds, states unchanged (shutdown): another run takes the work.
    @discardableResult
    public static func releaseLeases(_ session: PostgresSession, owner: String) throws -> Int {
        try session.query("DELETE FROM inspection_leases WHERE owner = $1", [.text(owner)]).affectedRows
    }

    /// Gives back the leases of these inspections (work claimed but not started). `perTenant`: one statement
    /// per tenant's claims, pipelined.
    @discardableResult
    public static func releaseLeases(_ session: PostgresSession, _ claims: [(key: InspectionKey, token: Int64)],
                                     routing: StatementRouting = .combined) throws -> Int {
        guard !claims.isEmpty else { return 0 }
        let scope = TenantScope(routing, parameter: 4)
        return try session.pipeline(scope.groups(claims.sorted { $0.key < $1.key }, tenant: \.key.tenantId).map { group in
            PipelineStatement("""
                DELETE FROM inspection_leases l
                 USING unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS k(tenant_id, id, token)
                 WHERE l.tenant_id = k.tenant_id\(scope.filter("l")) AND l.inspection_id = k.id
                   AND l.token = k.token
                """, [.intArray(group.map(\.key.tenantId)), .intArray(group.map(\.key.id)), .intArray(group.map(\.token))]
                    + scope.bind(group.first?.key.tenantId))
        }).reduce(0) { $0 + $1.affectedRows }
    }

    /// The rescuer: returns the work of runners whose leases expired (they died) to be claimed again, each
    /// with a `lease_expired` event. A `submitting` inspection keeps its idempotency key. Runs whose runner
    /// died (no claim for ten lease lengths, no lease held) are closed as interrupted.
    @discardableResult
    public static func rescueExpiredLeases(_ session: PostgresSession, businessNow: Timestamp, actor: String,
                                           leaseSeconds: Double = 30, routing: StatementRouting = .combined) throws -> Int {
        try session.query("""
            UPDATE runs r SET status = 'interrupted', finished_at = now()
             WHERE r.status = 'running' AND r.heartbeat_at < now() - make_interval(secs => $1::double precision * 10)
               AND NOT EXISTS (SELECT 1 FROM inspection_leases l WHERE l.owner = r.runner_id)
            """, [.init(leaseSeconds)])
        func statement(_ scope: TenantScope) -> String {
            """
            WITH expired AS (
                DELETE FROM inspection_leases l
                 USING (SELECT tenant_id, inspection_id FROM inspection_leases WHERE expires_at < now()\(scope.filter(nil))
                         FOR UPDATE SKIP LOCKED) old
                 WHERE l.tenant_id = old.tenant_id\(scope.filter("l")) AND l.inspection_id = old.inspection_id
                RETURNING l.tenant_id, l.inspection_id, l.owner
            )
            INSERT INTO inspection_events (tenant_id, inspection_id, business_at, actor, kind, from_state, to_state, detail)
            SELECT \(scope.value("e")), e.inspection_id, $1, $2, 'lease_expired', i.state, i.state,
                   jsonb_build_object('previous_owner', e.owner)
              FROM expired e JOIN inspections i ON i.tenant_id = e.tenant_id\(scope.filter("i")) AND i.id = e.inspection_id
            """
        }
        let binds: [PostgresBind] = [.text(businessNow.description), .text(actor)]
        return try eachTenant(session, routing, statement, binds).reduce(0) { $0 + $1.affectedRows }
    }

    /// A maintenance statement over every tenant: once (`combined`), or once per tenant with the tenant as the
    /// bind after `binds`, pipelined in one round trip and one transaction (`perTenant`).
    static func eachTenant(_ session: PostgresSession, _ routing: StatementRouting,
                                   _ statement: (TenantScope) -> String, _ binds: [PostgresBind]) throws -> [PostgresResult] {
        let scope = TenantScope(routing, parameter: binds.count + 1)
        switch routing {
        case .combined:
            return [try session.query(statement(scope), binds)]
        case .perTenant:
            let tenants = try session.query(claimTenantsStatement, [.null])
            let text = statement(scope)
            return try session.pipeline(try (0..<tenants.rowCount).map { index in
                PipelineStatement(text, binds + scope.bind(try tenants[index].requireInt64(0)))
            })
        }
    }

    /// When the next work becomes claimable, for the run loop to wait or end the night.
    public static func nextDue(_ session: PostgresSession, tenantIds: [Int64]?, owner: String) throws -> NextDue {
        let tenants: PostgresBind = tenantIds.map { PostgresBind.intArray($0) } ?? .null
        let row = try session.query("""
            WITH unleased AS NOT MATERIALIZED (
                SELECT i.state, i.next_attempt_at, i.next_poll_at FROM inspections i
                 WHERE i.state IN ('pending', 'in_review', 'submitting')
                   AND ($1::bigint[] IS NULL OR i.tenant_id = ANY($1::bigint[]))
                   AND NOT EXISTS (SELECT 1 FROM inspection_leases l WHERE l.tenant_id = i.tenant_id AND l.inspection_id = i.id)
            )
            SELECT LEAST(
                     (SELECT min(next_attempt_at) FROM unleased WHERE state IN ('pending', 'submitting')),
                     (SELECT min(next_poll_at) FROM unleased WHERE state = 'in_review')),
                   (SELECT EXTRACT(EPOCH FROM min(l.expires_at) - now())::double precision FROM inspection_leases l
                     WHERE l.owner <> $2 AND ($1::bigint[] IS NULL OR l.tenant_id = ANY($1::bigint[])))
            """, [tenants, .text(owner)])[0]
        let due = try row.timestampMicroseconds(0).map(Timestamp.init(microseconds:))
        return NextDue(businessDue: due, secondsUntilLeaseExpiry: try row.double(1))
    }
}

/// Keeping a runner's leases across a reconnect (a failover, a restart of PostgreSQL).
public enum LeaseQueries {
    /// The inspections `owner` holds under a lease token it never received: a claim that committed while its
    /// answer was lost with the connection. They are extended and returned with their own token, so the runner
    /// works them now instead of waiting for the lease to run out (the heartbeat would keep them alive).
    public static func adoptLeases(_ session: PostgresSession, owner: String, knownTokens: [Int64],
                                   leaseSeconds: Double, routing: StatementRouting = .combined) throws -> [ClaimedInspection] {
        // By tenant, $4 is the tenant, named on every table (`tenants` is not a tenant's table).
        func statement(_ scope: TenantScope) -> String {
            """
            WITH adopted AS (
                UPDATE inspection_leases l SET expires_at = now() + make_interval(secs => $3::double precision)
                 WHERE l.owner = $1 AND NOT (l.token = ANY($2::bigint[]))\(scope.filter("l"))
                RETURNING l.tenant_id, l.inspection_id, l.token
            )
            SELECT i.tenant_id, t.slug, i.id, i.service_id, i.company_id, i.cycle, i.due_on, i.state, i.attempts,
                   i.generation, i.idempotency_key, i.console_ticket, a.token
              FROM adopted a
              JOIN inspections i ON i.tenant_id = a.tenant_id\(scope.filter("i")) AND i.id = a.inspection_id
              JOIN tenants t ON t.id = i.tenant_id
            """
        }
        let results = try InspectionQueries.eachTenant(session, routing, statement,
                                                       [.text(owner), .intArray(knownTokens), .init(leaseSeconds)])
        var adopted: [ClaimedInspection] = []
        for result in results {
            adopted += try (0..<result.rowCount).map { try StoreDecoding.claimedInspection(result[$0]) }
        }
        return adopted.sorted { $0.key < $1.key }
    }
}
