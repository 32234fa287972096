import ArgumentParser
import Foundation
import NianjianConsole
import NianjianDomain

/// `nianjian check KIND VALUE`: exit 0 valid, 1 invalid, 2 usage error.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check one identifier: \(IdentifierCheck.kinds.joined(separator: ", ")).",
        discussion: "Exit status: 0 valid, 1 invalid, 2 usage error.")

    @Argument(help: "What the value is: \(IdentifierCheck.kinds.joined(separator: " | ")).")
    var kind: String

    @Argument(help: "The value to check.")
    var value: String

    @OptionGroup var language: LanguageOption

    @Flag(name: .long, help: "Print {\"valid\", \"normalized\", \"findings\": [{\"code\",\"severity\",\"message\"}]}.")
    var json = false

    @Option(name: .customLong("on"), help: "Date of the check, YYYY-MM-DD (default: today in China).")
    var onDate: String?

    func run() throws {
        var date: CivilDate?
        if let onDate {
            guard let parsed = CivilDate(iso: onDate) else {
                throw ValidationError("--on must be a date YYYY-MM-DD / 日期格式应为 YYYY-MM-DD")
            }
            date = parsed
        } else {
            date = SystemBusinessClock().now().chinaDate
        }
        guard let verdict = IdentifierCheck.check(kind: kind, value: value, on: date) else {
            printError("unknown kind '\(kind)': use one of \(IdentifierCheck.kinds.joined(separator: ", ")) / 未知类型")
            throw ExitCode(2)
        }
        let lang = language.language
        if json {
            let object: [String: Any] = [
                "valid": verdict.valid,
                "normalized": verdict.normalized,
                "findings": verdict.findings.map { ["code": $0.code, "severity": $0.severity.rawValue, "message": $0.message(lang)] },
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
            printOut(String(decoding: data, as: UTF8.self))
        } else {
            let verdictText = verdict.valid ? (lang == .zh ? "有效" : "valid") : (lang == .zh ? "无效" : "invalid")
            printOut("\(verdict.normalized.isEmpty ? value : verdict.normalized): \(verdictText)")
            for finding in verdict.findings {
                printOut("  [\(finding.severity.label(lang))] \(finding.code): \(finding.message(lang))")
                printOut("    → \(finding.remedy(lang))")
            }
        }
        if !verdict.valid { throw ExitCode(1) }
    }
}
