import NianjianDomain
import NianjianPostgres

/// Keeping a runner's leases across a reconnect (a failover, a restart of PostgreSQL).
public enum LeaseQueries {
    /// The inspections `owner` holds under a lease token it never received: a claim that committed while its
    /// answer was lost with the connection. They are extended and returned with their own token, so the runner
    /// works them now instead of waiting for the lease to run out (the heartbeat would keep them alive).
    public static func adoptLeases(_ session: PostgresSession, owner: String, knownTokens: [Int64],
                                   leaseSeconds: Double) throws -> [ClaimedInspection] {
        let result = try session.query("""
            UPDATE inspections i SET lease_expires_at = now() + make_interval(secs => $3::double precision)
              FROM tenants t
             WHERE t.id = i.tenant_id AND i.lease_owner = $1 AND i.lease_token IS NOT NULL
               AND NOT (i.lease_token = ANY($2::bigint[]))
            RETURNING i.tenant_id, t.slug, i.id, i.service_id, i.company_id, i.cycle, i.due_on, i.state, i.attempts,
                      i.generation, i.idempotency_key, i.console_ticket, i.lease_token
            """, [.text(owner), .intArray(knownTokens), .init(leaseSeconds)])
        var adopted: [ClaimedInspection] = []
        for index in 0..<result.rowCount {
            let row = result[index]
            guard let state = InspectionState(rawValue: try row.requireString(7)) else {
                throw PostgresError(kind: .decoding, message: "unknown inspection state in row \(index)")
            }
            adopted.append(ClaimedInspection(
                tenantId: try row.requireInt64(0), tenantSlug: try row.requireString(1), id: try row.requireInt64(2),
                serviceId: try row.requireInt64(3), companyId: try row.requireInt64(4), cycle: try row.requireInt(5),
                dueOn: try StoreDecoding.date(row, 6), state: state, attempts: try row.requireInt(8),
                generation: try row.requireInt(9), idempotencyKey: row.string(10), ticket: row.string(11),
                leaseToken: try row.requireInt64(12)))
        }
        return adopted.sorted { $0.key < $1.key }
    }
}
