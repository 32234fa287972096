import Dispatch
import Foundation
import NianjianConsole
import NianjianDomain
import NianjianPostgres
import NianjianRunner
import NianjianStore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the memory worker (a child process) reports.
public struct BenchWorkerReport: Sendable, Hashable {
    public var peakRSSKiB: Int
    public var processed: Int
    public var seconds: Double
    public var status: String
    /// Idempotency keys the worker's (in-process) console saw reused with another request.
    public var consoleMismatches: Int = 0
    /// Claims that returned work, and their mean time in milliseconds (the claim's cost in this backlog); and
    /// those that returned a full batch (the same claim at any backlog size).
    public var claims: Int = 0
    public var claimMillisecondsMean: Double = 0
    public var fullClaims: Int = 0
    public var fullClaimMillisecondsMean: Double = 0

    public var json: String {
        BenchValue.object([("peak_rss_kib", .int(peakRSSKiB)), ("processed", .int(processed)), ("seconds", .double(seconds)),
                           ("status", .string(status)), ("console_mismatches", .int(consoleMismatches)),
                           ("claims", .int(claims)), ("claim_ms_mean", .double(claimMillisecondsMean)),
                           ("full_claims", .int(fullClaims)), ("full_claim_ms_mean", .double(fullClaimMillisecondsMean))]).json
    }

    public static func parse(_ text: String) -> BenchWorkerReport? {
        guard let line = text.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
              let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let rss = (object["peak_rss_kib"] as? NSNumber)?.intValue,
              let processed = (object["processed"] as? NSNumber)?.intValue else { return nil }
        return BenchWorkerReport(peakRSSKiB: rss, processed: processed, seconds: (object["seconds"] as? NSNumber)?.doubleValue ?? 0,
                                 status: object["status"] as? String ?? "",
                                 consoleMismatches: (object["console_mismatches"] as? NSNumber)?.intValue ?? 0,
                                 claims: (object["claims"] as? NSNumber)?.intValue ?? 0,
                                 claimMillisecondsMean: (object["claim_ms_mean"] as? NSNumber)?.doubleValue ?? 0,
                                 fullClaims: (object["full_claims"] as? NSNumber)?.intValue ?? 0,
                                 fullClaimMillisecondsMean: (object["full_claim_ms_mean"] as? NSNumber)?.doubleValue ?? 0)
    }
}

/// `memory`: the runner's peak resident memory with a large backlog, and with a small one. Each size runs
/// in a child process of the same binary (`nianjian bench memory-worker`), because a process's peak RSS only
/// grows: the parent's data generation must not count, nor one size the other.
public enum BenchMemory {
    /// Environment variables that tell the worker which database to use (never on the command line: a URL
    /// may carry a password).
    public static let connectionVariable = "NIANJIAN_BENCH_CONNINFO"
    public static let databaseVariable = "NIANJIAN_BENCH_DATABASE"

