import ArgumentParser
import Foundation
import NianjianDemo
import NianjianDomain
import NianjianStore
import NianjianWeb

/// `nianjian demo`: three agencies, a few hundred synthetic companies, several simulated nights, reports.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the whole product on synthetic agencies: import, plan, nights, re-queue, reports. 演示。",
        discussion: """
            Creates (or resets) the agencies huaxia-cloud, jinghong-it and nanfeng-ops with synthetic client
            companies, writes their spreadsheets and imports them, then runs simulated nights from 2026-12-01
            through the real Alibaba Cloud adapter against the cloud simulator (started on 127.0.0.1 with a free
            port and its own state under the output folder, loaded from the same spreadsheets), re-queues after an
            operator's fix, writes one HTML report per agency, and prints the cloud's figures (requests signed,
            throttled, retried, orders made).
            Without DATABASE_URL it uses the embedded PostgreSQL under NIANJIAN_HOME (default .nianjian/).
            创建（或重置）三个演示代理机构，导入合成的客户表格，模拟多个夜间批次，重新排队，并生成报告。
            """)

    @Option(name: .long, help: "Client companies over the three agencies (default 300).")
    var companies = 300

    @Option(name: .customLong("output-dir"), help: "Folder for the spreadsheets and reports (default: $NIANJIAN_HOME/reports).")
    var outputDir: String?

    @Option(name: .long, help: "Seed: the same seed gives the same companies, console answers and reports.")
    var seed: UInt64 = 2026

    @Option(name: .long, help: "Simulated nights (business days from 2026-12-01).")
    var nights = 6

    @Flag(name: .long, help: "Do not print each agency's full report (the files are still written).")
    var quiet = false

    @Option(name: .long, help: "Job file the demo job derives from (default: Jobs/nightly.yml when present).")
    var job: String?

    @OptionGroup var language: LanguageOption

    @Flag(name: .long, help: "Keep the web console running on the demo data (prints its address and a demo login).")
    var serve = false

    @OptionGroup var web: ServeOptions

    func validate() throws {
        guard (3...20_000).contains(companies) else {
            throw ValidationError("--companies must be between 3 and 20000 / --companies 应在 3 到 20000 之间")
        }
        guard (3...30).contains(nights) else {
            throw ValidationError("--nights must be between 3 and 30 / --nights 应在 3 到 30 之间")
        }
    }

    func run() throws {
        let lang = language.language
        try OperatorCLI.run(lang) {
            try LogSetup.bootstrap(format: "plain", level: "warning")
            let base = try RunCommand.loadJob(job)
            if ProcessInfo.processInfo.environment["DATABASE_URL"] == nil {
                printOut(lang == .zh ? "使用内置 PostgreSQL（未设置 DATABASE_URL）……" : "using the embedded PostgreSQL (DATABASE_URL is not set)…")
            }
            // No setup needed: the demo brings the schema up to date itself (migrations are idempotent).
            let database = try CommandDatabase.open(requireCurrentSchema: false, maximumConnections: 8)
            defer { database.close() }
            let applied = try database.migrate()
            if !applied.isEmpty {
                printOut(lang == .zh ? "已应用 \(applied.count) 个数据库迁移" : "applied \(applied.count) database migrations")
            }
            let options = Demo.Options(companies: companies, outputDirectory: outputDir ?? Demo.defaultOutputDirectory(),
                                       language: lang, seed: seed, nights: nights, printReports: !quiet)
            let outcome = try Demo.run(database: database, options: options, baseJob: base, runNight: { database, job, date in
                try RunCommand.runNight(database: database, job: job, tenants: nil, asOf: date, watch: false, showProgress: true)
            }, log: { printOut($0) })
            if serve { try DemoServe.run(database: database, outcome: outcome, web: web, language: lang) }
        }
    }
}
