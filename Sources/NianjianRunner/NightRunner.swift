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
    private let queue = DispatchQueue(label: "nianjian.runner")
    private let done = DispatchSemaphore(value: 0)
    private let startedAt = DispatchTime.now()
    private var job: JobDefinition { options.job }

    /// Called on the runner's queue about twice a second.
    public var onProgress: (@Sendable (RunProgress) -> Void)?

    // MARK: state (on `queue`)
    private var runId: Int64 = 0
    private var asOf = CivilDate(daysSinceEpoch: 0)
    private var nightEnd = Timestamp(microseconds: 0)
    private var tenantIds: [Int64]?
    private var tenants: [Int64: TenantLane] = [:]
    private var ring: [Int64] = []
    private var ringIndex = 0
    private var held = 0
    private var inFlight = 0
    private var claiming = false
    private var loading = 0
    private var claimScheduled = false
    private var idleCheckInFlight = false
    private var dispatchWakeScheduled = false
    private var writeBuffer: [PendingWrite] = []
    private var flushing = false
    private var flushScheduled = false
    private var stopping = false
    /// Set once start-up is over and claiming may begin.
    private var started = false
    private var finishing = false
    private var failure: String?
    private var claimedCount = 0
    private var doneCount = 0
    private var totalDue = 0
    private var fencedOut = 0
    private var byTenantState: [Int64: [String: Int]] = [:]
    private var summary: RunSummary?
    private var timers: [DispatchSourceTimer] = []
    private var signalSources: [DispatchSourceSignal] = []
    private var random = SystemRandomNumberGenerator()

    public convenience init(database: Database, console: any ConsoleAdapter, clock: any BusinessClock, options: RunOptions,
                            logger: Logger = Logger(label: "nianjian.runner")) {
        self.init(store: PostgresRunnerStore(database), console: console, clock: clock, options: options, logger: logger)
    }

    public init(store: any RunnerStore, console: any ConsoleAdapter, clock: any BusinessClock, options: RunOptions,
                logger: Logger = Logger(label: "nianjian.runner")) {
        self.store = store
        self.console = console
        self.clock = clock
        self.options = options
        self.logger = logger
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
            started = true
            // Stopped during start-up: record the run as interrupted, start nothing.
            if stopping { finish(status: "interrupted"); return }
            startTimers()
            claim()
        }
        done.wait()
        guard let summary else { throw RunnerError(description: "the run ended without a summary") }
        if let failure { throw RunnerError(description: failure) }
        return summary
    }

    /// Loads the tenants, rescues expired leases and records the run.
    private func startUp() throws {
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
        let runner = options.runnerId, jobName = job.name, date = asOf, ids = tenantIds, lease = job.leaseSeconds, scope = loaded.found.map(\.id)
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

    // MARK: - Claiming

    private func claim() {
        guard !stopping, !finishing, !claiming, held < job.claimBatch else { return }
        claiming = true
        // The first claim of a run is a quarter batch: every tenant's first share reaches the console sooner.
        let size = claimedCount == 0 ? max(1, job.claimBatch / 4) : job.claimBatch
        let request = ClaimRequest(owner: options.runnerId, leaseSeconds: job.leaseSeconds, batchSize: size,
                                   now: clock.now(), tenantIds: tenantIds)
        databaseCall("claim", { try $0.claim(request) }) { [self] claimed in
            claiming = false
            claimedCount += claimed.count
            held += claimed.count
            if claimed.isEmpty {
                // A stop that came while this claim was in flight can finish now.
                if stopping { finishAfterStop() } else if held == 0 && loading == 0 { checkIdle() }
                return
            }
            accept(claimed)
            // More may be due: keep the pipeline full.
            claim()
        }
    }

    /// Sorts claimed work: polls go straight to their tenant's lane; pending and resumed submissions need
    /// their company file first.
    private func accept(_ claimed: [ClaimedInspection]) {
        var needFiles: [ClaimedInspection] = []
        for item in claimed {
            if stopping {
                release([item])
                continue
            }
            switch item.state {
            case .inReview:
                guard let ticket = item.ticket else {
                    writeOutcome(item, snapshot(of: item), event: .permanentError(message: "in review without a ticket"), file: nil)
                    continue
                }
                enqueue(WorkItem(claim: item, snapshot: snapshot(of: item), file: nil, action: .poll(ticket: ticket)))
            case .pending, .submitting:
                needFiles.append(item)
            default:
                release([item])
            }
        }
        guard !needFiles.isEmpty else { dispatchWork(); return }
        loading += 1
        let keys = needFiles.map(\.key)
        let toValidate = needFiles
        databaseCall("load files", { try $0.loadFiles(for: keys) }) { [self] files in
            loading -= 1
            validateAndSubmit(toValidate, files: files)
        }
    }

    private func validateAndSubmit(_ items: [ClaimedInspection], files: [InspectionKey: InspectionFile]) {
        let now = clock.now()
        var writes: [PendingWrite] = []
        for item in items {
            guard let file = files[item.key] else {
                release([item])
                continue
            }
            if stopping { release([item]); continue }
            var current = snapshot(of: item)
            if item.state == .submitting {
                // Resumed after a crash or lost lease: same key, so the console answers with the first ticket.
                guard case .success(let transition) = machine.transition(current, on: .leaseExpired, identity: identity(of: item),
                                                                          now: now, jitter: 0),
                      let key = transition.snapshot.idempotencyKey else {
                    failStuck(item, current, reason: "a resumed submission has no idempotency key")
                    continue
                }
                current = transition.snapshot
                enqueue(WorkItem(claim: item, snapshot: current, file: file, action: .submit(key: key)))
                continue
            }
            let findings = MaterialsValidator.validate(file.file, on: now.chinaDate)
            let findingsJSON = FindingsJSON.encode(findings)
            switch machine.transition(current, on: .validated(findings: findings), identity: identity(of: item), now: now, jitter: 0) {
            case .failure(let error):
                failStuck(item, current, reason: "\(error)")
            case .success(let transition):
                let next = transition.snapshot
                let update = makeUpdate(item, from: current, to: next, effects: transition.effects, event: "validated",
                                        findingsJSON: findingsJSON, now: now, release: next.state != .submitting)
                if next.state == .submitting, let key = next.idempotencyKey {
                    // `submitting` with its key is written before the console is called.
                    writes.append(PendingWrite(update: update, tenantId: item.tenantId,
                                               then: WorkItem(claim: item, snapshot: next, file: file, action: .submit(key: key))))
                } else {
                    writes.append(PendingWrite(update: update, tenantId: item.tenantId, then: nil))
                }
            }
        }
        addWrites(writes)
        dispatchWork()
    }

    // MARK: - The pool: fair dispatch with layered limits

    private func enqueue(_ item: WorkItem) {
        let lane = lane(for: item.claim)
        if lane.isEmpty { ring.append(item.claim.tenantId) }
        lane.push(item)
    }

    /// The tenant's lane; a tenant created after the run started gets the job's defaults.
    private func lane(for item: ClaimedInspection) -> TenantLane {
        if let lane = tenants[item.tenantId] { return lane }
        let settings = TenantRunSettings(id: item.tenantId, slug: item.tenantSlug, weight: 1, maxConcurrency: nil,
                                         submitRate: nil, pollRate: nil)
        let lane = TenantLane(settings: settings, job: job, now: DispatchTime.now().seconds)
        tenants[item.tenantId] = lane
        return lane
    }

    /// Starts console calls round robin across tenants with ready work, within the global and per-tenant
    /// in-flight limits and each tenant's token buckets.
    private func dispatchWork() {
        guard !ring.isEmpty, !finishing else { return }
        let now = DispatchTime.now().seconds
        var earliestToken = Double.infinity
        var idleTurns = 0
        while inFlight < job.globalConcurrency, !ring.isEmpty, idleTurns < ring.count {
            if ringIndex >= ring.count { ringIndex = 0 }
            let tenantId = ring[ringIndex]
            guard let lane = tenants[tenantId], !lane.isEmpty else {
                ring.remove(at: ringIndex)
                continue
            }
            guard lane.inFlight < lane.maxConcurrency else {
                ringIndex += 1; idleTurns += 1; continue
            }
            // Submits and polls wait in separate queues, each spending its own bucket: a submit waiting for a
            // token never holds back a poll whose bucket has one.
            guard let next = lane.takeReady(now: now) else {
                earliestToken = min(earliestToken, lane.secondsUntilReady(now: now))
                ringIndex += 1; idleTurns += 1; continue
            }
            idleTurns = 0
            if lane.isEmpty { ring.remove(at: ringIndex) } else { ringIndex += 1 }
            start(next, lane: lane)
        }
        if earliestToken.isFinite && !dispatchWakeScheduled {
            dispatchWakeScheduled = true
            queue.asyncAfter(deadline: .now() + max(0.001, earliestToken)) { [self] in
                dispatchWakeScheduled = false
                dispatchWork()
            }
        }
    }

    private func start(_ item: WorkItem, lane: TenantLane) {
        if case .submit = item.action, item.file == nil {
            failStuck(item.claim, item.snapshot, reason: "no company file to submit")
            return
        }
        inFlight += 1
        lane.inFlight += 1
        switch item.action {
        case .submit(let key):
            guard let file = item.file else { return }
            let request = SubmitRequest(account: item.claim.tenantSlug, idempotencyKey: key,
                                        instanceId: file.file.service.consoleInstanceId, serviceType: file.file.service.serviceType,
                                        termMonths: file.file.service.termMonths, amount: file.file.service.renewalAmount,
                                        contactName: file.file.company.contactName, contactPhone: file.file.company.contactPhone,
                                        region: file.file.service.region)
            console.submit(request) { [self] result in
                queue.async { [self] in
                    finishCall(lane)
                    switch result {
                    case .success(let receipt): writeOutcome(item.claim, item.snapshot, event: .submitted(ticket: receipt.ticket), file: item.file)
                    case .failure(let error): writeOutcome(item.claim, item.snapshot, event: event(for: error), file: item.file)
                    }
                    // While stopping, the last answer's write-back is queued before the run may end.
                    if stopping { finishAfterStop() } else { dispatchWork() }
                }
            }
        case .poll(let ticket):
            console.poll(PollRequest(account: item.claim.tenantSlug, ticket: ticket)) { [self] result in
                queue.async { [self] in
                    finishCall(lane)
                    switch result {
                    case .success(.reviewing): writeOutcome(item.claim, item.snapshot, event: .reviewPending, file: nil)
                    case .success(.approved): writeOutcome(item.claim, item.snapshot, event: .approved, file: nil)
                    case .success(.rejected(let reason)): writeOutcome(item.claim, item.snapshot, event: .rejected(reason: reason), file: nil)
                    case .failure(let error): writeOutcome(item.claim, item.snapshot, event: event(for: error), file: nil)
                    }
                    if stopping { finishAfterStop() } else { dispatchWork() }
                }
            }
        }
    }

    private func finishCall(_ lane: TenantLane) {
        inFlight -= 1
        lane.inFlight -= 1
    }

    private func event(for error: ConsoleError) -> InspectionEvent {
        switch error.kind {
        case .transient(let kind): return .transientError(kind: kind, message: error.message)
        case .throttled(let after): return .throttled(retryAfterSeconds: after)
        case .permanent(let code): return .permanentError(message: "\(code): \(error.message)")
        }
    }

    /// Applies a console answer through the state machine and queues the write-back.
    private func writeOutcome(_ item: ClaimedInspection, _ current: InspectionSnapshot, event: InspectionEvent, file: InspectionFile?) {
        let now = clock.now()
        let jitter = Double.random(in: 0...1, using: &random)
        switch machine.transition(current, on: event, identity: identity(of: item), now: now, jitter: jitter) {
        case .failure(let error):
            failStuck(item, current, reason: "\(error)")
        case .success(let transition):
            for effect in transition.effects {
                if case .pauseTenant(let until) = effect, let lane = tenants[item.tenantId] {
                    // A throttling answer pauses the tenant's bucket; no attempt is spent.
                    let isSubmit = current.state == .submitting
                    lane.pause(submit: isSubmit, until: DispatchTime.now().seconds + max(0, until.seconds - now.seconds))
                }
            }
            let update = makeUpdate(item, from: current, to: transition.snapshot, effects: transition.effects, event: event.name,
                                    findingsJSON: nil, now: now, release: true)
            addWrites([PendingWrite(update: update, tenantId: item.tenantId, then: nil)])
            logger.debug("outcome", metadata: ["tenant": "\(item.tenantSlug)", "inspection": "\(item.id)",
                                               "from": "\(current.state.rawValue)", "to": "\(transition.snapshot.state.rawValue)"])
        }
    }

    /// The state machine refused a step (an answer it cannot use): the inspection fails with the reason, so an
    /// operator sees it, instead of being claimed again at once and looping.
    private func failStuck(_ item: ClaimedInspection, _ current: InspectionSnapshot, reason: String) {
        logger.warning("invalid transition: inspection failed", metadata: ["tenant": "\(item.tenantSlug)", "inspection": "\(item.id)",
                                                                          "reason": "\(reason)"])
        var failed = current
        failed.state = .failed
        failed.lastError = "invalid transition: \(reason)"
        let update = makeUpdate(item, from: current, to: failed, effects: [], event: "invalid_transition", findingsJSON: nil,
                                now: clock.now(), release: true)
        addWrites([PendingWrite(update: update, tenantId: item.tenantId, then: nil)])
    }

    private func makeUpdate(_ item: ClaimedInspection, from: InspectionSnapshot, to next: InspectionSnapshot,
                            effects: [InspectionEffect], event: String, findingsJSON: String?, now: Timestamp,
                            release: Bool) -> InspectionUpdate {
        var nextAttemptAt: Timestamp?
        var nextPollAt: Timestamp?
        var detail = ""
        for effect in effects {
            switch effect {
            case .scheduleRetry(let at): nextAttemptAt = at
            case .schedulePoll(let at): nextPollAt = at
            case .recordEvent(_, _, let text): detail = text
            default: break
            }
        }
        if next.state == .pending && nextAttemptAt == nil { nextAttemptAt = now }
        if next.state == .inReview && nextPollAt == nil { nextPollAt = now }
        var eventKind = event
        if from.state == .inReview && next.state == .inReview && event == InspectionEvent.reviewPending.name { eventKind = "polled" }
        return InspectionUpdate(
            key: item.key, leaseToken: item.leaseToken, from: from.state, to: next.state, attempts: next.attempts,
            generation: next.generation, idempotencyKey: next.idempotencyKey, ticket: next.ticket,
            nextAttemptAt: next.state == .pending ? nextAttemptAt : nil, nextPollAt: next.state == .inReview ? nextPollAt : nil,
            findingsJSON: findingsJSON, rejectionReason: next.rejectionReason, lastError: next.lastError, releaseLease: release,
            eventKind: eventKind, eventDetailJSON: JSONText.object(["detail": detail, "runner": options.runnerId]),
            businessAt: now, markSubmitted: from.state == .submitting && next.state == .inReview,
            markDecided: next.state == .approved || next.state == .rejected)
    }

    // MARK: - Write-back

    private func addWrites(_ writes: [PendingWrite]) {
        // After the run finished, a late console answer has nowhere to go: its lease expires and the
        // next run resubmits with the same key.
        guard !writes.isEmpty, !finishing else { return }
        writeBuffer.append(contentsOf: writes)
        if writeBuffer.count >= job.writeBatch || stopping {
            flush()
        } else if !flushScheduled {
            flushScheduled = true
            queue.asyncAfter(deadline: .now() + job.flushMilliseconds / 1000) { [self] in
                flushScheduled = false
                flush()
            }
        }
    }

    private func flush() {
        guard !flushing, !finishing, !writeBuffer.isEmpty else { return }
        flushing = true
        let batch = Array(writeBuffer.prefix(job.writeBatch))
        writeBuffer.removeFirst(batch.count)
        let updates = batch.map(\.update)
        let actor = options.runnerId, run = runId
        databaseCall("write back", { try $0.writeBack(updates, actor: actor, runId: run) }) { [self] written in
            flushing = false
            for write in batch {
                guard written.contains(write.update.key) else {
                    // Fenced out: our lease expired and another runner has this inspection now.
                    fencedOut += 1
                    held -= 1
                    logger.warning("write refused by fencing (lease lost)", metadata: ["inspection": "\(write.update.key.id)"])
                    continue
                }
                if let then = write.then {
                    if stopping || finishing { release([then.claim]) } else { enqueue(then) }
                } else {
                    held -= 1
                    doneCount += 1
                    byTenantState[write.tenantId, default: [:]][write.update.to.rawValue, default: 0] += 1
                }
            }
            if !writeBuffer.isEmpty { flush() }
            dispatchWork()
            if stopping {
                finishAfterStop()
            } else {
                claim()
                if held == 0 && !claiming && loading == 0 && writeBuffer.isEmpty { checkIdle() }
            }
        }
    }

    /// Gives back leases of claimed work that will not be done by this run.
    private func release(_ items: [ClaimedInspection]) {
        guard !items.isEmpty else { return }
        let claims = items.map { (key: $0.key, token: $0.leaseToken) }
        held -= items.count
        databaseCall("release", { try $0.releaseLeases(claims) }) { [self] _ in
            if stopping { finishAfterStop() }
        }
    }

    // MARK: - Idle, the end of the night

    /// Nothing is held: wait for work due later tonight (retries, polls, leases of dead runners), or end.
    private func checkIdle() {
        guard !stopping, !finishing, !claimScheduled, !idleCheckInFlight else { return }
        idleCheckInFlight = true
        let ids = tenantIds, owner = options.runnerId
        databaseCall("next due", { try $0.nextDue(tenantIds: ids, owner: owner) }) { [self] next in
            idleCheckInFlight = false
            guard !stopping, held == 0, !claiming else { finishAfterStop(); return }
            let now = clock.now()
            logger.debug("idle check", metadata: ["due": "\(next.businessDue.map { "\($0)" } ?? "none")", "now": "\(now)",
                                                  "lease_expiry_in": "\(next.secondsUntilLeaseExpiry.map { "\($0)" } ?? "none")"])
            var wait: Double?
            if let due = next.businessDue {
                let seconds = (due.seconds - now.seconds)
                if seconds <= 0 { claim(); return }
                if options.watch || due <= nightEnd { wait = seconds }
            }
            if let leaseSeconds = next.secondsUntilLeaseExpiry,
               options.watch || now.adding(seconds: max(0, leaseSeconds)) <= nightEnd {
                // A runner died holding work: rescue it once its lease runs out.
                wait = min(wait ?? .infinity, max(0.05, leaseSeconds + 0.05))
            }
            if options.watch && wait == nil { wait = 5 }
            guard let wait else { finish(status: "completed"); return }
            claimScheduled = true
            queue.asyncAfter(deadline: .now() + min(wait, 5)) { [self] in
                claimScheduled = false
                rescueThenClaim()
            }
        }
    }

    private func rescueThenClaim() {
        let now = clock.now(), actor = "rescuer:\(options.runnerId)"
        let lease = job.leaseSeconds
        databaseCall("rescue", { try $0.rescueExpiredLeases(businessNow: now, actor: actor, leaseSeconds: lease) }) { [self] _ in
            claim()
            if held == 0 && !claiming { checkIdle() }
        }
    }

    // MARK: - Stopping

    private func installSignalHandlers() {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [self] in
                logger.notice("signal received: stopping (in-flight work finishes, the rest is released)", metadata: ["signal": "\(number)"])
                beginStop(reason: "signal \(number)")
            }
            source.resume()
            signalSources.append(source)
        }
    }

    private func beginStop(reason: String) {
        guard !stopping else { return }
        stopping = true
        // Before start-up is over there is nothing to release: run() finishes when it gets there.
        guard started else { return }
        // Work not started goes back at once; in-flight calls get the grace period.
        var notStarted: [ClaimedInspection] = []
        for lane in tenants.values { notStarted.append(contentsOf: lane.drain().map(\.claim)) }
        ring.removeAll()
        release(notStarted)
        flush()
        queue.asyncAfter(deadline: .now() + job.shutdownGraceSeconds) { [self] in
            if !finishing {
                logger.warning("grace period over: releasing work still in flight", metadata: ["in_flight": "\(inFlight)"])
                finish(status: "interrupted")
            }
        }
        finishAfterStop()
    }

    private func finishAfterStop() {
        guard stopping, !finishing, inFlight == 0, !flushing, writeBuffer.isEmpty, loading == 0, !claiming else { return }
        finish(status: "interrupted")
    }

    // MARK: - Finishing

    private func finish(status: String) {
        guard !finishing else { return }
        finishing = true
        timers.forEach { $0.cancel() }
        signalSources.forEach { $0.cancel() }
        let owner = options.runnerId
        let pending = writeBuffer
        writeBuffer.removeAll()
        let updates = pending.map(\.update)
        let run = runId
        let finalStatus = failure == nil ? status : "failed"
        // Final writes and every lease this runner still holds go back; then the run's record, counted after
        // those writes.
        databaseCall("finish", { session -> Set<InspectionKey> in
            let written = updates.isEmpty ? [] : try session.writeBack(updates, actor: owner, runId: run)
            _ = try session.releaseLeases(owner: owner)
            return written
        }, onFailure: { [self] in complete(status: "failed") }) { [self] written in
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
            }, onFailure: { [self] in complete(status: "failed") }) { [self] _ in
                complete(status: finalStatus)
            }
        }
    }

    private func complete(status: String) {
        let slugs = Dictionary(uniqueKeysWithValues: tenants.map { ($0.key, $0.value.settings.slug) })
        var byTenant: [String: [String: Int]] = [:]
        for (tenantId, counts) in byTenantState { byTenant[slugs[tenantId] ?? "\(tenantId)"] = counts }
        summary = RunSummary(runId: runId, asOf: asOf, claimed: claimedCount, byState: totals(), byTenant: byTenant,
                             seconds: elapsed(), status: status, fencedOut: fencedOut)
        logger.info("run finished", metadata: ["run_id": "\(runId)", "status": "\(status)", "claimed": "\(claimedCount)",
                                                "done": "\(doneCount)", "seconds": "\(String(format: "%.2f", elapsed()))"])
        done.signal()
    }

    private func totals() -> [String: Int] {
        var totals: [String: Int] = [:]
        for counts in byTenantState.values { for (state, count) in counts { totals[state, default: 0] += count } }
        return totals
    }

    private func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - startedAt.uptimeNanoseconds) / 1e9 }

    // MARK: - Timers: heartbeat, rescuer, progress

    private func startTimers() {
        let owner = options.runnerId, lease = job.leaseSeconds
        addTimer(every: job.heartbeatSeconds) { [self] in
            guard held > 0 else { return }
            databaseCall("heartbeat", { try $0.extendLeases(owner: owner, leaseSeconds: lease) }) { _ in }
        }
        addTimer(every: max(1, job.leaseSeconds)) { [self] in
            let now = clock.now(), actor = "rescuer:\(owner)"
            databaseCall("rescue", { try $0.rescueExpiredLeases(businessNow: now, actor: actor, leaseSeconds: lease) }) { _ in }
        }
        addTimer(every: 0.5) { [self] in
            onProgress?(RunProgress(done: doneCount, total: max(totalDue, doneCount), inFlight: inFlight, byState: totals(),
                                    elapsedSeconds: elapsed()))
        }
    }

    private func addTimer(every seconds: Double, _ handler: @escaping @Sendable () -> Void) {
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + seconds, repeating: seconds)
        timer.setEventHandler(handler: handler)
        timer.resume()
        timers.append(timer)
    }

    // MARK: - Database calls with retry

    /// Runs `body` on a pooled connection and delivers its result on the runner's queue. A lost connection
    /// (server restart, network) is retried with backoff for `databaseRetrySeconds`; then the run fails
    /// with a clear message and the leases it held expire for the next run to rescue.
    private func databaseCall<T: Sendable>(_ what: String, _ body: @escaping @Sendable (any RunnerStoreSession) throws -> T,
                                           attempt: Int = 0, firstFailure: DispatchTime? = nil,
                                           onFailure: (@Sendable () -> Void)? = nil,
                                           _ completion: @escaping @Sendable (T) -> Void) {
        store.perform(body) { [self] result in
            queue.async { [self] in
                switch result {
                case .success(let value):
                    completion(value)
                case .failure(let error):
                    let started = firstFailure ?? .now()
                    let waited = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
                    if let postgres = error as? PostgresError, postgres.isTransient, waited < job.databaseRetrySeconds {
                        let delay = min(5, 0.1 * pow(2, Double(attempt)))
                        logger.warning("database unavailable, retrying", metadata: ["operation": "\(what)", "error": "\(postgres)",
                                                                                    "retry_in": "\(delay)"])
                        queue.asyncAfter(deadline: .now() + delay) { [self] in
                            databaseCall(what, body, attempt: attempt + 1, firstFailure: started, onFailure: onFailure, completion)
                        }
                        return
                    }
                    let text = (error as? PostgresError).map { "\($0)" } ?? "\(error)"
                    logger.error("database operation failed", metadata: ["operation": "\(what)", "error": "\(text)"])
                    if failure == nil {
                        failure = """
                            The run stopped: the database failed during \(what): \(text)
                            Unfinished work keeps its lease until it expires; the next `nianjian run` picks it up.
                            运行中止：数据库在「\(what)」时出错。未完成的工作在租约过期后由下一次 nianjian run 接手。
                            """
                    }
                    if let onFailure { onFailure() } else { finish(status: "failed") }
                }
            }
        }
    }

    // MARK: - Helpers

    private func snapshot(of item: ClaimedInspection) -> InspectionSnapshot {
        InspectionSnapshot(state: item.state, attempts: item.attempts, idempotencyKey: item.idempotencyKey, ticket: item.ticket,
                           renewed: false, generation: item.generation)
    }

    private func identity(of item: ClaimedInspection) -> InspectionIdentity {
        InspectionIdentity(tenantId: String(item.tenantId), inspectionId: String(item.id), cycle: item.cycle)
    }
}

