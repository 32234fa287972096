import Dispatch
import Foundation
import NianjianConsole
import NianjianDomain

/// Where the mock console keeps what it was sent: in process (`InMemoryConsoleMemory`), never in the product
/// database. A console whose memory must survive a runner crash is the simulator (`nianjian cloud serve`).
public protocol MockConsoleMemory: Sendable {
    /// Records a submission; for a key seen before, returns the first submission (the caller compares
    /// fingerprints) and counts the repeat.
    func record(_ submission: MockSubmission) -> MockSubmission
    /// The submission behind a ticket (nil: unknown), counting the poll.
    func lookUp(ticket: String) -> MockSubmission?
}

public struct MockSubmission: Sendable, Hashable {
    public var idempotencyKey: String
    public var account: String
    public var fingerprint: String
    public var ticket: String
    public var submittedAt: Timestamp
    /// From this business date on, polls see the outcome.
    public var decidedOn: CivilDate
    /// nil: approved.
    public var rejection: RejectionReason?

    public init(idempotencyKey: String, account: String, fingerprint: String, ticket: String, submittedAt: Timestamp,
                decidedOn: CivilDate, rejection: RejectionReason?) {
        self.idempotencyKey = idempotencyKey; self.account = account; self.fingerprint = fingerprint
        self.ticket = ticket; self.submittedAt = submittedAt; self.decidedOn = decidedOn; self.rejection = rejection
    }
}

/// A deterministic console: for a seed, the same calls get the same answers, faults and decisions.
/// Calls wait out their latency on timers (no thread held); the memory records each call as it arrives.
public final class MockConsole: ConsoleAdapter, @unchecked Sendable {
    public let settings: MockConsoleSettings
    let memory: any MockConsoleMemory
    let clock: any BusinessClock
    let calendar: BusinessCalendar
    private let queue = DispatchQueue(label: "nianjian.mock-console")
    /// Answers are delivered from a queue of the mock's own, not the global one: a process whose global
    /// threads are blocked (tests waiting on runs) would hold every answer up by seconds.
    private let answers = DispatchQueue(label: "nianjian.mock-console.answers")
    // On `queue`.
    private var callCounter: UInt64 = 0
    private var accountBuckets: [String: (submit: TokenBucket, poll: TokenBucket)] = [:]
    private var outageOverride: Bool?

    public init(settings: MockConsoleSettings, memory: any MockConsoleMemory, clock: any BusinessClock,
                calendar: BusinessCalendar = .china) {
        self.settings = settings
        self.memory = memory
        self.clock = clock
        self.calendar = calendar
    }

    /// Starts or ends an outage (every call fails as a transient network error).
    public func setOutage(_ on: Bool) { queue.sync { outageOverride = on } }

    public func submit(_ request: SubmitRequest, completion: @escaping @Sendable (Result<SubmitReceipt, ConsoleError>) -> Void) {
        queue.async { [self] in
            var random = nextRandom(request.idempotencyKey)
            let latency = sampleLatency(&random)
            let now = clock.now()
            if let refusal = refusal(&random, account: request.account, isSubmit: true, now: now) {
                return after(latency) { completion(.failure(refusal)) }
            }
            let roll = random.nextUnit()
            if roll < settings.loginFailureRate {
                return after(latency) { completion(.failure(ConsoleError(.transient(.login), "console login failed (network)"))) }
            }
            if roll < settings.loginFailureRate + settings.buttonFailureRate {
                return after(latency) { completion(.failure(ConsoleError(.transient(.button), "annual inspection button not clickable (stale session)"))) }
            }
            let lostAnswer: ConsoleError?
            let lossRoll = random.nextUnit()
            if lossRoll < settings.progressFailureRate {
                lostAnswer = ConsoleError(.transient(.progress), "progress not visible after submission")
            } else if lossRoll < settings.progressFailureRate + settings.timeoutRate {
                lostAnswer = ConsoleError(.transient(.network), "no answer from the console (timeout)")
            } else {
                lostAnswer = nil
            }
            let fingerprint = request.fingerprint
            let submission = decide(request, fingerprint: fingerprint, now: now)
            let stored = memory.record(submission)
            after(latency) {
                if stored.fingerprint != fingerprint {
                    completion(.failure(ConsoleError(.permanent(code: "IdempotentParameterMismatch"),
                                                     "the idempotency key was used before with other parameters")))
                } else if let lostAnswer {
                    // The console has it; we just did not hear back. The retry, same key, gets this ticket.
                    completion(.failure(lostAnswer))
                } else {
                    completion(.success(SubmitReceipt(ticket: stored.ticket)))
                }
            }
        }
    }