    public static func measure(server: BenchServer, options: BenchOptions) throws -> BenchReport {
        let count = options.inspections ?? 1_000_000
        let baseline = options.baselineInspections
        let tenants = options.tenants ?? 300
        let small = try measureOne(server: server, options: options, pending: baseline, tenants: tenants)
        let large = try measureOne(server: server, options: options, pending: count, tenants: tenants)
        let peak = Double(large.peakRSSKiB) / 1024
        let peakSmall = Double(small.peakRSSKiB) / 1024
        let growth = peakSmall > 0 ? peak / peakSmall : 0
        let passPeak = peak <= 150
        let passGrowth = growth <= 1.5
        // The claim's cost in the backlog: the mean time of a full claim with `count` due against `baseline` due
        // (the same claim; every claim's mean is reported beside it).
        let claimGrowth = small.fullClaimMillisecondsMean > 0 ? large.fullClaimMillisecondsMean / small.fullClaimMillisecondsMean : 0
        let claimGrowthAll = small.claimMillisecondsMean > 0 ? large.claimMillisecondsMean / small.claimMillisecondsMean : 0
        let passClaim = large.fullClaims > 0 && small.fullClaims > 0 && claimGrowth <= 1.5
        return BenchReport(
            scenario: "memory",
            fields: [("pending", .int(count)), ("peak_rss_mib", .double(peak)), ("peak_rss_mib_at_10k", .double(peakSmall)),
                     ("baseline_pending", .int(baseline)), ("growth", .double(growth)), ("processed", .int(large.processed)),
                     ("processed_at_10k", .int(small.processed)), ("tenants", .int(tenants)),
                     ("claim_ms_mean", .double(large.claimMillisecondsMean)), ("claim_ms_mean_at_10k", .double(small.claimMillisecondsMean)),
                     ("claims", .int(large.claims)), ("claims_at_10k", .int(small.claims)), ("claim_growth", .double(claimGrowth)),
                     ("full_claim_ms_mean", .double(large.fullClaimMillisecondsMean)),
                     ("full_claim_ms_mean_at_10k", .double(small.fullClaimMillisecondsMean)),
                     ("full_claims", .int(large.fullClaims)), ("full_claims_at_10k", .int(small.fullClaims)),
                     ("claim_growth_all_claims", .double(claimGrowthAll))],
            rows: [("pending (tenants)", "\(count) (\(tenants))", "", ""),
                   ("processed before the stop", "\(large.processed) in \(Bench.format(large.seconds, 1)) s", "", ""),
                   ("peak RSS MiB", Bench.format(peak, 1), "≤ 150", Bench.verdict(passPeak)),
                   ("peak RSS MiB at \(baseline)", Bench.format(peakSmall, 1), "", ""),
                   ("growth", Bench.format(growth, 2), "≤ 1.5", Bench.verdict(passGrowth)),
                   ("claim ms (mean of \(large.claims); \(large.fullClaims) full)",
                    "\(Bench.format(large.claimMillisecondsMean, 2)); full \(Bench.format(large.fullClaimMillisecondsMean, 2))", "", ""),
                   ("claim ms at \(baseline) (mean of \(small.claims); \(small.fullClaims) full)",
                    "\(Bench.format(small.claimMillisecondsMean, 2)); full \(Bench.format(small.fullClaimMillisecondsMean, 2))", "", ""),
                   ("claim growth, all claims", Bench.format(claimGrowthAll, 2), "", ""),
                   ("claim growth (full claims)", Bench.format(claimGrowth, 2), "≤ 1.5", Bench.verdict(passClaim))],
            meetsTargets: passPeak && passGrowth && passClaim)
    }

    /// One size: a fresh database with `pending` inspections made on the server, a worker process runs the
    /// night (stopped after a while), then the outcome is checked.
    static func measureOne(server: BenchServer, options: BenchOptions, pending: Int, tenants: Int) throws -> BenchWorkerReport {
        let bench = try BenchDatabase(server: server, connections: 2)
        defer { bench.close() }
        let database = bench.database
        try Bench.load(database, prefix: "mem", counts: Bench.split(pending, over: min(tenants, max(1, pending))), seed: options.seed)
        try database.runBlocking { try BenchQueries.vacuumAnalyze($0) }
        let report = try spawnWorker(server: server, databaseName: bench.name, options: options)
        let outcome = try database.runBlocking { try BenchQueries.outcome($0, tenantIds: nil) }
        var problems: [String] = []
        if outcome.inspections != pending { problems.append("\(outcome.inspections) inspections, expected \(pending)") }
        if outcome.approved < 1 { problems.append("nothing was approved") }
        let unfinished = (outcome.byState["pending"] ?? 0) + (outcome.byState["submitting"] ?? 0) + (outcome.byState["in_review"] ?? 0)
        if outcome.approved + unfinished != pending { problems.append("states \(outcome.byState): some inspections failed") }
        if outcome.renewals != outcome.approved { problems.append("\(outcome.renewals) renewals for \(outcome.approved) approvals") }
        if outcome.servicesRenewedWrongly != 0 { problems.append("\(outcome.servicesRenewedWrongly) services renewed other than once") }
        if outcome.leased != 0 { problems.append("\(outcome.leased) leases left after the stop") }
        if report.consoleMismatches != 0 { problems.append("\(report.consoleMismatches) idempotency key mismatches") }
        if report.processed < outcome.approved { problems.append("worker reported \(report.processed) done, \(outcome.approved) approved") }
        if !problems.isEmpty { throw BenchError("memory (\(pending)): the outcome is wrong: " + problems.joined(separator: "; ")) }
        return report
    }

