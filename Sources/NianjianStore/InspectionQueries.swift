import NianjianDomain
import NianjianPostgres

/// The runner's queries: claim, load, write back, heartbeat, rescue, release. One verb-named function per
/// statement; every statement binds its parameters. (The claim is in ClaimQueries and ClaimByTenantQueries,
/// the write-back in WriteBackQueries, the leases in LeaseQueries.)
public enum InspectionQueries {
    /// Loads the company file (company, materials, contracts, every service of the company, the inspected
    /// service) of each claimed inspection in one round trip: four statements sent together, by the company and
    /// service ids the claim read from the locked row (no second read of `inspections`). `perTenant`: each
    /// statement for one tenant's inspections.
    public static func loadFiles(_ session: PostgresSession, for inspections: [ClaimedInspection],
                                 routing: StatementRouting = .combined) throws -> [InspectionKey: InspectionFile] {
        guard !inspections.isEmpty else { return [:] }
        // $5 for the inspected rows' statement (four arrays before it), $3 for the companies' statements.
        let scope = TenantScope(routing, parameter: 5), companyScope = TenantScope(routing, parameter: 3)
        let sorted = inspections.sorted { $0.key < $1.key }
        var companyOf: [InspectionKey: CompanyKey] = [:]
        for item in sorted { companyOf[item.key] = CompanyKey(tenantId: item.tenantId, companyId: item.companyId) }
        let companies = Array(Set(companyOf.values)).sorted { ($0.tenantId, $0.companyId) < ($1.tenantId, $1.companyId) }
        let companyGroups = companyScope.groups(companies, tenant: \.tenantId)
        var statements: [PipelineStatement] = []
        for group in scope.groups(sorted, tenant: \.tenantId) where !group.isEmpty {
            statements.append(PipelineStatement(loadInspectedStatement(scope), [
                .intArray(group.map(\.tenantId)), .intArray(group.map(\.id)), .intArray(group.map(\.companyId)),
                .intArray(group.map(\.serviceId))] + scope.bind(group.first?.tenantId)))
        }
        let mainCount = statements.count
        for group in companyGroups where !group.isEmpty {
            let binds = [PostgresBind.intArray(group.map(\.tenantId)), .intArray(group.map(\.companyId))]
                + companyScope.bind(group.first?.tenantId)
            statements += [PipelineStatement(loadMaterialsStatement(companyScope), binds),
                           PipelineStatement(loadContractsStatement(companyScope), binds),
                           PipelineStatement(loadPortfoliosStatement(companyScope), binds)]
        }
        let everything = try session.pipeline(statements)
        var files: [InspectionKey: InspectionFile] = [:]
        for main in everything.prefix(mainCount) {
            for index in 0..<main.rowCount {
                let row = main[index]
                let key = InspectionKey(tenantId: try row.requireInt64(0), id: try row.requireInt64(1))
                let company = Company(ref: try row.requireString(3), name: try row.requireString(4),
                                      legalRepresentative: try row.requireString(5), contactName: row.string(6) ?? "",
                                      contactPhone: row.string(7) ?? "", contactEmail: row.string(8) ?? "")
                let service = try StoreDecoding.service(row, from: 9)
                files[key] = InspectionFile(file: CompanyFile(company: company, materials: [], contracts: [], service: service),
                                            companyId: try row.requireInt64(2))
            }
        }
        let results = Array(everything.dropFirst(mainCount))
        var materials: [CompanyKey: [Material]] = [:]
        var contracts: [CompanyKey: [Contract]] = [:]
        var portfolios: [CompanyKey: [Service]] = [:]
        for (offset, result) in results.enumerated() {
            for index in 0..<result.rowCount {
                let row = result[index]
                let owner = CompanyKey(tenantId: try row.requireInt64(0), companyId: try row.requireInt64(1))
                switch offset % 3 {
                case 0:
                    guard let kind = MaterialKind(rawValue: try row.requireString(2)) else { continue }
                    materials[owner, default: []].append(Material(
                        kind: kind, number: try row.requireString(3), holderName: try row.requireString(4),
                        validFrom: try StoreDecoding.optionalDate(row, 5), validUntil: try StoreDecoding.optionalDate(row, 6),
                        fileChecksum: row.string(7)))
                case 1:
                    contracts[owner, default: []].append(Contract(
                        number: try row.requireString(2), amount: try StoreDecoding.money(row, 3),
                        startsOn: try StoreDecoding.date(row, 4), endsOn: try StoreDecoding.date(row, 5)))
                default:
                    portfolios[owner, default: []].append(try StoreDecoding.service(row, from: 2))
                }
            }
        }
        for (key, owner) in companyOf where files[key] != nil {
            files[key]?.file.materials = materials[owner] ?? []
            files[key]?.file.contracts = contracts[owner] ?? []
            if let services = portfolios[owner], !services.isEmpty { files[key]?.file.services = services }
        }
        return files
    }

