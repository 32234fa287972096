import NianjianDomain
import NianjianPostgres

/// The runner's queries: claim, load, write back, heartbeat, rescue, release. One verb-named function per
/// statement; every statement binds its parameters.
public enum InspectionQueries {
    /// The fair claim. $1 business now, $2 batch size, $3 owner, $4 tenant ids or NULL, $5 lease seconds,
    /// $6 the claim's fencing token. Returns the claimed rows (the SQL floor of `nianjian bench` runs it too).
    ///
    /// A claim locks the chosen inspections (`FOR UPDATE SKIP LOCKED`: rows another claimer or a write-back
    /// holds are skipped) and inserts their leases; the inspections themselves are not rewritten. Work with a
    /// lease is not due. `ON CONFLICT DO NOTHING` settles the one race the snapshot leaves: a row whose
    /// lease another claimer committed after this statement began.
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
                SELECT p.tenant_id, p.id FROM share s CROSS JOIN LATERAL (
                    SELECT i.tenant_id, i.id FROM inspections i
                    WHERE i.tenant_id = s.id AND i.next_attempt_at <= $1 AND i.state IN ('pending', 'submitting')
                      AND NOT EXISTS (SELECT 1 FROM inspection_leases l WHERE l.tenant_id = i.tenant_id AND l.inspection_id = i.id OFFSET 0)
                    ORDER BY i.next_attempt_at, i.id LIMIT s.n FOR UPDATE OF i SKIP LOCKED) p
            ),
            poll AS (
                SELECT p.tenant_id, p.id FROM share s CROSS JOIN LATERAL (
                    SELECT i.tenant_id, i.id FROM inspections i
                    WHERE i.tenant_id = s.id AND i.next_poll_at <= $1 AND i.state = 'in_review'
                      AND NOT EXISTS (SELECT 1 FROM inspection_leases l WHERE l.tenant_id = i.tenant_id AND l.inspection_id = i.id OFFSET 0)
                    ORDER BY i.next_poll_at, i.id LIMIT s.n FOR UPDATE OF i SKIP LOCKED) p
            ),
            -- At most $2 in all: every tenant's first row before anyone's second (many tenants, small batch),
            -- and no tenant more than its share, whatever kinds of work it has due (its share is for both).
            picked AS (
                SELECT ranked.tenant_id, ranked.id FROM (
                    SELECT tenant_id, id, row_number() OVER (PARTITION BY tenant_id ORDER BY id) AS rank
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
            -- scan of the small table for every leased row. Each inspection by one probe of its primary key: LIMIT
            -- keeps it a probe, where a join hashed the whole inspections table on every claim, which made a claim's
            -- cost grow with the backlog.)
            SELECT i.tenant_id, s.slug, i.id, i.service_id, i.company_id,
                   i.cycle, i.due_on, i.state, i.attempts, i.generation, i.idempotency_key, i.console_ticket, l.token,
                   NULL::bigint
              FROM leased l
              JOIN share s ON s.id = l.tenant_id
              CROSS JOIN LATERAL (SELECT * FROM inspections i WHERE i.tenant_id = l.tenant_id AND i.id = l.inspection_id
                                   LIMIT 1) i
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
    public static func claimDue(_ session: PostgresSession, _ request: ClaimRequest) throws -> [ClaimedInspection] {
        var claimed: [ClaimedInspection] = []
        var request = request
        // Another round only when a concurrent claimer won rows this one picked (each round sees the leases
        // committed before it began, so rounds are bounded by the claimers racing for the same rows).
        for _ in 0..<16 where request.batchSize > 0 {
            let round = try claimOnce(session, request)
            claimed += round.claimed
            if round.picked == round.claimed.count { break }
            request.batchSize -= round.claimed.count
        }
        return claimed
    }

    static func claimOnce(_ session: PostgresSession, _ request: ClaimRequest) throws -> (claimed: [ClaimedInspection], picked: Int) {
        let result = try session.queryPlannedEachTime(fairClaimStatement, claimBinds(request, token: newLeaseToken()))
        var claimed: [ClaimedInspection] = []
        claimed.reserveCapacity(result.rowCount)
        var picked = 0
        for index in 0..<result.rowCount {
            let row = result[index]
            guard row.string(0) != nil else { picked = try row.requireInt(13); continue }
            claimed.append(try StoreDecoding.claimedInspection(row))
        }
        return (claimed, picked)
    }

    /// Loads the company file (company, materials, contracts, every service of the company, the inspected
    /// service) of each inspection, in four statements for the whole batch.
    public static func loadFiles(_ session: PostgresSession, for keys: [InspectionKey]) throws -> [InspectionKey: InspectionFile] {
        guard !keys.isEmpty else { return [:] }
        let main = try session.query("""
            SELECT k.tenant_id, k.id, c.id, c.company_ref, c.name, c.legal_representative, c.contact_name, c.contact_phone,
                   c.contact_email, s.service_ref, s.console_instance_id, s.service_type, s.region, s.expires_on,
                   s.renewal_amount, s.renewal_method, s.contract_number, s.term_months
              FROM unnest($1::bigint[], $2::bigint[]) AS k(tenant_id, id)
              -- Each row by one probe of its primary key (LIMIT keeps them probes: as joins, the planner hashed the
              -- whole inspections table on every load, or read a tenant's services by the company index).
              CROSS JOIN LATERAL (SELECT i.tenant_id, i.company_id, i.service_id FROM inspections i
                                   WHERE i.tenant_id = k.tenant_id AND i.id = k.id LIMIT 1) i
              CROSS JOIN LATERAL (SELECT * FROM companies c WHERE c.tenant_id = i.tenant_id AND c.id = i.company_id LIMIT 1) c
              CROSS JOIN LATERAL (SELECT * FROM services s WHERE s.tenant_id = i.tenant_id AND s.id = i.service_id LIMIT 1) s
            """, [.intArray(keys.map(\.tenantId)), .intArray(keys.map(\.id))])
        struct CompanyKey: Hashable { let tenantId: Int64; let companyId: Int64 }
        var files: [InspectionKey: InspectionFile] = [:]
        var companyOf: [InspectionKey: CompanyKey] = [:]
        for index in 0..<main.rowCount {
            let row = main[index]
            let key = InspectionKey(tenantId: try row.requireInt64(0), id: try row.requireInt64(1))
            let companyId = try row.requireInt64(2)
            let company = Company(ref: try row.requireString(3), name: try row.requireString(4),
                                  legalRepresentative: try row.requireString(5), contactName: row.string(6) ?? "",
                                  contactPhone: row.string(7) ?? "", contactEmail: row.string(8) ?? "")
            let service = try StoreDecoding.service(row, from: 9)
            files[key] = InspectionFile(file: CompanyFile(company: company, materials: [], contracts: [], service: service),
                                        companyId: companyId)
            companyOf[key] = CompanyKey(tenantId: key.tenantId, companyId: companyId)
        }
        let companies = Array(Set(companyOf.values))
        let tenantIds = PostgresBind.intArray(companies.map(\.tenantId))
        let companyIds = PostgresBind.intArray(companies.map(\.companyId))
        // Each company's rows by a probe of its index, in id order (LATERAL keeps them probes: as joins, the
        // planner hashed the whole contracts and services tables on every load).
        var materials: [CompanyKey: [Material]] = [:]
        let materialRows = try session.query("""
            SELECT m.tenant_id, m.company_id, m.kind, m.number, m.holder_name, m.valid_from, m.valid_until, m.file_checksum
              FROM unnest($1::bigint[], $2::bigint[]) AS k(tenant_id, company_id)
              CROSS JOIN LATERAL (SELECT * FROM materials m WHERE m.tenant_id = k.tenant_id AND m.company_id = k.company_id
                                   ORDER BY m.id) m
            """, [tenantIds, companyIds])
        for index in 0..<materialRows.rowCount {
            let row = materialRows[index]
            let owner = CompanyKey(tenantId: try row.requireInt64(0), companyId: try row.requireInt64(1))
            guard let kind = MaterialKind(rawValue: try row.requireString(2)) else { continue }
            materials[owner, default: []].append(Material(
                kind: kind, number: try row.requireString(3), holderName: try row.requireString(4),
                validFrom: try StoreDecoding.optionalDate(row, 5), validUntil: try StoreDecoding.optionalDate(row, 6),
                fileChecksum: row.string(7)))
        }
        var contracts: [CompanyKey: [Contract]] = [:]
        let contractRows = try session.query("""
            SELECT c.tenant_id, c.company_id, c.contract_number, c.amount, c.starts_on, c.ends_on
              FROM unnest($1::bigint[], $2::bigint[]) AS k(tenant_id, company_id)
              CROSS JOIN LATERAL (SELECT * FROM contracts c WHERE c.tenant_id = k.tenant_id AND c.company_id = k.company_id
                                   ORDER BY c.id) c
            """, [tenantIds, companyIds])
        for index in 0..<contractRows.rowCount {
            let row = contractRows[index]
            let owner = CompanyKey(tenantId: try row.requireInt64(0), companyId: try row.requireInt64(1))
            contracts[owner, default: []].append(Contract(
                number: try row.requireString(2), amount: try StoreDecoding.money(row, 3),
                startsOn: try StoreDecoding.date(row, 4), endsOn: try StoreDecoding.date(row, 5)))
        }
        // Every service of each company: a contract's amount is checked against all the services under it.
        var portfolios: [CompanyKey: [Service]] = [:]
        let serviceRows = try session.query("""
            SELECT s.tenant_id, s.company_id, s.service_ref, s.console_instance_id, s.service_type, s.region, s.expires_on,
                   s.renewal_amount, s.renewal_method, s.contract_number, s.term_months
              FROM unnest($1::bigint[], $2::bigint[]) AS k(tenant_id, company_id)
              CROSS JOIN LATERAL (SELECT * FROM services s WHERE s.tenant_id = k.tenant_id AND s.company_id = k.company_id
                                   ORDER BY s.id) s
            """, [tenantIds, companyIds])
        for index in 0..<serviceRows.rowCount {
            let row = serviceRows[index]
            let owner = CompanyKey(tenantId: try row.requireInt64(0), companyId: try row.requireInt64(1))
            portfolios[owner, default: []].append(try StoreDecoding.service(row, from: 2))
        }
        for (key, owner) in companyOf {
            files[key]?.file.materials = materials[owner] ?? []
            files[key]?.file.contracts = contracts[owner] ?? []
            if let services = portfolios[owner], !services.isEmpty { files[key]?.file.services = services }
        }
        return files
    }
}