    /// Runs `nianjian bench memory-worker` on the database and reads its report.
    static func spawnWorker(server: BenchServer, databaseName: String, options: BenchOptions) throws -> BenchWorkerReport {
        guard let executable = options.workerExecutable ?? currentExecutable() else {
            throw BenchError("memory: cannot find the nianjian executable to run the worker")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["bench", "memory-worker", "--batch", String(options.batch ?? 1000), "--connections", String(options.connections),
                             "--worker-seconds", String(options.workerSeconds), "--worker-processed", String(options.workerProcessed),
                             "--seed", String(options.seed)]
        var environment = ProcessInfo.processInfo.environment
        environment[connectionVariable] = server.connectionString.raw
        environment[databaseVariable] = databaseName
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0, let report = BenchWorkerReport.parse(text) else {
            throw BenchError("memory: the worker failed (exit \(process.terminationStatus)): \(text.suffix(500))")
        }
        return report
    }

    static func currentExecutable() -> String? {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        return Bundle.main.executablePath
    }

    /// The worker: runs the night on the database the environment names, stops the runner after
    /// `workerSeconds` or `workerProcessed` inspections, and reports its own peak RSS.
    public static func worker(options: BenchOptions,
                              environment: [String: String] = ProcessInfo.processInfo.environment) throws -> BenchWorkerReport {
        guard let raw = environment[connectionVariable], let name = environment[databaseVariable] else {
            throw BenchError("memory-worker is started by `nianjian bench memory`, with \(connectionVariable) and \(databaseVariable) set")
        }
        let database = Database(ConnectionString(raw, database: name), maximumConnections: max(2, options.connections))
        defer { database.close() }
        let job = Bench.fastJob(options)
        let limit = options.workerProcessed
        let stop = StopOnce()
        let night = try Bench.runNight(database, job: job) { runner in
            runner.onProgress = { progress in
                if progress.done >= limit, stop.first() { runner.requestStop() }
            }
            BlockingWork.start(after: options.workerSeconds) {
                if stop.first() { runner.requestStop() }
            }
        }
        let processed = night.summary.byState.values.reduce(0, +)
        return BenchWorkerReport(peakRSSKiB: peakRSSKiB(), processed: processed, seconds: night.seconds, status: night.summary.status,
                                 consoleMismatches: night.console.mismatches, claims: night.summary.claims.withWork,
                                 claimMillisecondsMean: night.summary.claims.meanMilliseconds,
                                 fullClaims: night.summary.claims.full,
                                 fullClaimMillisecondsMean: night.summary.claims.meanFullMilliseconds)
    }

    /// This process's peak resident set, in KiB.
    ///
    /// Linux: VmHWM from /proc/self/status, the high-water mark of this program's own address space.
    /// getrusage's ru_maxrss is not: it keeps the maximum across execve, so a worker started by a large
    /// parent (posix_spawn shares the parent's memory until the exec) reports the parent's peak.
    static func peakRSSKiB() -> Int {
        #if os(Linux)
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
           let kib = Int(line.dropFirst("VmHWM:".count).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "") {
            return kib
        }
        #endif
        var usage = rusage()
        #if os(Linux)
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        #if os(macOS)
        return Int(usage.ru_maxrss) / 1024
        #else
        return Int(usage.ru_maxrss)
        #endif
    }
}

/// True the first time only, from any thread.
final class StopOnce: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false

    func first() -> Bool {
        lock.lock(); defer { lock.unlock() }
        if done { return false }
        done = true
        return true
    }
}
