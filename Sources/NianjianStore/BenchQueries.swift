import NianjianDomain
import NianjianPostgres

/// What a benchmark finds in the database after it ran: enough to refuse to count work that was not done.
public struct BenchOutcome: Sendable, Hashable {
    public var inspections = 0
    public var byState: [String: Int] = [:]
    /// Rows of `service_renewals` for these tenants.
    public var renewals = 0
    /// Services renewed a number of times other than once (approved) or zero (not approved).
    public var servicesRenewedWrongly = 0
    /// Approved inspections whose service does not expire exactly one term after the inspection's due date.
    public var wrongExpiry = 0
    /// Inspections holding a lease (none may be left after a run).
    public var leased = 0
    /// Approved inspections without an `approved` event.
    public var approvedWithoutEvent = 0
    /// Console submissions: keys, repeated keys, keys reused with other parameters (from the in-process mock's
    /// memory, which the bench's runner uses; the database holds none of it).
    public var consoleSubmissions = 0
    public var consoleRepeats = 0
    public var consoleMismatches = 0

    public var approved: Int { byState["approved"] ?? 0 }
}

/// When each tenant's inspections reached a final state, as fractions of a run (server time).
public struct BenchFinishTimes: Sendable, Hashable {
    public var slug: String
    public var first: Double
    public var last: Double
    public var finished: Int
}

/// Every statement of `nianjian bench`: a fresh database, server-side data generation, the SQL floor (the
/// runner's state changes as pure set-based SQL from one session) and the outcome checks.
public enum BenchQueries {
    // MARK: - A fresh database

    /// Refreshes statistics and clears dead rows so that each measured phase starts from the same state.
    public static func vacuumAnalyze(_ session: PostgresSession) throws {
        try session.executeScript("VACUUM ANALYZE")
        try checkpoint(session)
    }

    /// A checkpoint, where the role may take one (superuser or `pg_checkpoint`): the first change of each page
    /// after a checkpoint writes the whole page to the WAL, so a phase that began just after one paid for every
    /// page it touched, and one that began before it did not. Each phase (the SQL floor, the runner, the minimal
    /// lifecycle) starts after one, so none pays for what the load or another phase wrote.
    public static func checkpoint(_ session: PostgresSession) throws {
        do {
            try session.executeScript("CHECKPOINT")
        } catch let error as PostgresError where error.sqlState == "42501" {
            // insufficient_privilege: the phases then start wherever the server's own checkpoints fall.
        }
    }

    // MARK: - Data, generated on the server

    /// Creates tenants (slug, weight); returns their ids in the same order.
    public static func insertTenants(_ session: PostgresSession, slugs: [String], weights: [Int]) throws -> [Int64] {
        let result = try session.query("""
            INSERT INTO tenants (slug, name, weight)
            SELECT s, 'Bench agency ' || s, w FROM unnest($1::text[], $2::int[]) WITH ORDINALITY AS u(s, w, o) ORDER BY o
            RETURNING id, slug
            """, [.textArray(slugs), .intArray(weights)])
        var ids: [String: Int64] = [:]
        for index in 0..<result.rowCount {
            ids[try result[index].requireString(1)] = try result[index].requireInt64(0)
        }
        return try slugs.map { slug in
            guard let id = ids[slug] else { throw PostgresError(kind: .decoding, message: "tenant \(slug) was not created") }
            return id
        }
    }

