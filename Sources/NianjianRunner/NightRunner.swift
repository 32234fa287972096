import Dispatch
import Foundation
import Logging
import NianjianConsole
import NianjianDomain
import NianjianPostgres
import NianjianStore

/// What `nianjian run` was asked to do.
public struct RunOptions: Sendable {
    public var job: JobDefinition
    /// nil: every tenant.
    public var tenantSlugs: [String]?
    /// nil: the real clock. Otherwise the business clock starts at this date's night.
    public var asOf: CivilDate?
    /// Keep going after the night's work is done, waiting for more.
    public var watch: Bool
    /// Names this process in leases and events.
    public var runnerId: String

    public init(job: JobDefinition, tenantSlugs: [String]? = nil, asOf: CivilDate? = nil, watch: Bool = false,
                runnerId: String = NightRunner.defaultRunnerId()) {
        self.job = job; self.tenantSlugs = tenantSlugs; self.asOf = asOf; self.watch = watch; self.runnerId = runnerId
    }
}

/// Progress of a run, for a progress bar or log lines.
public struct RunProgress: Sendable {
    public var done: Int
    public var total: Int
    public var inFlight: Int
    public var byState: [String: Int]
    public var elapsedSeconds: Double
}

/// The outcome of a run (`--json` prints it).
public struct RunSummary: Sendable {
    public var runId: Int64
    public var asOf: CivilDate
    public var claimed: Int
    public var byState: [String: Int]
    public var byTenant: [String: [String: Int]]
    public var seconds: Double
    /// completed, interrupted (signal) or failed.
    public var status: String
    /// Writes refused by fencing (another runner took the lease).
    public var fencedOut: Int
    /// The claims that returned work and their times (`nianjian bench memory` compares them at 10,000 and
    /// 1,000,000 due).
    public var claims = ClaimTimes()
}

/// Claims that returned work and the time they took from the runner's request to its answer: all of them, and
/// those that returned all they asked for (the same claim in any backlog: a run's first claim is a quarter
/// batch and its last ones take what is left, which a small backlog's few claims would otherwise average in).
public struct ClaimTimes: Sendable, Hashable {
    public var withWork = 0
    public var seconds = 0.0
    public var full = 0
    public var fullSeconds = 0.0

    public init() {}

    mutating func record(returned: Int, asked: Int, seconds elapsed: Double) {
        guard returned > 0 else { return }
        withWork += 1
        seconds += elapsed
        if returned >= asked { full += 1; fullSeconds += elapsed }
    }

    /// Mean milliseconds of a claim that returned work (0 when none did).
    public var meanMilliseconds: Double { withWork > 0 ? seconds / Double(withWork) * 1000 : 0 }
    /// Mean milliseconds of a claim that returned a full batch (0 when none did).
    public var meanFullMilliseconds: Double { full > 0 ? fullSeconds / Double(full) * 1000 : 0 }
}

public struct RunnerError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// One night of inspections: claim due work fairly across tenants, validate, submit and poll through the
/// console on a Dispatch pool with layered limits, write every outcome back in batches, fenced by lease
/// tokens; heartbeat leases, rescue expired ones, stop cleanly on SIGINT/SIGTERM.
///
/// All mutable state lives on `queue` (a serial DispatchQueue). Database work runs on pooled connections'
/// own queues and comes back here; console calls complete by callback, holding no thread while in flight.
public final class NightRunner: @unchecked Sendable {
    /// The runner reaches the database only through this.
    let store: any RunnerStore
    let console: any ConsoleAdapter
    let clock: any BusinessClock
    let options: RunOptions
    let logger: Logger
    let machine: InspectionStateMachine
    /// The runner's id as a JSON string, for every event's detail.
    let runnerLiteral: String
    let queue = DispatchQueue(label: "nianjian.runner")
    let done = DispatchSemaphore(value: 0)
    let startedAt = DispatchTime.now()
    var job: JobDefinition { options.job }

    /// Called on the runner's queue about twice a second.
    public var onProgress: (@Sendable (RunProgress) -> Void)?

