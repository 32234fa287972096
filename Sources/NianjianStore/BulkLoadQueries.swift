import NianjianDomain
import NianjianPostgres

/// Loading many company files at once (the demo, benchmarks, tests): four set-based statements per
/// batch, whatever its size. Operators import spreadsheets through `ImportQueries` instead.
public enum BulkLoadQueries {
    /// The tenant with this slug, created when missing. Returns its id.
    public static func ensureTenant(_ session: PostgresSession, slug: String, name: String, weight: Int = 1) throws -> Int64 {
        try session.query("""
            INSERT INTO tenants (slug, name, weight) VALUES ($1, $2, $3)
            ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name
            RETURNING id
            """, [.text(slug), .text(name), .init(weight)])[0].requireInt64(0)
    }

    /// Inserts companies with their contracts, materials and every service of their portfolios (refs must be
    /// new to the tenant).
    public static func insertCompanyFiles(_ session: PostgresSession, tenantId: Int64, files: [CompanyFile]) throws {
        guard !files.isEmpty else { return }
        let tenant = PostgresBind.init(tenantId)
        try session.transaction {
            try session.query("""
                INSERT INTO companies (tenant_id, company_ref, name, legal_representative, contact_name, contact_phone, contact_email)
                SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
                """, [tenant, .textArray(files.map(\.company.ref)), .textArray(files.map(\.company.name)),
                      .textArray(files.map(\.company.legalRepresentative)), .textArray(files.map(\.company.contactName)),
                      .textArray(files.map(\.company.contactPhone)), .textArray(files.map(\.company.contactEmail))])
            let contracts = files.flatMap { file in file.contracts.map { (file.company.ref, $0) } }
            try session.query("""
                INSERT INTO contracts (tenant_id, company_id, contract_number, amount, starts_on, ends_on)
                SELECT $1, c.id, u.number, u.amount, u.starts_on, u.ends_on
                  FROM unnest($2::text[], $3::text[], $4::numeric[], $5::date[], $6::date[]) AS u(ref, number, amount, starts_on, ends_on)
                  JOIN companies c ON c.tenant_id = $1 AND c.company_ref = u.ref
                """, [tenant, .textArray(contracts.map(\.0)), .textArray(contracts.map(\.1.number)),
                      .textArray(contracts.map(\.1.amount.yuanString)), .textArray(contracts.map(\.1.startsOn.description)),
                      .textArray(contracts.map(\.1.endsOn.description))])
            let materials = files.flatMap { file in file.materials.map { (file.company.ref, $0) } }
            try session.query("""
                INSERT INTO materials (tenant_id, company_id, kind, number, holder_name, valid_from, valid_until)
                SELECT $1, c.id, u.kind, u.number, u.holder, u.valid_from, u.valid_until
                  FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::date[], $7::date[])
                       AS u(ref, kind, number, holder, valid_from, valid_until)
                  JOIN companies c ON c.tenant_id = $1 AND c.company_ref = u.ref
                ON CONFLICT DO NOTHING
                """, [tenant, .textArray(materials.map(\.0)), .textArray(materials.map(\.1.kind.rawValue)),
                      .textArray(materials.map(\.1.number)), .textArray(materials.map(\.1.holderName)),
                      .textArray(materials.map { $0.1.validFrom?.description }), .textArray(materials.map { $0.1.validUntil?.description })])
            let owned = files.flatMap { file in file.services.map { (ref: file.company.ref, service: $0) } }
            let services = owned.map(\.service)
            try session.query("""
                INSERT INTO services (tenant_id, company_id, service_ref, console_instance_id, service_type, region, expires_on,
                                      renewal_amount, renewal_method, contract_number, term_months)
                SELECT $1, c.id, u.service_ref, u.instance, u.type, u.region, u.expires_on, u.amount, u.method, u.contract, u.term
                  FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::date[], $8::numeric[], $9::text[],
                              $10::text[], $11::int[])
                       AS u(ref, service_ref, instance, type, region, expires_on, amount, method, contract, term)
                  JOIN companies c ON c.tenant_id = $1 AND c.company_ref = u.ref
                """, [tenant, .textArray(owned.map(\.ref)), .textArray(services.map(\.ref)),
                      .textArray(services.map(\.consoleInstanceId)), .textArray(services.map(\.serviceType)),
                      .textArray(services.map(\.region)), .textArray(services.map(\.expiresOn.description)),
                      .textArray(services.map(\.renewalAmount.yuanString)), .textArray(services.map { $0.renewalMethod?.rawValue }),
                      .textArray(services.map(\.contractNumber)), .intArray(services.map(\.termMonths))])
        }
    }
}
