import NianjianPostgres

/// The inspections list's filter. nil or empty fields do not filter.
public struct InspectionListFilter: Sendable, Hashable {
    public var state: String?
    /// A company_ref (exact or part of it) or part of the company's name (Chinese text matches as is).
    public var company: String?
    /// A rejection reason or a finding code.
    public var reason: String?
    public var cycle: Int?

    public init(state: String? = nil, company: String? = nil, reason: String? = nil, cycle: Int? = nil) {
        self.state = state; self.company = company; self.reason = reason; self.cycle = cycle
    }
}

/// One line of the inspections list.
public struct InspectionListRow: Sendable, Hashable, Codable {
    public var id: Int64
    public var companyRef: String
    public var companyName: String
    public var serviceRef: String
    public var cycle: Int
    public var state: String
    public var attempts: Int
    public var rejectionReason: String?
    public var lastError: String?
    public var dueOn: String
    public var updatedAt: String
}

/// One event of an inspection's history.
public struct InspectionEventRow: Sendable, Hashable {
    public var id: Int64
    public var at: String
    public var businessAt: String
    public var actor: String
    public var kind: String
    public var fromState: String?
    public var toState: String
    /// JSON object text.
    public var detailJSON: String
}

/// Everything the inspection page shows.
public struct InspectionDetailRow: Sendable, Hashable {
    public var inspection: InspectionListRow
    public var companyName: String
    public var legalRepresentative: String
    public var serviceType: String
    public var consoleInstanceId: String
    public var region: String
    public var expiresOn: String
    public var renewalAmount: String
    public var renewalMethod: String?
    public var contractNumber: String
    /// The contract the service names (nil: not on file).
    public var contractAmount: String?
    public var contractPeriod: String?
    public var ticket: String?
    /// JSON array text of the stored findings.
    public var findingsJSON: String
    public var renewedUntil: String?
    public var leased: Bool
}

/// A company's page.
public struct CompanyDetailRow: Sendable, Hashable {
    public var id: Int64
    public var companyRef: String
    public var name: String
    public var legalRepresentative: String
    public var contact: String
    /// kind, number, holder, valid_from, valid_until.
    public var materials: [[String]]
    /// number, amount, starts_on, ends_on.
    public var contracts: [[String]]
    /// service_ref, type, region, expires_on, renewal_amount, contract_number.
    public var services: [[String]]
    public var inspections: [InspectionListRow]
}

/// The web console's reads and its cancel. Every one runs inside `asTenant(tenantId)`: row-level
/// security, not these statements, keeps them to the tenant's rows, so another tenant's ids find nothing.
public enum WebQueries {
    /// The tenant with this slug as the current tenant sees it: nil for any other tenant's slug.
    public static func selectVisibleTenant(_ session: PostgresSession, slug: String) throws -> (id: Int64, name: String)? {
        let result = try session.query("SELECT id, name FROM tenants WHERE slug = $1", [.text(slug)])
        return result.rowCount == 0 ? nil : (try result[0].requireInt64(0), try result[0].requireString(1))
    }

    static let listColumns = """
        i.id, c.company_ref, c.name, s.service_ref, i.cycle, i.state, i.attempts, i.rejection_reason, i.last_error,
        i.due_on::text, to_char(i.updated_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS')
        """

    static func decodeListRow(_ row: PostgresRow) throws -> InspectionListRow {
        InspectionListRow(id: try row.requireInt64(0), companyRef: try row.requireString(1), companyName: try row.requireString(2),
                          serviceRef: try row.requireString(3), cycle: try row.requireInt(4), state: try row.requireString(5),
                          attempts: try row.requireInt(6), rejectionReason: row.string(7), lastError: row.string(8),
                          dueOn: try row.requireString(9), updatedAt: try row.requireString(10))
    }

    static let filterClause = """
        ($1::text IS NULL OR i.state = $1)
          AND ($2::text IS NULL OR c.company_ref = $2 OR strpos(lower(c.company_ref), lower($2)) > 0
               OR strpos(c.name, $2) > 0)
          AND ($3::text IS NULL OR i.rejection_reason = $3
               OR (jsonb_typeof(i.findings) = 'array'
                   AND EXISTS (SELECT 1 FROM jsonb_array_elements(i.findings) f WHERE f->>'code' = $3)))
          AND ($4::int IS NULL OR i.cycle = $4)
        """

    static func filterBinds(_ filter: InspectionListFilter) -> [PostgresBind] {
        func clean(_ text: String?) -> String? {
            guard let text, !text.isEmpty else { return nil }
            return text
        }
        return [.init(clean(filter.state)), .init(clean(filter.company)), .init(clean(filter.reason)), .init(filter.cycle)]
    }