    // MARK: state (on `queue`)
    var runId: Int64 = 0
    var asOf = CivilDate(daysSinceEpoch: 0)
    var nightEnd = Timestamp(microseconds: 0)
    var tenantIds: [Int64]?
    var tenants: [Int64: TenantLane] = [:]
    var ring: [Int64] = []
    var ringIndex = 0
    var held = 0
    var inFlight = 0
    var claiming = false
    var loading = 0
    var claimScheduled = false
    var idleCheckInFlight = false
    var dispatchWakeScheduled = false
    var writeBuffer: [PendingWrite] = []
    /// Write-backs in flight (at most `job.batch.writers`).
    var flushesInFlight = 0
    var flushScheduled = false
    /// Starting, running, draining, finishing, done: the pure lifecycle machine this runner feeds.
    var lifecycle: RunLifecycle
    var stopping: Bool { lifecycle.stopRequested }
    var finishing: Bool { lifecycle.isFinishing }
    var claimedCount = 0
    var claimTimes = ClaimTimes()
    var doneCount = 0
    var totalDue = 0
    var fencedOut = 0
    /// Every lease token this run's claims returned: a lease of ours under another token is a lost claim's.
    var receivedTokens = Set<Int64>()
    var byTenantState: [Int64: [String: Int]] = [:]
    var summary: RunSummary?
    var timers: [DispatchSourceTimer] = []
    var signalSources: [DispatchSourceSignal] = []
    /// Backoff jitter: seeded once from the system's generator (a system call per draw cost more than the
    /// state machine it feeds; jitter needs spread, not secrecy).
    var random = SeededRandom(seed: UInt64.random(in: 0...UInt64.max))

    public convenience init(database: Database, console: any ConsoleAdapter, clock: any BusinessClock, options: RunOptions,
                            logger: Logger = Logger(label: "nianjian.runner")) {
        self.init(store: PostgresRunnerStore(database, routing: options.job.database.routing), console: console, clock: clock, options: options, logger: logger)
    }

    public init(store: any RunnerStore, console: any ConsoleAdapter, clock: any BusinessClock, options: RunOptions,
                logger: Logger = Logger(label: "nianjian.runner")) {
        self.store = store
        self.console = console
        self.clock = clock
        self.options = options
        self.logger = logger
        self.lifecycle = RunLifecycle(graceSeconds: options.job.shutdownGraceSeconds)
        self.runnerLiteral = JSONText.string(options.runnerId)
        self.machine = InspectionStateMachine(retryPolicy: options.job.retry, pollSchedule: options.job.poll,
                                              calendar: .china, nightStartHour: options.job.nightStartHour)
    }

    public static func defaultRunnerId() -> String {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
        return "\(host)-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
    }

    /// Runs the night and blocks until it is over. Call from a thread that may block (not the
    /// cooperative pool). Throws when the run could not be done (database unreachable, unknown tenant).
    public func run(handleSignals: Bool = false) throws -> RunSummary {
        // A job built in code is held to what a job file may say.
        try options.job.validate()
        // Signals are caught from the first moment: a stop during start-up records the run as interrupted.
        if handleSignals { queue.sync { installSignalHandlers() } }
        do {
            try startUp()
        } catch {
            // Start-up failed: give the signals back to the process.
            queue.sync {
                signalSources.forEach { $0.cancel() }
                for number in [SIGINT, SIGTERM] { signal(number, SIG_DFL) }
            }
            throw error
        }
        queue.async { [self] in
            // Stopped during start-up: the machine records the run as interrupted and starts nothing.
            handle(.started(now: DispatchTime.now().seconds))
        }
        done.wait()
        guard let summary else { throw RunnerError(description: "the run ended without a summary") }
        if let failure = lifecycle.failure { throw RunnerError(description: failure) }
        return summary
    }

    /// Loads the tenants, rescues expired leases and records the run.
    func startUp() throws {
        let start = clock.now()
        asOf = start.chinaDate
        nightEnd = start.adding(seconds: job.nightHours * 3600)
        let slugs = options.tenantSlugs
        let loaded = try store.performBlocking { try $0.loadTenants(slugs: slugs) }
        if !loaded.unknown.isEmpty {
            throw RunnerError(description: """
                Unknown tenant: \(loaded.unknown.joined(separator: ", ")). List tenants with: nianjian tenant list
                未知租户：\(loaded.unknown.joined(separator: ", "))。可用 nianjian tenant list 查看。
                """)
        }
        tenantIds = slugs == nil ? nil : loaded.found.map(\.id)
        let now = DispatchTime.now().seconds
        for settings in loaded.found {
            tenants[settings.id] = TenantLane(settings: settings, job: job, now: now)
        }
        let runner = options.runnerId, jobName = job.name, date = asOf, ids = tenantIds, lease = job.lease.seconds, scope = loaded.found.map(\.id)
        let businessNow = start
        runId = try store.performBlocking { session in
            _ = try session.rescueExpiredLeases(businessNow: businessNow, actor: "rescuer:\(runner)", leaseSeconds: lease)
            return try session.startRun(runnerId: runner, jobName: jobName, asOf: date, tenantIds: scope)
        }
        totalDue = (try? store.performBlocking { try $0.countDue(tenantIds: ids, now: businessNow) }) ?? 0
        logger.info("run started", metadata: ["run_id": "\(runId)", "as_of": "\(asOf)", "runner": "\(runner)",
                                               "tenants": "\(loaded.found.count)", "due": "\(totalDue)"])
    }

