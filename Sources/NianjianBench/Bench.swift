import Dispatch
import Foundation
import Logging
import NianjianConsole
import NianjianDomain
import NianjianMockConsole
import NianjianPostgres
import NianjianRunner
import NianjianStore

/// What `nianjian bench` is asked to do; zero or nil means "the scenario's default".
public struct BenchOptions: Sendable {
    public var inspections: Int?
    public var tenants: Int?
    /// Console latency (ms); nil: the scenario's default.
    public var p50Milliseconds: Double?
    public var p99Milliseconds: Double?
    /// Per-tenant console calls per second (latency scenario).
    public var submitRate: Double?
    public var pollRate: Double?
    /// Claim and write batch of the runner, and of the SQL floor (nil: 1000; latency: about one second of
    /// the calls the rate limits allow, so that due polls are not held back behind rate-limited submits).
    public var batch: Int?
    /// Connections in the runner's pool.
    public var connections: Int = 4
    /// The runner's statement routing (`database.routing`): `per_tenant` measures the shape a database
    /// distributed by tenant needs, on this one server.
    public var routing = StatementRouting.combined
    public var seed: UInt64 = 7
    /// memory: the small backlog measured for comparison.
    public var baselineInspections: Int = 10_000
    /// memory: the worker stops the runner after this long, or this many outcomes written (one per inspection
    /// here: its first poll, made at once, decides it and is written with its submission). 10,000 is the small
    /// backlog's whole night, so both sizes do the same work: what the process holds for work done (the
    /// in-process console remembers every submission) is then the same, and the comparison is about the backlog.
    public var workerSeconds: Double = 15
    public var workerProcessed: Int = 10_000
    /// memory: the `nianjian` executable that runs the worker (the current one by default).
    public var workerExecutable: String?

    public init() {}
}

/// A scenario's result: the JSON object (fields in the issue's order, then extras) and a table.
public struct BenchReport: Sendable {
    public var scenario: String
    public var fields: [(String, BenchValue)]
    /// figure, value, target, verdict ("pass", "miss", "" when there is no target).
    public var rows: [(String, String, String, String)]
    public var meetsTargets: Bool

    public func json() -> String {
        BenchValue.object([("scenario", .string(scenario))] + fields + [("meets_targets", .bool(meetsTargets))]).json
    }

