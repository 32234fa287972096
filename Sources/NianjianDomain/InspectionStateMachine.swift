// The inspection state machine of DESIGN.md as one pure function: (snapshot, event, parameters, now,
// jitter) → next snapshot + effects, or an error value for a transition the design does not allow.
// The runner performs the effects; the store persists the snapshot and the recorded events. Nothing here
// reads a clock or a random source: `now` and `jitter` are passed in, so every outcome replays exactly.
//
//   pending ──validated──▶ needs_materials                       (terminal until re-queued)
//      └─▶ submitting ──submitted(ticket)──▶ in_review ──approved──▶ approved (renewService, once)
//             │ ▲                              │  ▲        └─rejected──▶ rejected (terminal until re-queued)
//             │ └──── lease expired: same key  │  └─ reviewPending / transient poll error: poll again
//             └── transient error: back to pending with backoff (one attempt); exhausted ▶ failed
//   (the service status check before a submission fails the same way from pending: transient → backoff,
//    throttled → pause, permanent → failed)

/// Exponential backoff with jitter and a cap, for console submissions that failed transiently.
public struct RetryPolicy: Sendable, Hashable, Codable {
    /// Submission tries allowed per requeue generation; the last transient failure leads to `failed`.
    public var maxAttempts: Int
    public var baseDelaySeconds: Double
    public var multiplier: Double
    public var maxDelaySeconds: Double
    /// 0…1: the share of the delay that the random value may take off (0 = no jitter).
    public var jitter: Double

    public init(maxAttempts: Int = 5, baseDelaySeconds: Double = 60, multiplier: Double = 2,
                maxDelaySeconds: Double = 3600, jitter: Double = 0.2) {
        self.maxAttempts = maxAttempts; self.baseDelaySeconds = baseDelaySeconds; self.multiplier = multiplier
        self.maxDelaySeconds = maxDelaySeconds; self.jitter = jitter
    }

    /// The wait after the `attempt`-th failure (1-based): base × multiplier^(attempt−1), capped, then
    /// reduced by up to `jitter` of itself according to `random` in 0…1 (so retries of many tenants spread).
    public func delay(afterAttempt attempt: Int, random: Double) -> Double {
        let cap = max(0, maxDelaySeconds)
        var raw = max(0, baseDelaySeconds)
        var step = 1
        while step < attempt && raw < cap {
            raw *= max(1, multiplier)
            step += 1
        }
        let capped = min(raw, cap)
        let share = min(max(jitter, 0), 1)
        let unit = random.isNaN ? 0 : min(max(random, 0), 1)
        return capped * (1 - share * unit)
    }
}

/// When to ask the console about a submitted inspection: business days (China calendar) after the
/// current China date, at the night's start, plus seconds. With 0 business days: seconds after now.
public struct PollSchedule: Sendable, Hashable, Codable {
    public var firstPollAfterBusinessDays: Int
    public var firstPollAfterSeconds: Double
    public var thenEveryBusinessDays: Int
    public var thenEverySeconds: Double

    public init(firstPollAfterBusinessDays: Int = 1, firstPollAfterSeconds: Double = 0,
                thenEveryBusinessDays: Int = 1, thenEverySeconds: Double = 0) {
        self.firstPollAfterBusinessDays = firstPollAfterBusinessDays
        self.firstPollAfterSeconds = firstPollAfterSeconds
        self.thenEveryBusinessDays = thenEveryBusinessDays
        self.thenEverySeconds = thenEverySeconds
    }
}

/// Which inspection: enough to derive its idempotency key.
public struct InspectionIdentity: Sendable, Hashable, Codable {
    public var tenantId: String
    public var inspectionId: String
    /// The inspection cycle, e.g. the year 2026.
    public var cycle: Int

    public init(tenantId: String, inspectionId: String, cycle: Int) {
        self.tenantId = tenantId; self.inspectionId = inspectionId; self.cycle = cycle
    }
}

/// What the machine needs to know about an inspection (the columns the store keeps).
public struct InspectionSnapshot: Sendable, Hashable, Codable {
    public var state: InspectionState
    /// Submission tries consumed by transient failures in this generation (polls never count).
    public var attempts: Int
    /// Written with `submitting`, before the console is called; kept across retries and lease expiry
    /// so the console answers a repeated submission with the first ticket.
    public var idempotencyKey: String?
    public var ticket: String?
    /// The renewal has been applied for this cycle.
    public var renewed: Bool
    /// How many times an operator re-queued: a new generation gets a new idempotency key.
    public var generation: Int
    public var rejectionReason: RejectionReason?
    public var lastError: String?

