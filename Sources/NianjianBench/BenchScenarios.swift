import Dispatch
import Foundation
import NianjianConsole
import NianjianDomain
import NianjianPostgres
import NianjianRunner
import NianjianStore

/// `nianjian bench SCENARIO`: each scenario makes its own data in a fresh database, runs, refuses a figure
/// whose outcome is wrong, and reports (issue 6 names the JSON fields and the targets).
public enum BenchScenarios {
    public static let names = ["throughput", "latency", "fairness", "memory", "validate"]

    public static func run(_ scenario: String, server: @autoclosure () throws -> BenchServer, options: BenchOptions) throws -> BenchReport {
        switch scenario {
        case "throughput": return try throughput(server: server(), options: options)
        case "latency": return try latency(server: server(), options: options)
        case "fairness": return try fairness(server: server(), options: options)
        case "memory": return try BenchMemory.measure(server: server(), options: options)
        case "validate": return try validate(options: options)
        default:
            throw BenchError("unknown scenario '\(scenario)' (known: \(names.joined(separator: ", "))) / 未知的场景")
        }
    }

    // MARK: - throughput

    /// N inspections over T tenants through the whole lifecycle with an instant console, and in the same
    /// run the SQL floor: the same state changes for another N in pure SQL batches from one session.
    public static func throughput(server: BenchServer, options: BenchOptions) throws -> BenchReport {
        let count = options.inspections ?? 100_000
        let tenants = options.tenants ?? 300
        let bench = try BenchDatabase(server: server, connections: options.connections)
        defer { bench.close() }
        let database = bench.database
        let counts = Bench.split(count, over: tenants)
        let runner = try Bench.load(database, prefix: "run", counts: counts, seed: options.seed)
        let floor = try Bench.load(database, prefix: "floor", counts: counts, seed: options.seed)
        try database.runBlocking { try BenchQueries.vacuumAnalyze($0) }

        // The floor, from one session.
        let floorIds = floor.ids, batch = options.batch ?? 1000
        let floorSeconds = try database.runBlocking { session -> Double in
            let clock = AsOfBusinessClock(date: Bench.asOf)
            let owner = "sql-floor"
            let started = Bench.seconds()
            var rounds = 0
            let limit = 20 * (count / max(1, batch) + 10)
            var spent = [Double](repeating: 0, count: 3)
            @discardableResult func timed<T>(_ step: Int, _ body: () throws -> T) rethrows -> T {
                let start = Bench.seconds()
                defer { spent[step] += Bench.seconds() - start }
                return try body()
            }
            while try timed(0, { try BenchQueries.floorClaim(session, owner: owner, tenantIds: floorIds, batchSize: batch,
                                                             leaseSeconds: 30, now: clock.now()) }) > 0 {
                try timed(1) { try BenchQueries.floorValidate(session, owner: owner, now: clock.now()) }
                // The console's side (its memory) is the mock's, in process: the floor writes none of it.
                try timed(2) { try BenchQueries.floorSubmittedAndApproved(session, owner: owner, now: clock.now()) }
                rounds += 1
                if rounds > limit { throw BenchError("the SQL floor made no progress after \(rounds) rounds") }
            }
            if ProcessInfo.processInfo.environment["NIANJIAN_BENCH_TRACE"] != nil {
                let names = ["claim", "validate", "submitted and approved"]
                let text = zip(names, spent).map { "\($0.0) \(Bench.format($0.1, 2))s" }.joined(separator: ", ")
                FileHandle.standardError.write(Data("sql floor: \(rounds) rounds; \(text)\n".utf8))
            }
            return Bench.seconds() - started
        }
        let floorOutcome = try database.runBlocking { try BenchQueries.outcome($0, tenantIds: floorIds) }
        try Bench.requireAllApproved(floorOutcome, expected: count, what: "SQL floor", checksConsole: false)
        try database.runBlocking { try BenchQueries.vacuumAnalyze($0) }

        // The runner, over every tenant (the floor's have nothing left to do).
        let job = Bench.fastJob(options)
        let night = try Bench.runNight(database, job: job)
        let runIds = runner.ids
        let outcome = try Bench.outcome(database, tenantIds: runIds, console: night.console)
        try Bench.requireAllApproved(outcome, expected: count, what: "runner")
        guard night.summary.status == "completed" else { throw BenchError("the run ended \(night.summary.status)") }

        let perSecond = Double(count) / night.seconds
        let floorPerSecond = Double(count) / floorSeconds
        let ratio = perSecond / floorPerSecond
        // The yardstick outside the product: the least a lifecycle costs on this server.
        let minimalPerSecond = try BenchMinimalFloor.measure(database, count: count, tenants: tenants)
        let ratioMinimal = perSecond / minimalPerSecond
        let pass = ratio >= 0.7 && ratioMinimal >= 0.5
        return BenchReport(
            scenario: "throughput",
            fields: [("inspections", .int(count)), ("seconds", .double(night.seconds)), ("per_second", .double(perSecond)),
                     ("sql_floor_per_second", .double(floorPerSecond)), ("ratio", .double(ratio)), ("tenants", .int(tenants)),
                     ("sql_floor_seconds", .double(floorSeconds)), ("batch", .int(batch)),
                     ("minimal_floor_per_second", .double(minimalPerSecond)), ("ratio_minimal", .double(ratioMinimal)),
                     ("routing", .string(options.routing.rawValue))],
            rows: [("inspections (tenants)", "\(count) (\(tenants))", "", ""),
                   ("runner: statement routing", options.routing.rawValue, "", ""),
                   ("runner: seconds", Bench.format(night.seconds, 2), "", ""),
                   ("runner: inspections/s", Bench.format(perSecond), "", ""),
                   ("SQL floor: inspections/s", Bench.format(floorPerSecond), "", ""),
                   ("minimal SQL lifecycle: jobs/s", Bench.format(minimalPerSecond), "", ""),
                   ("ratio runner / floor", Bench.format(ratio, 3), "≥ 0.7", Bench.verdict(ratio >= 0.7)),
                   ("ratio runner / minimal lifecycle", Bench.format(ratioMinimal, 3), "≥ 0.5", Bench.verdict(ratioMinimal >= 0.5))],
            meetsTargets: pass)
    }

