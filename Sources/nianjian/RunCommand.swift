import ArgumentParser
import Foundation
import Logging
import NianjianConsole
import NianjianDomain
import NianjianOperations
import NianjianRunner
import NianjianStore

/// `nianjian run`: one night of inspections (or keep going with --watch).
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one night: claim due inspections, validate, submit, poll, write every outcome back.",
        discussion: "Exit 0 when the night completed (business failures included); non-zero when it could not run.")

    @Option(name: .long, help: "Job file (default: Jobs/nightly.yml when present, else built-in defaults).")
    var job: String?

    @Option(name: .long, parsing: .upToNextOption, help: "Only these tenants (slugs).")
    var tenant: [String] = []

    @Option(name: .customLong("as-of"), help: "Business date YYYY-MM-DD: simulate that night.")
    var asOf: String?

    @Flag(name: .long, help: "Keep going after the night's work is done.")
    var watch = false

    @Flag(name: .long, help: "Print a JSON summary {run_id, as_of, claimed, by_state, by_tenant, seconds}.")
    var json = false

    @Option(name: .customLong("log-format"), help: "plain or json.")
    var logFormat = "plain"

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error.")
    var logLevel = "info"

    @OptionGroup var language: LanguageOption

    func run() throws {
        try runCommand {
            try LogSetup.bootstrap(format: logFormat, level: logLevel)
            let lang = language.language
            let definition = try RunCommand.loadJob(job)
            // Without --as-of the real clock runs the night.
            let date = try asOf.map { try OperatorCLI.date($0) }
            // Room for every write-back in flight beside a claim, a load, the heartbeat and the rescuer.
            let database = try CommandDatabase.open(maximumConnections: max(8, definition.batch.writers + 4),
                                                    settings: definition.database.sessionSettings)
            defer { database.close() }
            // JSON logs are for machines: no progress bar, and the summary is a JSON line too.
            let machine = json || logFormat == "json"
            let summary = try RunCommand.runNight(database: database, job: definition, tenants: tenant.isEmpty ? nil : tenant,
                                                  asOf: date, watch: watch, showProgress: !machine, language: lang)
            if machine {
                printOut(RunCommand.summaryJSON(summary))
            } else {
                printOut(RunCommand.summaryText(summary, lang))
            }
        }
    }

    static func loadJob(_ path: String?) throws -> JobDefinition {
        if let path { return try JobDefinition.load(path: path) }
        let fallback = "Jobs/nightly.yml"
        if FileManager.default.fileExists(atPath: fallback) { return try JobDefinition.load(path: fallback) }
        return JobDefinition()
    }

    /// Runs the night with a progress bar on a terminal and signal handling (SIGINT/SIGTERM stop cleanly).
    static func runNight(database: Database, job: JobDefinition, tenants: [String]?, asOf: CivilDate?, watch: Bool,
                         showProgress: Bool, language: Language = .en) throws -> RunSummary {
        let progress = ProgressDisplay(enabled: showProgress, language: language)
        defer { progress.clear() }
        return try Nightly.run(database: database, job: job, tenants: tenants, asOf: asOf, watch: watch, handleSignals: true,
                               onProgress: { progress.show($0) })
    }

    static func summaryJSON(_ summary: RunSummary) -> String {
        let object: [String: Any] = [
            "run_id": summary.runId,
            "as_of": summary.asOf.description,
            "claimed": summary.claimed,
            "by_state": summary.byState,
            "by_tenant": summary.byTenant,
            "seconds": (summary.seconds * 1000).rounded() / 1000,
            "status": summary.status,
            "fenced_out": summary.fencedOut,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    static func summaryText(_ summary: RunSummary, _ lang: Language = .en) -> String {
        let rate = summary.seconds > 0 ? Double(summary.byState.values.reduce(0, +)) / summary.seconds : 0
        let sorted = summary.byState.sorted { $0.key < $1.key }
        if lang == .zh {
            let states = sorted.map { "\(CLIText.stateName($0.key, .zh)) \($0.value)" }.joined(separator: "、")
            return "运行 \(summary.runId) \(CLIText.runStatus(summary.status, .zh))（业务日期 \(summary.asOf)）：领取 \(summary.claimed) 个；\(states.isEmpty ? "没有到期的任务" : states)；用时 \(String(format: "%.1f", summary.seconds)) 秒，每秒 \(String(format: "%.0f", rate)) 个"
        }
        let states = sorted.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        return "run \(summary.runId) \(summary.status) (as of \(summary.asOf)): claimed \(summary.claimed); \(states.isEmpty ? "nothing due" : states); \(String(format: "%.1f", summary.seconds)) s, \(String(format: "%.0f", rate))/s"
    }
}

/// A one-line progress bar on a terminal (done/total, per-state counts, rate, ETA); nothing when piped.
/// The line always fits the terminal (its width from TIOCGWINSZ, else COLUMNS, else 80): the bar shrinks
/// and the less important parts are left out, so a redraw never wraps into a new line. Log lines go through
/// `TerminalLine`, which erases the bar before writing them.
final class ProgressDisplay: @unchecked Sendable {
    private let enabled: Bool
    private let language: Language

    init(enabled: Bool, language: Language = .en) {
        self.enabled = enabled && isatty(STDERR_FILENO) == 1
        self.language = language
    }

    func show(_ progress: RunProgress) {
        guard enabled else { return }
        TerminalLine.shared.showBar(ProgressDisplay.line(progress, columns: ProgressDisplay.terminalColumns(), language: language))
    }

    func clear() {
        TerminalLine.shared.clearBar()
    }

    /// The terminal's width: the window size of stderr, else COLUMNS, else 80.
    static func terminalColumns() -> Int {
        var size = winsize()
        if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        if let text = ProcessInfo.processInfo.environment["COLUMNS"], let columns = Int(text), columns > 0 { return columns }
        return 80
    }

    /// The bar line for a terminal `columns` wide: at most `columns - 1` display columns (writing the last
    /// column would make some terminals wrap).
    static func line(_ progress: RunProgress, columns: Int, language: Language) -> String {
        let budget = max(1, columns - 1)
        let fraction = progress.total > 0 ? min(1, Double(progress.done) / Double(progress.total)) : 0
        let rate = progress.elapsedSeconds > 0 ? Double(progress.done) / progress.elapsedSeconds : 0
        let eta = rate > 0 && progress.total > progress.done ? Double(progress.total - progress.done) / rate : 0
        let zh = language == .zh
        let count = "\(progress.done)/\(progress.total)"
        let states = progress.byState.sorted { $0.key < $1.key }
            .map { "\(CLIText.stateName($0.key, language)) \($0.value)" }.joined(separator: " ")
        let speed = zh ? "每秒 \(String(format: "%.0f", rate))" : "\(String(format: "%.0f", rate))/s"
        let remaining = zh ? "剩余 \(String(format: "%.0f", eta)) 秒" : "ETA \(String(format: "%.0f", eta))s"
        let flight = zh ? "进行中 \(progress.inFlight)" : "in flight \(progress.inFlight)"
        // Most important first: the count, then rate and ETA, then what is in flight, then the states.
        let optional = [speed, remaining, flight, states].filter { !$0.isEmpty }
        for keep in stride(from: optional.count, through: 0, by: -1) {
            let tail = ([count] + optional.prefix(keep)).joined(separator: "  ")
            let room = budget - CLIText.width(tail) - 3 // "[", "] "
            if room >= 10 || (keep == 0 && room >= 0) {
                let width = min(24, room)
                let filled = Int(fraction * Double(width))
                return "[\(String(repeating: "#", count: filled))\(String(repeating: ".", count: width - filled))] \(tail)"
            }
        }
        // Narrower than the count itself: the count alone, cut to fit.
        return String(count.prefix(budget))
    }
}
