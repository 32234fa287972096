import Foundation
import NianjianDomain
import NianjianPostgres
import NianjianStore

/// Adding, listing and changing tenants (agencies). Names follow `NameText` (no control, line-break or
/// bidirectional-override character): refused before anything is written.
public enum TenantAdmin {
    /// Slugs: lower-case letters, digits, `_` and `-`, starting with a letter or digit, at most 63 characters.
    public static func isValidSlug(_ slug: String) -> Bool {
        guard let first = slug.unicodeScalars.first, slug.unicodeScalars.count <= 63 else { return false }
        func allowed(_ scalar: Unicode.Scalar, first: Bool) -> Bool {
            switch scalar {
            case "a"..."z", "0"..."9": return true
            case "_", "-": return !first
            default: return false
            }
        }
        return allowed(first, first: true) && slug.unicodeScalars.dropFirst().allSatisfy { allowed($0, first: false) }
    }

    /// Checks a rate (requests per second) is a positive decimal with at most three decimals, e.g. `2.5`.
    public static func normalizedRate(_ text: String, option: String) throws -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(separator: ".", omittingEmptySubsequences: false)
        let digitsOnly = parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }
        guard (1...2).contains(parts.count), digitsOnly, parts.count == 1 || parts[1].count <= 3,
              parts[0].count <= 7, let value = Double(trimmed), value > 0 else {
            throw OperationsError(code: "bad_rate",
                                  en: "\(option) \(quoted(text)) is not a rate: give requests per second above 0, e.g. 2 or 0.5",
                                  zh: "\(option) \(quoted(text)) 不是有效速率：请给出大于 0 的每秒请求数，例如 2 或 0.5")
        }
        return trimmed
    }

    static func checkSettings(name: String?, weight: Int?, maxConcurrency: Int?) throws {
        if let name, let problem = NameText.problem(in: name, what: "--name") {
            throw OperationsError(code: "bad_name", en: problem.en, zh: problem.zh)
        }
        if let name, name.trimmingCharacters(in: .whitespaces).isEmpty || name.count > 200 {
            throw OperationsError(code: "bad_name", en: "--name must have 1 to 200 characters",
                                  zh: "--name 应为 1 到 200 个字符")
        }
        if let weight, !(1...1000).contains(weight) {
            throw OperationsError(code: "bad_weight", en: "--weight must be between 1 and 1000", zh: "--weight 应在 1 到 1000 之间")
        }
        if let maxConcurrency, !(1...100_000).contains(maxConcurrency) {
            throw OperationsError(code: "bad_concurrency", en: "--max-concurrency must be between 1 and 100000",
                                  zh: "--max-concurrency 应在 1 到 100000 之间")
        }
    }

    public static func add(database: Database, slug: String, name: String, weight: Int = 1, maxConcurrency: Int? = nil,
                           submitRate: String? = nil, pollRate: String? = nil) throws -> TenantRecord {
        guard isValidSlug(slug) else {
            throw OperationsError(code: "bad_slug",
                                  en: "tenant slug \(quoted(slug)) is not valid: use lower-case letters, digits, '_' and '-' (at most 63, starting with a letter or digit)",
                                  zh: "租户标识 \(quoted(slug)) 无效：只能使用小写字母、数字、'_' 和 '-'（最多 63 个字符，以字母或数字开头）")
        }
        try checkSettings(name: name, weight: weight, maxConcurrency: maxConcurrency)
        let submit = try submitRate.map { try normalizedRate($0, option: "--submit-rate") }
        let poll = try pollRate.map { try normalizedRate($0, option: "--poll-rate") }
        let exists = OperationsError(code: "tenant_exists",
                                     en: "tenant \(quoted(slug)) already exists: change it with `nianjian tenant set \(slug) …`",
                                     zh: "租户 \(quoted(slug)) 已存在：请用 `nianjian tenant set \(slug) …` 修改")
        do {
            return try database.runBlocking { session in
                if try TenantQueries.findTenant(session, slug: slug) != nil { throw exists }
                return try TenantQueries.insertTenant(session, slug: slug, name: name, weight: weight, maxConcurrency: maxConcurrency,
                                                      submitRate: submit, pollRate: poll)
            }
        } catch let error as PostgresError where error.sqlState == "23505" {
            // Added by someone else between the check and the insert.
            throw exists
        }
    }

    public static func list(database: Database) throws -> [TenantRecord] {
        try database.runBlocking { try TenantQueries.listTenants($0) }
    }

    public static func set(database: Database, slug: String, changes: TenantChanges) throws -> TenantRecord {
        try checkSettings(name: changes.name, weight: changes.weight, maxConcurrency: changes.maxConcurrency)
        var changes = changes
        changes.submitRate = try changes.submitRate.map { try normalizedRate($0, option: "--submit-rate") }
        changes.pollRate = try changes.pollRate.map { try normalizedRate($0, option: "--poll-rate") }
        let checked = changes
        guard let record = try database.runBlocking({ try TenantQueries.updateTenant($0, slug: slug, changes: checked) }) else {
            throw OperationsError.unknownTenant(slug)
        }
        return record
    }

    /// The tenant with this slug, or a clear "unknown tenant" error. The slug is only ever a bound parameter.
    public static func resolve(database: Database, slug: String) throws -> TenantRecord {
        guard let record = try database.runBlocking({ try TenantQueries.findTenant($0, slug: slug) }) else {
            throw OperationsError.unknownTenant(slug)
        }
        return record
    }
}

/// A tenant as `tenant … --json` prints it: snake_case keys, numbers as JSON numbers, null for "the job
/// file's default" (`{"id":1,"slug":"huaxia","name":"华夏云服务","weight":3,"max_concurrency":null,
/// "submit_rate":10,"poll_rate":null}`).
public struct TenantJSON: Encodable, Sendable {
    public var id: Int64
    public var slug: String
    public var name: String
    public var weight: Int
    public var maxConcurrency: Int?
    public var submitRate: Decimal?
    public var pollRate: Decimal?

    public init(_ record: TenantRecord) {
        id = record.id; slug = record.slug; name = record.name; weight = record.weight
        maxConcurrency = record.maxConcurrency
        submitRate = record.submitRate.flatMap { Decimal(string: $0, locale: Locale(identifier: "en_US_POSIX")) }
        pollRate = record.pollRate.flatMap { Decimal(string: $0, locale: Locale(identifier: "en_US_POSIX")) }
    }

    enum CodingKeys: String, CodingKey {
        case id, slug, name, weight
        case maxConcurrency = "max_concurrency"
        case submitRate = "submit_rate"
        case pollRate = "poll_rate"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(slug, forKey: .slug)
        try container.encode(name, forKey: .name)
        try container.encode(weight, forKey: .weight)
        try container.encode(maxConcurrency, forKey: .maxConcurrency)
        try container.encode(submitRate, forKey: .submitRate)
        try container.encode(pollRate, forKey: .pollRate)
    }
}
