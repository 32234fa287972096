import Foundation
import Logging
import NianjianConsole
import NianjianDomain
import NianjianMockConsole
import NianjianOperations
import NianjianPostgres
import NianjianRunner
import NianjianStore
import NianjianTestSupport
import Testing

/// The mock console, watched: when each tenant's calls started and how many were in flight at once.
final class RecordingConsole: ConsoleAdapter, @unchecked Sendable {
    enum Kind: Sendable { case submit, poll }
    struct Call: Sendable { var account: String; var kind: Kind; var at: Double }

    private let inner: MockConsole
    private let lock = NSLock()
    private var calls: [Call] = []
    private var inFlight: [String: Int] = [:]
    private var maxInFlight: [String: Int] = [:]
    private let started = DispatchTime.now().uptimeNanoseconds

    init(_ inner: MockConsole) { self.inner = inner }

    private func begin(_ account: String, _ kind: Kind) {
        lock.lock(); defer { lock.unlock() }
        calls.append(Call(account: account, kind: kind, at: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9))
        inFlight[account, default: 0] += 1
        maxInFlight[account] = max(maxInFlight[account] ?? 0, inFlight[account] ?? 0)
    }

    private func end(_ account: String) {
        lock.lock(); inFlight[account, default: 0] -= 1; lock.unlock()
    }

    func submit(_ request: SubmitRequest, completion: @escaping @Sendable (Result<SubmitReceipt, ConsoleError>) -> Void) {
        begin(request.account, .submit)
        inner.submit(request) { [self] result in end(request.account); completion(result) }
    }

    func queryStatus(_ queries: [StatusQuery], completion: @escaping @Sendable ([StatusAnswer]) -> Void) {
        inner.queryStatus(queries, completion: completion)
    }

    func poll(_ request: PollRequest, completion: @escaping @Sendable (Result<ReviewStatus, ConsoleError>) -> Void) {
        begin(request.account, .poll)
        inner.poll(request) { [self] result in end(request.account); completion(result) }
    }

    /// Start times (seconds since the console was made) of one tenant's calls of one kind, in order.
    func times(_ account: String, _ kind: Kind) -> [Double] {
        lock.lock(); defer { lock.unlock() }
        return calls.filter { $0.account == account && $0.kind == kind }.map(\.at).sorted()
    }

    func submitOrder() -> [String] {
        lock.lock(); defer { lock.unlock() }
        return calls.filter { $0.kind == .submit }.map(\.account)
    }

    func peak(_ account: String) -> Int {
        lock.lock(); defer { lock.unlock() }
        return maxInFlight[account] ?? 0
    }
}

