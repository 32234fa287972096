import NianjianPostgres
import NianjianStore

/// The job file's `database:` section: the limits every session of the run sets, and whether sessions may keep
/// named prepared statements (off behind PgBouncer in transaction pooling).
///
/// The limits are set per session when the connection opens, and, with prepared statements off, again with
/// `SET LOCAL` at the start of every transaction: libpq's `options=-c …` would be simpler but PgBouncer 1.18
/// refuses that startup parameter, and in transaction pooling a session-level SET reaches one server
/// connection only. What times out (SQLSTATE 57014, 55P03) is retried within `database_retry_seconds`.
public struct JobDatabaseSettings: Sendable, Hashable {
    /// 0 turns a limit off.
    public var statementTimeoutSeconds = 300.0
    public var lockTimeoutSeconds = 30.0
    public var idleInTransactionTimeoutSeconds = 120.0
    public var preparedStatements = true
    /// `per_tenant` for a database distributed by tenant (Citus): each tenant's claim and write-back its own
    /// statement, pipelined. `combined` (the default) is fastest on one server.
    public var routing = StatementRouting.combined

    public init() {}

    /// What the runner's connections set (milliseconds, as PostgreSQL takes them).
    public var sessionSettings: SessionSettings {
        SessionSettings(preparedStatements: preparedStatements,
                        statementTimeoutMilliseconds: Int((statementTimeoutSeconds * 1000).rounded()),
                        lockTimeoutMilliseconds: Int((lockTimeoutSeconds * 1000).rounded()),
                        idleInTransactionTimeoutMilliseconds: Int((idleInTransactionTimeoutSeconds * 1000).rounded()))
    }

    static let keys = ["statement_timeout_seconds", "lock_timeout_seconds", "idle_in_transaction_timeout_seconds",
                       "prepared_statements", "routing"]
}