    private struct CompanyKey: Hashable { let tenantId: Int64; let companyId: Int64 }

    /// $1 tenants, $2 inspections, $3 their companies, $4 their services (as claimed), $5 the one tenant
    /// (`perTenant`). An inspection whose company or service is gone has no row (and no file).
    private static func loadInspectedStatement(_ scope: TenantScope) -> String {
        """
        SELECT k.tenant_id, k.id, c.id, c.company_ref, c.name, c.legal_representative, c.contact_name, c.contact_phone,
               c.contact_email, s.service_ref, s.console_instance_id, s.service_type, s.region, s.expires_on,
               s.renewal_amount, s.renewal_method, s.contract_number, s.term_months
          FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[]) AS k(tenant_id, id, company_id, service_id)
          -- Each row by one probe of its primary key (LIMIT keeps them probes: as joins, the planner hashed a
          -- whole table on every load, or read a tenant's services by the company index).
          CROSS JOIN LATERAL (SELECT * FROM companies c WHERE c.tenant_id = k.tenant_id\(scope.filter("c"))
                                 AND c.id = k.company_id LIMIT 1) c
          CROSS JOIN LATERAL (SELECT * FROM services s WHERE s.tenant_id = k.tenant_id\(scope.filter("s"))
                                 AND s.id = k.service_id LIMIT 1) s
        """
    }

    // Each company's rows by a probe of its index, in id order (LATERAL keeps them probes: as joins, the
    // planner hashed the whole contracts and services tables on every load).

    private static func loadMaterialsStatement(_ scope: TenantScope) -> String {
        """
        SELECT m.tenant_id, m.company_id, m.kind, m.number, m.holder_name, m.valid_from, m.valid_until, m.file_checksum
          FROM unnest($1::bigint[], $2::bigint[]) AS k(tenant_id, company_id)
          CROSS JOIN LATERAL (SELECT * FROM materials m WHERE m.tenant_id = k.tenant_id\(scope.filter("m"))
                                 AND m.company_id = k.company_id ORDER BY m.id) m
        """
    }

    private static func loadContractsStatement(_ scope: TenantScope) -> String {
        """
        SELECT c.tenant_id, c.company_id, c.contract_number, c.amount, c.starts_on, c.ends_on
          FROM unnest($1::bigint[], $2::bigint[]) AS k(tenant_id, company_id)
          CROSS JOIN LATERAL (SELECT * FROM contracts c WHERE c.tenant_id = k.tenant_id\(scope.filter("c"))
                                 AND c.company_id = k.company_id ORDER BY c.id) c
        """
    }

    /// Every service of each company: a contract's amount is checked against all the services under it.
    private static func loadPortfoliosStatement(_ scope: TenantScope) -> String {
        """
        SELECT s.tenant_id, s.company_id, s.service_ref, s.console_instance_id, s.service_type, s.region, s.expires_on,
               s.renewal_amount, s.renewal_method, s.contract_number, s.term_months
          FROM unnest($1::bigint[], $2::bigint[]) AS k(tenant_id, company_id)
          CROSS JOIN LATERAL (SELECT * FROM services s WHERE s.tenant_id = k.tenant_id\(scope.filter("s"))
                                 AND s.company_id = k.company_id ORDER BY s.id) s
        """
    }
}