    /// The mock holds no instances of its own: every queried instance exists, is `Normal`, expires when the
    /// agency's records say and renews as they say (a consistent, healthy console), except during an outage
    /// (every answer a transient network error) or when the settings name it among `missingInstances` or
    /// `expiredInstances`.
    public func queryStatus(_ queries: [StatusQuery], completion: @escaping @Sendable ([StatusAnswer]) -> Void) {
        queue.async { [self] in
            let outage = outageOverride ?? settings.outage
            let answers: [StatusAnswer] = queries.map { query in
                if outage { return .failure(ConsoleError(.transient(.network), "console unreachable (outage)")) }
                if settings.missingInstances.contains(query.instanceId) { return .success(nil) }
                let expired = settings.expiredInstances.contains(query.instanceId)
                return .success(CloudInstanceStatus(instanceId: query.instanceId, status: expired ? .expired : .normal,
                                                    statusText: expired ? "Expired" : "Normal",
                                                    expiresOn: query.recordedExpiry, renewalMethod: query.recordedRenewal))
            }
            self.answers.async { completion(answers) }
        }
    }

    public func poll(_ request: PollRequest, completion: @escaping @Sendable (Result<ReviewStatus, ConsoleError>) -> Void) {
        queue.async { [self] in
            var random = nextRandom(request.ticket)
            let latency = sampleLatency(&random)
            let now = clock.now()
            if let refusal = refusal(&random, account: request.account, isSubmit: false, now: now) {
                return after(latency) { completion(.failure(refusal)) }
            }
            if random.nextUnit() < settings.timeoutRate {
                return after(latency) { completion(.failure(ConsoleError(.transient(.network), "no answer from the console (timeout)"))) }
            }
            let submission = memory.lookUp(ticket: request.ticket)
            after(latency) {
                // A ticket this process never issued (a night run by another process) carries its decision.
                guard let decision = submission.map({ (decidedOn: $0.decidedOn, rejection: $0.rejection) })
                        ?? MockTicket.decision(of: request.ticket) else {
                    completion(.failure(ConsoleError(.permanent(code: "TicketNotFound"), "no submission has ticket \(request.ticket)")))
                    return
                }
                if now.chinaDate < decision.decidedOn {
                    completion(.success(.reviewing))
                } else if let reason = decision.rejection {
                    completion(.success(.rejected(reason)))
                } else {
                    completion(.success(.approved))
                }
            }
        }
    }

    /// Outage, throttling and the per-account rate limit, checked before the console does anything.
    private func refusal(_ random: inout SplitMix, account: String, isSubmit: Bool, now: Timestamp) -> ConsoleError? {
        if outageOverride ?? settings.outage {
            return ConsoleError(.transient(.network), "console unreachable (outage)")
        }
        if random.nextUnit() < settings.throttleRate {
            return ConsoleError(.throttled(retryAfterSeconds: settings.throttleRetryAfterSeconds), "Throttling.User: request was denied due to user flow control")
        }
        let rate = isSubmit ? settings.accountSubmitsPerSecond : settings.accountPollsPerSecond
        guard rate > 0 else { return nil }
        let seconds = DispatchTime.now().seconds
        var buckets = accountBuckets[account] ?? (TokenBucket(ratePerSecond: settings.accountSubmitsPerSecond, burst: max(1, settings.accountSubmitsPerSecond), now: seconds),
                                                   TokenBucket(ratePerSecond: settings.accountPollsPerSecond, burst: max(1, settings.accountPollsPerSecond), now: seconds))
        defer { accountBuckets[account] = buckets }
        let allowed = isSubmit ? buckets.submit.take(now: seconds) : buckets.poll.take(now: seconds)
        if !allowed {
            let wait = isSubmit ? buckets.submit.secondsUntilToken(now: seconds) : buckets.poll.secondsUntilToken(now: seconds)
            return ConsoleError(.throttled(retryAfterSeconds: max(wait, 0.001)), "Throttling.User: \(isSubmit ? "renewal" : "query") rate limit exceeded")
        }
        return nil
    }