/// Runs one night with the recording console.
private func runRecorded(_ database: Database, _ job: JobDefinition, asOf: CivilDate = Scenario.asOf) async throws
    -> (RunSummary, RecordingConsole) {
    let clock = AsOfBusinessClock(date: asOf, nightStartHour: job.nightStartHour)
    let console = RecordingConsole(MockConsole(settings: job.console, memory: InMemoryConsoleMemory(), clock: clock))
    var logger = Logger(label: "test.overrides")
    logger.logLevel = ProcessInfo.processInfo.environment["NJ_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
    let runner = NightRunner(database: database, console: console, clock: clock,
                             options: RunOptions(job: job, asOf: asOf, runnerId: "overrides"), logger: logger)
    let summary = try await offThePool { try runner.run() }
    return (summary, console)
}

/// The most calls that started within any window, against what a token bucket of `rate` and `burst` allows
/// there: the largest excess over `burst + rate × window` (≤ 0 when the bucket held).
private func bucketExcess(_ times: [Double], rate: Double, burst: Double) -> Double {
    var worst = -Double.infinity
    for i in times.indices {
        for j in i..<times.count {
            let calls = Double(j - i + 1)
            worst = max(worst, calls - (burst + rate * (times[j] - times[i])))
        }
    }
    return worst
}

/// Per-tenant overrides (`nianjian tenant set`: weight, max_concurrency, submit_rate, poll_rate) change what a
/// night does, against the job file's limits.
@Suite("tenant overrides", .serialized)
struct TenantOverrideTests {
    /// One night, four tenants: one limited to 4 submits/s, one to 4 polls/s, one to 2 calls in flight, one on
    /// the job's limits (unlimited rates, 8 in flight). Each limit holds for its tenant only.
    @Test func ratesAndConcurrencyOverridesBoundTheirTenant() async throws {
        let handle = try TestDatabase.fresh()
        defer { handle.drop() }
        let db = handle.open(maximumConnections: 8)
        defer { db.close() }
        try Scenario.load(db, tenants: [.init(slug: "submit-4", companies: 12), .init(slug: "poll-4", companies: 12),
                                        .init(slug: "narrow", companies: 16), .init(slug: "free", companies: 16)])
        _ = try TenantAdmin.set(database: db, slug: "submit-4", changes: TenantChanges(submitRate: "4"))
        _ = try TenantAdmin.set(database: db, slug: "poll-4", changes: TenantChanges(pollRate: "4"))
        _ = try TenantAdmin.set(database: db, slug: "narrow", changes: TenantChanges(maxConcurrency: 2))
        let job = testJob {
            $0.rateLimits.submit.perSecond = 0; $0.rateLimits.poll.perSecond = 0
            $0.concurrency.perTenant = 8; $0.concurrency.global = 64
            $0.console.latencyP50Milliseconds = 40; $0.console.latencyP99Milliseconds = 60
        }
        let (summary, console) = try await runRecorded(db, job)
        #expect(summary.status == "completed")
        #expect(try Scenario.states(db) == ["approved": 56])
        try checkInvariants(db)

        // submit_rate 4 (burst 4): 12 submissions take at least (12 - 4) / 4 = 2 s, and no window beats the bucket.
        let slowSubmits = console.times("submit-4", .submit)
        #expect(slowSubmits.count == 12)
        let slowSpan = (slowSubmits.last ?? 0) - (slowSubmits.first ?? 0)
        #expect(slowSpan >= 1.9, "submit_rate 4/s: 12 submissions in \(slowSpan) s")
        #expect(bucketExcess(slowSubmits, rate: 4, burst: 4) <= 1, "submit_rate 4/s exceeded: \(slowSubmits)")
        // Its polls, and the other tenants' submissions, are not held to it.
        let freeSubmits = console.times("free", .submit)
        let freeSpan = (freeSubmits.last ?? 0) - (freeSubmits.first ?? 0)
        #expect(bucketExcess(freeSubmits, rate: 4, burst: 4) > 1, "the free tenant was held to 4/s too: 16 submissions in \(freeSpan) s")
        #expect(bucketExcess(console.times("poll-4", .submit), rate: 4, burst: 4) > 1, "poll-4's submissions were limited too")

        // poll_rate 4 (burst 4): 12 polls take at least 2 s; its submissions ran free.
        let slowPolls = console.times("poll-4", .poll)
        #expect(slowPolls.count >= 12)
        let pollSpan = (slowPolls.last ?? 0) - (slowPolls.first ?? 0)
        #expect(pollSpan >= 1.9, "poll_rate 4/s: \(slowPolls.count) polls in \(pollSpan) s")
        #expect(bucketExcess(slowPolls, rate: 4, burst: 4) <= 1, "poll_rate 4/s exceeded: \(slowPolls)")

        // max_concurrency 2: never more than 2 calls in flight for that tenant (and 2 were); 8 for the others.
        #expect(console.peak("narrow") == 2, "narrow had \(console.peak("narrow")) calls in flight at once")
        #expect(console.peak("free") > 2 && console.peak("free") <= 8, "free had \(console.peak("free")) in flight")
        print("tenant overrides: submit_rate 4/s → 12 submits over \(String(format: "%.2f", slowSpan)) s (free: \(String(format: "%.2f", freeSpan)) s); "
              + "poll_rate 4/s → \(slowPolls.count) polls over \(String(format: "%.2f", pollSpan)) s; "
              + "max_concurrency 2 → peak \(console.peak("narrow")) in flight (free: \(console.peak("free")))")
    }

    /// weight 3 against weight 1, both with a long backlog: the heavy tenant gets about three quarters of the
    /// console's submissions while both have work (with equal weights it would get half).
    @Test func weightChangesTheClaimShare() async throws {
        let handle = try TestDatabase.fresh()
        defer { handle.drop() }
        let db = handle.open(maximumConnections: 8)
        defer { db.close() }
        try Scenario.load(db, tenants: [.init(slug: "heavy", companies: 180), .init(slug: "light", companies: 60)])
        _ = try TenantAdmin.set(database: db, slug: "heavy", changes: TenantChanges(weight: 3))
        let job = testJob {
            $0.batch.claim = 40; $0.batch.write = 40
            $0.concurrency.perTenant = 200; $0.concurrency.global = 400
        }
        let (summary, console) = try await runRecorded(db, job)
        #expect(summary.status == "completed")
        #expect(try Scenario.states(db) == ["approved": 240])
        try checkInvariants(db)
        let order = console.submitOrder()
        #expect(order.count == 240)
        // The first 120 submissions: both tenants still have work throughout (light has 60). Claims of 40 give
        // 30 : 10 (the run's first, a quarter batch, 7 : 3); equal weights would give half.
        let firstHalf = order.prefix(120)
        let heavyShare = Double(firstHalf.filter { $0 == "heavy" }.count) / Double(firstHalf.count)
        #expect(heavyShare >= 0.63 && heavyShare <= 0.85, "weight 3 : 1 gave the heavy tenant \(heavyShare) of the first 120 submissions")
        print("tenant weight 3 : 1 → heavy share of the first 120 submissions \(String(format: "%.2f", heavyShare))")
    }
}
