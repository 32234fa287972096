import NianjianPostgres

/// Databases themselves: creating and dropping them (the embedded default, benchmarks, the test harness).
/// Names cannot be bound as parameters; they are quoted as identifiers.
public enum AdminQueries {
    public static func databaseExists(_ session: PostgresSession, name: String) throws -> Bool {
        try session.query("SELECT 1 FROM pg_database WHERE datname = $1", [.text(name)]).rowCount > 0
    }

    /// Creates the database, as a copy of `template` when given (file copy: fast for a migrated template).
    public static func createDatabase(_ session: PostgresSession, name: String, template: String? = nil) throws {
        if let template {
            try session.executeScript("CREATE DATABASE \(quoteIdentifier(name)) TEMPLATE \(quoteIdentifier(template)) STRATEGY FILE_COPY")
        } else {
            try session.executeScript("CREATE DATABASE \(quoteIdentifier(name))")
        }
    }

    public static func createDatabaseIfMissing(_ session: PostgresSession, name: String) throws {
        if try !databaseExists(session, name: name) { try createDatabase(session, name: name) }
    }

    /// Drops the database, ending its sessions first.
    public static func dropDatabase(_ session: PostgresSession, name: String) throws {
        try session.executeScript("DROP DATABASE IF EXISTS \(quoteIdentifier(name)) WITH (FORCE)")
    }
}
