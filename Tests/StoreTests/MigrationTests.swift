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

    /// Checksums are SHA-256 (swift-crypto) of the file's text: the published vectors.
    @Test func checksumsAreSHA256() {
        #expect(Migration(file: "0009_empty.sql", sql: "").checksum == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Migration(file: "0009_abc.sql", sql: "abc").checksum == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Migration(file: "0009_a.sql", sql: String(repeating: "a", count: 1000)).checksum
                == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
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
