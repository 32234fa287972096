#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import NianjianDomain
import NianjianSpreadsheet
import NianjianOperations
import NianjianPostgres
import NianjianStore
import NianjianTestSupport
import Testing

/// A fresh database with helpers for operations tests.
final class OpsFixture {
    let handle: TestDatabaseHandle
    let database: Database

    init() throws {
        handle = try TestDatabase.fresh()
        database = handle.open()
    }

    func close() {
        database.close()
        handle.drop()
    }

    func tenant(_ slug: String, name: String? = nil) throws -> TenantRecord {
        try TenantAdmin.add(database: database, slug: slug, name: name ?? "Agency \(slug)")
    }

    /// Imports and expects success.
    @discardableResult
    func importOK(_ tenant: TenantRecord, _ files: [String: [UInt8]], dryRun: Bool = false) throws -> ImportSummary {
        switch try Importer.importFiles(database: database, tenant: tenant, files: files, source: "test", dryRun: dryRun) {
        case .success(let summary): return summary
        case .failure(let failure):
            Issue.record("import refused: \(failure)")
            throw failure
        }
    }

    /// Imports and expects refusal; returns the problems as `file:line:column: message` (English).
    func importRefused(_ tenant: TenantRecord, _ files: [String: [UInt8]]) throws -> [String] {
        switch try Importer.importFiles(database: database, tenant: tenant, files: files, source: "test", dryRun: false) {
        case .success:
            Issue.record("import accepted, expected a refusal")
            return []
        case .failure(let failure):
            return failure.problems.map { $0.description(in: .en) }
        }
    }

    /// Row counts of every tenant-owned table (as the owner: all tenants).
    func counts() throws -> [String: Int] {
        try database.runBlocking { session in
            var out: [String: Int] = [:]
            for table in ["tenants", "companies", "contracts", "services", "materials", "inspections", "inspection_events",
                          "import_batches", "service_renewals"] {
                out[table] = try session.query("SELECT count(*) FROM \(table)")[0].requireInt(0)
            }
            return out
        }
    }

    func scalar(_ sql: String, _ binds: [PostgresBind] = []) throws -> String? {
        try database.runBlocking { try $0.query(sql, binds)[0].string(0) }
    }

    /// Inserts an inspection directly (as the owner) for `serviceRef` of `tenant`.
    @discardableResult
    func inspection(_ tenant: TenantRecord, _ serviceRef: String, state: String, cycle: Int = 2026, findings: String = "[]",
                    reason: String? = nil, lastError: String? = nil, attempts: Int = 0, submittedAt: String? = nil,
                    decidedAt: String? = nil, renewedUntil: String? = nil, amount: String? = nil, ticket: String? = nil,
                    leased: Bool = false) throws -> Int64 {
        try database.runBlocking { session in
            let result = try session.query("""
                WITH made AS (
                    INSERT INTO inspections (tenant_id, service_id, company_id, cycle, due_on, state, attempts, findings,
                                             rejection_reason, last_error, submitted_at, decided_at, renewed_until, renewal_amount,
                                             console_ticket)
                    SELECT s.tenant_id, s.id, s.company_id, $3::int, s.expires_on, $4, $5::int, $6::jsonb, $7, $8,
                           $9::timestamptz, $10::timestamptz, $11::date, $12::numeric, $13
                      FROM services s WHERE s.tenant_id = $1::bigint AND s.service_ref = $2
                    RETURNING tenant_id, id
                ),
                leased AS (
                    INSERT INTO inspection_leases (tenant_id, inspection_id, owner, token, expires_at)
                    SELECT tenant_id, id, 'other-runner', 1, now() + interval '1 hour' FROM made WHERE $14::bool
                )
                SELECT id FROM made
                """, [.init(tenant.id), .text(serviceRef), .init(cycle), .text(state), .init(attempts), .text(findings),
                      .init(reason), .init(lastError), .init(submittedAt), .init(decidedAt), .init(renewedUntil), .init(amount),
                      .init(ticket), .init(leased)])
            return try result[0].requireInt64(0)
        }
    }
}

/// A small valid set of the four files for a tenant.
enum Sheets {
    static let companies = """
    company_ref,name,legal_representative,contact_name,contact_phone,contact_email
    C001,北京云帆科技有限公司,张伟,李娜,13800138000,lina@example.com
    C002,"Shanghai Star, Ltd.",王芳,,,
    C003,<script>alert(1)</script>,赵六,,,

    """

    static let contracts = """
    company_ref,contract_number,amount,starts_on,ends_on
    C001,HT-1,1234.50,2025-01-01,2026-12-31
    C002,HT-2,800,2025-03-01,2027-02-28
    C003,HT-3,99.90,2025-03-01,2027-02-28

    """

    static let services = """
    company_ref,service_ref,console_instance_id,service_type,region,expires_on,renewal_amount,renewal_method,contract_number
    C001,S001,i-1,ECS,cn-hangzhou,2026-03-31,1234.50,auto,HT-1
    C001,S002,i-2,ECS,cn-hangzhou,2026-04-10,1234.50,auto,HT-1
    C002,S003,i-3,RDS,cn-shanghai,2026-03-20,800.00,manual,HT-2
    C002,S004,i-4,RDS,cn-shanghai,2026-04-20,800.00,manual,HT-2
    C003,S005,i-5,OSS,cn-beijing,2026-03-25,99.90,auto,HT-3
    C003,S006,i-6,OSS,cn-beijing,2026-06-30,99.90,auto,HT-3
    C001,S007,i-7,SLB,cn-hangzhou,2026-04-30,1234.50,auto,HT-1

    """

    static let materials = """
    company_ref,kind,number,holder_name,valid_from,valid_until
    C001,business_license,91110108MA01ABCD1X,北京云帆科技有限公司,2020-01-01,
    C001,id_card,110101199003071234,张伟,2019-05-01,2039-05-01
    C002,passport,E12345678,王芳,,2030-01-01
    C003,business_license,91310000MA1FL0000X,<script>alert(1)</script>,2020-01-01,

    """

    static var texts: [String: String] {
        ["companies.csv": companies, "contracts.csv": contracts, "services.csv": services, "materials.csv": materials]
    }

    static var files: [String: [UInt8]] { texts.mapValues { Array($0.utf8) } }

    static func with(_ name: String, _ text: String) -> [String: [UInt8]] {
        var files = self.files
        files[name] = Array(text.utf8)
        return files
    }

    /// The good set with `old` replaced by `new` in one file.
    static func replacing(_ name: String, _ old: String, _ new: String) -> [String: [UInt8]] {
        with(name, (texts[name] ?? "").replacingOccurrences(of: old, with: new))
    }
}

/// Text in another encoding (the spreadsheet module's iconv transcoding).
func encode(_ text: String, as encoding: String) -> [UInt8] {
    TextDecoding.encode(text, as: encoding) ?? []
}

/// `file:line:column: ` at the start of a problem.
func isLocated(_ problem: String, file: String) -> Bool {
    guard problem.hasPrefix(file + ":") else { return false }
    let parts = problem.dropFirst(file.count + 1).split(separator: ":", maxSplits: 2)
    return parts.count == 3 && Int(parts[0]) != nil && Int(parts[1]) != nil
}
