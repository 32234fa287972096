import Foundation
import Logging
import NianjianPostgres

/// Where Nianjian's data lives: the server `DATABASE_URL` names, or the embedded cluster under
/// `NIANJIAN_HOME` (default `.nianjian/` in the working directory).
public struct DatabaseLocation: Sendable {
    public let connectionString: ConnectionString
    /// Set when the embedded cluster is used.
    public let embedded: EmbeddedPostgres?

    /// Resolves the location from the environment, starting the embedded cluster when no URL is given.
    public static func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> DatabaseLocation {
        if let url = environment["DATABASE_URL"], !url.trimmingCharacters(in: .whitespaces).isEmpty {
            return DatabaseLocation(connectionString: ConnectionString(url), embedded: nil)
        }
        // A read URL alone must not send writes to a private embedded cluster nobody reads.
        if let read = environment["NIANJIAN_READ_DATABASE_URL"], !read.trimmingCharacters(in: .whitespaces).isEmpty {
            throw DatabaseLocationError(description: """
                NIANJIAN_READ_DATABASE_URL is set but DATABASE_URL is not: the read URL serves reports only (it may name a \
                standby); this command writes, so set DATABASE_URL to the primary.
                已设置 NIANJIAN_READ_DATABASE_URL 但未设置 DATABASE_URL：只读地址仅用于报告（可能指向备库）；此命令需要写入，请将 DATABASE_URL 设为主库地址。
                """)
        }
        let server = try EmbeddedPostgres(options: .init(home: embeddedHome(environment: environment)))
        return DatabaseLocation(connectionString: try start(server), embedded: server)
    }

    /// Starts an embedded cluster and creates its database when missing; returns that database's connection string.
    public static func start(_ server: EmbeddedPostgres) throws -> ConnectionString {
        let connectionString = try server.start()
        let admin = try PostgresConnection.connectBlocking(server.connectionString(database: "postgres"), label: "embedded-admin")
        defer { admin.close() }
        let name = server.options.databaseName
        try admin.runBlocking { try AdminQueries.createDatabaseIfMissing($0, name: name) }
        return connectionString
    }

    /// Where reports read: `NIANJIAN_READ_DATABASE_URL` (a standby, or `target_session_attrs=prefer-standby`)
    /// when set, else the same place as everything else. Nothing that writes uses it.
    public static func resolveRead(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> DatabaseLocation {
        if let url = environment["NIANJIAN_READ_DATABASE_URL"], !url.trimmingCharacters(in: .whitespaces).isEmpty {
            return DatabaseLocation(connectionString: ConnectionString(url), embedded: nil)
        }
        return try resolve(environment: environment)
    }

    public static func embeddedHome(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let home = environment["NIANJIAN_HOME"], !home.isEmpty { return home }
        return ".nianjian"
    }

    public init(connectionString: ConnectionString, embedded: EmbeddedPostgres?) {
        self.connectionString = connectionString
        self.embedded = embedded
    }
}

public struct DatabaseLocationError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// An open database: a connection pool and the scoping rules every store call follows.
public final class Database: Sendable {
    public let pool: PostgresPool
    public let connectionString: ConnectionString
    public let logger: Logger

    public init(_ connectionString: ConnectionString, maximumConnections: Int = 4,
                logger: Logger = Logger(label: "nianjian.store")) {
        self.connectionString = connectionString
        self.pool = PostgresPool(connectionString, maximumConnections: maximumConnections, logger: logger)
        self.logger = logger
    }

    /// Runs `body` on a pooled connection (async callers).
    @discardableResult
    public func run<T: Sendable>(_ body: @escaping @Sendable (PostgresSession) throws -> T) async throws -> T {
        try await pool.withConnection(body)
    }

    /// Runs `body` on a pooled connection, blocking this thread (Dispatch and CLI callers, never the
    /// cooperative pool).
    @discardableResult
    public func runBlocking<T>(_ body: @escaping @Sendable (PostgresSession) throws -> T) throws -> T {
        try pool.withConnectionBlocking(body)
    }

    /// Applies pending migrations.
    @discardableResult
    public func migrate() throws -> [Migration] {
        try runBlocking { try Migrator().migrate($0) }
    }

    /// Refuses to work on a schema that is not current (clear message: run `nianjian migrate`).
    public func requireCurrentSchema() throws {
        try runBlocking { try Migrator().requireCurrent($0) }
    }

    public func close() { pool.close() }
}

extension PostgresSession {
    /// Runs `body` in a transaction as the tenant-scoped role with `nianjian.tenant_id` set: row-level
    /// security then shows and changes that tenant's rows only, whatever the SQL asks for.
    public func asTenant<T>(_ tenantId: Int64, _ body: () throws -> T) throws -> T {
        try transaction {
            try query("SELECT set_config('nianjian.tenant_id', $1, true)", [.text(String(tenantId))])
            try query("SET LOCAL ROLE nianjian_tenant")
            return try body()
        }
    }
}
