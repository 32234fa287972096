import ArgumentParser
import Foundation
import NianjianDomain
import NianjianOperations

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Create the inspections of services expiring within the window (idempotent). 生成年检任务。",
        discussion: """
            One inspection per service that expires on or before AS_OF + WINDOW_DAYS and has none for its cycle (the
            year of its expiry). New inspections are pending and due from the night of AS_OF.
            """)

    @Option(name: .long, help: "Only this tenant (default: every tenant).")
    var tenant: String?
    @Option(name: .customLong("as-of"), help: "Business date YYYY-MM-DD (default: today in China).")
    var asOf: String?
    @Option(name: .long, help: "Plan services expiring within this many days of AS_OF.")
    var windowDays: Int = 30
    @Flag(name: .long, help: "Print [{\"tenant\",\"tenant_id\",\"planned\"}].")
    var json = false
    @OptionGroup var language: LanguageOption

    func run() throws {
        let lang = language.language
        try OperatorCLI.run(lang) {
            let date = try OperatorCLI.date(asOf)
            let database = try CommandDatabase.open(maximumConnections: 1)
            defer { database.close() }
            var ids: [Int64]?
            if let tenant { ids = [try TenantAdmin.resolve(database: database, slug: tenant).id] }
            let results = try Planner.plan(database: database, tenantIds: ids, asOf: date, windowDays: windowDays)
            if json {
                printOut(try OperatorCLI.json(results))
                return
            }
            if results.isEmpty {
                printOut(lang == .zh ? "没有租户：用 `nianjian tenant add` 添加" : "no tenants: add one with `nianjian tenant add`")
            }
            for result in results {
                printOut(lang == .zh
                    ? "\(result.tenant)：新建 \(result.planned) 个年检（截至 \(date.adding(days: windowDays)) 到期）"
                    : "\(result.tenant): planned \(result.planned) inspection\(result.planned == 1 ? "" : "s") (expiring by \(date.adding(days: windowDays)))")
            }
        }
    }
}
