import NianjianDomain
import NianjianPostgres

/// The runner's queries: claim, load, write back, heartbeat, rescue, release. One verb-named function per
/// statement; every statement binds its parameters.
public enum InspectionQueries {
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