    // MARK: - latency

    /// A console with real latency and per-tenant rate limits: how close the night comes to what the limits
    /// allow (the slowest tenant's calls ÷ its rate).
    public static func latency(server: BenchServer, options: BenchOptions) throws -> BenchReport {
        let count = options.inspections ?? 2_000
        let tenants = options.tenants ?? 10
        let submitRate = options.submitRate ?? 10
        let pollRate = options.pollRate ?? 10
        var settings = options
        settings.batch = options.batch ?? max(tenants, Int((submitRate + pollRate) * Double(tenants) / 2))
        settings.p50Milliseconds = options.p50Milliseconds ?? 100
        settings.p99Milliseconds = options.p99Milliseconds ?? 500
        let bench = try BenchDatabase(server: server, connections: options.connections)
        defer { bench.close() }
        let database = bench.database
        try Bench.load(database, prefix: "lat", counts: Bench.split(count, over: tenants), seed: options.seed)
        try database.runBlocking { try BenchQueries.vacuumAnalyze($0) }

        var job = Bench.fastJob(settings)
        job.rateLimits.submit.perSecond = submitRate
        job.rateLimits.submit.burst = 1
        job.rateLimits.poll.perSecond = pollRate
        job.rateLimits.poll.burst = 1
        let night = try Bench.runNight(database, job: job)
        let outcome = try Bench.outcome(database, tenantIds: nil, console: night.console)
        try Bench.requireAllApproved(outcome, expected: count, what: "latency")
        let calls = night.console.perAccount.values
        let bound = calls.map { max(Double($0.submits) / submitRate, Double($0.polls) / pollRate) }.max() ?? 0
        let makespan = night.summary.seconds
        let ratio = bound > 0 ? makespan / bound : 0
        let pass = ratio <= 1.15
        return BenchReport(
            scenario: "latency",
            fields: [("makespan_seconds", .double(makespan)), ("bound_seconds", .double(bound)), ("ratio", .double(ratio)),
                     ("inspections", .int(count)), ("tenants", .int(tenants)), ("p50_ms", .double(settings.p50Milliseconds ?? 0)),
                     ("p99_ms", .double(settings.p99Milliseconds ?? 0)), ("submit_rate", .double(submitRate)),
                     ("poll_rate", .double(pollRate))],
            rows: [("inspections (tenants)", "\(count) (\(tenants))", "", ""),
                   ("console latency p50 / p99 ms", "\(Bench.format(settings.p50Milliseconds ?? 0)) / \(Bench.format(settings.p99Milliseconds ?? 0))", "", ""),
                   ("per-tenant submit / poll per s", "\(Bench.format(submitRate, 1)) / \(Bench.format(pollRate, 1))", "", ""),
                   ("makespan s", Bench.format(makespan, 2), "", ""),
                   ("bound s", Bench.format(bound, 2), "", ""),
                   ("ratio makespan / bound", Bench.format(ratio, 3), "≤ 1.15", Bench.verdict(pass))],
            meetsTargets: pass)
    }