    /// Creates `count` companies per tenant, each with its contract, materials, one service and a pending
    /// inspection due at `dueAt` (with its `planned` event). Company files repeat the `templates` (a few
    /// hundred synthetic companies): the client sends the templates once and the server multiplies them with
    /// `generate_series`, so a million inspections cost the client no memory. Returns the inspections made.
    @discardableResult
    public static func generatePendingInspections(_ session: PostgresSession, tenantIds: [Int64], counts: [Int],
                                                  templates: [CompanyFile], dueAt: Timestamp) throws -> Int {
        guard !templates.isEmpty, !tenantIds.isEmpty else { return 0 }
        try session.executeScript("""
            DROP TABLE IF EXISTS bench_template, bench_template_material, bench_slot;
            CREATE TEMP TABLE bench_template (
                k int PRIMARY KEY, name text, legal text, contact_name text, contact_phone text, contact_email text,
                contract_number text, contract_amount numeric(14,2), starts_on date, ends_on date,
                instance text, service_type text, region text, expires_on date, renewal_amount numeric(14,2),
                renewal_method text, service_contract text, term_months int);
            CREATE TEMP TABLE bench_template_material (
                k int, kind text, number text, holder text, valid_from date, valid_until date, checksum text);
            CREATE TEMP TABLE bench_slot (sn bigint, tenant_id bigint, n int, k int);
            """)
        let indexes = Array(0..<templates.count)
        let contracts = templates.map { $0.contracts.first ?? Contract(number: $0.service.contractNumber, amount: $0.service.renewalAmount,
                                                                         startsOn: $0.service.expiresOn, endsOn: $0.service.expiresOn) }
        try session.query("""
            INSERT INTO bench_template
            SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::numeric[],
                                 $9::date[], $10::date[], $11::text[], $12::text[], $13::text[], $14::date[], $15::numeric[],
                                 $16::text[], $17::text[], $18::int[])
            """, [
                .intArray(indexes), .textArray(templates.map(\.company.name)), .textArray(templates.map(\.company.legalRepresentative)),
                .textArray(templates.map(\.company.contactName)), .textArray(templates.map(\.company.contactPhone)),
                .textArray(templates.map(\.company.contactEmail)), .textArray(contracts.map(\.number)),
                .textArray(contracts.map(\.amount.yuanString)), .textArray(contracts.map(\.startsOn.description)),
                .textArray(contracts.map(\.endsOn.description)), .textArray(templates.map(\.service.consoleInstanceId)),
                .textArray(templates.map(\.service.serviceType)), .textArray(templates.map(\.service.region)),
                .textArray(templates.map(\.service.expiresOn.description)), .textArray(templates.map(\.service.renewalAmount.yuanString)),
                .textArray(templates.map { $0.service.renewalMethod?.rawValue }), .textArray(templates.map(\.service.contractNumber)),
                .intArray(templates.map(\.service.termMonths)),
            ])
        let materials = templates.enumerated().flatMap { index, file in file.materials.map { (index, $0) } }
        try session.query("""
            INSERT INTO bench_template_material
            SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::date[], $6::date[], $7::text[])
            """, [
                .intArray(materials.map(\.0)), .textArray(materials.map(\.1.kind.rawValue)), .textArray(materials.map(\.1.number)),
                .textArray(materials.map(\.1.holderName)), .textArray(materials.map { $0.1.validFrom?.description }),
                .textArray(materials.map { $0.1.validUntil?.description }), .textArray(materials.map { $0.1.fileChecksum }),
            ])
        // Slots: one per (tenant, n), numbered after the ids already used so generated ids never collide.
        try session.query("""
            INSERT INTO bench_slot (sn, tenant_id, n, k)
            SELECT (SELECT coalesce(max(id), 0) FROM companies) + row_number() OVER (ORDER BY t.o, g.n), t.tenant_id, g.n,
                   (g.n - 1) % $3::int
              FROM unnest($1::bigint[], $2::int[]) WITH ORDINALITY AS t(tenant_id, cnt, o)
              CROSS JOIN LATERAL generate_series(1, t.cnt) AS g(n)
            """, [.intArray(tenantIds), .intArray(counts), .init(templates.count)])
        try session.executeScript("""
            ANALYZE bench_slot;
            INSERT INTO companies (tenant_id, id, company_ref, name, legal_representative, contact_name, contact_phone, contact_email)
            OVERRIDING SYSTEM VALUE
            SELECT s.tenant_id, s.sn, 'C' || s.n, t.name, t.legal, t.contact_name, t.contact_phone, t.contact_email
              FROM bench_slot s JOIN bench_template t ON t.k = s.k;
            INSERT INTO contracts (tenant_id, id, company_id, contract_number, amount, starts_on, ends_on)
            OVERRIDING SYSTEM VALUE
            SELECT s.tenant_id, s.sn, s.sn, t.contract_number, t.contract_amount, t.starts_on, t.ends_on
              FROM bench_slot s JOIN bench_template t ON t.k = s.k;
            INSERT INTO materials (tenant_id, company_id, kind, number, holder_name, valid_from, valid_until, file_checksum)
            SELECT s.tenant_id, s.sn, m.kind, m.number, m.holder, m.valid_from, m.valid_until, m.checksum
              FROM bench_slot s JOIN bench_template_material m ON m.k = s.k;
            INSERT INTO services (tenant_id, id, company_id, service_ref, console_instance_id, service_type, region, expires_on,
                                  renewal_amount, renewal_method, contract_number, term_months)
            OVERRIDING SYSTEM VALUE
            SELECT s.tenant_id, s.sn, s.sn, 'S' || s.n, t.instance, t.service_type, t.region, t.expires_on, t.renewal_amount,
                   t.renewal_method, t.service_contract, t.term_months
              FROM bench_slot s JOIN bench_template t ON t.k = s.k;
            SELECT setval(pg_get_serial_sequence('companies', 'id'), (SELECT max(id) FROM companies));
            SELECT setval(pg_get_serial_sequence('contracts', 'id'), (SELECT max(id) FROM contracts));
            SELECT setval(pg_get_serial_sequence('services', 'id'), (SELECT max(id) FROM services));
            """)
        try session.query("""
            INSERT INTO inspections (tenant_id, id, service_id, company_id, cycle, due_on, state, next_attempt_at)
            OVERRIDING SYSTEM VALUE
            SELECT s.tenant_id, s.sn, s.sn, s.sn, EXTRACT(YEAR FROM t.expires_on)::int, t.expires_on, 'pending', $1::timestamptz
              FROM bench_slot s JOIN bench_template t ON t.k = s.k
            """, [.text(dueAt.description)])
        try session.query("""
            INSERT INTO inspection_events (tenant_id, inspection_id, business_at, actor, kind, from_state, to_state, detail)
            SELECT s.tenant_id, s.sn, $1::timestamptz, 'nianjian bench', 'planned', NULL, 'pending', '{}'::jsonb FROM bench_slot s
            """, [.text(dueAt.description)])
        let made = try session.query("SELECT count(*) FROM bench_slot")[0].requireInt(0)
        try session.executeScript("""
            SELECT setval(pg_get_serial_sequence('inspections', 'id'), (SELECT max(id) FROM inspections));
            DROP TABLE bench_template, bench_template_material, bench_slot;
            """)
        return made
    }

