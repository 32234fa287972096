import ArgumentParser
import Foundation
import NianjianAliyun
import NianjianDomain
import NianjianOperations

/// `nianjian account`: a client company's own Alibaba Cloud AccessKey (the secret from standard input,
/// sealed with AES-GCM before it is stored).
struct AccountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "account",
        abstract: "A client company's own cloud account (AccessKey). 客户公司自己的云账号。",
        subcommands: [Set.self, List.self, Remove.self])

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a company's AccessKey; the secret is read from standard input. 设置公司的 AccessKey（Secret 从标准输入读取）。",
            discussion: """
                The secret is sealed with AES-256-GCM under NIANJIAN_SECRET_KEY (32 bytes, base64) or the key file
                NIANJIAN_SECRET_KEY_FILE (default $NIANJIAN_HOME/secret.key, created 0600 on first use): keep that key
                with your backups, apart from the database. Calls for this company then use this account.
                """)
        @Option(name: .long, help: "The tenant's slug.") var tenant: String
        @Option(name: .long, help: "The company (company_ref).") var company: String
        @Option(name: .customLong("access-key-id"), help: "The AccessKey id.") var accessKeyId: String
        @Flag(name: .customLong("security-token"), help: "A second line on standard input is an STS security token.")
        var securityToken = false
        @OptionGroup var language: LanguageOption

        func run() throws {
            let lang = language.language
            try OperatorCLI.run(lang) {
                var lines: [String] = []
                while let line = readLine(strippingNewline: true) { lines.append(line) }
                let database = try CommandDatabase.open(maximumConnections: 1)
                defer { database.close() }
                let record = try TenantAdmin.resolve(database: database, slug: tenant)
                let box = try SecretBox.fromEnvironment(ProcessInfo.processInfo.environment, create: true)
                try CloudAccounts.set(database: database, tenant: record, companyRef: company, accessKeyId: accessKeyId,
                                      secret: lines.first ?? "", securityToken: securityToken ? lines.dropFirst().first : nil, box: box)
                let masked = AliyunCredentials(accessKeyId: accessKeyId, accessKeySecret: "").maskedKeyId
                printOut(lang == .zh ? "\(record.slug)/\(company)：已保存云账号 \(masked)（密钥已加密）"
                                     : "\(record.slug)/\(company): cloud account \(masked) saved (secret sealed)")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the companies with their own account (key ids masked). 列出公司云账号。")
        @Option(name: .long, help: "The tenant's slug.") var tenant: String
        @Flag(name: .long, help: "Print JSON.") var json = false
        @OptionGroup var language: LanguageOption

        func run() throws {
            let lang = language.language
            try OperatorCLI.withDatabase(lang) { database in
                let record = try TenantAdmin.resolve(database: database, slug: tenant)
                let accounts = try CloudAccounts.list(database: database, tenant: record)
                if json { printOut(try OperatorCLI.json(accounts)); return }
                if accounts.isEmpty { printOut(lang == .zh ? "\(record.slug)：没有公司自有云账号" : "\(record.slug): no company accounts") }
                for account in accounts {
                    printOut("  \(account.companyRef)  \(account.accessKeyId)\(account.hasSecurityToken ? "  (STS)" : "")  \(account.updatedAt)")
                }
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a company's account (calls go back to the default). 删除公司云账号。")
        @Option(name: .long, help: "The tenant's slug.") var tenant: String
        @Option(name: .long, help: "The company (company_ref).") var company: String
        @OptionGroup var language: LanguageOption

        func run() throws {
            let lang = language.language
            try OperatorCLI.withDatabase(lang) { database in
                let record = try TenantAdmin.resolve(database: database, slug: tenant)
                let removed = try CloudAccounts.remove(database: database, tenant: record, companyRef: company)
                printOut(removed ? (lang == .zh ? "已删除" : "removed") : (lang == .zh ? "该公司没有自有云账号" : "that company has no account of its own"))
            }
        }
    }
}
