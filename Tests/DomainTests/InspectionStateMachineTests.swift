import PropertyBased
import Testing
@testable import NianjianDomain

private let identity = InspectionIdentity(tenantId: "t1", inspectionId: "i42", cycle: 2026)
/// 2025-12-31 02:00 China time.
private let now = Timestamp(chinaDate: CivilDate(year: 2025, month: 12, day: 31)!, hour: 2)

private extension InspectionStateMachine {
    func apply(_ snapshot: InspectionSnapshot, _ event: InspectionEvent, at time: Timestamp = now, jitter: Double = 0) throws -> Transition {
        try transition(snapshot, on: event, identity: identity, now: time, jitter: jitter).get()
    }
}

@Suite("Inspection state machine")
struct InspectionStateMachineTests {
    let machine = InspectionStateMachine(retryPolicy: RetryPolicy(maxAttempts: 3, baseDelaySeconds: 60, multiplier: 2,
                                                                  maxDelaySeconds: 200, jitter: 0))

    @Test func happyPathRenewsOnce() throws {
        var step = try machine.apply(InspectionSnapshot(), .validated(findings: [Finding(.materialExpiringSoon, document: .idCard)]))
        #expect(step.snapshot.state == .submitting)
        #expect(step.snapshot.idempotencyKey == "nj-t1-i42-2026-g0")
        #expect(step.effects.first == .callConsoleSubmit(idempotencyKey: "nj-t1-i42-2026-g0"))
        #expect(step.effects.last == .recordEvent(from: .pending, to: .submitting, detail: "submitting with 1 non-blocking findings"))

        step = try machine.apply(step.snapshot, .submitted(ticket: "T-1"))
        #expect(step.snapshot.state == .inReview && step.snapshot.ticket == "T-1")
        // One business day after 2025-12-31 is Sunday 2026-01-04 (make-up day), at the 01:00 night start.
        let firstPoll = Timestamp(chinaDate: CivilDate(year: 2026, month: 1, day: 4)!, hour: 1)
        #expect(step.effects.first == .schedulePoll(at: firstPoll))

        let poll = try machine.apply(step.snapshot, .pollDue, at: firstPoll)
        #expect(poll.effects == [.callConsolePoll(ticket: "T-1")])
        #expect(poll.snapshot == step.snapshot)

        step = try machine.apply(step.snapshot, .reviewPending, at: firstPoll)
        #expect(step.snapshot.state == .inReview)
        #expect(step.effects.first == .schedulePoll(at: Timestamp(chinaDate: CivilDate(year: 2026, month: 1, day: 5)!, hour: 1)))

        step = try machine.apply(step.snapshot, .approved)
        #expect(step.snapshot.state == .approved && step.snapshot.renewed)
        #expect(step.effects.filter { $0 == .renewService }.count == 1)
        #expect(step.snapshot.attempts == 0)

        // Approved is final: a second answer is an error value, and no second renewal.
        let again = machine.transition(step.snapshot, on: .approved, identity: identity, now: now, jitter: 0)
        #expect(throws: TransitionError.self) { try again.get() }
    }

    @Test func blockingFindingsNeedMaterials() throws {
        let step = try machine.apply(InspectionSnapshot(), .validated(findings: [Finding(.businessLicenseMissing), Finding(.usccCheckCharacter)]))
        #expect(step.snapshot.state == .needsMaterials)
        #expect(step.effects == [.recordEvent(from: .pending, to: .needsMaterials, detail: "blocking findings: business_license.missing")])
    }

    @Test func transientSubmitErrorsBackOffThenFail() throws {
        var snapshot = try machine.apply(InspectionSnapshot(), .validated(findings: [])).snapshot
        let key = snapshot.idempotencyKey
        var delays: [Double] = []
        for attempt in 1...3 {
            let step = try machine.apply(snapshot, .transientError(kind: .login, message: "timeout"))
            snapshot = step.snapshot
            #expect(snapshot.attempts == attempt)
            if attempt < 3 {
                #expect(snapshot.state == .pending)
                #expect(snapshot.idempotencyKey == key)  // the same request is retried with the same key
                guard case .scheduleRetry(let at)? = step.effects.first else { Issue.record("no retry"); return }
                delays.append(at.seconds - now.seconds)
                snapshot = try machine.apply(snapshot, .validated(findings: [])).snapshot
                #expect(snapshot.state == .submitting && snapshot.idempotencyKey == key)
            } else {
                #expect(snapshot.state == .failed)
                #expect(snapshot.lastError?.hasPrefix("login: timeout") == true)
            }
        }
        #expect(delays == [60, 120])
    }