    /// A page of the tenant's inspections matching `filter`, newest first, with the total that match.
    public static func selectInspections(_ session: PostgresSession, _ filter: InspectionListFilter, limit: Int,
                                         offset: Int) throws -> (total: Int, rows: [InspectionListRow]) {
        let binds = filterBinds(filter)
        let total = try session.query("""
            SELECT count(*) FROM inspections i JOIN companies c ON c.tenant_id = i.tenant_id AND c.id = i.company_id
             WHERE \(filterClause)
            """, binds)[0].requireInt(0)
        let result = try session.query("""
            SELECT \(listColumns)
              FROM inspections i
              JOIN companies c ON c.tenant_id = i.tenant_id AND c.id = i.company_id
              JOIN services s ON s.tenant_id = i.tenant_id AND s.id = i.service_id
             WHERE \(filterClause)
             ORDER BY i.id DESC
             LIMIT $5::int OFFSET $6::int
            """, binds + [.init(limit), .init(offset)])
        return (total, try result.rows.map(decodeListRow))
    }

    /// One inspection with its company, service and contract; nil when the tenant has no such id.
    public static func selectInspection(_ session: PostgresSession, id: Int64) throws -> InspectionDetailRow? {
        let result = try session.query("""
            SELECT \(listColumns),
                   c.name, c.legal_representative, s.service_type, s.console_instance_id, s.region, s.expires_on::text,
                   s.renewal_amount::text, s.renewal_method, s.contract_number, k.amount::text,
                   k.starts_on::text || ' – ' || k.ends_on::text, i.console_ticket, i.findings::text,
                   COALESCE(i.renewed_until, r.renewed_until)::text,
                   EXISTS (SELECT 1 FROM inspection_leases l WHERE l.tenant_id = i.tenant_id AND l.inspection_id = i.id)
              FROM inspections i
              JOIN companies c ON c.tenant_id = i.tenant_id AND c.id = i.company_id
              JOIN services s ON s.tenant_id = i.tenant_id AND s.id = i.service_id
              LEFT JOIN contracts k ON k.tenant_id = s.tenant_id AND k.company_id = s.company_id
                                   AND k.contract_number = s.contract_number
              LEFT JOIN service_renewals r ON r.tenant_id = i.tenant_id AND r.inspection_id = i.id
             WHERE i.id = $1::bigint
            """, [.init(id)])
        guard result.rowCount == 1 else { return nil }
        let row = result[0]
        return InspectionDetailRow(
            inspection: try decodeListRow(row), companyName: try row.requireString(11), legalRepresentative: try row.requireString(12),
            serviceType: try row.requireString(13), consoleInstanceId: try row.requireString(14), region: row.string(15) ?? "",
            expiresOn: try row.requireString(16), renewalAmount: try row.requireString(17), renewalMethod: row.string(18),
            contractNumber: row.string(19) ?? "", contractAmount: row.string(20), contractPeriod: row.string(21),
            ticket: row.string(22), findingsJSON: row.string(23) ?? "[]", renewedUntil: row.string(24),
            leased: try row.bool(25) ?? false)
    }

    /// The inspection's whole history, oldest first.
    public static func selectEvents(_ session: PostgresSession, inspectionId: Int64) throws -> [InspectionEventRow] {
        let result = try session.query("""
            SELECT id, to_char(at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'),
                   to_char(business_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'),
                   actor, kind, from_state, to_state, detail::text
              FROM inspection_events WHERE inspection_id = $1::bigint ORDER BY id
            """, [.init(inspectionId)])
        return try result.rows.map { row in
            InspectionEventRow(id: try row.requireInt64(0), at: try row.requireString(1), businessAt: try row.requireString(2),
                               actor: try row.requireString(3), kind: try row.requireString(4), fromState: row.string(5),
                               toState: try row.requireString(6), detailJSON: row.string(7) ?? "{}")
        }
    }

    /// A company by its ref with its materials, contracts, services and inspections; nil when unknown.
    public static func selectCompany(_ session: PostgresSession, ref: String) throws -> CompanyDetailRow? {
        let company = try session.query("""
            SELECT id, company_ref, name, legal_representative,
                   concat_ws(' · ', NULLIF(contact_name, ''), NULLIF(contact_phone, ''), NULLIF(contact_email, ''))
              FROM companies WHERE company_ref = $1
            """, [.text(ref)])
        guard company.rowCount == 1 else { return nil }
        let id = try company[0].requireInt64(0)
        func table(_ sql: String, _ width: Int) throws -> [[String]] {
            try session.query(sql, [.init(id)]).rows.map { row in (0..<width).map { row.string($0) ?? "" } }
        }
        let materials = try table("""
            SELECT kind, number, holder_name, valid_from::text, valid_until::text FROM materials
             WHERE company_id = $1::bigint ORDER BY kind, number
            """, 5)
        let contracts = try table("""
            SELECT contract_number, amount::text, starts_on::text, ends_on::text FROM contracts
             WHERE company_id = $1::bigint ORDER BY starts_on, contract_number
            """, 4)
        let services = try table("""
            SELECT service_ref, service_type, region, expires_on::text, renewal_amount::text, contract_number FROM services
             WHERE company_id = $1::bigint ORDER BY service_ref
            """, 6)
        let inspections = try session.query("""
            SELECT \(listColumns)
              FROM inspections i
              JOIN companies c ON c.tenant_id = i.tenant_id AND c.id = i.company_id
              JOIN services s ON s.tenant_id = i.tenant_id AND s.id = i.service_id
             WHERE i.company_id = $1::bigint ORDER BY s.service_ref, i.cycle DESC
            """, [.init(id)]).rows.map(decodeListRow)
        return CompanyDetailRow(id: id, companyRef: try company[0].requireString(1), name: try company[0].requireString(2),
                                legalRepresentative: try company[0].requireString(3), contact: company[0].string(4) ?? "",
                                materials: materials, contracts: contracts, services: services, inspections: inspections)
    }