    /// The console's decision for a request, fixed by the seed and what was submitted: the account, the
    /// request's parameters and which generation of the inspection it is (the key's `-g<n>` suffix), not the
    /// database ids inside the key, so the same clients get the same decisions in any database.
    func decide(_ request: SubmitRequest, fingerprint: String, now: Timestamp) -> MockSubmission {
        let key = request.idempotencyKey
        let generation = key.lastIndex(of: "-").map { key[key.index(after: $0)...] } ?? key[...]
        var random = SplitMix(seed: settings.seed ^ stableHash(request.account[...], fingerprint[...], generation) ^ 0x5eed_dec1_5100)
        let roll = random.nextUnit()
        var cumulative = 0.0
        var rejection: RejectionReason?
        for reason in RejectionReason.allCases {
            cumulative += settings.rejectionRates[reason] ?? 0
            if roll < cumulative { rejection = reason; break }
        }
        let decidedOn = settings.reviewBusinessDays > 0
            ? calendar.adding(businessDays: settings.reviewBusinessDays, to: now.chinaDate)
            : now.chinaDate
        let ticket = MockTicket.make(account: request.account, idempotencyKey: request.idempotencyKey,
                                     decidedOn: decidedOn, rejection: rejection)
        return MockSubmission(idempotencyKey: request.idempotencyKey, account: request.account, fingerprint: fingerprint,
                              ticket: ticket, submittedAt: now, decidedOn: decidedOn, rejection: rejection)
    }

    private func nextRandom(_ salt: String) -> SplitMix {
        callCounter &+= 1
        return SplitMix(seed: settings.seed &+ stableHash(salt) &+ callCounter &* 0x9E37_79B9_7F4A_7C15)
    }

    private func sampleLatency(_ random: inout SplitMix) -> Double {
        let p50 = settings.latencyP50Milliseconds
        guard p50 > 0 else { return 0 }
        let p99 = max(settings.latencyP99Milliseconds, p50)
        // Log-normal: median p50, 99th percentile p99 (z(0.99) = 2.3263).
        let sigma = log(p99 / p50) / 2.3263
        let normal = random.nextGaussian()
        return p50 * exp(sigma * normal) / 1000
    }

    private func after(_ seconds: Double, _ work: @escaping @Sendable () -> Void) {
        if seconds <= 0 {
            answers.async(execute: work)
        } else {
            answers.asyncAfter(deadline: .now() + seconds, execute: work)
        }
    }
}

/// The mock's tickets: `T<hash of account and key>-<decided-on date>-<A | R<reason>>`. The decision rides in the
/// ticket, so a later night run by another process (the mock's memory is per process) can still poll it; the
/// same account and key on the same business date give the same ticket.
public enum MockTicket {
    public static func make(account: String, idempotencyKey: String, decidedOn: CivilDate, rejection: RejectionReason?) -> String {
        let hash = String(stableHash(account[...], idempotencyKey[...]), radix: 16, uppercase: true)
        // yyyyMMdd (the ISO date without its hyphens).
        let number = String(decidedOn.year * 10_000 + decidedOn.month * 100 + decidedOn.day)
        let date = number.count < 8 ? String(repeating: "0", count: 8 - number.count) + number : number
        let outcome = rejection.flatMap { reason in RejectionReason.allCases.firstIndex(of: reason).map { "R" + String($0) } } ?? "A"
        return "T" + hash + "-" + date + "-" + outcome
    }

    /// The decision a ticket carries (nil: not one of the mock's tickets).
    public static func decision(of ticket: String) -> (decidedOn: CivilDate, rejection: RejectionReason?)? {
        let parts = ticket.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].hasPrefix("T"), parts[1].count == 8 else { return nil }
        let digits = String(parts[1])
        let iso = "\(digits.prefix(4))-\(digits.dropFirst(4).prefix(2))-\(digits.suffix(2))"
        guard let date = CivilDate(iso: iso) else { return nil }
        if parts[2] == "A" { return (date, nil) }
        guard parts[2].hasPrefix("R"), let index = Int(parts[2].dropFirst()), RejectionReason.allCases.indices.contains(index) else {
            return nil
        }
        return (date, RejectionReason.allCases[index])
    }
}

/// The domain's SplitMix64, with what the mock needs on top.
typealias SplitMix = SeededRandom

extension SeededRandom {
    /// Uniform in [0, 1).
    mutating func nextUnit() -> Double { unit() }

    /// Standard normal (Box–Muller), for log-normal latencies.
    mutating func nextGaussian() -> Double {
        let u1 = max(unit(), 1e-12)
        let u2 = unit()
        return sqrt(-2 * log(u1)) * cos(2 * Double.pi * u2)
    }
}

/// FNV-1a 64.
func stableHash(_ text: String) -> UInt64 { stableHash(text[...]) }

/// FNV-1a 64 of the parts joined by "/", without building the joined string (the same value as hashing it).
func stableHash(_ parts: Substring...) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for (index, part) in parts.enumerated() {
        if index > 0 {
            hash ^= UInt64(UInt8(ascii: "/"))
            hash = hash &* 0x100_0000_01b3
        }
        for byte in part.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
    }
    return hash
}

extension DispatchTime {
    var seconds: Double { Double(uptimeNanoseconds) / 1_000_000_000 }
}
