import Dispatch
import Foundation
import Logging
import NianjianConsole
import NianjianDomain
import NianjianPostgres
import NianjianStore

/// The inspection step: validate, the domain state machine, the update to write.
extension NightRunner {
    /// `statuses`: the console's answer to the status check of each pending inspection.
    func validateAndSubmit(_ items: [ClaimedInspection], files: [InspectionKey: InspectionFile],
                           statuses: [InspectionKey: StatusAnswer]) {
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
                      case .submit(let key)? = TransitionPlan(transition.effects).consoleCall else {
                    failStuck(item, current, reason: "a resumed submission has no idempotency key")
                    continue
                }
                current = transition.snapshot
                enqueue(WorkItem(claim: item, snapshot: current, file: file, action: .submit(key: key)))
                continue
            }
            var statusFindings: [Finding] = []
            if item.idempotencyKey == nil {
                // The status check (asked before the first try only, see `checkStatusThenValidate`).
                switch statuses[item.key] ?? .failure(ConsoleError(.transient(.server), "no answer")) {
                case .failure(let error):
                    // Transient: back to pending with backoff; throttled: the tenant pauses; permanent: failed.
                    writeOutcome(item, current, event: statusCheckEvent(for: error), file: file)
                    continue
                case .success(let cloud):
                    statusFindings = ServiceStatusCheck.findings(for: file.file.service, cloud: cloud)
                }
            }
            let findings = MaterialsValidator.validate(file.file, on: now.chinaDate) + statusFindings
            let findingsJSON = FindingsJSON.encode(findings)
            switch machine.transition(current, on: .validated(findings: findings), identity: identity(of: item), now: now, jitter: 0) {
            case .failure(let error):
                failStuck(item, current, reason: "\(error)")
            case .success(let transition):
                let next = transition.snapshot
                let plan = TransitionPlan(transition.effects)
                let update = makeUpdate(item, from: current, to: next, plan: plan, event: "validated",
                                        findingsJSON: findingsJSON, now: now, release: plan.consoleCall == nil)
                if let call = plan.consoleCall {
                    // `submitting` with its key is written before the console is called.
                    writes.append(PendingWrite(update: update, tenantId: item.tenantId,
                                               then: WorkItem(claim: item, snapshot: next, file: file, action: call)))
                } else {
                    writes.append(PendingWrite(update: update, tenantId: item.tenantId, then: nil))
                }
            }
        }
        addWrites(writes)
        dispatchWork()
    }

    func event(for error: ConsoleError) -> InspectionEvent {
        switch error.kind {
        case .transient(let kind): return .transientError(kind: kind, message: error.message)
        case .throttled(let after): return .throttled(retryAfterSeconds: after, message: error.message)
        case .permanent(let code): return .permanentError(message: "\(code): \(error.message)")
        }
    }

    /// Applies a console answer through the state machine and queues the write-back (with `unwritten`, the
    /// transition before it that was not written on its own).
    func writeOutcome(_ item: ClaimedInspection, _ current: InspectionSnapshot, event: InspectionEvent, file: InspectionFile?,
                      after unwritten: InspectionUpdate? = nil) {
        let now = clock.now()
        let jitter = Double.random(in: 0...1, using: &random)
        switch machine.transition(current, on: event, identity: identity(of: item), now: now, jitter: jitter) {
        case .failure(let error):
            failStuck(item, current, reason: "\(error)")
        case .success(let transition):
            let plan = TransitionPlan(transition.effects)
            if let until = plan.pauseTenantUntil, let lane = tenants[item.tenantId] {
                // A throttling answer pauses the tenant's bucket; no attempt is spent. A throttled status
                // check (still pending) is on the way to a submission: it pauses the submit bucket.
                let isSubmit = current.state != .inReview
                lane.pause(submit: isSubmit, until: DispatchTime.now().seconds + max(0, until.seconds - now.seconds))
            }
            var update = makeUpdate(item, from: current, to: transition.snapshot, plan: plan, event: event.name,
                                    findingsJSON: nil, now: now, release: true)
            if let unwritten { update = update.folded(after: unwritten) }
            if let poll = pollAtOnce(item, after: current, transition.snapshot, plan: plan, now: now) {
                // The poll is made in hand, lease kept; the submission's `in_review` is written with its answer.
                update.releaseLease = false
                enqueue(WorkItem(claim: item, snapshot: transition.snapshot, file: nil, action: poll, unwritten: update))
                return
            }
            addWrites([PendingWrite(update: update, tenantId: item.tenantId, then: nil)])
            logger.debug("outcome", metadata: ["tenant": "\(item.tenantSlug)", "inspection": "\(item.id)",
                                               "from": "\(current.state.rawValue)", "to": "\(transition.snapshot.state.rawValue)"])
        }
    }

    /// The first poll of a submission, when it is due at once (`poll.first_after` zero), the tenant's poll would
    /// start now, and the run goes on: made without writing `in_review` and claiming the inspection again first.
    /// The submission's write-ahead (`submitting` with its key) is durable; should the run die before the poll's
    /// answer is written, the next run resubmits with the same key and the console answers with the same ticket.
    /// A poll that would wait for its tenant's rate limit is not held in hand: the ticket is written at once, so
    /// a night whose polls are slower than its submits does not pile up unwritten tickets.
    func pollAtOnce(_ item: ClaimedInspection, after current: InspectionSnapshot, _ next: InspectionSnapshot,
                    plan: TransitionPlan, now: Timestamp) -> WorkItem.Action? {
        guard !stopping, current.state == .submitting, next.state == .inReview, let ticket = next.ticket,
              let pollAt = plan.nextPollAt, pollAt <= now,
              lane(for: item).pollWouldStartNow(now: DispatchTime.now().seconds) else { return nil }
        return .poll(ticket: ticket)
    }

    /// The state machine refused a step (an answer it cannot use): the inspection fails with the reason, so an
    /// operator sees it, instead of being claimed again at once and looping.
    func failStuck(_ item: ClaimedInspection, _ current: InspectionSnapshot, reason: String) {
        logger.warning("invalid transition: inspection failed", metadata: ["tenant": "\(item.tenantSlug)", "inspection": "\(item.id)",
                                                                          "reason": "\(reason)"])
        var failed = current
        failed.state = .failed
        failed.lastError = "invalid transition: \(reason)"
        let update = makeUpdate(item, from: current, to: failed, plan: TransitionPlan([]), event: "invalid_transition", findingsJSON: nil,
                                now: clock.now(), release: true)
        addWrites([PendingWrite(update: update, tenantId: item.tenantId, then: nil)])
    }

    /// The write-back of a transition. (An approval's renewal, `plan.renewsService`, is written with the approved
    /// row: the store renews once per inspection, keyed by it.)
    func makeUpdate(_ item: ClaimedInspection, from: InspectionSnapshot, to next: InspectionSnapshot,
                    plan: TransitionPlan, event: String, findingsJSON: String?, now: Timestamp,
                    release: Bool) -> InspectionUpdate {
        var nextAttemptAt = plan.nextAttemptAt
        var nextPollAt = plan.nextPollAt
        let detail = plan.eventDetail
        if next.state == .pending && nextAttemptAt == nil { nextAttemptAt = now }
        if next.state == .inReview && nextPollAt == nil { nextPollAt = now }
        var eventKind = event
        if from.state == .inReview && next.state == .inReview && event == InspectionEvent.reviewPending.name { eventKind = "polled" }
        return InspectionUpdate(
            key: item.key, leaseToken: item.leaseToken, from: from.state, to: next.state, attempts: next.attempts,
            generation: next.generation, idempotencyKey: next.idempotencyKey, ticket: next.ticket,
            nextAttemptAt: next.state == .pending ? nextAttemptAt : nil, nextPollAt: next.state == .inReview ? nextPollAt : nil,
            findingsJSON: findingsJSON, rejectionReason: next.rejectionReason, lastError: next.lastError, releaseLease: release,
            eventKind: eventKind, eventDetailJSON: JSONText.eventDetail(detail, runnerLiteral: runnerLiteral),
            businessAt: now, markSubmitted: from.state == .submitting && next.state == .inReview,
            markDecided: next.state == .approved || next.state == .rejected)
    }

    func snapshot(of item: ClaimedInspection) -> InspectionSnapshot {
        InspectionSnapshot(state: item.state, attempts: item.attempts, idempotencyKey: item.idempotencyKey, ticket: item.ticket,
                           renewed: false, generation: item.generation)
    }

    func identity(of item: ClaimedInspection) -> InspectionIdentity {
        InspectionIdentity(tenantId: String(item.tenantId), inspectionId: String(item.id), cycle: item.cycle)
    }
}