    // MARK: - The SQL floor
    //
    // The runner's state changes for a batch, as set-based statements from one session, with no data sent
    // to the client: the leases themselves carry the batch from one statement to the next. Each statement
    // mirrors the runner's (InspectionQueries): the same fair claim, the same columns written, the same
    // events and renewals. The console is in-process for the runner, so the floor writes no console memory.

    /// The runner's fair claim (`InspectionQueries.claimDue`), for these tenants. Returns how many it leased.
    public static func floorClaim(_ session: PostgresSession, owner: String, tenantIds: [Int64], batchSize: Int,
                                  leaseSeconds: Double, now: Timestamp) throws -> Int {
        let request = ClaimRequest(owner: owner, leaseSeconds: leaseSeconds, batchSize: batchSize, now: now, tenantIds: tenantIds)
        return try InspectionQueries.claimOnce(session, request).claimed.count
    }

    /// Validated, clean: `pending` → `submitting` with its idempotency key (lease kept), and the event.
    @discardableResult
    public static func floorValidate(_ session: PostgresSession, owner: String, now: Timestamp) throws -> Int {
        try session.query("""
            WITH updated AS (
                UPDATE inspections i SET state = 'submitting', attempts = i.attempts + 1,
                       idempotency_key = 'nj-' || i.tenant_id || '-' || i.id || '-' || i.cycle || '-g' || i.generation,
                       findings = '[]'::jsonb, last_error = NULL, updated_at = now()
                  FROM inspection_leases l
                 WHERE l.owner = $1 AND i.tenant_id = l.tenant_id AND i.id = l.inspection_id AND i.state = 'pending'
                RETURNING i.tenant_id, i.id
            ),
            events AS (
                INSERT INTO inspection_events (tenant_id, inspection_id, business_at, actor, kind, from_state, to_state, detail)
                SELECT tenant_id, id, $2::timestamptz, $1, 'validated', 'pending', 'submitting',
                       jsonb_build_object('detail', '', 'runner', $1::text)
                  FROM updated
            )
            SELECT count(*) FROM updated
            """, [.text(owner), .text(now.description)])[0].requireInt(0)
    }

