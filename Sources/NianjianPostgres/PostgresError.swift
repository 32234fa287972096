/// An error from PostgreSQL or from talking to it.
///
/// `description` is what a user may read: it never contains a password, and keeps the server's
/// detail out (it can quote row values). `debugDescription` adds detail, hint and the statement for logs.
public struct PostgresError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public enum Kind: String, Sendable {
        /// Could not connect, or the connection was lost.
        case connection
        /// The server refused a statement (SQLSTATE set).
        case server
        /// COPY failed on the client side.
        case copy
        /// A value could not be decoded into the type asked for.
        case decoding
        /// A programming error in how the client was used (wrong column, closed connection).
        case usage
    }

    public var kind: Kind
    /// Five-character SQLSTATE code (e.g. 42P01, 23505), when the server sent one.
    public var sqlState: String?
    public var message: String
    public var detail: String?
    public var hint: String?
    /// The SQL text (never the parameters, which may hold personal data).
    public var statement: String?

    public init(kind: Kind, sqlState: String? = nil, message: String, detail: String? = nil, hint: String? = nil,
                statement: String? = nil) {
        self.kind = kind; self.sqlState = sqlState; self.message = message
        self.detail = detail; self.hint = hint; self.statement = statement
    }

    /// True when the connection is gone (network, server restart, terminated backend): the caller may retry
    /// on a fresh connection.
    public var isConnectionLoss: Bool {
        if kind == .connection { return true }
        guard let sqlState else { return false }
        // Class 08: connection exception; 57P01..57P03: admin/crash shutdown, cannot connect now.
        return sqlState.hasPrefix("08") || sqlState == "57P01" || sqlState == "57P02" || sqlState == "57P03"
    }

    /// SQLSTATE 25006 (read_only_sql_transaction): the server this connection reached no longer takes writes
    /// (a primary demoted by a failover, a standby). The connection is dropped; a new one finds the primary.
    public var isReadOnlyServer: Bool { sqlState == "25006" }

    /// A limit of ours fired: 57014 (statement_timeout, or a cancel) or 55P03 (lock_timeout, NOWAIT).
    public var isTimeout: Bool { sqlState == "57014" || sqlState == "55P03" }

    /// True when trying again may succeed: a lost connection, a read-only server (failover), a deadlock, a
    /// serialization failure, a statement or lock timeout (a lock held by someone else, a slow moment).
    public var isTransient: Bool {
        isConnectionLoss || isReadOnlyServer || isTimeout || sqlState == "40P01" || sqlState == "40001"
    }

    public var description: String {
        var text = "PostgreSQL \(kind.rawValue) error"
        if let sqlState { text += " [SQLSTATE \(sqlState)]" }
        text += ": " + message
        if let hint { text += " (hint: \(hint))" }
        return text
    }

    public var debugDescription: String {
        var text = description
        if let detail { text += "\ndetail: \(detail)" }
        if let statement { text += "\nstatement: \(statement)" }
        return text
    }
}