    public init(state: InspectionState = .pending, attempts: Int = 0, idempotencyKey: String? = nil,
                ticket: String? = nil, renewed: Bool = false, generation: Int = 0,
                rejectionReason: RejectionReason? = nil, lastError: String? = nil) {
        self.state = state; self.attempts = attempts; self.idempotencyKey = idempotencyKey; self.ticket = ticket
        self.renewed = renewed; self.generation = generation; self.rejectionReason = rejectionReason
        self.lastError = lastError
    }
}

/// The console's transient technical problems (DESIGN.md §5): retried, never shown as a rejection.
public enum TransientErrorKind: String, Sendable, Hashable, Codable, CaseIterable {
    case login
    case button
    case progress
    case network
    case server
}

public enum InspectionEvent: Sendable, Hashable {
    /// Validation finished; error findings send the inspection to needs_materials.
    case validated(findings: [Finding])
    /// The console accepted the submission.
    case submitted(ticket: String)
    case transientError(kind: TransientErrorKind, message: String)
    /// The console asked us to slow down: pause the tenant, spend no attempt.
    /// `message`: the console's words (a cloud's code and RequestId), kept in the event's detail.
    case throttled(retryAfterSeconds: Double, message: String = "")
    /// A poll is due: ask the console (no state change).
    case pollDue
    /// A poll answered "still reviewing".
    case reviewPending
    case approved
    /// `consoleMessage`: the console's own words, when it gave any (kept in the event's detail).
    case rejected(reason: RejectionReason, consoleMessage: String? = nil)
    case permanentError(message: String)
    /// The runner gives up without another try (e.g. a retry limit lowered by an operator).
    case attemptsExhausted
    case requeued(note: String)
    case cancelled(note: String)
    /// The runner holding the inspection died; another one picks it up.
    case leaseExpired

    /// A stable name for errors and event details.
    public var name: String {
        switch self {
        case .validated: return "validated"
        case .submitted: return "submitted"
        case .transientError: return "transient_error"
        case .throttled: return "throttled"
        case .pollDue: return "poll_due"
        case .reviewPending: return "review_pending"
        case .approved: return "approved"
        case .rejected: return "rejected"
        case .permanentError: return "permanent_error"
        case .attemptsExhausted: return "attempts_exhausted"
        case .requeued: return "requeued"
        case .cancelled: return "cancelled"
        case .leaseExpired: return "lease_expired"
        }
    }
}

/// What the runner must do after a transition, in order.
public enum InspectionEffect: Sendable, Hashable {
    case callConsoleSubmit(idempotencyKey: String)
    case callConsolePoll(ticket: String)
    /// Set next_attempt_at: the inspection is pending and due then.
    case scheduleRetry(at: Timestamp)
    /// Set next_poll_at.
    case schedulePoll(at: Timestamp)
    /// Apply the renewal (extend the service by one term). Emitted at most once per cycle.
    case renewService
    /// Pause the tenant's console rate bucket.
    case pauseTenant(until: Timestamp)
    /// Append to inspection_events.
    case recordEvent(from: InspectionState, to: InspectionState, detail: String)
}

public struct Transition: Sendable, Hashable {
    public var snapshot: InspectionSnapshot
    public var effects: [InspectionEffect]

    public init(snapshot: InspectionSnapshot, effects: [InspectionEffect]) {
        self.snapshot = snapshot; self.effects = effects
    }
}

public struct TransitionError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// The event is not allowed in the state.
        case invalidTransition = "invalid_transition"
        /// The event or snapshot lacks something the transition needs (an empty ticket, no ticket to poll).
        case invalidInput = "invalid_input"
    }

    public var code: Code
    public var state: InspectionState
    public var event: String
    public var detail: String

    public init(code: Code, state: InspectionState, event: String, detail: String = "") {
        self.code = code; self.state = state; self.event = event; self.detail = detail
    }

    public var description: String {
        "\(code.rawValue): \(event) in state \(state.rawValue)" + (detail.isEmpty ? "" : " (\(detail))")
    }
}

/// Stable idempotency keys (Alibaba Cloud ClientToken: ≤ 64 ASCII characters).
public enum IdempotencyKey {
    public static let maxLength = 64

