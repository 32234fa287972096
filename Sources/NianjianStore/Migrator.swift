import Crypto
import NianjianPostgres

/// One versioned SQL file of `Migrations/`, compiled into the binary.
public struct Migration: Sendable, Hashable {
    public let version: Int
    public let name: String
    public let file: String
    public let sql: String
    public let checksum: String

    public init(file: String, sql: String) {
        self.file = file
        self.sql = sql
        self.version = Int(file.prefix(4)) ?? 0
        self.name = String(file.dropFirst(5).dropLast(4))
        self.checksum = SHA256.hash(data: Array(sql.utf8)).map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]])
        }.joined()
    }

    /// The migrations shipped with this binary, in order.
    public static let embedded: [Migration] = EmbeddedMigrations.all
        .map { Migration(file: $0.file, sql: $0.sql) }
        .sorted { $0.version < $1.version }
}

public struct MigrationStatus: Sendable, Hashable {
    public enum State: String, Sendable { case applied, pending, changed, unknown }
    public let version: Int
    public let name: String
    public let state: State
    /// When it was applied (ISO text), for applied ones.
    public let appliedAt: String?
}

public struct MigrationError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// Applies `Migrations/` in order, each in its own transaction, recorded with its checksum; refuses a
/// database whose applied files changed. A transaction-level advisory lock makes concurrent calls safe.
public struct Migrator: Sendable {
    public let migrations: [Migration]
    /// Arbitrary constant naming the lock ("njmigrat").
    static let advisoryLockKey: Int64 = 0x6e6a_6d69_6772_6174

    public init(migrations: [Migration] = Migration.embedded) {
        self.migrations = migrations
    }

    /// Applies what is pending; returns what it applied (empty when up to date).
    @discardableResult
    public func migrate(_ session: PostgresSession) throws -> [Migration] {
        // One transaction per migration, each under a transaction-level advisory lock: concurrent callers wait
        // their turn, and no lock outlives its transaction (a session lock would stay behind on a PgBouncer
        // server connection in transaction pooling).
        var done: [Migration] = []
        while true {
            let next: Migration? = try session.transaction {
                try session.query("SELECT pg_advisory_xact_lock($1)", [.init(Migrator.advisoryLockKey)])
                try createLedger(session)
                let applied = try appliedRows(session)
                try verify(applied)
                guard let migration = migrations.first(where: { applied[$0.version] == nil }) else { return nil }
                try session.executeScript(migration.sql)
                try session.query(
                    "INSERT INTO nianjian_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    [.init(migration.version), .text(migration.name), .text(migration.checksum)])
                return migration
            }
            guard let next else { return done }
            done.append(next)
        }
    }

    /// Applied, pending and changed migrations, without changing anything.
    public func status(_ session: PostgresSession) throws -> [MigrationStatus] {
        let ledger = try session.query("SELECT to_regclass('nianjian_migrations') IS NOT NULL")
        let hasLedger = try ledger[0].bool(0) ?? false
        let applied = hasLedger ? try appliedRows(session) : [:]
        var rows: [MigrationStatus] = migrations.map { migration in
            guard let row = applied[migration.version] else {
                return MigrationStatus(version: migration.version, name: migration.name, state: .pending, appliedAt: nil)
            }
            return MigrationStatus(version: migration.version, name: migration.name,
                                   state: row.checksum == migration.checksum ? .applied : .changed, appliedAt: row.appliedAt)
        }
        let known = Set(migrations.map(\.version))
        for (version, row) in applied where !known.contains(version) {
            rows.append(MigrationStatus(version: version, name: row.name, state: .unknown, appliedAt: row.appliedAt))
        }
        return rows.sorted { $0.version < $1.version }
    }

    /// Throws unless every migration is applied unchanged: commands other than `migrate` call this first.
    public func requireCurrent(_ session: PostgresSession) throws {
        let statuses = try status(session)
        if statuses.contains(where: { $0.state == .changed || $0.state == .unknown }) {
            let applied = try appliedRows(session)
            try verify(applied)
        }
        if let pending = statuses.first(where: { $0.state == .pending }) {
            throw MigrationError(description: """
                The database schema is not up to date (migration \(pending.version) \(pending.name) is pending). Run: nianjian migrate
                数据库结构不是最新版本（迁移 \(pending.version) \(pending.name) 尚未执行）。请运行：nianjian migrate
                """)
        }
    }

    struct AppliedRow {
        let name: String
        let checksum: String
        let appliedAt: String?
    }

    private func createLedger(_ session: PostgresSession) throws {
        try session.executeScript("""
            CREATE TABLE IF NOT EXISTS nianjian_migrations (
                version    integer PRIMARY KEY,
                name       text NOT NULL,
                checksum   text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """)
    }

    private func appliedRows(_ session: PostgresSession) throws -> [Int: AppliedRow] {
        let result = try session.query("SELECT version, name, checksum, applied_at::text FROM nianjian_migrations ORDER BY version")
        var rows: [Int: AppliedRow] = [:]
        for row in result.rows {
            rows[try row.requireInt(0)] = AppliedRow(name: try row.requireString(1), checksum: try row.requireString(2),
                                                     appliedAt: row.string(3))
        }
        return rows
    }

    private func verify(_ applied: [Int: AppliedRow]) throws {
        let byVersion = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for (version, row) in applied.sorted(by: { $0.key < $1.key }) {
            guard let migration = byVersion[version] else {
                throw MigrationError(description: """
                    The database has migration \(version) (\(row.name)) that this nianjian does not know: it was migrated by a newer version. Upgrade nianjian.
                    数据库包含本程序不认识的迁移 \(version)（\(row.name)），它由更新版本的 nianjian 执行。请升级 nianjian。
                    """)
            }
            guard migration.checksum == row.checksum else {
                throw MigrationError(description: """
                    Migration \(migration.file) was changed after it was applied (checksum \(row.checksum.prefix(12))… in the database, \(migration.checksum.prefix(12))… now). Applied migrations must never be edited: restore the file and add a new migration instead.
                    迁移文件 \(migration.file) 在执行后被修改过（校验和不一致）。已执行的迁移不能修改：请还原该文件，把改动写成新的迁移。
                    """)
            }
        }
    }
}