    // MARK: - fairness

    /// One tenant holds 90 % of the night's work: the others must not wait for it.
    public static func fairness(server: BenchServer, options: BenchOptions) throws -> BenchReport {
        let count = options.inspections ?? 20_000
        let tenants = max(2, options.tenants ?? 10)
        let big = count * 9 / 10
        let counts = [big] + Bench.split(count - big, over: tenants - 1)
        let bench = try BenchDatabase(server: server, connections: options.connections)
        defer { bench.close() }
        let database = bench.database
        let loaded = try Bench.load(database, prefix: "fair", counts: counts, seed: options.seed)
        try database.runBlocking { try BenchQueries.vacuumAnalyze($0) }

        // Fairness is measured with the shipped job's batch (Jobs/nightly.yml, 500) unless --batch says otherwise.
        var fairnessOptions = options
        fairnessOptions.batch = options.batch ?? JobDefinition().batch.claim
        let night = try Bench.runNight(database, job: Bench.fastJob(fairnessOptions))
        let outcome = try Bench.outcome(database, tenantIds: nil, console: night.console)
        try Bench.requireAllApproved(outcome, expected: count, what: "fairness")
        let runId = night.summary.runId
        let times = try database.runBlocking { try BenchQueries.finishTimes($0, runId: runId) }
        let bigSlug = loaded.slugs[0]
        let small = times.filter { $0.slug != bigSlug }
        guard small.count == tenants - 1 else { throw BenchError("finish times for \(small.count) small tenants, expected \(tenants - 1)") }
        let smallFirst = small.map(\.first).max() ?? 0
        let smallLast = small.map(\.last).max() ?? 0
        let bigTimes = times.first { $0.slug == bigSlug }
        let pass = smallFirst <= 0.05
        return BenchReport(
            scenario: "fairness",
            fields: [("small_first_max_fraction", .double(smallFirst)),
                     ("tenants", .object(times.map { ($0.slug, .object([("first", .double($0.first)), ("last", .double($0.last))])) })),
                     ("small_last_max_fraction", .double(smallLast)), ("inspections", .int(count)), ("big_tenant", .string(bigSlug)),
                     ("seconds", .double(night.summary.seconds))],
            rows: [("inspections (tenants)", "\(count) (\(tenants); \(bigSlug) holds \(big))", "", ""),
                   ("night s", Bench.format(night.summary.seconds, 2), "", ""),
                   ("\(bigSlug) first / last", "\(Bench.format(bigTimes?.first ?? 0, 3)) / \(Bench.format(bigTimes?.last ?? 0, 3))", "", ""),
                   ("small tenants: latest last", Bench.format(smallLast, 3), "", ""),
                   ("small tenants: latest first", Bench.format(smallFirst, 3), "≤ 0.05", Bench.verdict(pass))],
            meetsTargets: pass)
    }