    /// Stops claiming, lets in-flight work finish within the grace period, writes everything back,
    /// releases the rest (what SIGINT/SIGTERM do).
    public func requestStop() {
        queue.async { [self] in beginStop(reason: "stop requested") }
    }

    func beginStop(reason: String) {
        // Before start-up is over there is nothing to release: the machine stops when start-up ends.
        handle(.stopRequested(now: DispatchTime.now().seconds))
    }

    /// Feeds the lifecycle machine one event and performs its actions.
    func handle(_ event: RunLifecycle.Event) {
        for action in lifecycle.handle(event) {
            switch action {
            case .startWorking:
                startTimers()
                claim()
            case .drain(let graceSeconds):
                // Work not started goes back at once (a transition made in hand is written first, giving its lease
                // back); in-flight calls get the grace period.
                var notStarted: [ClaimedInspection] = []
                var unwritten: [PendingWrite] = []
                for item in tenants.values.flatMap({ $0.drain() }) {
                    if var update = item.unwritten {
                        update.releaseLease = true
                        unwritten.append(PendingWrite(update: update, tenantId: item.claim.tenantId, then: nil))
                    } else {
                        notStarted.append(item.claim)
                    }
                }
                ring.removeAll()
                release(notStarted)
                addWrites(unwritten)
                flush()
                queue.asyncAfter(deadline: .now() + graceSeconds) { [self] in
                    if !finishing {
                        logger.warning("grace period over: releasing work still in flight", metadata: ["in_flight": "\(inFlight)"])
                    }
                    handle(.graceExpired)
                }
                finishAfterStop()
            case .finishRun(let status):
                finish(status: status)
            case .complete(let status):
                complete(status: status)
            }
        }
    }

    func finishAfterStop() {
        guard stopping, !finishing, inFlight == 0, flushesInFlight == 0, writeBuffer.isEmpty, loading == 0, !claiming else { return }
        handle(.quiescent)
    }

    /// The machine's `finishRun`: final writes, leases back, the run's record (`status` already says
    /// `failed` when a database call failed).
    func finish(status finalStatus: String) {
        timers.forEach { $0.cancel() }
        signalSources.forEach { $0.cancel() }
        let owner = options.runnerId
        let pending = writeBuffer
        writeBuffer.removeAll()
        let updates = pending.map(\.update)
        let run = runId
        // Final writes and every lease this runner still holds go back; then the run's record, counted after
        // those writes.
        databaseCall("finish", { session -> Set<InspectionKey> in
            let written = updates.isEmpty ? [] : try session.writeBack(updates, actor: owner, runId: run)
            _ = try session.releaseLeases(owner: owner)
            return written
        }, onFailure: { [self] in handle(.finished(recorded: false)) }) { [self] written in
            for write in pending where write.then == nil && written.contains(write.update.key) {
                doneCount += 1
                byTenantState[write.tenantId, default: [:]][write.update.to.rawValue, default: 0] += 1
            }
            let byState = totals()
            let perTenant = byTenantState.map { (tenantId: $0.key, claimed: $0.value.values.reduce(0, +), byStateJSON: JSONText.counts($0.value)) }
            let claimed = claimedCount
            databaseCall("record run", { session in
                try session.finishRun(runId: run, status: finalStatus, claimed: claimed,
                                         byStateJSON: JSONText.counts(byState), perTenant: perTenant)
            }, onFailure: { [self] in handle(.finished(recorded: false)) }) { [self] _ in
                handle(.finished(recorded: true))
            }
        }
    }

    func complete(status: String) {
        let slugs = Dictionary(uniqueKeysWithValues: tenants.map { ($0.key, $0.value.settings.slug) })
        var byTenant: [String: [String: Int]] = [:]
        for (tenantId, counts) in byTenantState { byTenant[slugs[tenantId] ?? "\(tenantId)"] = counts }
        var summary = RunSummary(runId: runId, asOf: asOf, claimed: claimedCount, byState: totals(), byTenant: byTenant,
                                 seconds: elapsed(), status: status, fencedOut: fencedOut)
        summary.claims = claimTimes
        self.summary = summary
        logger.info("run finished", metadata: ["run_id": "\(runId)", "status": "\(status)", "claimed": "\(claimedCount)",
                                                "done": "\(doneCount)", "seconds": "\(String(format: "%.2f", elapsed()))",
                                                "claims": "\(claimTimes.withWork)",
                                                "claim_ms_mean": "\(String(format: "%.2f", claimTimes.meanMilliseconds))"])
        done.signal()
    }

    func totals() -> [String: Int] {
        var totals: [String: Int] = [:]
        for counts in byTenantState.values { for (state, count) in counts { totals[state, default: 0] += count } }
        return totals
    }

    func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - startedAt.uptimeNanoseconds) / 1e9 }
}
