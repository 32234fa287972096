import Foundation
import HummingbirdBcrypt
import NianjianOperations
import NianjianPostgres
import NianjianStore

/// `nianjian user …` and `nianjian token …`: console users and bearer tokens (blocking: CLI callers).
public enum WebAdmin {
    /// bcrypt work factor for new passwords.
    public static let defaultCost: UInt8 = 12

    public static func normalizedEmail(_ email: String) throws -> String {
        let trimmed = email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        let parts = trimmed.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), trimmed.count <= 254,
              !trimmed.unicodeScalars.contains(where: { $0.value <= 0x20 || $0 == "<" || $0 == ">" || $0 == "\"" }) else {
            throw OperationsError(code: "bad_email", en: "\(quotedText(email)) is not an e-mail address",
                                  zh: "\(quotedText(email)) 不是有效的电子邮箱地址")
        }
        return trimmed
    }

    public static func checkPassword(_ password: String) throws {
        guard password.count >= 10, password.utf8.count <= 72 else {
            throw OperationsError(code: "bad_password", en: "the password must have 10 to 72 bytes (bcrypt reads 72 at most)",
                                  zh: "密码长度应为 10 到 72 字节（bcrypt 最多读取 72 字节）")
        }
    }

    /// Adds a user of `tenantSlug` (viewer or operator), or the platform operator when `tenantSlug` is nil.
    @discardableResult
    public static func addUser(database: Database, email: String, tenantSlug: String?, role: String, password: String,
                               cost: UInt8 = defaultCost) throws -> WebUserRecord {
        let address = try normalizedEmail(email)
        try checkPassword(password)
        let tenantId: Int64?
        if let tenantSlug {
            guard role == "viewer" || role == "operator" else {
                throw OperationsError(code: "bad_role", en: "--role must be operator or viewer", zh: "--role 应为 operator 或 viewer")
            }
            tenantId = try TenantAdmin.resolve(database: database, slug: tenantSlug).id
        } else {
            tenantId = nil
        }
        let storedRole = tenantSlug == nil ? "platform" : role
        let hash = Bcrypt.hash(password, cost: cost)
        do {
            return try database.runBlocking { session in
                _ = try UserQueries.insertUser(session, email: address, tenantId: tenantId, role: storedRole, passwordHash: hash)
                guard let user = try UserQueries.findUser(session, email: address) else {
                    throw OperationsError(code: "user_missing", en: "the user was not stored", zh: "用户未保存")
                }
                return user
            }
        } catch let error as PostgresError where error.sqlState == "23505" {
            throw OperationsError(code: "user_exists", en: "user \(quotedText(address)) already exists: change the password with `nianjian user password`",
                                  zh: "用户 \(quotedText(address)) 已存在：请用 `nianjian user password` 修改密码")
        }
    }

    public static func listUsers(database: Database) throws -> [WebUserRecord] {
        try database.runBlocking { try UserQueries.listUsers($0) }
    }

    public static func disableUser(database: Database, email: String) throws {
        let address = try normalizedEmail(email)
        guard try database.runBlocking({ try UserQueries.disableUser($0, email: address) }) else { throw unknownUser(address) }
    }

    public static func setPassword(database: Database, email: String, password: String, cost: UInt8 = defaultCost) throws {
        let address = try normalizedEmail(email)
        try checkPassword(password)
        let hash = Bcrypt.hash(password, cost: cost)
        guard try database.runBlocking({ try UserQueries.updatePassword($0, email: address, passwordHash: hash) }) else {
            throw unknownUser(address)
        }
    }

    /// A new bearer token: returns its id and the token itself (shown once; only its SHA-256 is stored).
    public static func createToken(database: Database, tenantSlug: String, role: String, name: String?) throws -> (id: Int64, token: String) {
        guard role == "viewer" || role == "operator" else {
            throw OperationsError(code: "bad_role", en: "--role must be viewer or operator", zh: "--role 应为 viewer 或 operator")
        }
        let label = (name ?? "script").trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(label.count) else {
            throw OperationsError(code: "bad_name", en: "--name must have 1 to 100 characters", zh: "--name 应为 1 到 100 个字符")
        }
        let tenant = try TenantAdmin.resolve(database: database, slug: tenantSlug)
        let token = Secrets.randomToken(prefix: "njt_")
        let hash = Secrets.sha256(token)
        let id = try database.runBlocking { try SessionQueries.insertToken($0, tenantId: tenant.id, name: label, role: role, tokenHash: hash) }
        return (id, token)
    }

    public static func listTokens(database: Database) throws -> [APITokenRecord] {
        try database.runBlocking { try SessionQueries.listTokens($0) }
    }

    public static func revokeToken(database: Database, id: Int64) throws {
        guard try database.runBlocking({ try SessionQueries.revokeToken($0, id: id) }) else {
            throw OperationsError(code: "unknown_token", en: "no live token has id \(id): see `nianjian token list`",
                                  zh: "没有编号为 \(id) 的有效令牌：见 `nianjian token list`")
        }
    }

    static func unknownUser(_ email: String) -> OperationsError {
        OperationsError(code: "unknown_user", en: "no user \(quotedText(email)): see `nianjian user list`",
                        zh: "没有用户 \(quotedText(email))：见 `nianjian user list`")
    }

    static func quotedText(_ text: String) -> String {
        "\"" + String(text.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.prefix(80).map(Character.init)) + "\""
    }
}

extension WebAdmin {
    /// `demo --serve`: an operator of the first demo tenant and the platform operator, each with a fresh
    /// generated password (returned to print once).
    public static func demoLogins(database: Database, tenantSlug: String) throws -> [(email: String, password: String, role: String)] {
        var logins: [(String, String, String)] = []
        for (email, slug, role) in [("operator@\(tenantSlug).example", Optional(tenantSlug), "operator"),
                                    ("platform@nianjian.example", nil, "platform")] {
            let password = Secrets.generatedPassword()
            let exists = try database.runBlocking { try UserQueries.findUser($0, email: email) } != nil
            if exists {
                try setPassword(database: database, email: email, password: password, cost: 10)
            } else {
                try addUser(database: database, email: email, tenantSlug: slug, role: role, password: password, cost: 10)
            }
            logins.append((email, password, role))
        }
        return logins
    }
}
