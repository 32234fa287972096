import ArgumentParser
import Foundation
import NianjianOperations
import NianjianStore
import NianjianWeb

/// `nianjian user`: the web console's users.
struct UserCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Add, list, disable web console users and set their passwords. 管理控制台用户。",
        subcommands: [Add.self, List.self, Disable.self, Password.self])

    /// The password from standard input (first line), or a generated one printed once.
    static func readPassword(_ language: LanguageOption) -> (password: String, generated: Bool) {
        if isatty(STDIN_FILENO) == 0, let line = readLine(strippingNewline: true), !line.isEmpty {
            return (line, false)
        }
        return (Secrets.generatedPassword(), true)
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add", abstract: "Add a user (password from standard input, or generated and printed once).")

        @Argument(help: "E-mail address (the login).")
        var email: String
        @Option(name: .long, help: "The user's tenant (agency).")
        var tenant: String?
        @Option(name: .long, help: "operator (reads, requeues, cancels, imports) or viewer (reads).")
        var role: String = "viewer"
        @Flag(name: .long, help: "The platform operator: every tenant, tenants' weights and limits.")
        var platform = false
        @OptionGroup var language: LanguageOption

        func validate() throws {
            if platform == (tenant != nil) {
                throw ValidationError("give --tenant SLUG or --platform (not both) / 请指定 --tenant SLUG 或 --platform（二选一）")
            }
        }

        func run() throws {
            try OperatorCLI.withDatabase(language.language) { database in
                let (password, generated) = UserCommand.readPassword(language)
                let user = try WebAdmin.addUser(database: database, email: email, tenantSlug: tenant, role: role, password: password)
                let zh = language.language == .zh
                printOut(zh ? "已添加用户 \(user.email)（\(user.tenantSlug ?? "平台")，\(user.role)）"
                            : "added user \(user.email) (\(user.tenantSlug ?? "platform"), \(user.role))")
                if generated {
                    printOut(zh ? "密码（仅显示这一次）：\(password)" : "password (shown this once): \(password)")
                }
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the users.")
        @OptionGroup var language: LanguageOption

        func run() throws {
            try OperatorCLI.withDatabase(language.language) { database in
                for user in try WebAdmin.listUsers(database: database) {
                    printOut("\(user.email)\t\(user.tenantSlug ?? "*")\t\(user.role)\(user.disabled ? "\tdisabled" : "")")
                }
            }
        }
    }

    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "disable", abstract: "Disable a user and end their sessions.")
        @Argument(help: "E-mail address.")
        var email: String
        @OptionGroup var language: LanguageOption

        func run() throws {
            try OperatorCLI.withDatabase(language.language) { database in
                try WebAdmin.disableUser(database: database, email: email)
                printOut(language.language == .zh ? "已停用 \(email)" : "disabled \(email)")
            }
        }
    }

    struct Password: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "password", abstract: "Set a user's password (from standard input, or generated and printed once).")
        @Argument(help: "E-mail address.")
        var email: String
        @OptionGroup var language: LanguageOption

        func run() throws {
            try OperatorCLI.withDatabase(language.language) { database in
                let (password, generated) = UserCommand.readPassword(language)
                try WebAdmin.setPassword(database: database, email: email, password: password)
                let zh = language.language == .zh
                printOut(zh ? "已更新 \(email) 的密码（其会话已结束）" : "password of \(email) changed (their sessions ended)")
                if generated { printOut(zh ? "密码（仅显示这一次）：\(password)" : "password (shown this once): \(password)") }
            }
        }
    }
}

/// `nianjian token`: bearer tokens for scripts.
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Create, list and revoke bearer tokens for scripts. 管理 API 令牌。",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a token (printed once; only its hash is stored).")
        @Option(name: .long, help: "The token's tenant.")
        var tenant: String
        @Option(name: .long, help: "viewer or operator.")
        var role: String = "viewer"
        @Option(name: .long, help: "A name to recognise it by.")
        var name: String?
        @OptionGroup var language: LanguageOption

        func run() throws {
            try OperatorCLI.withDatabase(language.language) { database in
                let created = try WebAdmin.createToken(database: database, tenantSlug: tenant, role: role, name: name)
                printOut(language.language == .zh ? "令牌 \(created.id)（仅显示这一次）：" : "token \(created.id) (shown this once):")
                printOut(created.token)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the tokens (never the tokens themselves).")
        @OptionGroup var language: LanguageOption

        func run() throws {
            try OperatorCLI.withDatabase(language.language) { database in
                for token in try WebAdmin.listTokens(database: database) {
                    printOut("\(token.id)\t\(token.tenantSlug)\t\(token.role)\t\(token.name)\t\(token.revoked ? "revoked" : "live")\t\(token.lastUsedAt ?? "-")")
                }
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token by its id.")
        @Argument(help: "The token's id (see `token list`).")
        var id: Int64
        @OptionGroup var language: LanguageOption

        func run() throws {
            try OperatorCLI.withDatabase(language.language) { database in
                try WebAdmin.revokeToken(database: database, id: id)
                printOut(language.language == .zh ? "已撤销令牌 \(id)" : "revoked token \(id)")
            }
        }
    }
}