    public func table() -> String {
        var lines = [["figure", "value", "target", ""]] + rows.map { [$0.0, $0.1, $0.2, $0.3] }
        let widths = (0..<4).map { column in lines.map { $0[column].count }.max() ?? 0 }
        lines.insert(widths.map { String(repeating: "-", count: $0) }, at: 1)
        let body = lines.map { line in
            zip(line, widths).map { $0.0.padding(toLength: $0.1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }
        return (["bench \(scenario)"] + body).joined(separator: "\n")
    }
}

/// A JSON value with keys kept in order.
public indirect enum BenchValue: Sendable {
    case int(Int)
    case double(Double)
    case string(String)
    case bool(Bool)
    case object([(String, BenchValue)])

    public var json: String {
        switch self {
        case .int(let value): return String(value)
        case .double(let value): return value.isFinite ? String(format: "%.4f", value) : "null"
        case .bool(let value): return value ? "true" : "false"
        case .string(let value): return BenchValue.quote(value)
        case .object(let fields): return "{" + fields.map { "\(BenchValue.quote($0.0)):\($0.1.json)" }.joined(separator: ",") + "}"
        }
    }

    static func quote(_ text: String) -> String { JSONLiteral.string(text) }
}

public struct BenchError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The server a benchmark creates its fresh database on: `DATABASE_URL`'s or the embedded cluster.
public struct BenchServer: Sendable {
    /// Connects to any database of the server (CREATE DATABASE runs from there).
    public let connectionString: ConnectionString

    public init(connectionString: ConnectionString) { self.connectionString = connectionString }

    public static func resolve() throws -> BenchServer {
        BenchServer(connectionString: try DatabaseLocation.resolve().connectionString)
    }
}

/// A fresh, migrated database `nianjian_bench_<pid>_<n>`, dropped by `close()`.
final class BenchDatabase: @unchecked Sendable {
    let name: String
    let server: BenchServer
    let connectionString: ConnectionString
    let database: Database
    private static let lock = NSLock()
    nonisolated(unsafe) private static var serial = 0

    init(server: BenchServer, connections: Int) throws {
        BenchDatabase.lock.lock()
        BenchDatabase.serial += 1
        let serial = BenchDatabase.serial
        BenchDatabase.lock.unlock()
        name = "nianjian_bench_\(getpid())_\(serial)"
        self.server = server
        let admin = try PostgresConnection.connectBlocking(server.connectionString, label: "bench-admin")
        defer { admin.close() }
        let name = self.name
        try admin.runBlocking { session in
            try AdminQueries.dropDatabase(session, name: name)
            try AdminQueries.createDatabase(session, name: name)
        }
        connectionString = server.connectionString.database(name)
        database = Database(connectionString, maximumConnections: max(2, connections))
        do {
            try database.migrate()
        } catch {
            close()
            throw error
        }
    }

    func close() {
        database.close()
        // NIANJIAN_BENCH_KEEP: leave the database for a look at its plans and rows.
        if ProcessInfo.processInfo.environment["NIANJIAN_BENCH_KEEP"] != nil { return }
        guard let admin = try? PostgresConnection.connectBlocking(server.connectionString, label: "bench-drop") else { return }
        defer { admin.close() }
        let name = self.name
        _ = try? admin.runBlocking { session in try AdminQueries.dropDatabase(session, name: name) }
    }
}

/// Pieces every scenario shares.
enum Bench {
    /// The business date benchmarks run as of (a Tuesday, no holiday near).
    static let asOf = CivilDate(year: 2026, month: 12, day: 1) ?? CivilDate(daysSinceEpoch: 20_788)

    static func seconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    static var quietLogger: Logger {
        var logger = Logger(label: "nianjian.bench")
        logger.logLevel = .warning
        return logger
    }

    /// A job that measures the pipeline: mock console answering at once, reviews decided at the first poll,
    /// no rate limits, batches as given.
    static func fastJob(_ options: BenchOptions) -> JobDefinition {
        var job = JobDefinition()
        job.name = "bench"
        job.planFirst = false
        job.retry = RetryPolicy(maxAttempts: 5, baseDelaySeconds: 0.05, multiplier: 2, maxDelaySeconds: 1, jitter: 0)
        job.poll = PollSchedule(firstPollAfterBusinessDays: 0, firstPollAfterSeconds: 0, thenEveryBusinessDays: 0, thenEverySeconds: 0.05)
        job.rateLimits.submit.perSecond = 0
        job.rateLimits.poll.perSecond = 0
        let batch = options.batch ?? 1000
        // The job file's ceiling (`validate`): a batch above it is refused by the run, concurrency is capped.
        job.concurrency.global = min(100_000, max(64, batch * 2))
        job.concurrency.perTenant = min(100_000, max(8, batch))
        job.batch.claim = batch
        job.batch.write = batch
        job.batch.flushMilliseconds = 5
        job.lease.seconds = 30
        job.lease.heartbeatSeconds = 10
        job.database.routing = options.routing
        var console = MockConsoleSettings()
        console.seed = options.seed
        console.reviewBusinessDays = 0
        console.latencyP50Milliseconds = options.p50Milliseconds ?? 0
        console.latencyP99Milliseconds = options.p99Milliseconds ?? options.p50Milliseconds ?? 0
        job.console = console
        return job
    }

    /// Clean synthetic company files the server multiplies into the backlog. The server-side generator
    /// makes one company per inspection, so each template is one service with its own contract.
    static func templates(seed: UInt64, count: Int = 512) -> [CompanyFile] {
        let generator = SyntheticCompanies(seed: seed, servicesPerCompany: 1...1)
        return (0..<count).map { generator.portfolio(index: $0 + 1, defect: nil, referenceDate: asOf).file }
    }

    /// Creates tenants `<prefix>-001…` holding `counts` pending inspections. Returns their ids and slugs.
    @discardableResult
    static func load(_ database: Database, prefix: String, counts: [Int], seed: UInt64) throws -> (ids: [Int64], slugs: [String]) {
        let slugs = counts.indices.map { "\(prefix)-\(String(format: "%03d", $0 + 1))" }
        let templates = templates(seed: seed)
        let due = Timestamp(chinaDate: asOf, hour: 1)
        let ids = try database.runBlocking { session -> [Int64] in
            let ids = try BenchQueries.insertTenants(session, slugs: slugs, weights: counts.map { _ in 1 })
            try BenchQueries.generatePendingInspections(session, tenantIds: ids, counts: counts, templates: templates, dueAt: due)
            return ids
        }
        return (ids, slugs)
    }

    /// `total` split over `tenants` as evenly as possible.
    static func split(_ total: Int, over tenants: Int) -> [Int] {
        let tenants = max(1, tenants)
        return (0..<tenants).map { total / tenants + ($0 < total % tenants ? 1 : 0) }
    }

    /// Runs one night with the in-process mock console, as `nianjian run` does; the console's memory (what it
    /// was sent) comes back with the summary.
    static func runNight(_ database: Database, job: JobDefinition, tenants: [String]? = nil,
                         configure: (NightRunner) -> Void = { _ in })
        throws -> (summary: RunSummary, seconds: Double, console: InMemoryConsoleMemory.Figures) {
        let clock = AsOfBusinessClock(date: asOf, nightStartHour: job.nightStartHour)
        let memory = InMemoryConsoleMemory()
        let console = MockConsole(settings: job.console, memory: memory, clock: clock)
        let runner = NightRunner(database: database, console: console, clock: clock,
                                 options: RunOptions(job: job, tenantSlugs: tenants, asOf: asOf), logger: quietLogger)
        configure(runner)
        let started = seconds()
        let summary = try runner.run()
        return (summary, seconds() - started, memory.figures())
    }

    /// The outcome in the database, with what the console was sent (from its in-process memory).
    static func outcome(_ database: Database, tenantIds: [Int64]?, console: InMemoryConsoleMemory.Figures) throws -> BenchOutcome {
        var outcome = try database.runBlocking { try BenchQueries.outcome($0, tenantIds: tenantIds) }
        outcome.consoleSubmissions = console.submissions
        outcome.consoleRepeats = console.repeats
        outcome.consoleMismatches = console.mismatches
        return outcome
    }

    /// Refuses a result unless every inspection was approved and renewed exactly once, with its events and
    /// one console submission (`checksConsole`; the SQL floor has no console), and no lease is left.
    static func requireAllApproved(_ outcome: BenchOutcome, expected: Int, what: String, checksConsole: Bool = true) throws {
        var problems: [String] = []
        if outcome.inspections != expected { problems.append("\(outcome.inspections) inspections, expected \(expected)") }
        if outcome.approved != expected { problems.append("\(outcome.approved) approved of \(expected) (\(outcome.byState))") }
        if outcome.renewals != expected { problems.append("\(outcome.renewals) renewals, expected \(expected)") }
        if outcome.servicesRenewedWrongly != 0 { problems.append("\(outcome.servicesRenewedWrongly) services renewed other than once") }
        if outcome.wrongExpiry != 0 { problems.append("\(outcome.wrongExpiry) services with a wrong new expiry") }
        if outcome.leased != 0 { problems.append("\(outcome.leased) leases left") }
        if outcome.approvedWithoutEvent != 0 { problems.append("\(outcome.approvedWithoutEvent) approvals without an event") }
        if checksConsole && outcome.consoleSubmissions != expected {
            problems.append("\(outcome.consoleSubmissions) console submissions, expected \(expected)")
        }
        if outcome.consoleMismatches != 0 { problems.append("\(outcome.consoleMismatches) idempotency key mismatches") }
        if !problems.isEmpty {
            throw BenchError("\(what): the outcome is wrong, the figure does not count: " + problems.joined(separator: "; "))
        }
    }

    static func format(_ value: Double, _ decimals: Int = 0) -> String { String(format: "%.\(decimals)f", value) }

    static func verdict(_ pass: Bool) -> String { pass ? "pass" : "miss" }
}
