import ArgumentParser
import Foundation
import NianjianDomain
import NianjianOperations
import NianjianStore

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "A tenant's status report, or one line per tenant with --all. 年检状态报告。",
        discussion: """
            Read through the tenant's row-level security: a report shows one tenant's rows only. HTML is one
            self-contained file; CSV written to a file starts with a BOM so Excel reads the Chinese text.
            """)

    @Option(name: .long, help: "The tenant's slug.")
    var tenant: String?
    @Flag(name: .long, help: "One line per tenant (platform operator).")
    var all = false
    @Option(name: .customLong("as-of"), help: "Business date YYYY-MM-DD (default: today in China).")
    var asOf: String?
    @Option(name: .long, help: "table, json, csv or html.")
    var format: String = "table"
    @Option(name: .long, help: "Write to this file instead of stdout.")
    var output: String?
    @OptionGroup var language: LanguageOption

    func validate() throws {
        if all == (tenant != nil) {
            throw ValidationError("give either --tenant SLUG or --all / 请指定 --tenant SLUG 或 --all（二选一）")
        }
        if !ReportOutput.isFormat(format) {
            throw ValidationError("--format must be one of \(ReportOutput.formatNames.joined(separator: ", ")) / --format 应为 \(ReportOutput.formatNames.joined(separator: "、")) 之一")
        }
    }

    func run() throws {
        let lang = language.language
        try OperatorCLI.run(lang) {
            let date = try OperatorCLI.date(asOf)
            // A standby when NIANJIAN_READ_DATABASE_URL names one: the report then says how stale it may be.
            let database = try CommandDatabase.openRead(maximumConnections: 1)
            defer { database.close() }
            let replayed = try database.runBlocking { try ReplicaQueries.replayMark($0) }
            let text: String?
            if let tenant {
                let record = try TenantAdmin.resolve(database: database, slug: tenant)
                var report = try ReportBuilder.tenantReport(database: database, tenant: record, asOf: date)
                report.replicaReplayAt = replayed
                text = ReportOutput.render(report, format: format, language: lang, toFile: output != nil)
            } else {
                var summary = try ReportBuilder.platformSummary(database: database, asOf: date)
                summary.replicaReplayAt = replayed
                text = ReportOutput.render(summary, format: format, language: lang, toFile: output != nil)
            }
            guard let text else { throw UserFacingError(description: "unknown format / 未知格式", exitCode: 2) }
            if let output {
                do {
                    try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
                } catch {
                    throw UserFacingError(description: """
                        cannot write \(output): \(error.localizedDescription); check the folder exists and is writable
                        无法写入 \(output)：请检查目录是否存在且可写
                        """)
                }
                printOut(lang == .zh ? "报告已写入 \(output)" : "report written to \(output)")
            } else {
                printOut(text)
            }
        }
    }
}