/// A console call waiting for its turn.
struct WorkItem: Sendable {
    enum Action: Sendable { case submit(key: String), poll(ticket: String) }
    var claim: ClaimedInspection
    var snapshot: InspectionSnapshot
    var file: InspectionFile?
    var action: Action
}

/// A write-back waiting in the buffer; `then` is the console call to make once it is written.
struct PendingWrite: Sendable {
    var update: InspectionUpdate
    var tenantId: Int64
    var then: WorkItem?
}

/// One tenant's lane in the pool: its ready work, in-flight count and console token buckets. Used only on
/// the runner's queue.
final class TenantLane: @unchecked Sendable {
    let settings: TenantRunSettings
    let maxConcurrency: Int
    var inFlight = 0
    private var submits = LaneQueue()
    private var polls = LaneQueue()
    private var submitBucket: TokenBucket
    private var pollBucket: TokenBucket

    init(settings: TenantRunSettings, job: JobDefinition, now: Double) {
        self.settings = settings
        self.maxConcurrency = settings.maxConcurrency ?? job.perTenantConcurrency
        let submitRate = settings.submitRate ?? job.submitRate
        let pollRate = settings.pollRate ?? job.pollRate
        submitBucket = TokenBucket(ratePerSecond: submitRate, burst: settings.submitRate.map { max(1, $0) } ?? job.submitBurst, now: now)
        pollBucket = TokenBucket(ratePerSecond: pollRate, burst: settings.pollRate.map { max(1, $0) } ?? job.pollBurst, now: now)
    }

