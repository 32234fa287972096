import Dispatch
import Foundation
import Logging
import NianjianConsole
import NianjianDomain
import NianjianPostgres
import NianjianStore

/// The tenant dispatcher: the fair ring over tenant lanes, concurrency and token-bucket limits.
extension NightRunner {
    func enqueue(_ item: WorkItem) {
        let lane = lane(for: item.claim)
        if lane.isEmpty { ring.append(item.claim.tenantId) }
        lane.push(item)
    }

    /// The tenant's lane; a tenant created after the run started gets the job's defaults.
    func lane(for item: ClaimedInspection) -> TenantLane {
        if let lane = tenants[item.tenantId] { return lane }
        let settings = TenantRunSettings(id: item.tenantId, slug: item.tenantSlug, weight: 1, maxConcurrency: nil,
                                         submitRate: nil, pollRate: nil)
        let lane = TenantLane(settings: settings, job: job, now: DispatchTime.now().seconds)
        tenants[item.tenantId] = lane
        return lane
    }

    /// Starts console calls round robin across tenants with ready work, within the global and per-tenant
    /// in-flight limits and each tenant's token buckets.
    func dispatchWork() {
        guard !ring.isEmpty, !finishing else { return }
        let now = DispatchTime.now().seconds
        var earliestToken = Double.infinity
        var idleTurns = 0
        while inFlight < job.concurrency.global, !ring.isEmpty, idleTurns < ring.count {
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

    func start(_ item: WorkItem, lane: TenantLane) {
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
                                        region: file.file.service.region,
                                        owner: AccountOwner(tenantId: item.claim.tenantId, companyId: item.claim.companyId))
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
            console.poll(PollRequest(account: item.claim.tenantSlug, ticket: ticket,
                                     owner: AccountOwner(tenantId: item.claim.tenantId, companyId: item.claim.companyId))) { [self] result in
                queue.async { [self] in
                    finishCall(lane)
                    let outcome: InspectionEvent
                    switch result {
                    case .success(.reviewing): outcome = .reviewPending
                    case .success(.approved): outcome = .approved
                    case .success(.rejected(let reason, let message)): outcome = .rejected(reason: reason, consoleMessage: message)
                    case .failure(let error): outcome = event(for: error)
                    }
                    writeOutcome(item.claim, item.snapshot, event: outcome, file: nil, after: item.unwritten)
                    if stopping { finishAfterStop() } else { dispatchWork() }
                }
            }
        }
    }

    func finishCall(_ lane: TenantLane) {
        inFlight -= 1
        lane.inFlight -= 1
    }
}

/// A console call waiting for its turn.
struct WorkItem: Sendable {
    enum Action: Sendable, Equatable { case submit(key: String), poll(ticket: String) }
    var claim: ClaimedInspection
    var snapshot: InspectionSnapshot
    var file: InspectionFile?
    var action: Action
    /// A transition made and not yet written, written with this call's outcome (a poll made at once after
    /// its submission carries the submission's `in_review` update).
    var unwritten: InspectionUpdate? = nil
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
        self.maxConcurrency = settings.maxConcurrency ?? job.concurrency.perTenant
        let submitRate = settings.submitRate ?? job.rateLimits.submit.perSecond
        let pollRate = settings.pollRate ?? job.rateLimits.poll.perSecond
        submitBucket = TokenBucket(ratePerSecond: submitRate, burst: settings.submitRate.map { max(1, $0) } ?? job.rateLimits.submit.burst, now: now)
        pollBucket = TokenBucket(ratePerSecond: pollRate, burst: settings.pollRate.map { max(1, $0) } ?? job.rateLimits.poll.burst, now: now)
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

    /// A poll pushed now waits behind no other poll and finds a token in its bucket.
    func pollWouldStartNow(now: Double) -> Bool { polls.isEmpty && pollBucket.secondsUntilToken(now: now) <= 0 }

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
