import NianjianDomain
import NianjianPostgres

/// The runner's claim, in its two shapes (`StatementRouting`): one statement that shares a batch among tenants,
/// or one statement per tenant sent in one round trip.
extension InspectionQueries {
    /// The fair claim. $1 business now, $2 batch size, $3 owner, $4 tenant ids or NULL, $5 lease seconds,
    /// $6 the claim's fencing token. Returns the claimed rows (the SQL floor of `nianjian bench` runs it too).
    ///
    /// A claim locks the chosen inspections (`FOR UPDATE SKIP LOCKED`: rows another claimer or a write-back
    /// holds are skipped) and inserts their leases; the inspections themselves are not rewritten. Work with a
    /// lease is not due. `ON CONFLICT DO NOTHING` settles the one race the snapshot leaves: a row whose
    /// lease another claimer committed after this statement began.
    /// What a claim reads of each row it locks, carried to its answer (`StoreDecoding.claimedInspection` reads
    /// them in this order, the tenant's slug after the first): the same list in both claim shapes.
    static let lockedColumns = """
        i.tenant_id, i.id, i.service_id, i.company_id, i.cycle, i.due_on, i.state, i.attempts, i.generation, \
        i.idempotency_key, i.console_ticket
        """

    static let fairClaimStatement = """
            WITH
            -- Every lease check is a probe of the lease's primary key for one row (OFFSET 0 keeps it a subplan: as
            -- an anti-join the planner read each tenant's leases and filtered them, per candidate row).
            -- Tenants with due work, each found by index probes that stop at the first row (a hashed EXISTS
            -- would read every due row of a million-row backlog on every claim).
            active AS (
                SELECT t.id, t.weight, t.slug FROM tenants t
                CROSS JOIN LATERAL (
                    -- (Only pending and submitting rows have a next_attempt_at, only in_review ones a next_poll_at:
                    -- CHECK constraints, migration 0008. So these probes read the due indexes alone.)
                    (SELECT 1 FROM inspections i WHERE i.tenant_id = t.id AND i.next_attempt_at <= $1
                        AND NOT EXISTS (SELECT 1 FROM inspection_leases l WHERE l.tenant_id = i.tenant_id AND l.inspection_id = i.id OFFSET 0)
                        LIMIT 1)
                    UNION ALL
                    (SELECT 1 FROM inspections i WHERE i.tenant_id = t.id AND i.next_poll_at <= $1
                        AND NOT EXISTS (SELECT 1 FROM inspection_leases l WHERE l.tenant_id = i.tenant_id AND l.inspection_id = i.id OFFSET 0)
                        LIMIT 1)
                    LIMIT 1) due
                WHERE ($4::bigint[] IS NULL OR t.id = ANY($4::bigint[]))
            ),
            share AS (
                SELECT a.id, a.slug, GREATEST(1, ceil($2::numeric * a.weight / sum(a.weight) OVER ()))::int AS n FROM active a
            ),
            -- Attempts and submissions to resume: both by their due time (a submission keeps the one it was
            -- claimed at, so it comes before the attempts that became due after it).
            attempt AS (
                SELECT p.* FROM share s CROSS JOIN LATERAL (
                    SELECT \(lockedColumns) FROM inspections i
                    WHERE i.tenant_id = s.id AND i.next_attempt_at <= $1 AND i.state IN ('pending', 'submitting')
                      AND NOT EXISTS (SELECT 1 FROM inspection_leases l WHERE l.tenant_id = i.tenant_id AND l.inspection_id = i.id OFFSET 0)
                    ORDER BY i.next_attempt_at, i.id LIMIT s.n FOR UPDATE OF i SKIP LOCKED) p
            ),
            poll AS (
                SELECT p.* FROM share s CROSS JOIN LATERAL (
                    SELECT \(lockedColumns) FROM inspections i
                    WHERE i.tenant_id = s.id AND i.next_poll_at <= $1 AND i.state = 'in_review'
                      AND NOT EXISTS (SELECT 1 FROM inspection_leases l WHERE l.tenant_id = i.tenant_id AND l.inspection_id = i.id OFFSET 0)
                    ORDER BY i.next_poll_at, i.id LIMIT s.n FOR UPDATE OF i SKIP LOCKED) p
            ),
            -- At most $2 in all: every tenant's first row before anyone's second (many tenants, small batch),
            -- and no tenant more than its share, whatever kinds of work it has due (its share is for both).
            picked AS (
                SELECT ranked.* FROM (
                    SELECT every_kind.*, row_number() OVER (PARTITION BY tenant_id ORDER BY id) AS rank
                      FROM (SELECT * FROM attempt UNION ALL SELECT * FROM poll) every_kind
                ) ranked JOIN share s ON s.id = ranked.tenant_id
                WHERE ranked.rank <= s.n
                ORDER BY ranked.rank, random() LIMIT $2::int
            ),
            alive AS (UPDATE runs SET heartbeat_at = now() WHERE runner_id = $3 AND status = 'running'),
            leased AS (
                INSERT INTO inspection_leases (tenant_id, inspection_id, owner, token, expires_at)
                SELECT p.tenant_id, p.id, $3, $6, now() + make_interval(secs => $5::double precision) FROM picked p
                ON CONFLICT DO NOTHING
                RETURNING tenant_id, inspection_id, token
            )
            -- The leased rows, then one row carrying how many were picked: fewer leased than picked means another
            -- claimer won some rows, and the caller claims again for the shortfall.
            -- (The slug from the claim's own tenants, hashed once: a probe of `tenants` per row was planned as a
            -- scan of the small table for every leased row. The inspection's columns are those of the row version
            -- the claim locked, carried through `picked`: no second read of the table.)
            SELECT p.tenant_id, s.slug, p.id, p.service_id, p.company_id,
                   p.cycle, p.due_on, p.state, p.attempts, p.generation, p.idempotency_key, p.console_ticket, l.token,
                   NULL::bigint
              FROM leased l
              JOIN picked p ON p.tenant_id = l.tenant_id AND p.id = l.inspection_id
              JOIN share s ON s.id = l.tenant_id
            UNION ALL
            SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, count(*) FROM picked
            """

