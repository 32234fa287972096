import ArgumentParser
import Foundation
import NianjianPostgres
import NianjianStore

/// Managing the embedded PostgreSQL cluster (when DATABASE_URL is not set).
struct DatabaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Start, stop or locate the embedded PostgreSQL cluster.",
        subcommands: [Start.self, Stop.self, Status.self])

    static func server() throws -> EmbeddedPostgres {
        try EmbeddedPostgres(options: .init(home: DatabaseLocation.embeddedHome()))
    }

    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start the embedded cluster (commands start it on demand too).")
        func run() throws {
            try runCommand {
                let server = try DatabaseCommand.server()
                let connection = try DatabaseLocation.start(server)
                printOut("running: \(connection.redacted)")
            }
        }
    }

    struct Stop: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the embedded cluster (fast shutdown; data is kept).")
        func run() throws {
            try runCommand {
                let server = try DatabaseCommand.server()
                try server.stop()
                printOut("stopped")
            }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Say where the embedded cluster is and whether it runs.")
        func run() throws {
            try runCommand {
                let server = try DatabaseCommand.server()
                printOut("data: \(server.dataDirectory)")
                printOut("socket: \(server.socketDirectory)")
                printOut(server.isRunning ? "running" : (server.isInitialized ? "stopped" : "not created yet"))
                printOut("psql \"\(server.connectionString().redacted)\"")
            }
        }
    }
}