    @Test func retryDelayIsExponentialCappedAndJittered() {
        let policy = RetryPolicy(maxAttempts: 10, baseDelaySeconds: 10, multiplier: 3, maxDelaySeconds: 500, jitter: 0.5)
        #expect(policy.delay(afterAttempt: 1, random: 0) == 10)
        #expect(policy.delay(afterAttempt: 3, random: 0) == 90)
        #expect(policy.delay(afterAttempt: 5, random: 0) == 500)
        #expect(policy.delay(afterAttempt: 1000, random: 0) == 500)
        #expect(policy.delay(afterAttempt: 3, random: 1) == 45)
        #expect(policy.delay(afterAttempt: 3, random: 7) == 45)  // clamped to 0…1
    }

    @Test func throttlingPausesTheTenantWithoutSpendingAnAttempt() throws {
        let submitting = try machine.apply(InspectionSnapshot(attempts: 1), .validated(findings: [])).snapshot
        let step = try machine.apply(submitting, .throttled(retryAfterSeconds: 30))
        #expect(step.snapshot.state == .pending && step.snapshot.attempts == 1)
        #expect(step.snapshot.idempotencyKey == submitting.idempotencyKey)
        #expect(step.effects.contains(.pauseTenant(until: now.adding(seconds: 30))))

        let inReview = InspectionSnapshot(state: .inReview, attempts: 2, idempotencyKey: "k", ticket: "T")
        let poll = try machine.apply(inReview, .throttled(retryAfterSeconds: 5))
        #expect(poll.snapshot == inReview)
        #expect(poll.effects.prefix(2) == [.pauseTenant(until: now.adding(seconds: 5)), .schedulePoll(at: now.adding(seconds: 5))])

        // The console's words (a cloud's code and RequestId) stay in the event, for its support desk.
        let said = try machine.apply(submitting, .throttled(retryAfterSeconds: 2, message: "Throttling.User: slow down [RequestId R-7]"))
        #expect(said.effects.contains { effect in
            if case .recordEvent(_, _, let detail) = effect { return detail.contains("[RequestId R-7]") }
            return false
        })
    }

    @Test func aRejectionKeepsTheConsolesMessage() throws {
        let inReview = InspectionSnapshot(state: .inReview, attempts: 1, idempotencyKey: "k", ticket: "T")
        let step = try machine.apply(inReview, .rejected(reason: .abnormalServiceStatus, consoleMessage: "instance locked"))
        #expect(step.snapshot.state == .rejected && step.snapshot.rejectionReason == .abnormalServiceStatus)
        #expect(step.effects.contains(.recordEvent(from: .inReview, to: .rejected,
                                                   detail: "rejected: abnormal_service_status (the console said: instance locked)")))
    }

    @Test func pollErrorsNeverSpendAttempts() throws {
        let inReview = InspectionSnapshot(state: .inReview, attempts: 2, idempotencyKey: "k", ticket: "T")
        let step = try machine.apply(inReview, .transientError(kind: .progress, message: "progress not visible"))
        #expect(step.snapshot.state == .inReview && step.snapshot.attempts == 2)
        #expect(step.effects.first == .schedulePoll(at: now.adding(seconds: 60)))
    }

    @Test func leaseExpiryResubmitsWithTheSameKey() throws {
        let submitting = InspectionSnapshot(state: .submitting, attempts: 1, idempotencyKey: "nj-t1-i42-2026-g0")
        let step = try machine.apply(submitting, .leaseExpired)
        #expect(step.snapshot == submitting)
        #expect(step.effects.first == .callConsoleSubmit(idempotencyKey: "nj-t1-i42-2026-g0"))
        for state in [InspectionState.pending, .inReview] {
            let snapshot = InspectionSnapshot(state: state, idempotencyKey: "k", ticket: "T")
            let stay = try machine.apply(snapshot, .leaseExpired)
            #expect(stay.snapshot == snapshot)
            #expect(stay.effects.count == 1)
        }
    }

    @Test func requeueStartsANewGenerationAndKeepsNothingStale() throws {
        let rejected = InspectionSnapshot(state: .rejected, attempts: 2, idempotencyKey: "nj-t1-i42-2026-g0", ticket: "T",
                                          rejectionReason: .incompleteMaterials)
        let step = try machine.apply(rejected, .requeued(note: "materials collected"))
        #expect(step.snapshot == InspectionSnapshot(state: .pending, attempts: 0, generation: 1))
        #expect(step.effects == [.scheduleRetry(at: now), .recordEvent(from: .rejected, to: .pending, detail: "materials collected")])
        let resubmit = try machine.apply(step.snapshot, .validated(findings: []))
        #expect(resubmit.snapshot.idempotencyKey == "nj-t1-i42-2026-g1")
    }

    @Test func invalidTransitionsAreErrorValues() {
        let cases: [(InspectionState, InspectionEvent)] = [
            (.pending, .approved), (.pending, .submitted(ticket: "T")), (.needsMaterials, .validated(findings: [])),
            (.submitting, .rejected(reason: .violation)), (.inReview, .requeued(note: "")), (.approved, .cancelled(note: "")),
            (.cancelled, .requeued(note: "")), (.pending, .requeued(note: "")), (.inReview, .validated(findings: [])),
        ]
        for (state, event) in cases {
            let result = machine.transition(InspectionSnapshot(state: state, ticket: "T"), on: event, identity: identity, now: now, jitter: 0)
            guard case .failure(let error) = result else { Issue.record("\(state) + \(event.name) should fail"); continue }
            #expect(error.code == .invalidTransition && error.state == state && error.event == event.name)
        }
        let empty = machine.transition(InspectionSnapshot(state: .submitting, idempotencyKey: "k"), on: .submitted(ticket: ""),
                                       identity: identity, now: now, jitter: 0)
        #expect((try? empty.get()) == nil)
    }

    @Test func idempotencyKeys() {
        #expect(IdempotencyKey.make(tenantId: "acme", inspectionId: "123", cycle: 2026, generation: 2) == "nj-acme-123-2026-g2")
        let long = IdempotencyKey.make(tenantId: "7b0c2f0e-8d8a-4c1e-9a8e-2f5b9c1d3e4f", inspectionId: "0d9e8f7a-6b5c-4d3e-2f1a-0b9c8d7e6f5a",
                                       cycle: 2026, generation: 12)
        #expect(long.utf8.count <= 64 && long.hasPrefix("nj-x") && long.hasSuffix("-g12"))
        #expect(long == IdempotencyKey.make(tenantId: "7b0c2f0e-8d8a-4c1e-9a8e-2f5b9c1d3e4f",
                                            inspectionId: "0d9e8f7a-6b5c-4d3e-2f1a-0b9c8d7e6f5a", cycle: 2026, generation: 12))
        let unicode = IdempotencyKey.make(tenantId: "代理", inspectionId: "1", cycle: 2026, generation: 0)
        #expect(unicode.utf8.allSatisfy { $0 < 0x80 } && unicode.utf8.count <= 64)
        #expect(IdempotencyKey.make(tenantId: "a", inspectionId: "1", cycle: 2026, generation: 0)
            != IdempotencyKey.make(tenantId: "a", inspectionId: "1", cycle: 2026, generation: 1))
    }

    // MARK: Properties

    static let events: [InspectionEvent] = [
        .validated(findings: []), .validated(findings: [Finding(.serviceLapsed)]), .validated(findings: [Finding(.materialExpiringSoon)]),
        .submitted(ticket: "T-9"), .transientError(kind: .button, message: "not clickable"), .throttled(retryAfterSeconds: 10),
        .pollDue, .reviewPending, .approved, .rejected(reason: .inaccurateInformation), .permanentError(message: "gone"),
        .attemptsExhausted, .requeued(note: "operator"), .cancelled(note: "client left"), .leaseExpired,
    ]

    /// Where DESIGN.md lets each terminal state be entered from.
    static func terminalEntryIsAllowed(from: InspectionState, event: InspectionEvent, to: InspectionState) -> Bool {
        switch (to, event) {
        case (.needsMaterials, .validated): return from == .pending
        case (.approved, .approved): return from == .inReview
        case (.rejected, .rejected): return from == .inReview
        case (.failed, .transientError), (.failed, .attemptsExhausted): return from == .submitting || from == .pending
        case (.failed, .validated): return from == .pending  // attempts already spent
        case (.failed, .permanentError): return from == .submitting || from == .inReview || from == .pending  // pending: the status check
        case (.cancelled, .cancelled): return from != .approved && from != .cancelled
        default: return false
        }
    }

    /// What an event's detail must mention: the operator's note, the ticket, the reason, the error.
    static func detailFragment(_ event: InspectionEvent, to: InspectionState) -> String? {
        switch event {
        case .requeued(let note), .cancelled(let note): return note
        case .submitted(let ticket): return ticket
        case .rejected(let reason, _): return reason.rawValue
        case .transientError(let kind, let message): return "\(kind.rawValue): \(message)"
        case .permanentError(let message): return message
        case .throttled: return "throttled"
        case .attemptsExhausted: return "attempts exhausted"
        case .approved: return "approved"
        case .reviewPending: return "still in review"
        case .leaseExpired: return "lease expired"
        case .validated(let findings):
            let blocking = findings.filter { $0.severity.blocksSubmission }.map(\.code)
            return to == .needsMaterials ? blocking.first : nil
        default: return nil
        }
    }

    @Test func anyEventSequenceKeepsTheInvariants() async {
        await propertyCheck(count: 400, input: Gen.int(in: 0...14).array(of: 1...80), Gen.int(in: 1...6), Gen.double(in: 0...1)) {
            indices, maxAttempts, jitter in
            let machine = InspectionStateMachine(retryPolicy: RetryPolicy(maxAttempts: maxAttempts, jitter: 0.3))
            var snapshot = InspectionSnapshot()
            var renewals = 0
            var time = now
            for index in indices {
                let event = Self.events[index]
                let from = snapshot.state
                let result = machine.transition(snapshot, on: event, identity: identity, now: time, jitter: jitter)
                time = time.adding(seconds: 3600)
                guard case .success(let step) = result else {
                    // An error changes nothing; approved and cancelled answer only with errors.
                    continue
                }
                #expect(from != .approved && from != .cancelled)
                let to = step.snapshot.state
                renewals += step.effects.filter { $0 == .renewService }.count
                #expect(renewals <= 1)
                #expect(step.snapshot.attempts <= maxAttempts)
                if from == .inReview { #expect(step.snapshot.attempts == snapshot.attempts, "polls never consume attempts") }
                if to.isTerminal && to != from {
                    #expect(Self.terminalEntryIsAllowed(from: from, event: event, to: to), "\(from) -\(event.name)-> \(to)")
                }
                if to == .submitting {
                    let submits = step.effects.filter { if case .callConsoleSubmit = $0 { return true } else { return false } }
                    #expect(submits.count == 1 && step.snapshot.idempotencyKey != nil)
                }
                if to == .approved { #expect(step.snapshot.renewed) }
                if event != .pollDue {
                    // The event records this transition, and its detail says what happened.
                    guard case .recordEvent(let recordedFrom, let recordedTo, let detail)? = step.effects.last else {
                        Issue.record("\(from) -\(event.name)-> \(to): no event recorded last: \(step.effects)")
                        continue
                    }
                    #expect(recordedFrom == from && recordedTo == to, "\(from) -\(event.name)-> \(to) recorded as \(recordedFrom) -> \(recordedTo)")
                    #expect(!detail.isEmpty, "\(from) -\(event.name)-> \(to): empty detail")
                    if let fragment = Self.detailFragment(event, to: to) {
                        #expect(detail.contains(fragment), "\(from) -\(event.name)-> \(to): detail \(detail.debugDescription) lacks \(fragment.debugDescription)")
                    }
                } else {
                    #expect(!step.effects.contains { if case .recordEvent = $0 { return true } else { return false } }, "a poll being due is not an event")
                }
                snapshot = step.snapshot
            }
        }
    }

    @Test func everyStateReachableFromPending() {
        // Breadth-first over the event alphabet: all eight states are reachable, as DESIGN.md draws them.
        var seen: Set<InspectionState> = [.pending]
        var frontier = [InspectionSnapshot()]
        var visited: Set<InspectionSnapshot> = []
        while let snapshot = frontier.popLast() {
            guard visited.insert(snapshot).inserted, visited.count < 2000 else { continue }
            for event in Self.events {
                if case .success(let step) = machine.transition(snapshot, on: event, identity: identity, now: now, jitter: 0) {
                    seen.insert(step.snapshot.state)
                    if step.snapshot.generation < 2 { frontier.append(step.snapshot) }
                }
            }
        }
        #expect(seen == Set(InspectionState.allCases))
    }
}
