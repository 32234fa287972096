import ArgumentParser
import Foundation
import NianjianConsole
import NianjianDomain
import NianjianOperations
import NianjianStore

/// Helpers shared by the operator commands (tenant, import, plan, requeue, report).
enum OperatorCLI {
    /// Runs `body`, printing operations errors in both languages, the chosen one first.
    static func run(_ language: Language, _ body: () throws -> Void) throws {
        try runCommand {
            do {
                try body()
            } catch let error as OperationsError {
                let other: Language = language == .zh ? .en : .zh
                throw UserFacingError(description: error.message(language) + "\n" + error.message(other))
            }
        }
    }

    /// `run`, with the database open for `body` (one connection, current schema) and closed after.
    static func withDatabase(_ language: Language, _ body: (Database) throws -> Void) throws {
        try run(language) {
            let database = try CommandDatabase.open(maximumConnections: 1)
            defer { database.close() }
            try body(database)
        }
    }

    /// `--as-of DATE`, or today in China.
    static func date(_ text: String?, option: String = "--as-of") throws -> CivilDate {
        guard let text else { return SystemBusinessClock().now().chinaDate }
        guard let date = CivilDate(iso: text) else {
            throw UserFacingError(description: "\(option) must be a date YYYY-MM-DD / \(option) 应为日期 YYYY-MM-DD", exitCode: 2)
        }
        return date
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

struct TenantCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant",
        abstract: "Add, list and change tenants (agencies). 管理租户（代理机构）。",
        subcommands: [Add.self, List.self, Set.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a tenant.")

        @Argument(help: "Short name: lower-case letters, digits, '_' and '-'.")
        var slug: String
        @Option(name: .long, help: "Display name.")
        var name: String
        @Option(name: .long, help: "Share of each claim round relative to other tenants (1…1000).")
        var weight: Int = 1
        @Option(name: .long, help: "At most this many of its inspections in flight (default: the job file's).")
        var maxConcurrency: Int?
        @Option(name: .long, help: "Console submissions per second (default: the job file's).")
        var submitRate: String?
        @Option(name: .long, help: "Console polls per second (default: the job file's).")
        var pollRate: String?
        @Flag(name: .long, help: "Print the tenant as JSON.")
        var json = false
        @OptionGroup var language: LanguageOption

        func run() throws {
            try OperatorCLI.withDatabase(language.language) { database in
                let tenant = try TenantAdmin.add(database: database, slug: slug, name: name, weight: weight,
                                                 maxConcurrency: maxConcurrency, submitRate: submitRate, pollRate: pollRate)
                printOut(json ? try OperatorCLI.json(TenantJSON(tenant)) : (language.language == .zh
                    ? "已添加租户 \(tenant.slug)（\(NameText.escaped(tenant.name))）"
                    : "added tenant \(tenant.slug) (\(NameText.escaped(tenant.name)))"))
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the tenants.")

        @Flag(name: .long, help: "Print a JSON array.")
        var json = false
        @OptionGroup var language: LanguageOption

        func run() throws {
            try OperatorCLI.withDatabase(language.language) { database in
                let tenants = try TenantAdmin.list(database: database)
                if json {
                    printOut(try OperatorCLI.json(tenants.map(TenantJSON.init)))
                    return
                }
                if tenants.isEmpty {
                    printOut(language.language == .zh ? "还没有租户：用 `nianjian tenant add` 添加" : "no tenants yet: add one with `nianjian tenant add`")
                    return
                }
                printOut(TenantCommand.table(tenants, language.language))
            }
        }
    }

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set", abstract: "Change a tenant's settings.")

        @Argument(help: "The tenant's slug.")
        var slug: String
        @Option(name: .long, help: "Display name.")
        var name: String?
        @Option(name: .long, help: "Share of each claim round (1…1000).")
        var weight: Int?
        @Option(name: .long, help: "At most this many in flight; 'default' for the job file's.")
        var maxConcurrency: String?
        @Option(name: .long, help: "Submissions per second; 'default' for the job file's.")
        var submitRate: String?
        @Option(name: .long, help: "Polls per second; 'default' for the job file's.")
        var pollRate: String?
        @Flag(name: .long, help: "Print the tenant as JSON.")
        var json = false
        @OptionGroup var language: LanguageOption

        func run() throws {
            try OperatorCLI.run(language.language) {
                var changes = TenantChanges(name: name, weight: weight)
                if let maxConcurrency {
                    if maxConcurrency == "default" {
                        changes.clearMaxConcurrency = true
                    } else if let value = Int(maxConcurrency) {
                        changes.maxConcurrency = value
                    } else {
                        throw UserFacingError(description: """
                            --max-concurrency must be a number or 'default'
                            --max-concurrency 应为数字或 'default'（使用作业文件的默认值）
                            """, exitCode: 2)
                    }
                }
                if submitRate == "default" { changes.clearSubmitRate = true } else { changes.submitRate = submitRate }
                if pollRate == "default" { changes.clearPollRate = true } else { changes.pollRate = pollRate }
                guard !changes.isEmpty else {
                    throw UserFacingError(description: """
                        nothing to change: give --name, --weight, --max-concurrency, --submit-rate or --poll-rate
                        没有要修改的内容：请给出 --name、--weight、--max-concurrency、--submit-rate 或 --poll-rate
                        """, exitCode: 2)
                }
                let database = try CommandDatabase.open(maximumConnections: 1)
                defer { database.close() }
                let tenant = try TenantAdmin.set(database: database, slug: slug, changes: changes)
                printOut(json ? try OperatorCLI.json(TenantJSON(tenant)) : TenantCommand.table([tenant], language.language))
            }
        }
    }

    /// The tenants as a table; names stored before names were checked are shown escaped (`\u{1B}`), never raw.
    static func table(_ tenants: [TenantRecord], _ language: Language) -> String {
        let header = language == .zh
            ? ["标识", "名称", "权重", "最大并发", "每秒提交", "每秒轮询"]
            : ["slug", "name", "weight", "max_concurrency", "submit_rate", "poll_rate"]
        let rows = tenants.map { [NameText.escaped($0.slug), NameText.escaped($0.name), String($0.weight),
                                  $0.maxConcurrency.map(String.init) ?? "-", $0.submitRate ?? "-", $0.pollRate ?? "-"] }
        return CLIText.table(header: header, rows: rows, rightAligned: [2, 3, 4, 5])
    }
}
