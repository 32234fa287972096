import NianjianDomain
import NianjianPostgres

/// A contract by its owner and number.
public struct StoredContractKey: Sendable, Hashable {
    public var companyRef: String
    public var contractNumber: String
    public init(companyRef: String, contractNumber: String) { self.companyRef = companyRef; self.contractNumber = contractNumber }
}

/// A document by its owner, kind and number.
public struct StoredMaterialKey: Sendable, Hashable {
    public var companyRef: String
    public var kind: MaterialKind
    public var number: String
    public init(companyRef: String, kind: MaterialKind, number: String) {
        self.companyRef = companyRef; self.kind = kind; self.number = number
    }
}

/// A service and the company it belongs to.
public struct StoredService: Sendable, Hashable {
    public var companyRef: String
    public var service: Service
    public init(companyRef: String, service: Service) { self.companyRef = companyRef; self.service = service }
}

/// The latest renewal the product applied to a service: a fact an import never undoes.
public struct StoredRenewal: Sendable, Hashable {
    public var renewedUntil: CivilDate
    public var inspectionId: Int64
    public init(renewedUntil: CivilDate, inspectionId: Int64) { self.renewedUntil = renewedUntil; self.inspectionId = inspectionId }
}

/// Everything an import compares against: one tenant's rows, by their refs.
public struct ImportSnapshot: Sendable, Hashable {
    public var companies: [String: Company] = [:]
    public var contracts: [StoredContractKey: Contract] = [:]
    public var services: [String: StoredService] = [:]
    public var materials: [StoredMaterialKey: Material] = [:]
    /// By service ref: the latest renewal recorded in `service_renewals`.
    public var renewals: [String: StoredRenewal] = [:]
    public init() {}
}

/// The import's statements. Every one runs inside `asTenant`, so row-level security confines it to the
/// tenant being imported; `tenantId` is bound as a parameter for the inserts (and checked by the policy).
public enum ImportQueries {
    /// Serialises imports of one tenant (held until the transaction ends).
    public static func lockTenantImports(_ session: PostgresSession, tenantId: Int64) throws {
        try session.query("SELECT pg_advisory_xact_lock(hashtext('nianjian.import'), $1::int)", [.init(Int(tenantId % Int64(Int32.max)))])
    }

    /// Loads the tenant's companies, contracts, services (with their latest renewal) and materials.
    public static func loadSnapshot(_ session: PostgresSession) throws -> ImportSnapshot {
        var snapshot = ImportSnapshot()
        let companies = try session.query("""
            SELECT company_ref, name, legal_representative, contact_name, contact_phone, contact_email FROM companies
            """)
        for row in companies.rows {
            let company = Company(ref: try row.requireString(0), name: try row.requireString(1),
                                  legalRepresentative: try row.requireString(2), contactName: row.string(3) ?? "",
                                  contactPhone: row.string(4) ?? "", contactEmail: row.string(5) ?? "")
            snapshot.companies[company.ref] = company
        }
        let contracts = try session.query("""
            SELECT c.company_ref, k.contract_number, k.amount, k.starts_on, k.ends_on
              FROM contracts k JOIN companies c ON c.tenant_id = k.tenant_id AND c.id = k.company_id
            """)
        for row in contracts.rows {
            let contract = Contract(number: try row.requireString(1), amount: try StoreDecoding.money(row, 2),
                                    startsOn: try StoreDecoding.date(row, 3), endsOn: try StoreDecoding.date(row, 4))
            snapshot.contracts[StoredContractKey(companyRef: try row.requireString(0), contractNumber: contract.number)] = contract
        }
        let services = try session.query("""
            SELECT c.company_ref, s.service_ref, s.console_instance_id, s.service_type, s.region, s.expires_on,
                   s.renewal_amount, s.renewal_method, s.contract_number, s.term_months
              FROM services s JOIN companies c ON c.tenant_id = s.tenant_id AND c.id = s.company_id
            """)
        for row in services.rows {
            let service = try StoreDecoding.service(row, from: 1)
            snapshot.services[service.ref] = StoredService(companyRef: try row.requireString(0), service: service)
        }
        let renewals = try session.query("""
            SELECT DISTINCT ON (r.service_id) s.service_ref, r.renewed_until, r.inspection_id
              FROM service_renewals r JOIN services s ON s.tenant_id = r.tenant_id AND s.id = r.service_id
             ORDER BY r.service_id, r.renewed_until DESC, r.inspection_id DESC
            """)
        for row in renewals.rows {
            snapshot.renewals[try row.requireString(0)] = StoredRenewal(renewedUntil: try StoreDecoding.date(row, 1),
                                                                        inspectionId: try row.requireInt64(2))
        }
        let materials = try session.query("""
            SELECT c.company_ref, m.kind, m.number, m.holder_name, m.valid_from, m.valid_until, m.file_checksum
              FROM materials m JOIN companies c ON c.tenant_id = m.tenant_id AND c.id = m.company_id
            """)
        for row in materials.rows {
            guard let kind = MaterialKind(rawValue: try row.requireString(1)) else { continue }
            let material = Material(kind: kind, number: try row.requireString(2), holderName: try row.requireString(3),
                                    validFrom: try StoreDecoding.optionalDate(row, 4),
                                    validUntil: try StoreDecoding.optionalDate(row, 5), fileChecksum: row.string(6))
            snapshot.materials[StoredMaterialKey(companyRef: try row.requireString(0), kind: kind, number: material.number)] = material
        }
        return snapshot
    }

