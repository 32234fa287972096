import Foundation
import NianjianDomain
import NianjianOperations
import NianjianStore
import Testing

@Suite("import")
struct ImportTests {
    @Test func goodSetImportsAndReimportCountsUnchanged() throws {
        let fixture = try OpsFixture()
        defer { fixture.close() }
        let tenant = try fixture.tenant("acme")
        let summary = try fixture.importOK(tenant, Sheets.files)
        #expect(summary.files["companies.csv"]?.created == 3)
        #expect(summary.files["contracts.csv"]?.created == 3)
        #expect(summary.files["services.csv"]?.created == 7)
        #expect(summary.files["materials.csv"]?.created == 4)
        #expect(summary.batchId != nil)
        let counts = try fixture.counts()
        #expect(counts["companies"] == 3 && counts["contracts"] == 3 && counts["services"] == 7 && counts["materials"] == 4)
        #expect(try fixture.scalar("SELECT amount::text FROM contracts WHERE contract_number = 'HT-1'") == "1234.50")
        #expect(try fixture.scalar("SELECT name FROM companies WHERE company_ref = 'C002'") == "Shanghai Star, Ltd.")
        #expect(try fixture.scalar("SELECT valid_until IS NULL FROM materials WHERE number = '91110108MA01ABCD1X'") == "t")

        let again = try fixture.importOK(tenant, Sheets.files)
        #expect(again.files["companies.csv"]?.unchanged == 3)
        #expect(again.files["services.csv"]?.unchanged == 7)
        #expect(again.totalChanged == 0)
        #expect(try fixture.counts()["companies"] == 3)
        #expect(try fixture.counts()["import_batches"] == 2)
    }

    @Test func editedSpreadsheetUpdatesByRef() throws {
        let fixture = try OpsFixture()
        defer { fixture.close() }
        let tenant = try fixture.tenant("acme")
        try fixture.importOK(tenant, Sheets.files)
        var files = Sheets.replacing("companies.csv", "李娜,13800138000", "王强,13900139000")
        files["services.csv"] = Array((Sheets.services.replacingOccurrences(of: "2026-06-30,99.90", with: "2026-07-31,120.00")
            + "C002,S008,i-8,CDN,cn-shanghai,2026-09-01,800.00,manual,HT-2\n").utf8)
        let summary = try fixture.importOK(tenant, files)
        #expect(summary.files["companies.csv"]?.updated == 1)
        #expect(summary.files["companies.csv"]?.unchanged == 2)
        #expect(summary.files["services.csv"]?.updated == 1)
        #expect(summary.files["services.csv"]?.created == 1)
        #expect(summary.files["services.csv"]?.unchanged == 6)
        let update = summary.changes.first { $0.key == "S006" }
        #expect(update?.fields == ["expires_on", "renewal_amount"])
        #expect(try fixture.scalar("SELECT contact_name FROM companies WHERE company_ref = 'C001'") == "王强")
        #expect(try fixture.scalar("SELECT renewal_amount::text FROM services WHERE service_ref = 'S006'") == "120.00")
        #expect(try fixture.counts()["services"] == 8)
        // What changed is recorded.
        let changes = try fixture.scalar("SELECT changes::text FROM import_batches ORDER BY id DESC LIMIT 1") ?? ""
        #expect(changes.contains("S006") && changes.contains("S008") && changes.contains("contact_name"))
    }

    @Test func dryRunWritesNothing() throws {
        let fixture = try OpsFixture()
        defer { fixture.close() }
        let tenant = try fixture.tenant("acme")
        let before = try fixture.counts()
        let summary = try fixture.importOK(tenant, Sheets.files, dryRun: true)
        #expect(summary.files["services.csv"]?.created == 7)
        #expect(summary.batchId == nil)
        #expect(try fixture.counts() == before)
    }

    @Test func everyKindOfBadRowIsRefusedAndNothingChanges() throws {
        let fixture = try OpsFixture()
        defer { fixture.close() }
        let tenant = try fixture.tenant("acme")
        let other = try fixture.tenant("other")
        try fixture.importOK(tenant, Sheets.files)
        // The other tenant's company may not be used by this tenant.
        try fixture.importOK(other, ["companies.csv": Array(Sheets.companies.replacingOccurrences(of: "C003", with: "X009").utf8)])
        let before = try fixture.counts()
        let cases: [(String, [String: [UInt8]], String)] = [
            ("unknown company", Sheets.replacing("services.csv", "C003,S006", "C999,S006"), "services.csv"),
            ("company of another tenant", Sheets.replacing("materials.csv", "C002,passport", "X009,passport"), "materials.csv"),
            ("bad date", Sheets.replacing("contracts.csv", "2025-01-01", "2025-13-01"), "contracts.csv"),
            ("bad amount", Sheets.replacing("contracts.csv", "1234.50,2025", "12.345,2025"), "contracts.csv"),
            ("unknown kind", Sheets.replacing("materials.csv", "C002,passport", "C002,driving_licence"), "materials.csv"),
            ("duplicate key", Sheets.with("companies.csv", Sheets.companies + "C001,Again,张三,,,\n"), "companies.csv"),
            ("wrong encoding", { var f = Sheets.files; f["companies.csv"] = Array(Sheets.companies.utf8) + [0xFF, 0xFF, 0x0A]; return f }(),
             "companies.csv"),
            ("service moves company", Sheets.replacing("services.csv", "C003,S006", "C002,S006"), "services.csv"),
        ]
        for (label, files, file) in cases {
            let problems = try fixture.importRefused(tenant, files)
            #expect(!problems.isEmpty, "\(label)")
            #expect(problems.contains { isLocated($0, file: file) || $0.hasPrefix(file + ": ") }, "\(label): \(problems)")
            #expect(try fixture.counts() == before, "\(label) changed the database")
        }
        // A good row next to a bad one is not written either.
        let mixed = Sheets.with("companies.csv", Sheets.companies + "C010,New Co,某人,,,bad-email\n")
        #expect(try fixture.importRefused(tenant, mixed).contains { $0.hasPrefix("companies.csv:5:") })
        #expect(try fixture.scalar("SELECT count(*) FROM companies WHERE company_ref = 'C010'") == "0")
    }

    @Test func gb18030AndBOMFilesImport() throws {
        let fixture = try OpsFixture()
        defer { fixture.close() }
        let tenant = try fixture.tenant("acme")
        var files = Sheets.files
        files["companies.csv"] = encode(Sheets.companies.replacingOccurrences(of: "\n", with: "\r\n"), as: "GB18030")
        files["materials.csv"] = [0xEF, 0xBB, 0xBF] + Array(Sheets.materials.utf8)
        #expect(files["companies.csv"]?.isEmpty == false)
        let summary = try fixture.importOK(tenant, files)
        #expect(summary.encodings["companies.csv"] == "GB18030")
        #expect(summary.files["companies.csv"]?.created == 3)
        #expect(summary.files["materials.csv"]?.created == 4)
        #expect(try fixture.scalar("SELECT name FROM companies WHERE company_ref = 'C001'") == "北京云帆科技有限公司")
        #expect(try fixture.scalar("SELECT legal_representative FROM companies WHERE company_ref = 'C002'") == "王芳")
    }
}