/// Findings as stored in `inspections.findings` (reports decode the same shape: `Finding`'s Codable keys, nil
/// fields left out). Written by hand, keys sorted: JSONEncoder cost the runner more than validating the file.
enum FindingsJSON {
    static func encode(_ findings: [Finding]) -> String {
        guard !findings.isEmpty else { return "[]" }
        var out = "["
        func field(_ key: String, _ value: String?, first: Bool = false) {
            guard let value else { return }
            if !first { out += "," }
            out += "\"" + key + "\":" + JSONLiteral.string(value)
        }
        for (index, finding) in findings.enumerated() {
            out += index > 0 ? ",{" : "{"
            field("code", finding.code, first: true)
            field("contractNumber", finding.contractNumber)
            field("document", finding.document?.rawValue)
            field("messageEn", finding.messageEn)
            field("messageZh", finding.messageZh)
            field("remedyEn", finding.remedyEn)
            field("remedyZh", finding.remedyZh)
            field("serviceRef", finding.serviceRef)
            field("severity", finding.severity.rawValue)
            field("wouldCause", finding.wouldCause?.rawValue)
            out += "}"
        }
        return out + "]"
    }
}

/// Small JSON texts for event details and counts, with correct escaping.
enum JSONText {
    static func string(_ text: String) -> String { JSONLiteral.string(text) }

    /// An event's detail, `{"detail":…,"runner":…}` as `object` writes it, without building a dictionary per event
    /// (`runnerLiteral` is the runner's id as a JSON string, quoted once per run).
    static func eventDetail(_ detail: String, runnerLiteral: String) -> String {
        "{\"detail\":" + string(detail) + ",\"runner\":" + runnerLiteral + "}"
    }

    static func object(_ fields: [String: String]) -> String {
        "{" + fields.sorted { $0.key < $1.key }.map { "\(string($0.key)):\(string($0.value))" }.joined(separator: ",") + "}"
    }

    static func counts(_ counts: [String: Int]) -> String {
        "{" + counts.sorted { $0.key < $1.key }.map { "\(string($0.key)):\($0.value)" }.joined(separator: ",") + "}"
    }
}
