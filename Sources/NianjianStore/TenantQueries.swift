import NianjianDomain
import NianjianPostgres

/// One agency (tenant) and its scheduling settings.
public struct TenantRecord: Sendable, Hashable, Codable {
    public var id: Int64
    public var slug: String
    public var name: String
    /// Share of each claim round relative to other tenants.
    public var weight: Int
    /// nil: the job file's default.
    public var maxConcurrency: Int?
    /// Console submissions per second; nil: the job file's default. Exact decimal text (e.g. `2.500`).
    public var submitRate: String?
    /// Console polls per second; nil: the job file's default.
    public var pollRate: String?

    public init(id: Int64, slug: String, name: String, weight: Int, maxConcurrency: Int?, submitRate: String?,
                pollRate: String?) {
        self.id = id; self.slug = slug; self.name = name; self.weight = weight; self.maxConcurrency = maxConcurrency
        self.submitRate = submitRate; self.pollRate = pollRate
    }
}

/// A change to a tenant's settings: nil leaves a field as it is.
public struct TenantChanges: Sendable, Hashable {
    public var name: String?
    public var weight: Int?
    public var maxConcurrency: Int?
    public var submitRate: String?
    public var pollRate: String?
    /// Set the field back to NULL (the job file's default).
    public var clearMaxConcurrency = false
    public var clearSubmitRate = false
    public var clearPollRate = false

    public init(name: String? = nil, weight: Int? = nil, maxConcurrency: Int? = nil, submitRate: String? = nil,
                pollRate: String? = nil) {
        self.name = name; self.weight = weight; self.maxConcurrency = maxConcurrency
        self.submitRate = submitRate; self.pollRate = pollRate
    }

    public var isEmpty: Bool {
        name == nil && weight == nil && maxConcurrency == nil && submitRate == nil && pollRate == nil
            && !clearMaxConcurrency && !clearSubmitRate && !clearPollRate
    }
}

/// The tenants table (platform level: run as the owner, not through a tenant's row-level security).
public enum TenantQueries {
    static let columns = "id, slug, name, weight, max_concurrency, submit_rate, poll_rate"

    static func decode(_ row: PostgresRow) throws -> TenantRecord {
        TenantRecord(id: try row.requireInt64(0), slug: try row.requireString(1), name: try row.requireString(2),
                     weight: try row.requireInt(3), maxConcurrency: try row.int(4), submitRate: row.string(5),
                     pollRate: row.string(6))
    }

    /// Creates a tenant. Throws the unique violation (SQLSTATE 23505) when the slug is taken.
    public static func insertTenant(_ session: PostgresSession, slug: String, name: String, weight: Int,
                                    maxConcurrency: Int?, submitRate: String?, pollRate: String?) throws -> TenantRecord {
        let result = try session.query("""
            INSERT INTO tenants (slug, name, weight, max_concurrency, submit_rate, poll_rate)
            VALUES ($1, $2, $3::int, $4::int, $5::numeric, $6::numeric)
            RETURNING \(columns)
            """, [.text(slug), .text(name), .init(weight), .init(maxConcurrency), .init(submitRate), .init(pollRate)])
        return try decode(result[0])
    }

    public static func listTenants(_ session: PostgresSession) throws -> [TenantRecord] {
        let result = try session.query("SELECT \(columns) FROM tenants ORDER BY slug")
        return try result.rows.map(decode)
    }

    public static func findTenant(_ session: PostgresSession, slug: String) throws -> TenantRecord? {
        let result = try session.query("SELECT \(columns) FROM tenants WHERE slug = $1", [.text(slug)])
        return result.rowCount == 0 ? nil : try decode(result[0])
    }

    public static func findTenants(_ session: PostgresSession, ids: [Int64]) throws -> [TenantRecord] {
        let result = try session.query("SELECT \(columns) FROM tenants WHERE id = ANY($1::bigint[]) ORDER BY slug",
                                       [.intArray(ids)])
        return try result.rows.map(decode)
    }

    /// Applies `changes`; nil when no tenant has this slug.
    public static func updateTenant(_ session: PostgresSession, slug: String, changes: TenantChanges) throws -> TenantRecord? {
        let result = try session.query("""
            UPDATE tenants SET
                name = COALESCE($2, name),
                weight = COALESCE($3::int, weight),
                max_concurrency = CASE WHEN $7::bool THEN NULL ELSE COALESCE($4::int, max_concurrency) END,
                submit_rate = CASE WHEN $8::bool THEN NULL ELSE COALESCE($5::numeric, submit_rate) END,
                poll_rate = CASE WHEN $9::bool THEN NULL ELSE COALESCE($6::numeric, poll_rate) END,
                updated_at = now()
             WHERE slug = $1
            RETURNING \(columns)
            """, [.text(slug), .init(changes.name), .init(changes.weight), .init(changes.maxConcurrency),
                  .init(changes.submitRate), .init(changes.pollRate), .init(changes.clearMaxConcurrency),
                  .init(changes.clearSubmitRate), .init(changes.clearPollRate)])
        return result.rowCount == 0 ? nil : try decode(result[0])
    }
}
