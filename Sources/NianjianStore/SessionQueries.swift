import NianjianPostgres

/// A bearer token for scripts: one tenant, one role.
public struct APITokenRecord: Sendable, Hashable {
    public var id: Int64
    public var tenantId: Int64
    public var tenantSlug: String
    public var name: String
    public var role: String
    public var revoked: Bool
    public var createdAt: String
    public var lastUsedAt: String?
}

/// Browser sessions and bearer tokens: only SHA-256 hashes of the secrets are stored. Platform level
/// (owner role): the tenant role has no grant on these tables.
public enum SessionQueries {
    public static func insertSession(_ session: PostgresSession, tokenHash: String, userId: Int64,
                                     absoluteSeconds: Double) throws {
        _ = try session.query("""
            INSERT INTO web_sessions (token_hash, user_id, expires_at)
            VALUES ($1, $2::bigint, now() + make_interval(secs => $3::float8))
            """, [.text(tokenHash), .init(userId), .text(String(absoluteSeconds))])
    }

    /// The session's user when the session is alive (not expired, not idle for `idleSeconds`, user enabled);
    /// touches it. Sessions past their time are deleted on the way.
    public static func touchSession(_ session: PostgresSession, tokenHash: String, idleSeconds: Double) throws -> WebUserRecord? {
        let result = try session.query("""
            WITH touched AS (
                UPDATE web_sessions SET last_seen_at = now()
                 WHERE token_hash = $1 AND expires_at > now()
                   AND last_seen_at > now() - make_interval(secs => $2::float8)
                RETURNING user_id
            )
            SELECT \(UserQueries.columns)
              FROM touched s JOIN web_users u ON u.id = s.user_id LEFT JOIN tenants t ON t.id = u.tenant_id
             WHERE u.disabled_at IS NULL
            """, [.text(tokenHash), .text(String(idleSeconds))])
        if result.rowCount == 0 {
            _ = try session.query("""
                DELETE FROM web_sessions WHERE token_hash = $1
                   OR expires_at <= now() OR last_seen_at <= now() - make_interval(secs => $2::float8)
                """, [.text(tokenHash), .text(String(idleSeconds))])
            return nil
        }
        return try UserQueries.decode(result[0])
    }

    public static func deleteSession(_ session: PostgresSession, tokenHash: String) throws {
        _ = try session.query("DELETE FROM web_sessions WHERE token_hash = $1", [.text(tokenHash)])
    }

    public static func insertToken(_ session: PostgresSession, tenantId: Int64, name: String, role: String,
                                   tokenHash: String) throws -> Int64 {
        let result = try session.query("""
            INSERT INTO api_tokens (tenant_id, name, role, token_hash) VALUES ($1::bigint, $2, $3, $4) RETURNING id
            """, [.init(tenantId), .text(name), .text(role), .text(tokenHash)])
        return try result[0].requireInt64(0)
    }

    static let tokenColumns = "k.id, k.tenant_id, t.slug, k.name, k.role, k.revoked_at IS NOT NULL, k.created_at::text, k.last_used_at::text"

    static func decodeToken(_ row: PostgresRow) throws -> APITokenRecord {
        APITokenRecord(id: try row.requireInt64(0), tenantId: try row.requireInt64(1), tenantSlug: try row.requireString(2),
                       name: try row.requireString(3), role: try row.requireString(4), revoked: try row.bool(5) ?? false,
                       createdAt: try row.requireString(6), lastUsedAt: row.string(7))
    }

    /// The live token with this hash (touching its last use), or nil.
    public static func useToken(_ session: PostgresSession, tokenHash: String) throws -> APITokenRecord? {
        let result = try session.query("""
            WITH used AS (
                UPDATE api_tokens SET last_used_at = now() WHERE token_hash = $1 AND revoked_at IS NULL RETURNING *
            )
            SELECT \(tokenColumns) FROM used k JOIN tenants t ON t.id = k.tenant_id
            """, [.text(tokenHash)])
        return result.rowCount == 0 ? nil : try decodeToken(result[0])
    }

    public static func listTokens(_ session: PostgresSession) throws -> [APITokenRecord] {
        let result = try session.query("SELECT \(tokenColumns) FROM api_tokens k JOIN tenants t ON t.id = k.tenant_id ORDER BY k.id")
        return try result.rows.map(decodeToken)
    }

    /// Revokes the token with this id. False when there is no such live token.
    public static func revokeToken(_ session: PostgresSession, id: Int64) throws -> Bool {
        try session.query("UPDATE api_tokens SET revoked_at = now() WHERE id = $1::bigint AND revoked_at IS NULL",
                          [.init(id)]).affectedRows == 1
    }
}