    /// The ticket came back and the first poll, made at once, found it approved (the runner writes both in
    /// one write-back: `InspectionUpdate.folded(after:)`): `submitting` → `approved` with the ticket, the
    /// renewal, the service renewed once, both events, the lease released. The ticket is the mock console's
    /// (a digest of the account and the key).
    @discardableResult
    public static func floorSubmittedAndApproved(_ session: PostgresSession, owner: String, now: Timestamp) throws -> Int {
        try session.query("""
            WITH updated AS (
                UPDATE inspections i SET state = 'approved',
                       console_ticket = 'T' || upper(substr(md5(t.slug || '/' || i.idempotency_key), 1, 16)),
                       submitted_at = $2::timestamptz, decided_at = $2::timestamptz, next_attempt_at = NULL, next_poll_at = NULL,
                       renewed_until = (i.due_on + make_interval(months => s.term_months))::date,
                       renewal_amount = s.renewal_amount, updated_at = now()
                  FROM services s, inspection_leases l, tenants t
                 WHERE l.owner = $1 AND i.tenant_id = l.tenant_id AND i.id = l.inspection_id AND i.state = 'submitting'
                   AND s.tenant_id = i.tenant_id AND s.id = i.service_id AND t.id = i.tenant_id
                RETURNING i.tenant_id, i.id, i.service_id, i.due_on, i.renewed_until, i.renewal_amount, i.console_ticket
            ),
            released AS (
                DELETE FROM inspection_leases l USING updated d WHERE l.tenant_id = d.tenant_id AND l.inspection_id = d.id
            ),
            events AS (
                INSERT INTO inspection_events (tenant_id, inspection_id, business_at, actor, kind, from_state, to_state, detail)
                SELECT tenant_id, id, $2::timestamptz, $1, 'submitted', 'submitting', 'in_review',
                       jsonb_build_object('detail', console_ticket, 'runner', $1::text)
                  FROM updated
                UNION ALL
                SELECT tenant_id, id, $2::timestamptz, $1, 'approved', 'in_review', 'approved',
                       jsonb_build_object('detail', '', 'runner', $1::text)
                  FROM updated
            ),
            renewals AS (
                INSERT INTO service_renewals (tenant_id, inspection_id, service_id, previous_until, renewed_until, amount)
                SELECT tenant_id, id, service_id, due_on, renewed_until, renewal_amount FROM updated
                ON CONFLICT DO NOTHING
                RETURNING tenant_id, service_id, renewed_until
            ),
            renewed AS (
                UPDATE services s SET expires_on = GREATEST(s.expires_on, r.renewed_until),
                                      renewed_count = s.renewed_count + 1, updated_at = now()
                  FROM renewals r WHERE s.tenant_id = r.tenant_id AND s.id = r.service_id
            )
            SELECT count(*) FROM updated
            """, [.text(owner), .text(now.description)])[0].requireInt(0)
    }

