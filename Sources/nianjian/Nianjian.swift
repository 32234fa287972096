import ArgumentParser
import Foundation

/// `nianjian`: the command line. Thin: parse, call a module, print.
@main
struct Nianjian: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nianjian",
        abstract: "Nianjian (年检): annual inspection and renewal of cloud services for agencies' client companies.",
        discussion: """
            Uses DATABASE_URL when set; otherwise a private PostgreSQL cluster under NIANJIAN_HOME (default .nianjian/).
            未设置 DATABASE_URL 时，使用 NIANJIAN_HOME（默认 .nianjian/）下的内置 PostgreSQL。
            """,
        version: "0.1.0",
        subcommands: [
            MigrateCommand.self,
            RunCommand.self,
            CheckCommand.self,
            TenantCommand.self,
            ImportCommand.self,
            PlanCommand.self,
            RequeueCommand.self,
            ReportCommand.self,
            DatabaseCommand.self,
            BenchCommand.self,
            DemoCommand.self,
            AccountCommand.self,
            CloudCommand.self,
            ServeCommand.self,
            UserCommand.self,
            TokenCommand.self,
        ]
    )
}
