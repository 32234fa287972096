import NianjianPostgres

/// A person who logs in to the web console. `tenantId` nil: the platform operator (every tenant).
public struct WebUserRecord: Sendable, Hashable {
    public var id: Int64
    public var email: String
    public var tenantId: Int64?
    public var tenantSlug: String?
    /// `viewer`, `operator` or `platform`.
    public var role: String
    /// The bcrypt hash (never the password).
    public var passwordHash: String
    public var disabled: Bool
}

/// Failed logins of one address: how many, and for how many more seconds it is locked (nil: not locked).
public struct LoginFailureState: Sendable, Hashable {
    public var failures: Int
    public var lockedForSeconds: Double?
}

/// Web console users and login throttling. Platform level: run as the owner, never inside `asTenant`
/// (the tenant role has no grant on these tables).
public enum UserQueries {
    static let columns = "u.id, u.email, u.tenant_id, t.slug, u.role, u.password_hash, u.disabled_at IS NOT NULL"

    static func decode(_ row: PostgresRow) throws -> WebUserRecord {
        WebUserRecord(id: try row.requireInt64(0), email: try row.requireString(1), tenantId: try row.int64(2),
                      tenantSlug: row.string(3), role: try row.requireString(4), passwordHash: try row.requireString(5),
                      disabled: try row.bool(6) ?? false)
    }

    /// Creates a user. Throws the unique violation (SQLSTATE 23505) when the address is taken.
    public static func insertUser(_ session: PostgresSession, email: String, tenantId: Int64?, role: String,
                                  passwordHash: String) throws -> Int64 {
        let result = try session.query("""
            INSERT INTO web_users (email, tenant_id, role, password_hash) VALUES ($1, $2::bigint, $3, $4) RETURNING id
            """, [.text(email), .init(tenantId), .text(role), .text(passwordHash)])
        return try result[0].requireInt64(0)
    }

    public static func findUser(_ session: PostgresSession, email: String) throws -> WebUserRecord? {
        let result = try session.query("""
            SELECT \(columns) FROM web_users u LEFT JOIN tenants t ON t.id = u.tenant_id WHERE u.email = $1
            """, [.text(email)])
        return result.rowCount == 0 ? nil : try decode(result[0])
    }

    public static func listUsers(_ session: PostgresSession) throws -> [WebUserRecord] {
        let result = try session.query("""
            SELECT \(columns) FROM web_users u LEFT JOIN tenants t ON t.id = u.tenant_id ORDER BY t.slug NULLS FIRST, u.email
            """)
        return try result.rows.map(decode)
    }

    /// Disables a user and ends their sessions. False when there is no such user.
    public static func disableUser(_ session: PostgresSession, email: String) throws -> Bool {
        try session.transaction {
            let result = try session.query("""
                UPDATE web_users SET disabled_at = COALESCE(disabled_at, now()), updated_at = now() WHERE email = $1 RETURNING id
                """, [.text(email)])
            guard result.rowCount == 1 else { return false }
            _ = try session.query("DELETE FROM web_sessions WHERE user_id = $1::bigint", [.init(try result[0].requireInt64(0))])
            return true
        }
    }

    /// Sets a new password hash (and enables the user again); ends their sessions. False when unknown.
    public static func updatePassword(_ session: PostgresSession, email: String, passwordHash: String) throws -> Bool {
        try session.transaction {
            let result = try session.query("""
                UPDATE web_users SET password_hash = $2, disabled_at = NULL, updated_at = now() WHERE email = $1 RETURNING id
                """, [.text(email), .text(passwordHash)])
            guard result.rowCount == 1 else { return false }
            _ = try session.query("DELETE FROM web_sessions WHERE user_id = $1::bigint", [.init(try result[0].requireInt64(0))])
            _ = try session.query("DELETE FROM login_failures WHERE email = $1", [.text(email)])
            return true
        }
    }

    /// The address's failures; a lock that has run out counts as no failures.
    public static func selectLoginFailures(_ session: PostgresSession, email: String) throws -> LoginFailureState {
        let result = try session.query("""
            SELECT CASE WHEN locked_until IS NOT NULL AND locked_until <= now() THEN 0 ELSE failures END,
                   CASE WHEN locked_until > now() THEN EXTRACT(EPOCH FROM locked_until - now())::float8 END
              FROM login_failures WHERE email = $1
            """, [.text(email)])
        guard result.rowCount == 1 else { return LoginFailureState(failures: 0, lockedForSeconds: nil) }
        return LoginFailureState(failures: try result[0].requireInt(0), lockedForSeconds: try result[0].double(1))
    }

    /// Counts one more failure; from `lockAfter` failures on, locks the address for `lockSeconds`.
    @discardableResult
    public static func recordLoginFailure(_ session: PostgresSession, email: String, lockAfter: Int,
                                          lockSeconds: Double) throws -> LoginFailureState {
        let result = try session.query("""
            INSERT INTO login_failures AS f (email, failures, last_failed_at) VALUES ($1, 1, now())
            ON CONFLICT (email) DO UPDATE SET
                failures = CASE WHEN f.locked_until IS NOT NULL AND f.locked_until <= now() THEN 1 ELSE f.failures + 1 END,
                locked_until = CASE WHEN f.locked_until IS NOT NULL AND f.locked_until <= now() THEN NULL ELSE f.locked_until END,
                last_failed_at = now()
            RETURNING failures
            """, [.text(email)])
        let failures = try result[0].requireInt(0)
        guard failures >= lockAfter else { return LoginFailureState(failures: failures, lockedForSeconds: nil) }
        _ = try session.query("""
            UPDATE login_failures SET locked_until = now() + make_interval(secs => $2::float8) WHERE email = $1
            """, [.text(email), .text(String(lockSeconds))])
        return LoginFailureState(failures: failures, lockedForSeconds: lockSeconds)
    }

    public static func clearLoginFailures(_ session: PostgresSession, email: String) throws {
        _ = try session.query("DELETE FROM login_failures WHERE email = $1", [.text(email)])
    }
}