    var isEmpty: Bool { submits.isEmpty && polls.isEmpty }

    func push(_ item: WorkItem) {
        if case .submit = item.action { submits.push(item) } else { polls.push(item) }
    }

    /// The next call whose bucket has a token (the token is taken): polls first, as they finish work.
    func takeReady(now: Double) -> WorkItem? {
        if !polls.isEmpty, pollBucket.take(now: now) { return polls.pop() }
        if !submits.isEmpty, submitBucket.take(now: now) { return submits.pop() }
        return nil
    }

    /// Seconds until a waiting call's bucket has a token.
    func secondsUntilReady(now: Double) -> Double {
        var wait = Double.infinity
        if !polls.isEmpty { wait = min(wait, pollBucket.secondsUntilToken(now: now)) }
        if !submits.isEmpty { wait = min(wait, submitBucket.secondsUntilToken(now: now)) }
        return wait
    }

    func drain() -> [WorkItem] { polls.drain() + submits.drain() }

    func pause(submit: Bool, until: Double) {
        if submit { submitBucket.pause(until: until) } else { pollBucket.pause(until: until) }
    }
}

/// A FIFO of work items that pops without shifting the array each time.
struct LaneQueue {
    private var items: [WorkItem] = []
    private var head = 0

    var isEmpty: Bool { head >= items.count }