    /// `nj-<tenant>-<inspection>-<cycle>-g<generation>` when that fits and uses only [A-Za-z0-9._-];
    /// otherwise `nj-x<128-bit FNV-1a hash of the parts>-g<generation>`. Same inputs, same key.
    public static func make(tenantId: String, inspectionId: String, cycle: Int, generation: Int) -> String {
        let plain = "nj-\(tenantId)-\(inspectionId)-\(cycle)-g\(generation)"
        let safe = plain.utf8.allSatisfy { byte in
            isUpperAlnum(byte) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D || byte == 0x2E || byte == 0x5F
        }
        if safe && plain.utf8.count <= maxLength { return plain }
        var bytes = Array(tenantId.utf8)
        bytes.append(0)
        bytes.append(contentsOf: inspectionId.utf8)
        bytes.append(0)
        bytes.append(contentsOf: String(cycle).utf8)
        return "nj-x" + hex(fnv1a(bytes, basis: 0xCBF2_9CE4_8422_2325)) + hex(fnv1a(bytes, basis: 0x6C62_272E_07BB_0142))
            + "-g\(max(0, generation))"
    }

    public static func make(_ identity: InspectionIdentity, generation: Int) -> String {
        make(tenantId: identity.tenantId, inspectionId: identity.inspectionId, cycle: identity.cycle, generation: generation)
    }

    static func fnv1a(_ bytes: [UInt8], basis: UInt64) -> UInt64 {
        var hash = basis
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return hash
    }

    static func hex(_ value: UInt64) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var bytes = [UInt8](repeating: 0x30, count: 16)
        var rest = value
        for index in stride(from: 15, through: 0, by: -1) { bytes[index] = digits[Int(rest & 0xF)]; rest >>= 4 }
        return String(decoding: bytes, as: UTF8.self)
    }
}

public struct InspectionStateMachine: Sendable, Hashable {
    public var retryPolicy: RetryPolicy
    public var pollSchedule: PollSchedule
    public var calendar: BusinessCalendar
    /// Hour (China time) a night's run starts: polls are scheduled for it.
    public var nightStartHour: Int

    public init(retryPolicy: RetryPolicy = RetryPolicy(), pollSchedule: PollSchedule = PollSchedule(),
                calendar: BusinessCalendar = .china, nightStartHour: Int = 1) {
        self.retryPolicy = retryPolicy; self.pollSchedule = pollSchedule; self.calendar = calendar
        self.nightStartHour = nightStartHour
    }

    /// The poll time `businessDays` business days after `now`'s China date, at the night start, plus
    /// `seconds`; with 0 business days, `seconds` after now.
    public func pollTime(afterBusinessDays businessDays: Int, seconds: Double, now: Timestamp) -> Timestamp {
        guard businessDays > 0 else { return now.adding(seconds: seconds) }
        let day = calendar.adding(businessDays: businessDays, to: now.chinaDate)
        return Timestamp(chinaDate: day, hour: nightStartHour).adding(seconds: seconds)
    }

