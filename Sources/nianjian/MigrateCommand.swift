import ArgumentParser
import NianjianDomain
import NianjianStore

struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the database migrations (safe to run twice, and from two machines at once). 执行数据库迁移。")

    @Flag(name: .long, help: "List applied and pending migrations; change nothing.")
    var status = false

    @OptionGroup var language: LanguageOption

    func run() throws {
        let lang = language.language
        try runCommand {
            let database = try CommandDatabase.open(requireCurrentSchema: false, maximumConnections: 1)
            defer { database.close() }
            if status {
                let rows = try database.runBlocking { try Migrator().status($0) }
                let header = lang == .zh ? ["版本", "名称", "状态", "执行时间"] : ["version", "name", "state", "applied_at"]
                printOut(CLIText.table(header: header, rows: rows.map { row in
                    [String(format: "%04d", row.version), row.name, MigrateCommand.stateName(row.state, lang), row.appliedAt ?? ""]
                }))
                return
            }
            let applied = try database.migrate()
            if applied.isEmpty {
                printOut(lang == .zh ? "数据库已是最新（共 \(Migration.embedded.count) 个迁移）。"
                                     : "Database is up to date (\(Migration.embedded.count) migrations).")
            } else {
                for migration in applied { printOut(lang == .zh ? "已执行迁移 \(migration.file)" : "applied \(migration.file)") }
            }
        }
    }

    static func stateName(_ state: MigrationStatus.State, _ language: Language) -> String {
        guard language == .zh else { return state.rawValue }
        switch state {
        case .applied: return "已执行"
        case .pending: return "待执行"
        case .changed: return "文件已改动"
        case .unknown: return "未知"
        }
    }
}