    /// Inserts or updates companies by `company_ref`. Returns the rows written.
    @discardableResult
    public static func upsertCompanies(_ session: PostgresSession, tenantId: Int64, _ companies: [Company]) throws -> Int {
        guard !companies.isEmpty else { return 0 }
        let result = try session.query("""
            INSERT INTO companies (tenant_id, company_ref, name, legal_representative, contact_name, contact_phone, contact_email)
            SELECT $1::bigint, u.ref, u.name, u.legal, u.contact_name, u.phone, u.email
              FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
                   AS u(ref, name, legal, contact_name, phone, email)
            ON CONFLICT (tenant_id, company_ref) DO UPDATE SET
                name = EXCLUDED.name, legal_representative = EXCLUDED.legal_representative,
                contact_name = EXCLUDED.contact_name, contact_phone = EXCLUDED.contact_phone,
                contact_email = EXCLUDED.contact_email, updated_at = now()
            """, [.init(tenantId), .textArray(companies.map(\.ref)), .textArray(companies.map(\.name)),
                  .textArray(companies.map(\.legalRepresentative)), .textArray(companies.map(\.contactName)),
                  .textArray(companies.map(\.contactPhone)), .textArray(companies.map(\.contactEmail))])
        return result.affectedRows
    }

    /// Inserts or updates contracts by (company_ref, contract_number).
    @discardableResult
    public static func upsertContracts(_ session: PostgresSession, tenantId: Int64,
                                       _ contracts: [(companyRef: String, contract: Contract)]) throws -> Int {
        guard !contracts.isEmpty else { return 0 }
        let result = try session.query("""
            INSERT INTO contracts (tenant_id, company_id, contract_number, amount, starts_on, ends_on)
            SELECT $1::bigint, c.id, u.number, u.amount, u.starts_on, u.ends_on
              FROM unnest($2::text[], $3::text[], $4::numeric[], $5::date[], $6::date[])
                   AS u(company_ref, number, amount, starts_on, ends_on)
              JOIN companies c ON c.tenant_id = $1::bigint AND c.company_ref = u.company_ref
            ON CONFLICT (tenant_id, company_id, contract_number) DO UPDATE SET
                amount = EXCLUDED.amount, starts_on = EXCLUDED.starts_on, ends_on = EXCLUDED.ends_on, updated_at = now()
            """, [.init(tenantId), .textArray(contracts.map(\.companyRef)), .textArray(contracts.map(\.contract.number)),
                  .textArray(contracts.map(\.contract.amount.yuanString)),
                  .textArray(contracts.map(\.contract.startsOn.description)),
                  .textArray(contracts.map(\.contract.endsOn.description))])
        return result.affectedRows
    }