    mutating func push(_ item: WorkItem) { items.append(item) }

    mutating func pop() -> WorkItem? {
        guard !isEmpty else { return nil }
        let item = items[head]
        head += 1
        // Popped items must not stay referenced (each may hold a whole company file): an emptied queue is
        // cleared, and a long one compacted once half of it is consumed.
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 256 && head * 2 >= items.count {
            items.removeFirst(head)
            head = 0
        }
        return item
    }

    mutating func drain() -> [WorkItem] {
        let rest = Array(items[head...])
        items.removeAll()
        head = 0
        return rest
    }
}

/// Findings as stored in `inspections.findings` (reports decode the same shape).
enum FindingsJSON {
    static func encode(_ findings: [Finding]) -> String {
        guard !findings.isEmpty else { return "[]" }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(findings) else { return "[]" }
        return String(decoding: data, as: UTF8.self)
    }
}

/// Small JSON texts for event details and counts, with correct escaping.
enum JSONText {
    static func string(_ text: String) -> String { JSONLiteral.string(text) }

    static func object(_ fields: [String: String]) -> String {
        "{" + fields.sorted { $0.key < $1.key }.map { "\(string($0.key)):\(string($0.value))" }.joined(separator: ",") + "}"
    }

    static func counts(_ counts: [String: Int]) -> String {
        "{" + counts.sorted { $0.key < $1.key }.map { "\(string($0.key)):\($0.value)" }.joined(separator: ",") + "}"
    }
}

extension DispatchTime {
    var seconds: Double { Double(uptimeNanoseconds) / 1_000_000_000 }
}