    /// Cancels one inspection no runner holds (not approved or cancelled already) and appends its event.
    /// Returns the state it was in, or nil when nothing changed (unknown id, leased, or terminal).
    public static func cancelInspection(_ session: PostgresSession, tenantId: Int64, id: Int64, actor: String,
                                        detailJSON: String, businessAt: String) throws -> String? {
        // The row is locked first, by a statement of its own: the next statement's snapshot then sees any lease a
        // claimer committed before the lock was ours, and no claimer takes the row until this transaction ends.
        let result = try session.transaction { () throws -> PostgresResult in
            try session.query("SELECT id FROM inspections WHERE id = $1::bigint FOR UPDATE", [.init(id)])
            return try session.query("""
            WITH before AS (
                SELECT i.id, i.state FROM inspections i
                 WHERE i.id = $2::bigint AND i.state IN ('pending', 'needs_materials', 'rejected', 'failed', 'in_review')
                   AND NOT EXISTS (SELECT 1 FROM inspection_leases l WHERE l.tenant_id = i.tenant_id AND l.inspection_id = i.id)
            ),
            updated AS (
                UPDATE inspections i SET state = 'cancelled', next_attempt_at = NULL, next_poll_at = NULL, updated_at = now()
                  FROM before b WHERE i.tenant_id = $1::bigint AND i.id = b.id
                RETURNING i.id
            ),
            events AS (
                INSERT INTO inspection_events (tenant_id, inspection_id, business_at, actor, kind, from_state, to_state, detail)
                SELECT $1::bigint, b.id, $5::timestamptz, $3, 'cancelled', b.state, 'cancelled', $4::jsonb
                  FROM before b JOIN updated u ON u.id = b.id
            )
            SELECT b.state FROM before b JOIN updated u ON u.id = b.id
            """, [.init(tenantId), .init(id), .text(actor), .text(detailJSON), .text(businessAt)])
        }
        return result.rowCount == 1 ? result[0].string(0) : nil
    }

    /// How many of `ids` are the tenant's inspections (another tenant's are invisible).
    public static func countVisibleInspections(_ session: PostgresSession, ids: [Int64]) throws -> Int {
        try session.query("SELECT count(*) FROM inspections WHERE id = ANY($1::bigint[])", [.intArray(ids)])[0].requireInt(0)
    }

    /// Whether a run is going for the tenant (the overview refreshes while one is).
    public static func selectRunGoing(_ session: PostgresSession) throws -> Bool {
        try session.query("""
            SELECT EXISTS (SELECT 1 FROM run_tenants rt JOIN runs r ON r.id = rt.run_id WHERE r.status = 'running')
            """)[0].bool(0) ?? false
    }

    /// Records a web action (inside `asTenant` for a tenant's action; as the owner with nil for the platform's).
    public static func insertAudit(_ session: PostgresSession, tenantId: Int64?, actor: String, action: String,
                                   detailJSON: String) throws {
        _ = try session.query("INSERT INTO web_audit (tenant_id, actor, action, detail) VALUES ($1::bigint, $2, $3, $4::jsonb)",
                              [.init(tenantId), .text(actor), .text(action), .text(detailJSON)])
    }

    /// Inspections by tenant and state, and runs by status (platform level, as the owner), for /metrics.
    public static func selectMetrics(_ session: PostgresSession) throws -> (inspections: [(tenant: String, state: String, count: Int)],
                                                                            runs: [(status: String, count: Int)]) {
        let inspections = try session.query("""
            SELECT t.slug, i.state, count(*) FROM inspections i JOIN tenants t ON t.id = i.tenant_id GROUP BY 1, 2 ORDER BY 1, 2
            """).rows.map { (try $0.requireString(0), try $0.requireString(1), try $0.requireInt(2)) }
        let runs = try session.query("SELECT status, count(*) FROM runs GROUP BY 1 ORDER BY 1").rows
            .map { (try $0.requireString(0), try $0.requireInt(1)) }
        return (inspections, runs)
    }
}
