import ArgumentParser
import Foundation
import NianjianDomain
import NianjianOperations

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a tenant's spreadsheets (companies.csv, contracts.csv, services.csv, materials.csv). 导入表格。",
        discussion: """
            All or nothing: any bad row refuses the whole import, every problem listed as file:line:column, and the
            database is unchanged (exit 1). Rows are upserted by their refs; the summary counts created, updated
            and unchanged rows per file. UTF-8 (with or without BOM) and GB18030 files are accepted.
            """)

    @Option(name: .long, help: "The tenant's slug.")
    var tenant: String
    @Argument(help: "The folder holding the CSV files.")
    var directory: String
    @Flag(name: .long, help: "Check and count, write nothing.")
    var dryRun = false
    @Flag(name: .long, help: "Print the summary (or the problems) as JSON.")
    var json = false
    @OptionGroup var language: LanguageOption

    func run() throws {
        let lang = language.language
        try OperatorCLI.withDatabase(lang) { database in
            let record = try TenantAdmin.resolve(database: database, slug: tenant)
            switch try Importer.importDirectory(database: database, tenant: record, directory: directory, dryRun: dryRun) {
            case .success(let summary):
                printOut(json ? try OperatorCLI.json(summary) : Self.text(summary, lang))
            case .failure(let failure):
                if json {
                    let problems = failure.problems.map {
                        ProblemJSON(file: $0.file, line: $0.line, column: $0.column,
                                    message: lang == .zh ? $0.messageZh : $0.messageEn)
                    }
                    printOut(try OperatorCLI.json(["problems": problems]))
                }
                printError(failure.description(in: lang))
                printError(lang == .zh ? "数据库未作任何修改。请修正以上问题后重新导入。"
                                       : "Nothing was written. Fix the problems above and import again.")
                throw ExitCode(1)
            }
        }
    }

    static func text(_ summary: ImportSummary, _ lang: NianjianDomain.Language) -> String {
        var lines: [String] = []
        let heading = lang == .zh
            ? "\(summary.dryRun ? "试运行（未写入）" : "已导入")：租户 \(summary.tenant)，来自 \(summary.source)"
            : "\(summary.dryRun ? "dry run (nothing written)" : "imported") for tenant \(summary.tenant) from \(summary.source)"
        lines.append(heading)
        let order = ["companies.csv", "contracts.csv", "services.csv", "materials.csv"]
        func rank(_ name: String) -> Int { order.firstIndex(of: name.lowercased()) ?? order.count }
        for name in summary.files.keys.sorted(by: { (rank($0), $0) < (rank($1), $1) }) {
            guard let counts = summary.files[name] else { continue }
            let encoding = summary.encodings[name].map { " [\($0)]" } ?? ""
            lines.append(lang == .zh
                ? "  \(name)\(encoding)：新增 \(counts.created)，更新 \(counts.updated)，未变 \(counts.unchanged)"
                : "  \(name)\(encoding): created \(counts.created), updated \(counts.updated), unchanged \(counts.unchanged)")
        }
        for change in summary.changes where change.action == "updated" {
            lines.append("    \(change.file):\(change.line) \(change.key): \(change.fields.joined(separator: ", "))")
        }
        for behind in summary.sheetBehind { lines.append("  " + behind.message(lang)) }
        for note in summary.notes { lines.append(lang == .zh ? "  备注：\(note)" : "  note: \(note)") }
        return lines.joined(separator: "\n")
    }
}

/// One import problem in `--json` output: line and column are numbers.
struct ProblemJSON: Encodable {
    var file: String
    var line: Int
    var column: Int
    var message: String
}