    /// Inserts or updates services by `service_ref` (the caller has checked a service keeps its company).
    @discardableResult
    public static func upsertServices(_ session: PostgresSession, tenantId: Int64, _ services: [StoredService]) throws -> Int {
        guard !services.isEmpty else { return 0 }
        let list = services.map(\.service)
        let result = try session.query("""
            INSERT INTO services (tenant_id, company_id, service_ref, console_instance_id, service_type, region, expires_on,
                                  renewal_amount, renewal_method, contract_number, term_months)
            SELECT $1::bigint, c.id, u.ref, u.instance, u.type, u.region, u.expires_on, u.amount, u.method, u.contract, u.term
              FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::date[], $8::numeric[],
                          $9::text[], $10::text[], $11::int[])
                   AS u(company_ref, ref, instance, type, region, expires_on, amount, method, contract, term)
              JOIN companies c ON c.tenant_id = $1::bigint AND c.company_ref = u.company_ref
            ON CONFLICT (tenant_id, service_ref) DO UPDATE SET
                console_instance_id = EXCLUDED.console_instance_id, service_type = EXCLUDED.service_type,
                region = EXCLUDED.region, expires_on = EXCLUDED.expires_on, renewal_amount = EXCLUDED.renewal_amount,
                renewal_method = EXCLUDED.renewal_method, contract_number = EXCLUDED.contract_number,
                term_months = EXCLUDED.term_months, updated_at = now()
             WHERE services.company_id = EXCLUDED.company_id
            """, [.init(tenantId), .textArray(services.map(\.companyRef)), .textArray(list.map(\.ref)),
                  .textArray(list.map(\.consoleInstanceId)), .textArray(list.map(\.serviceType)), .textArray(list.map(\.region)),
                  .textArray(list.map(\.expiresOn.description)), .textArray(list.map(\.renewalAmount.yuanString)),
                  .textArray(list.map { $0.renewalMethod?.rawValue }), .textArray(list.map(\.contractNumber)),
                  .intArray(list.map(\.termMonths))])
        return result.affectedRows
    }

    /// Inserts or updates materials by (company_ref, kind, number).
    @discardableResult
    public static func upsertMaterials(_ session: PostgresSession, tenantId: Int64,
                                       _ materials: [(companyRef: String, material: Material)]) throws -> Int {
        guard !materials.isEmpty else { return 0 }
        let list = materials.map(\.material)
        let result = try session.query("""
            INSERT INTO materials (tenant_id, company_id, kind, number, holder_name, valid_from, valid_until)
            SELECT $1::bigint, c.id, u.kind, u.number, u.holder, u.valid_from, u.valid_until
              FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::date[], $7::date[])
                   AS u(company_ref, kind, number, holder, valid_from, valid_until)
              JOIN companies c ON c.tenant_id = $1::bigint AND c.company_ref = u.company_ref
            ON CONFLICT (tenant_id, company_id, kind, number) DO UPDATE SET
                holder_name = EXCLUDED.holder_name, valid_from = EXCLUDED.valid_from, valid_until = EXCLUDED.valid_until,
                updated_at = now()
            """, [.init(tenantId), .textArray(materials.map(\.companyRef)), .textArray(list.map(\.kind.rawValue)),
                  .textArray(list.map(\.number)), .textArray(list.map(\.holderName)),
                  .textArray(list.map { $0.validFrom?.description }), .textArray(list.map { $0.validUntil?.description })])
        return result.affectedRows
    }

    /// Records an import (its summary and its changes, both JSON text) for audit. Returns the batch id.
    @discardableResult
    public static func insertImportBatch(_ session: PostgresSession, tenantId: Int64, source: String, summaryJSON: String,
                                         changesJSON: String) throws -> Int64 {
        let result = try session.query("""
            INSERT INTO import_batches (tenant_id, source, summary, changes) VALUES ($1::bigint, $2, $3::jsonb, $4::jsonb)
            RETURNING id
            """, [.init(tenantId), .text(source), .text(summaryJSON), .text(changesJSON)])
        return try result[0].requireInt64(0)
    }
}