    // MARK: - Outcome

    /// What happened to these tenants' inspections (nil: every tenant).
    public static func outcome(_ session: PostgresSession, tenantIds: [Int64]?) throws -> BenchOutcome {
        let tenants: PostgresBind = tenantIds.map { PostgresBind.intArray($0) } ?? .null
        var outcome = BenchOutcome()
        let states = try session.query("""
            SELECT state, count(*) FROM inspections WHERE $1::bigint[] IS NULL OR tenant_id = ANY($1::bigint[]) GROUP BY state
            """, [tenants])
        for row in states.rows { outcome.byState[try row.requireString(0)] = try row.requireInt(1) }
        outcome.inspections = outcome.byState.values.reduce(0, +)
        let row = try session.query("""
            WITH i AS (SELECT * FROM inspections WHERE $1::bigint[] IS NULL OR tenant_id = ANY($1::bigint[]))
            SELECT
              (SELECT count(*) FROM service_renewals r WHERE $1::bigint[] IS NULL OR r.tenant_id = ANY($1::bigint[])),
              (SELECT count(*) FROM i JOIN services s ON s.tenant_id = i.tenant_id AND s.id = i.service_id
                WHERE s.renewed_count <> CASE WHEN i.state = 'approved' THEN 1 ELSE 0 END),
              (SELECT count(*) FROM i JOIN services s ON s.tenant_id = i.tenant_id AND s.id = i.service_id
                WHERE i.state = 'approved' AND s.expires_on <> (i.due_on + make_interval(months => s.term_months))::date),
              (SELECT count(*) FROM inspection_leases l WHERE $1::bigint[] IS NULL OR l.tenant_id = ANY($1::bigint[])),
              (SELECT count(*) FROM i WHERE i.state = 'approved' AND NOT EXISTS (
                  SELECT 1 FROM inspection_events e WHERE e.tenant_id = i.tenant_id AND e.inspection_id = i.id
                     AND e.to_state = 'approved'))
            """, [tenants])[0]
        outcome.renewals = try row.requireInt(0)
        outcome.servicesRenewedWrongly = try row.requireInt(1)
        outcome.wrongExpiry = try row.requireInt(2)
        outcome.leased = try row.requireInt(3)
        outcome.approvedWithoutEvent = try row.requireInt(4)
        return outcome
    }

    /// Per tenant, when its first and last inspection reached a final state during this run, as fractions
    /// of the run (0 = the run started, 1 = it finished), from the events' server timestamps.
    public static func finishTimes(_ session: PostgresSession, runId: Int64) throws -> [BenchFinishTimes] {
        let result = try session.query("""
            WITH run AS (SELECT started_at, finished_at, greatest(EXTRACT(EPOCH FROM finished_at - started_at), 1e-6) AS length
                           FROM runs WHERE id = $1)
            SELECT t.slug,
                   EXTRACT(EPOCH FROM min(e.at) - run.started_at)::float8 / run.length,
                   EXTRACT(EPOCH FROM max(e.at) - run.started_at)::float8 / run.length,
                   count(*)
              FROM inspection_events e JOIN tenants t ON t.id = e.tenant_id CROSS JOIN run
             WHERE e.run_id = $1 AND e.to_state IN ('approved', 'rejected', 'needs_materials', 'failed')
             GROUP BY t.slug, run.started_at, run.length
             ORDER BY t.slug
            """, [.init(runId)])
        return try result.rows.map { row in
            BenchFinishTimes(slug: try row.requireString(0), first: try row.double(1) ?? 0, last: try row.double(2) ?? 0,
                             finished: try row.requireInt(3))
        }
    }
}
