import ArgumentParser
import NianjianStore

struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the database migrations (safe to run twice, and from two machines at once).")

    @Flag(name: .long, help: "List applied and pending migrations; change nothing.")
    var status = false

    func run() throws {
        try runCommand {
            let database = try CommandDatabase.open(requireCurrentSchema: false, maximumConnections: 1)
            defer { database.close() }
            if status {
                let rows = try database.runBlocking { try Migrator().status($0) }
                for row in rows {
                    printOut("\(String(format: "%04d", row.version))  \(row.name.padding(toLength: 24, withPad: " ", startingAt: 0))  \(row.state.rawValue)\(row.appliedAt.map { "  \($0)" } ?? "")")
                }
                return
            }
            let applied = try database.migrate()
            if applied.isEmpty {
                printOut("Database is up to date (\(Migration.embedded.count) migrations). 数据库已是最新。")
            } else {
                for migration in applied { printOut("applied \(migration.file)") }
            }
        }
    }
}
