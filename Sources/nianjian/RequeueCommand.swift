import ArgumentParser
import Foundation
import NianjianConsole
import NianjianDomain
import NianjianOperations

struct RequeueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "requeue",
        abstract: "Send needs_materials / rejected / failed inspections back to pending. 重新排队。",
        discussion: """
            Attempts are reset and a new generation starts (a new console request); the history is kept and the
            note is recorded as an event with the operator ($USER). Inspections in other states, or held by a
            runner, are never touched.
            """)

    @Option(name: .long, help: "The tenant's slug.")
    var tenant: String
    @Option(name: .long, help: "Comma-separated states among needs_materials, rejected, failed (default: all three).")
    var state: String?
    @Option(name: .long, help: "Only those with this rejection reason or finding code (e.g. uscc.check_character).")
    var reasonCode: String?
    @Option(name: .long, help: "Only this company (company_ref): every inspection of its services in the chosen states.")
    var company: String?
    @Option(name: .long, help: "Only this service (service_ref).")
    var service: String?
    @Option(name: .long, parsing: .upToNextOption, help: "Only these inspection ids.")
    var inspection: [Int64] = []
    @Option(name: .long, help: "Why (recorded with the event).")
    var note: String
    @Option(name: .customLong("as-of"), help: "Business date YYYY-MM-DD: due from that night (default: now).")
    var asOf: String?
    @Flag(name: .long, help: "Show what would move; change nothing.")
    var dryRun = false
    @Flag(name: .long, help: "Print the result as JSON.")
    var json = false
    @OptionGroup var language: LanguageOption

    func run() throws {
        let lang = language.language
        try OperatorCLI.run(lang) {
            var states: [InspectionState] = []
            for name in (state ?? "").split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
                guard let parsed = InspectionState(rawValue: name), parsed.isRequeueable else {
                    throw UserFacingError(description: """
                        --state \(name): only needs_materials, rejected and failed can be re-queued
                        --state \(name)：只有 needs_materials、rejected、failed 可以重新排队
                        """, exitCode: 2)
                }
                states.append(parsed)
            }
            let now = try asOf.map { Timestamp(chinaDate: try OperatorCLI.date($0), hour: Planner.nightStartHour) }
                ?? SystemBusinessClock().now()
            let database = try CommandDatabase.open(maximumConnections: 1)
            defer { database.close() }
            let record = try TenantAdmin.resolve(database: database, slug: tenant)
            let request = RequeueRequest(states: states.isEmpty ? [.needsMaterials, .rejected, .failed] : states,
                                         reasonCode: reasonCode, companyRef: company, serviceRef: service,
                                         inspectionIds: inspection.isEmpty ? nil : inspection, note: note,
                                         operatorName: Requeuer.operatorName(), now: now, dryRun: dryRun)
            let result = try Requeuer.requeue(database: database, tenant: record, request)
            if json {
                printOut(try OperatorCLI.json(result))
                return
            }
            let verb = dryRun ? (lang == .zh ? "将重新排队" : "would re-queue") : (lang == .zh ? "已重新排队" : "re-queued")
            printOut(lang == .zh ? "\(record.slug)：\(verb) \(result.moved.count) 个年检"
                                 : "\(record.slug): \(verb) \(result.moved.count) inspection\(result.moved.count == 1 ? "" : "s")")
            for item in result.moved {
                printOut("  #\(item.inspectionId)  \(item.companyRef)  \(item.serviceRef)  \(item.fromState)\(item.reason.isEmpty ? "" : "  \(item.reason)")")
            }
        }
    }
}
