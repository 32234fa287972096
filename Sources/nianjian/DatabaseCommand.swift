import ArgumentParser
import Foundation
import NianjianDomain
import NianjianPostgres
import NianjianStore

/// Managing the embedded PostgreSQL cluster (when DATABASE_URL is not set), and saying which server is used.
struct DatabaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Start, stop or locate the embedded PostgreSQL cluster; `db status` also reports on DATABASE_URL's server. 管理内置数据库。",
        subcommands: [Start.self, Stop.self, Status.self])

    static func server() throws -> EmbeddedPostgres {
        try EmbeddedPostgres(options: .init(home: DatabaseLocation.embeddedHome()))
    }

    /// DATABASE_URL when set (and not blank).
    static var databaseURL: String? {
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"],
              !url.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        return url
    }

    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start the embedded cluster (commands start it on demand too).")
        @OptionGroup var language: LanguageOption
        func run() throws {
            let lang = language.language
            try runCommand {
                let server = try DatabaseCommand.server()
                let connection = try DatabaseLocation.start(server)
                printOut(lang == .zh ? "内置数据库运行中：\(connection.redacted)" : "running: \(connection.redacted)")
                if DatabaseCommand.databaseURL != nil {
                    printOut(lang == .zh ? "注意：已设置 DATABASE_URL，其他命令使用它指向的服务器，而不是内置数据库"
                                         : "note: DATABASE_URL is set, so the other commands use its server, not this cluster")
                }
            }
        }
    }

    struct Stop: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the embedded cluster (fast shutdown; data is kept).")
        @OptionGroup var language: LanguageOption
        func run() throws {
            let lang = language.language
            try runCommand {
                let server = try DatabaseCommand.server()
                try server.stop()
                printOut(lang == .zh ? "内置数据库已停止" : "stopped")
            }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Say which database the commands use: DATABASE_URL's server (password redacted) or the embedded cluster.",
            discussion: "Exit 1 when DATABASE_URL's server cannot be reached.")
        @OptionGroup var language: LanguageOption
        func run() throws {
            let lang = language.language
            try runCommand {
                if let url = DatabaseCommand.databaseURL {
                    try Status.remote(ConnectionString(url), lang)
                    return
                }
                let server = try DatabaseCommand.server()
                let state = server.isRunning ? (lang == .zh ? "运行中" : "running")
                    : (server.isInitialized ? (lang == .zh ? "已停止" : "stopped") : (lang == .zh ? "尚未创建" : "not created yet"))
                printOut(lang == .zh ? "内置数据库（未设置 DATABASE_URL）" : "embedded cluster (DATABASE_URL is not set)")
                printOut(lang == .zh ? "数据目录：\(server.dataDirectory)" : "data: \(server.dataDirectory)")
                printOut(lang == .zh ? "套接字：\(server.socketDirectory)" : "socket: \(server.socketDirectory)")
                printOut(lang == .zh ? "状态：\(state)" : state)
                printOut("psql \"\(server.connectionString().redacted)\"")
            }
        }

        /// The server DATABASE_URL names: where (redacted), whether it answers, how far its schema is migrated.
        static func remote(_ connection: ConnectionString, _ lang: Language) throws {
            printOut(lang == .zh ? "数据库：DATABASE_URL 指向的服务器" : "database: the server DATABASE_URL names")
            printOut("DATABASE_URL: \(connection.redacted)")
            let database = Database(connection, maximumConnections: 1)
            defer { database.close() }
            let rows: [MigrationStatus]
            do {
                rows = try database.runBlocking { try Migrator().status($0) }
            } catch let error as PostgresError where error.isConnectionLoss || error.kind == .connection {
                printOut(lang == .zh ? "状态：无法连接" : "status: not reachable")
                throw error
            }
            let applied = rows.filter { $0.state == .applied }.count
            printOut(lang == .zh ? "状态：可连接" : "status: reachable")
            printOut(lang == .zh ? "数据库结构：已执行 \(applied)/\(rows.count) 个迁移\(applied < rows.count ? "（请运行 nianjian migrate）" : "")"
                                 : "schema: \(applied) of \(rows.count) migrations applied\(applied < rows.count ? " (run nianjian migrate)" : "")")
            printOut("psql \"$DATABASE_URL\"")
        }
    }
}
