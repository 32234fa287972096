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

    func run() throws {
        try runCommand {
            try LogSetup.bootstrap(format: logFormat, level: logLevel)
            let definition = try RunCommand.loadJob(job)
            // Without --as-of the real clock runs the night.
            let date = try asOf.map { try OperatorCLI.date($0) }
            let database = try CommandDatabase.open(maximumConnections: 8)
            defer { database.close() }
            let summary = try RunCommand.runNight(database: database, job: definition, tenants: tenant.isEmpty ? nil : tenant,
                                                  asOf: date, watch: watch, showProgress: !json)
            if json {
                printOut(RunCommand.summaryJSON(summary))
            } else {
                printOut(RunCommand.summaryText(summary))
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
                         showProgress: Bool) throws -> RunSummary {
        let progress = ProgressDisplay(enabled: showProgress)
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

    static func summaryText(_ summary: RunSummary) -> String {
        let states = summary.byState.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        let rate = summary.seconds > 0 ? Double(summary.byState.values.reduce(0, +)) / summary.seconds : 0
        return "run \(summary.runId) \(summary.status) (as of \(summary.asOf)): claimed \(summary.claimed); \(states.isEmpty ? "nothing due" : states); \(String(format: "%.1f", summary.seconds)) s, \(String(format: "%.0f", rate))/s"
    }
}

/// A one-line progress bar on a terminal (done/total, per-state counts, rate, ETA); nothing when piped.
final class ProgressDisplay: @unchecked Sendable {
    private let enabled: Bool
    private let lock = NSLock()
    private var shown = false

    init(enabled: Bool) { self.enabled = enabled && isatty(STDERR_FILENO) == 1 }

    func show(_ progress: RunProgress) {
        guard enabled else { return }
        let fraction = progress.total > 0 ? min(1, Double(progress.done) / Double(progress.total)) : 0
        let width = 24
        let filled = Int(fraction * Double(width))
        let rate = progress.elapsedSeconds > 0 ? Double(progress.done) / progress.elapsedSeconds : 0
        let eta = rate > 0 && progress.total > progress.done ? Double(progress.total - progress.done) / rate : 0
        let states = progress.byState.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: " ")
        let line = "[\(String(repeating: "#", count: filled))\(String(repeating: ".", count: width - filled))] \(progress.done)/\(progress.total)  \(states)  \(String(format: "%.0f", rate))/s  ETA \(String(format: "%.0f", eta))s  in flight \(progress.inFlight)"
        lock.lock(); shown = true; lock.unlock()
        FileHandle.standardError.write(Data("\r\u{1B}[2K\(line)".utf8))
    }

    func clear() {
        lock.lock(); defer { lock.unlock() }
        if shown { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
    }
}
