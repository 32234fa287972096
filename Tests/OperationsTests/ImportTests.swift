import Foundation
import NianjianDomain
import NianjianOperations
import NianjianPostgres
import NianjianStore
import NianjianTestSupport
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

    // MARK: - All or nothing, whatever fails while writing

    /// A digest of one tenant's imported rows (as the owner), to compare before and after.
    static func fingerprint(_ fixture: OpsFixture, _ tenant: TenantRecord) throws -> String {
        try fixture.database.runBlocking { session in
            var parts: [String] = []
            for table in ["companies", "contracts", "services", "materials", "import_batches"] {
                parts.append(try session.query("""
                    SELECT count(*) || ':' || md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM \(table) t WHERE tenant_id = $1
                    """, [.init(tenant.id)])[0].requireString(0))
            }
            return parts.joined(separator: " ")
        }
    }

    /// A tenant whose id no other test's tenant has: imports lock per tenant id across the whole cluster
    /// (an advisory lock), and the tests below hold that lock for a while.
    static func lonelyTenant(_ fixture: OpsFixture, _ slug: String) throws -> TenantRecord {
        let id = Int64.random(in: 1_000_000...1_000_000_000)
        try fixture.database.runBlocking { session in
            _ = try session.query("SELECT setval(pg_get_serial_sequence('tenants', 'id'), $1::bigint)", [.init(id)])
        }
        return try fixture.tenant(slug)
    }

    static let emptyFingerprint = Array(repeating: "0:" + "d41d8cd98f00b204e9800998ecf8427e", count: 5).joined(separator: " ")

    /// A failure on the last table the import writes (a trigger on import_batches, a constraint on
    /// materials, both made by the test): the rows already written in that import are gone too, for a first
    /// import and for a re-import that updates.
    @Test func aFailureWhileWritingTheLastTableLeavesNothing() throws {
        let fixture = try OpsFixture()
        defer { fixture.close() }
        let tenant = try Self.lonelyTenant(fixture, "acme")
        try fixture.importOK(tenant, Sheets.files)
        let before = try Self.fingerprint(fixture, tenant)
        let fresh = try Self.lonelyTenant(fixture, "fresh")
        try fixture.database.runBlocking { session in
            try session.executeScript("""
                CREATE FUNCTION nj_test_refuse_batch() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'injected failure on the last table' USING ERRCODE = 'check_violation'; END $$;
                CREATE TRIGGER nj_test_refuse_batch BEFORE INSERT ON import_batches FOR EACH ROW EXECUTE FUNCTION nj_test_refuse_batch();
                """)
        }
        let edited = Sheets.replacing("companies.csv", "李娜,13800138000", "王强,13900139000")
        for (target, files) in [(tenant, edited), (fresh, Sheets.files)] {
            #expect(throws: PostgresError.self, "\(target.slug)") {
                try Importer.importFiles(database: fixture.database, tenant: target, files: files, source: "test", dryRun: false)
            }
        }
        #expect(try Self.fingerprint(fixture, tenant) == before, "the failed re-import left updates behind")
        #expect(try fixture.scalar("SELECT contact_name FROM companies WHERE tenant_id = $1 AND company_ref = 'C001'", [.init(tenant.id)]) == "李娜")
        #expect(try Self.fingerprint(fixture, fresh) == Self.emptyFingerprint, "the failed first import left rows behind")

        // A constraint violation on materials, after companies, contracts and services were written.
        try fixture.database.runBlocking { session in
            try session.executeScript("""
                DROP TRIGGER nj_test_refuse_batch ON import_batches;
                ALTER TABLE materials ADD CONSTRAINT nj_test_no_passport CHECK (kind <> 'passport') NOT VALID;
                """)
        }
        do {
            _ = try Importer.importFiles(database: fixture.database, tenant: fresh, files: Sheets.files, source: "test", dryRun: false)
            Issue.record("the import passed a constraint on materials")
        } catch let error as PostgresError {
            #expect(error.sqlState == "23514", "\(error)")
        }
        #expect(try Self.fingerprint(fixture, fresh) == Self.emptyFingerprint, "the import left rows behind after a constraint violation")
        // Without the constraint the same import goes through: the failure was the injected one.
        try fixture.database.runBlocking { try $0.executeScript("ALTER TABLE materials DROP CONSTRAINT nj_test_no_passport") }
        #expect(try fixture.importOK(fresh, Sheets.files).files["materials.csv"]?.created == 4)
    }

    /// The connection is cut (pg_terminate_backend from another session) while the import writes its last
    /// data table, held there by a trigger the test made: nothing is written, and the next import works.
    @Test func aConnectionCutMidImportLeavesNothing() async throws {
        let fixture = try OpsFixture()
        defer { fixture.close() }
        let tenant = try Self.lonelyTenant(fixture, "acme")
        try fixture.database.runBlocking { session in
            try session.executeScript("""
                CREATE FUNCTION nj_test_hold() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN PERFORM pg_sleep(300); RETURN NULL; END $$;
                CREATE TRIGGER nj_test_hold AFTER INSERT ON materials FOR EACH STATEMENT EXECUTE FUNCTION nj_test_hold();
                """)
        }
        let database = fixture.database
        async let outcome: Result<ImportSummary, any Error> = offThePool {
            Result { try Importer.importFiles(database: database, tenant: tenant, files: Sheets.files, source: "cut", dryRun: false).get() }
        }
        let killer = try PostgresConnection.connectBlocking(fixture.handle.connectionString, label: "killer")
        defer { killer.close() }
        let held = try await waitUntil(timeout: 90) {
            try killer.runBlocking { try $0.query("""
                SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep'
                """)[0].requireInt(0) } == 1
        }
        #expect(held, "the import never reached the trigger on materials")
        let killed = try killer.runBlocking { session in
            try session.query("""
                SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
                 WHERE datname = current_database() AND wait_event = 'PgSleep'
                """)[0].requireInt(0)
        }
        #expect(killed == 1)
        switch try await outcome {
        case .success: Issue.record("the import succeeded although its connection was cut")
        case .failure(let error): #expect((error as? PostgresError)?.isConnectionLoss == true, "\(error)")
        }
        #expect(try Self.fingerprint(fixture, tenant) == Self.emptyFingerprint, "a cut import left rows behind")
        try fixture.database.runBlocking { try $0.executeScript("DROP TRIGGER nj_test_hold ON materials") }
        #expect(try fixture.importOK(tenant, Sheets.files).files["companies.csv"]?.created == 3)
    }

    /// Two imports of one tenant at once: the second waits for the first (held in its transaction by a lock
    /// the test owns) and then sees its rows; when the first fails, the second sees none of them.
    @Test func twoImportsOfOneTenantAtOnceAreAllOrNothing() async throws {
        let fixture = try OpsFixture()
        defer { fixture.close() }
        let tenant = try Self.lonelyTenant(fixture, "acme")
        try fixture.database.runBlocking { session in
            try session.executeScript("""
                CREATE FUNCTION nj_test_gate() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF NEW.source IN ('first', 'doomed') THEN PERFORM pg_advisory_xact_lock(4242); END IF;
                    IF NEW.source = 'doomed' THEN RAISE EXCEPTION 'injected failure' USING ERRCODE = 'check_violation'; END IF;
                    RETURN NEW;
                END $$;
                CREATE TRIGGER nj_test_gate BEFORE INSERT ON import_batches FOR EACH ROW EXECUTE FUNCTION nj_test_gate();
                """)
        }
        let gate = try PostgresConnection.connectBlocking(fixture.handle.connectionString, label: "gate")
        defer { gate.close() }
        let database = fixture.database
        let edited = Sheets.replacing("companies.csv", "李娜,13800138000", "王强,13900139000")
        /// Two imports; the first is held at the gate until both are waiting on a lock.
        func race(first source: String, then second: [String: [UInt8]]) async throws
            -> (Result<ImportSummary, any Error>, Result<ImportSummary, any Error>) {
            try gate.runBlocking { _ = try $0.query("SELECT pg_advisory_lock(4242)") }
            async let a: Result<ImportSummary, any Error> = offThePool {
                Result { try Importer.importFiles(database: database, tenant: tenant, files: Sheets.files, source: source, dryRun: false).get() }
            }
            let firstHeld = try await waitUntil(timeout: 90) { try Self.lockWaiters(gate) == 1 }
            async let b: Result<ImportSummary, any Error> = offThePool {
                Result { try Importer.importFiles(database: database, tenant: tenant, files: second, source: "second", dryRun: false).get() }
            }
            let bothWaiting = try await waitUntil(timeout: 90) { try Self.lockWaiters(gate) == 2 }
            #expect(firstHeld && bothWaiting, "the imports did not overlap")
            try gate.runBlocking { _ = try $0.query("SELECT pg_advisory_unlock(4242)") }
            return (try await a, try await b)
        }

        let (first, second) = try await race(first: "first", then: edited)
        let one = try first.get(), two = try second.get()
        #expect((one.batchId ?? 0) < (two.batchId ?? 0))
        // The second read the first's committed rows: it updated one company and created nothing.
        #expect(two.files["companies.csv"]?.created == 0 && two.files["companies.csv"]?.updated == 1, "\(two.files)")
        #expect(two.files["services.csv"]?.created == 0 && two.files["services.csv"]?.unchanged == 7)
        #expect(try fixture.scalar("SELECT contact_name FROM companies WHERE company_ref = 'C001'") == "王强")
        #expect(try fixture.counts()["companies"] == 3 && fixture.counts()["import_batches"] == 2)

        // The first fails after the second started waiting: the second sees the state before both.
        let reverted = Sheets.files
        let (doomed, after) = try await race(first: "doomed", then: reverted)
        #expect((try? doomed.get()) == nil, "the doomed import succeeded")
        let three = try after.get()
        // The doomed import wrote the original sheet over the edited one; had any of that survived, the second
        // (the same sheet) would have found C001 unchanged.
        #expect(three.files["companies.csv"]?.updated == 1 && three.files["companies.csv"]?.unchanged == 2, "\(three.files)")
        #expect(try fixture.scalar("SELECT contact_name FROM companies WHERE company_ref = 'C001'") == "李娜")
        #expect(try fixture.counts()["import_batches"] == 3)
        #expect(try fixture.scalar("SELECT count(*) FROM import_batches WHERE source = 'doomed'") == "0")
    }

    /// Backends of this database waiting on an advisory lock.
    static func lockWaiters(_ connection: PostgresConnection) throws -> Int {
        try connection.runBlocking { session in
            try session.query("""
                SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory'
                """)[0].requireInt(0)
        }
    }
}
