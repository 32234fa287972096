import Foundation
import NianjianAliyun
import NianjianConsole
import NianjianPostgres
import NianjianStore

/// A company's own cloud account as `account list` shows it: the key id masked, never the secret.
public struct CloudAccountListing: Sendable, Hashable, Codable {
    public var companyRef: String
    public var accessKeyId: String
    public var hasSecurityToken: Bool
    public var updatedAt: String

    enum CodingKeys: String, CodingKey {
        case companyRef = "company_ref", accessKeyId = "access_key_id", hasSecurityToken = "has_security_token"
        case updatedAt = "updated_at"
    }
}

/// `nianjian account set|list|remove`: per-company AccessKeys, sealed with AES-GCM before they are stored.
public enum CloudAccounts {
    public static func set(database: Database, tenant: TenantRecord, companyRef: String, accessKeyId: String,
                           secret: String, securityToken: String?, box: SecretBox) throws {
        let keyId = accessKeyId.trimmingCharacters(in: .whitespacesAndNewlines)
        let cleanSecret = secret.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !keyId.isEmpty, keyId.utf8.count <= 128, keyId.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 }) else {
            throw OperationsError(code: "bad_key_id", en: "--access-key-id must be the AccessKey id (ASCII, no spaces)",
                                  zh: "--access-key-id 应为 AccessKey ID（ASCII，无空格）")
        }
        guard !cleanSecret.isEmpty else {
            throw OperationsError(code: "no_secret", en: "no AccessKey secret was given on standard input",
                                  zh: "标准输入中没有提供 AccessKey Secret")
        }
        let sealed = try box.seal(cleanSecret)
        let token = try securityToken.flatMap { $0.isEmpty ? nil : $0 }.map { try box.seal($0) }
        let stored = try database.runBlocking { session in
            try session.asTenant(tenant.id) {
                try CloudAccountQueries.upsertAccount(session, tenantId: tenant.id, companyRef: companyRef, accessKeyId: keyId,
                                                      secretSealed: sealed, securityTokenSealed: token)
            }
        }
        guard stored else {
            throw OperationsError(code: "unknown_company",
                                  en: "--company \(quoted(companyRef)): tenant \(tenant.slug) has no such company_ref; import it first",
                                  zh: "--company \(quoted(companyRef))：租户 \(tenant.slug) 没有这个 company_ref；请先导入")
        }
    }

    public static func list(database: Database, tenant: TenantRecord) throws -> [CloudAccountListing] {
        try database.runBlocking { session in
            try session.asTenant(tenant.id) { try CloudAccountQueries.selectAccounts(session) }
        }.map { account in
            CloudAccountListing(companyRef: account.companyRef,
                                accessKeyId: AliyunCredentials(accessKeyId: account.accessKeyId, accessKeySecret: "").maskedKeyId,
                                hasSecurityToken: account.securityTokenSealed != nil, updatedAt: account.updatedAt)
        }
    }

    @discardableResult
    public static func remove(database: Database, tenant: TenantRecord, companyRef: String) throws -> Bool {
        try database.runBlocking { session in
            try session.asTenant(tenant.id) { try CloudAccountQueries.deleteAccount(session, companyRef: companyRef) }
        }
    }

    /// Every company's own account, opened, by owner: what a run calls the cloud with.
    public static func loadAll(database: Database, box: () throws -> SecretBox) throws -> [AccountOwner: AliyunCredentials] {
        let stored = try database.runBlocking { try CloudAccountQueries.selectAllAccounts($0) }
        guard !stored.isEmpty else { return [:] }
        let box = try box()
        var out: [AccountOwner: AliyunCredentials] = [:]
        for account in stored {
            out[AccountOwner(tenantId: account.tenantId, companyId: account.companyId)] = AliyunCredentials(
                accessKeyId: account.accessKeyId, accessKeySecret: try box.open(account.secretSealed),
                securityToken: try account.securityTokenSealed.map { try box.open($0) })
        }
        return out
    }
}