    // MARK: - validate

    /// Companies validated per second on one core (the files are made beforehand, on every core).
    public static func validate(options: BenchOptions) throws -> BenchReport {
        let count = options.inspections ?? 200_000
        let generator = SyntheticCompanies(seed: options.seed)
        let defects = SyntheticCompanies.Defect.allCases
        // Every tenth company has a defect, in turn; the rest are clean.
        let defectOf: @Sendable (Int) -> SyntheticCompanies.Defect? = { $0 % 10 == 9 ? defects[($0 / 10) % defects.count] : nil }
        let chunks = max(1, min(64, count / 1000))
        let portfolios = ChunkedBuffer<SyntheticPortfolio>(chunks: chunks)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let size = (count + chunks - 1) / chunks
            let range = min(count, chunk * size)..<min(count, (chunk + 1) * size)
            portfolios.set(chunk, range.map { generator.portfolio(index: $0 + 1, defect: defectOf($0), referenceDate: Bench.asOf) })
        }
        let all = portfolios.joined()
        // A company is validated once per service it has (each inspection is judged on its own contract).
        let files = all.flatMap(\.files)
        let date = Bench.asOf
        let started = Bench.seconds()
        var blocking = 0
        var findings = 0
        for file in files {
            let found = MaterialsValidator.validate(file, on: date)
            findings += found.count
            if found.hasBlocking { blocking += 1 }
        }
        let seconds = Bench.seconds() - started
        // A second pass, outside the timing, checks each service's verdict against what was planted where.
        var cleanBlocked = 0, defectMissed = 0
        for portfolio in all {
            for file in portfolio.files {
                let found = Set(MaterialsValidator.validate(file, on: date).filter(\.severity.blocksSubmission).compactMap(\.catalogCode))
                let expected = portfolio.expectedCodes[file.service.ref, default: []]
                if expected.isEmpty { if !found.isEmpty { cleanBlocked += 1 } } else if !expected.isSubset(of: found) { defectMissed += 1 }
            }
        }
        guard cleanBlocked == 0, defectMissed == 0, all.count == count else {
            throw BenchError("validate: the verdicts are wrong (\(cleanBlocked) clean services blocked, \(defectMissed) defects missed)")
        }
        let perSecond = Double(count) / seconds
        let pass = perSecond >= 200_000
        return BenchReport(
            scenario: "validate",
            fields: [("per_second", .double(perSecond)), ("companies", .int(count)), ("services", .int(files.count)),
                     ("seconds", .double(seconds)),
                     ("blocked", .int(blocking)), ("findings", .int(findings))],
            rows: [("companies", "\(count) (every tenth with a defect), \(files.count) services", "", ""),
                   ("seconds (one core)", Bench.format(seconds, 3), "", ""),
                   ("blocked", "\(blocking)", "", ""),
                   ("companies validated / s", Bench.format(perSecond), "≥ 200000", Bench.verdict(pass))],
            meetsTargets: pass)
    }
}

/// Results of parallel work, one slot per chunk, written from many threads.
final class ChunkedBuffer<Element: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [[Element]]

    init(chunks: Int) { slots = Array(repeating: [], count: chunks) }

    func set(_ chunk: Int, _ elements: [Element]) {
        lock.lock(); defer { lock.unlock() }
        slots[chunk] = elements
    }

    func joined() -> [Element] {
        lock.lock(); defer { lock.unlock() }
        return slots.flatMap { $0 }
    }
}
