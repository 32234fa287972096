import NianjianPostgres

/// A company's own cloud account, as stored: the key id in clear (shown masked), the secret sealed.
public struct StoredCloudAccount: Sendable, Hashable {
    public var companyRef: String
    public var accessKeyId: String
    public var secretSealed: [UInt8]
    public var securityTokenSealed: [UInt8]?
    public var updatedAt: String
}

/// Per-company cloud accounts. Every statement runs inside `asTenant`: row-level security keeps them the tenant's.
public enum CloudAccountQueries {
    /// Sets (or replaces) a company's account. Returns false when the tenant has no such company.
    @discardableResult
    public static func upsertAccount(_ session: PostgresSession, tenantId: Int64, companyRef: String, accessKeyId: String,
                                     secretSealed: [UInt8], securityTokenSealed: [UInt8]?) throws -> Bool {
        try session.query("""
            INSERT INTO cloud_accounts (tenant_id, company_id, access_key_id, secret_sealed, security_token_sealed)
            SELECT $1::bigint, c.id, $3, $4, $5 FROM companies c WHERE c.tenant_id = $1::bigint AND c.company_ref = $2
            ON CONFLICT (tenant_id, company_id) DO UPDATE SET access_key_id = EXCLUDED.access_key_id,
                secret_sealed = EXCLUDED.secret_sealed, security_token_sealed = EXCLUDED.security_token_sealed, updated_at = now()
            """, [.init(tenantId), .text(companyRef), .text(accessKeyId), .bytes(secretSealed),
                  securityTokenSealed.map { PostgresBind.bytes($0) } ?? .null]).affectedRows == 1
    }

    /// Removes a company's account. Returns whether one was there.
    @discardableResult
    public static func deleteAccount(_ session: PostgresSession, companyRef: String) throws -> Bool {
        try session.query("""
            DELETE FROM cloud_accounts a USING companies c
             WHERE c.tenant_id = a.tenant_id AND c.id = a.company_id AND c.company_ref = $1
            """, [.text(companyRef)]).affectedRows > 0
    }

    /// The tenant's accounts by company ref.
    public static func selectAccounts(_ session: PostgresSession) throws -> [StoredCloudAccount] {
        try session.query("""
            SELECT c.company_ref, a.access_key_id, a.secret_sealed, a.security_token_sealed, a.updated_at::text
              FROM cloud_accounts a JOIN companies c ON c.tenant_id = a.tenant_id AND c.id = a.company_id
             ORDER BY c.company_ref
            """).rows.map { row in
            StoredCloudAccount(companyRef: try row.requireString(0), accessKeyId: try row.requireString(1),
                               secretSealed: try row.bytes(2) ?? [], securityTokenSealed: try row.bytes(3),
                               updatedAt: row.string(4) ?? "")
        }
    }

    /// Every tenant's company accounts, for a run working for all tenants (run as the owner, outside any
    /// tenant's row-level security).
    public static func selectAllAccounts(_ session: PostgresSession) throws -> [(tenantId: Int64, companyId: Int64, accessKeyId: String,
                                                                           secretSealed: [UInt8], securityTokenSealed: [UInt8]?)] {
        try session.query("SELECT tenant_id, company_id, access_key_id, secret_sealed, security_token_sealed FROM cloud_accounts")
            .rows.map { row in
                (try row.requireInt64(0), try row.requireInt64(1), try row.requireString(2), try row.bytes(3) ?? [], try row.bytes(4))
            }
    }
}
