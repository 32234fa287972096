import Foundation
import NianjianPostgres
@testable import NianjianStore
import NianjianTestSupport
import Testing

@Suite("migrations")
struct MigrationTests {
    /// The SQL compiled into the binary is the SQL in Migrations/.
    @Test func embeddedMigrationsMatchFiles() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let folder = root.appendingPathComponent("Migrations")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }.sorted()
        #expect(files == Migration.embedded.map(\.file), "run scripts/embed-migrations")
        for migration in Migration.embedded {
            var text = try String(contentsOf: folder.appendingPathComponent(migration.file), encoding: .utf8)
            while text.hasSuffix("\n") { text.removeLast() }
            #expect(text == migration.sql, "\(migration.file) differs from the embedded copy: run scripts/embed-migrations")
        }
    }

    @Test func sha256MatchesKnownVectors() {
        #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(String(repeating: "a", count: 1000)) == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }

    @Test func migrateTwiceIsANoOp() async throws {
        let database = try TestDatabase.fresh()
        defer { database.drop() }
        let db = database.open()
        defer { db.close() }
        // The template is migrated already.
        let applied = try db.migrate()
        #expect(applied.isEmpty)
        let again = try db.migrate()
        #expect(again.isEmpty)
        let statuses = try await db.run { try Migrator().status($0) }
        #expect(statuses.allSatisfy { $0.state == .applied })
        #expect(statuses.count == Migration.embedded.count)
        try db.requireCurrentSchema()
    }

    @Test func changedAppliedFileIsRefused() async throws {
        let database = try TestDatabase.fresh()
        defer { database.drop() }
        let db = database.open()
        defer { db.close() }
        guard let first = Migration.embedded.first else { Issue.record("no migrations"); return }
        let edited = Migrator(migrations: [Migration(file: first.file, sql: first.sql + "\n-- edited later")] + Migration.embedded.dropFirst())
        do {
            _ = try await db.run { try edited.migrate($0) }
            Issue.record("an edited applied migration was accepted")
        } catch let error as MigrationError {
            #expect(error.description.contains(first.file))
            #expect(error.description.contains("changed after it was applied"))
        }
        let statuses = try await db.run { try edited.status($0) }
        #expect(statuses.first?.state == .changed)
    }

    @Test func concurrentMigrateLeavesOneCorrectSchema() async throws {
        // An empty database (not from the template) migrated by several sessions at once.
        let database = try TestDatabase.fresh()
        defer { database.drop() }
        let empty = "\(database.name)_empty"
        let admin = try await PostgresConnection.connect(database.connectionString)
        try await admin.run { try $0.executeScript("CREATE DATABASE \(quoteIdentifier(empty))") }
        defer { _ = try? admin.runBlocking { try $0.executeScript("DROP DATABASE IF EXISTS \(quoteIdentifier(empty)) WITH (FORCE)") }; admin.close() }
        let target = database.connectionString.database(empty)
        let appliedCounts = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<4 {
                group.addTask {
                    let connection = try await PostgresConnection.connect(target, label: "migrate-\(index)")
                    defer { connection.close() }
                    return try await connection.run { try Migrator().migrate($0).count }
                }
            }
            var counts: [Int] = []
            for try await count in group { counts.append(count) }
            return counts
        }
        #expect(appliedCounts.reduce(0, +) == Migration.embedded.count)
        let check = try await PostgresConnection.connect(target)
        defer { check.close() }
        let ledger = try await check.run { try $0.query("SELECT count(*) FROM nianjian_migrations")[0].requireInt(0) }
        #expect(ledger == Migration.embedded.count)
        let tables = try await check.run {
            try $0.query("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN ('tenants','companies','inspections','inspection_events','runs')")[0].requireInt(0)
        }
        #expect(tables == 5)
    }
}

@Suite("row-level security")
struct RowLevelSecurityTests {
    @Test func tenantScopedSessionSeesAndChangesOnlyItsRows() async throws {
        let database = try TestDatabase.fresh()
        defer { database.drop() }
        let db = database.open()
        defer { db.close() }
        let (a, b) = try await db.run { session -> (Int64, Int64) in
            let a = try session.query("INSERT INTO tenants (slug, name) VALUES ('agency-a', 'A') RETURNING id")[0].requireInt64(0)
            let b = try session.query("INSERT INTO tenants (slug, name) VALUES ('agency-b', 'B') RETURNING id")[0].requireInt64(0)
            for (tenant, prefix) in [(a, "A"), (b, "B")] {
                try session.query("INSERT INTO companies (tenant_id, company_ref, name, legal_representative) VALUES ($1, $2, $3, '张三')",
                                  [.init(tenant), .text("\(prefix)1"), .text("公司\(prefix)")])
            }
            return (a, b)
        }
        let seen = try await db.run { session in
            try session.asTenant(a) { try session.query("SELECT company_ref FROM companies ORDER BY 1").rows.compactMap { $0.string(0) } }
        }
        #expect(seen == ["A1"])
        // Explicitly asking for B's rows finds nothing; updating or deleting them changes nothing.
        let (selected, updated, deleted) = try await db.run { session in
            try session.asTenant(a) {
                (try session.query("SELECT count(*) FROM companies WHERE tenant_id = $1", [.init(b)])[0].requireInt(0),
                 try session.query("UPDATE companies SET name = 'hacked' WHERE tenant_id = $1", [.init(b)]).affectedRows,
                 try session.query("DELETE FROM companies WHERE tenant_id = $1", [.init(b)]).affectedRows)
            }
        }
        #expect(selected == 0 && updated == 0 && deleted == 0)
        // Writing a row for B is refused by the policy's check.
        await #expect {
            try await db.run { session in
                try session.asTenant(a) {
                    try session.query("INSERT INTO companies (tenant_id, company_ref, name, legal_representative) VALUES ($1, 'X', 'x', 'x')", [.init(b)])
                }
            }
        } throws: { ($0 as? PostgresError)?.sqlState == "42501" }
        // The tenant role cannot switch row-level security off. (The session user could SET ROLE back; no
        // user input ever reaches SQL text, every value is bound, so no statement can ask it to.)
        for attempt in ["ALTER TABLE companies DISABLE ROW LEVEL SECURITY", "SET LOCAL row_security = off; SELECT * FROM companies",
                        "ALTER TABLE companies NO FORCE ROW LEVEL SECURITY", "DROP POLICY tenant_isolation ON companies"] {
            await #expect(throws: PostgresError.self, "\(attempt)") {
                try await db.run { session in try session.asTenant(a) { try session.executeScript(attempt) } }
            }
        }
        let bName = try await db.run { try $0.query("SELECT name FROM companies WHERE tenant_id = $1", [.init(b)])[0].string(0) }
        #expect(bName == "公司B")
    }
}