    /// The one transition function. `jitter` is a random value in 0…1 supplied by the caller.
    public func transition(_ snapshot: InspectionSnapshot, on event: InspectionEvent, identity: InspectionIdentity,
                           now: Timestamp, jitter: Double) -> Result<Transition, TransitionError> {
        let from = snapshot.state
        var next = snapshot
        var effects: [InspectionEffect] = []

        func invalid(_ detail: String = "") -> Result<Transition, TransitionError> {
            .failure(TransitionError(code: .invalidTransition, state: from, event: event.name, detail: detail))
        }
        func badInput(_ detail: String) -> Result<Transition, TransitionError> {
            .failure(TransitionError(code: .invalidInput, state: from, event: event.name, detail: detail))
        }
        func done(_ detail: String) -> Result<Transition, TransitionError> {
            effects.append(.recordEvent(from: from, to: next.state, detail: detail))
            return .success(Transition(snapshot: next, effects: effects))
        }
        func fail(_ message: String) -> Result<Transition, TransitionError> {
            next.state = .failed
            next.lastError = message
            return done(message)
        }

        switch (from, event) {
        // Terminal for good.
        case (.approved, _), (.cancelled, _):
            return invalid("\(from.rawValue) is final")

        case (_, .cancelled(let note)):
            next.state = .cancelled
            return done(note)

        // pending
        case (.pending, .validated(let findings)):
            if findings.hasBlocking {
                next.state = .needsMaterials
                let codes = findings.filter { $0.severity.blocksSubmission }.map(\.code)
                return done("blocking findings: " + codes.joined(separator: ", "))
            }
            if snapshot.attempts >= retryPolicy.maxAttempts { return fail("attempts exhausted") }
            let key = snapshot.idempotencyKey ?? IdempotencyKey.make(identity, generation: snapshot.generation)
            next.state = .submitting
            next.idempotencyKey = key
            effects.append(.callConsoleSubmit(idempotencyKey: key))
            return done(findings.isEmpty ? "materials valid" : "submitting with \(findings.count) non-blocking findings")
        case (.pending, .attemptsExhausted), (.submitting, .attemptsExhausted):
            return fail("attempts exhausted")
        case (.pending, .leaseExpired):
            return done("lease expired; still pending")

        // submitting
        case (.submitting, .submitted(let ticket)):
            guard !ticket.isEmpty else { return badInput("empty ticket") }
            next.state = .inReview
            next.ticket = ticket
            next.lastError = nil
            effects.append(.schedulePoll(at: pollTime(afterBusinessDays: pollSchedule.firstPollAfterBusinessDays,
                                                      seconds: pollSchedule.firstPollAfterSeconds, now: now)))
            return done("ticket \(ticket)")
        // A transient failure of the submission, or of the service status check before it (still pending):
        // back to pending with backoff, one attempt spent.
        case (.submitting, .transientError(let kind, let message)), (.pending, .transientError(let kind, let message)):
            next.attempts = snapshot.attempts + 1
            next.lastError = "\(kind.rawValue): \(message)"
            if next.attempts >= retryPolicy.maxAttempts {
                return fail("\(kind.rawValue): \(message); attempts exhausted (\(next.attempts)/\(retryPolicy.maxAttempts))")
            }
            next.state = .pending
            let delay = retryPolicy.delay(afterAttempt: next.attempts, random: jitter)
            effects.append(.scheduleRetry(at: now.adding(seconds: delay)))
            return done("\(kind.rawValue): \(message); attempt \(next.attempts)/\(retryPolicy.maxAttempts)")
        case (.submitting, .throttled(let retryAfter, let message)), (.pending, .throttled(let retryAfter, let message)):
            let until = now.adding(seconds: max(0, retryAfter))
            next.state = .pending  // keeps its idempotency key; no attempt spent
            effects.append(.pauseTenant(until: until))
            effects.append(.scheduleRetry(at: until))
            return done("throttled until \(until)" + (message.isEmpty ? "" : ": \(message)"))
        case (.pending, .permanentError(let message)):
            // The status check was refused for good (credentials, permissions): an operator must act.
            return fail(message)
        case (.submitting, .leaseExpired):
            // Resubmit with the same key: the console answers with the first ticket if it got the first call.
            let key = snapshot.idempotencyKey ?? IdempotencyKey.make(identity, generation: snapshot.generation)
            next.idempotencyKey = key
            effects.append(.callConsoleSubmit(idempotencyKey: key))
            return done("lease expired; resubmitting with the same key")
        case (.submitting, .permanentError(let message)), (.inReview, .permanentError(let message)):
            return fail(message)

        // in_review
        case (.inReview, .pollDue):
            guard let ticket = snapshot.ticket, !ticket.isEmpty else { return badInput("no ticket to poll") }
            return .success(Transition(snapshot: snapshot, effects: [.callConsolePoll(ticket: ticket)]))
        case (.inReview, .reviewPending):
            effects.append(.schedulePoll(at: pollTime(afterBusinessDays: pollSchedule.thenEveryBusinessDays,
                                                      seconds: pollSchedule.thenEverySeconds, now: now)))
            return done("still in review")
        case (.inReview, .transientError(let kind, let message)):
            // Polls never spend attempts: ask again after the first backoff step.
            next.lastError = "\(kind.rawValue): \(message)"
            effects.append(.schedulePoll(at: now.adding(seconds: retryPolicy.delay(afterAttempt: 1, random: jitter))))
            return done("poll failed: \(kind.rawValue): \(message)")
        case (.inReview, .throttled(let retryAfter, let message)):
            let until = now.adding(seconds: max(0, retryAfter))
            effects.append(.pauseTenant(until: until))
            effects.append(.schedulePoll(at: until))
            return done("poll throttled until \(until)" + (message.isEmpty ? "" : ": \(message)"))
        case (.inReview, .approved):
            next.state = .approved
            if !snapshot.renewed {
                next.renewed = true
                effects.append(.renewService)
            }
            next.lastError = nil
            return done("approved")
        case (.inReview, .rejected(let reason, let consoleMessage)):
            next.state = .rejected
            next.rejectionReason = reason
            return done("rejected: \(reason.rawValue)" + (consoleMessage.map { " (the console said: \($0))" } ?? ""))
        case (.inReview, .leaseExpired):
            return done("lease expired; still in review")

        // Terminal until re-queued.
        case (.needsMaterials, .requeued(let note)), (.rejected, .requeued(let note)), (.failed, .requeued(let note)):
            next.state = .pending
            next.attempts = 0
            next.generation = snapshot.generation + 1
            next.idempotencyKey = nil
            next.ticket = nil
            next.rejectionReason = nil
            next.lastError = nil
            effects.append(.scheduleRetry(at: now))
            return done(note)

        default:
            return invalid()
        }
    }
}