    /// A new fencing token: random, so that no sequence is needed (a claim stays a statement on the
    /// tenants it names); 63 bits make two claims sharing one as likely as never.
    static func newLeaseToken() -> Int64 { Int64.random(in: 1...Int64.max) }

    static func claimBinds(_ request: ClaimRequest, token: Int64) -> [PostgresBind] {
        let tenants: PostgresBind = request.tenantIds.map { PostgresBind.intArray($0) } ?? .null
        return [.text(request.now.description), .init(request.batchSize), .text(request.owner), tenants,
                .init(request.leaseSeconds), .init(token)]
    }

    /// Claims due work fairly: each tenant with due work gets a share of `batchSize` by weight, for each of
    /// the three kinds of work (submissions to resume, pending attempts, polls), skipping rows other
    /// runners hold (`FOR UPDATE SKIP LOCKED`). Every claimed row gets a lease and a new fencing token.
    public static func claimDue(_ session: PostgresSession, _ request: ClaimRequest,
                                routing: StatementRouting = .combined, rotation: TenantRotation = TenantRotation()) throws -> [ClaimedInspection] {
        var claimed: [ClaimedInspection] = []
        var request = request
        // Another round only when a concurrent claimer won rows this one picked (each round sees the leases
        // committed before it began, so rounds are bounded by the claimers racing for the same rows).
        for _ in 0..<16 where request.batchSize > 0 {
            let round = try claimOnce(session, request, routing: routing, rotation: rotation)
            claimed += round.claimed
            if round.picked == round.claimed.count { break }
            request.batchSize -= round.claimed.count
        }
        return claimed
    }

    /// One round of the claim: what it leased, and how many rows it picked (more than it leased when another
    /// claimer committed leases on some of them meanwhile).
    static func claimOnce(_ session: PostgresSession, _ request: ClaimRequest, routing: StatementRouting = .combined,
                          rotation: TenantRotation = TenantRotation()) throws -> (claimed: [ClaimedInspection], picked: Int) {
        switch routing {
        case .combined:
            return try decodeClaim([session.queryPlannedEachTime(fairClaimStatement, claimBinds(request, token: newLeaseToken()))])
        case .perTenant:
            return try claimByTenant(session, request, rotation: rotation)
        }
    }

    /// The claimed rows of one or more claim statements, and the count of rows they picked (each statement's
    /// last row: NULL but for the count).
    static func decodeClaim(_ results: [PostgresResult]) throws -> (claimed: [ClaimedInspection], picked: Int) {
        var claimed: [ClaimedInspection] = []
        claimed.reserveCapacity(results.reduce(0) { $0 + $1.rowCount })
        var picked = 0
        for result in results {
            for index in 0..<result.rowCount {
                let row = result[index]
                guard row.string(0) != nil else { picked += try row.requireInt(13); continue }
                claimed.append(try StoreDecoding.claimedInspection(row))
            }
        }
        return (claimed, picked)
    }
}
