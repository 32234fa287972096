import Foundation
import NianjianDomain

/// The mock console's memory, in process memory: the mock is for unit tests and the throughput bench, and a
/// console's memory lives with the console, never in the product database (DESIGN.md "Console adapter").
/// Durable console memory across runner crashes is the simulator's (`nianjian cloud serve`).
public final class InMemoryConsoleMemory: MockConsoleMemory, @unchecked Sendable {
    private let lock = NSLock()
    private var byKey: [String: MockSubmission] = [:]
    private var byTicket: [String: String] = [:]
    private var submitCounts: [String: Int] = [:]
    private var mismatchCounts: [String: Int] = [:]
    private var pollCounts: [String: Int] = [:]
    /// Keys in the order the console first received them, when asked for (a test of dispatch order; the
    /// throughput and memory benches keep a million keys and leave it off).
    private let recordsArrivalOrder: Bool
    private var arrival: [String] = []

    public init(recordingArrivalOrder: Bool = false) { recordsArrivalOrder = recordingArrivalOrder }

    public func recordSubmissions(_ submissions: [MockSubmission],
                                  completion: @escaping @Sendable (Result<[String: MockSubmission], any Error>) -> Void) {
        lock.lock()
        var stored: [String: MockSubmission] = [:]
        for submission in submissions {
            submitCounts[submission.idempotencyKey, default: 0] += 1
            if let first = byKey[submission.idempotencyKey] {
                if first.fingerprint != submission.fingerprint { mismatchCounts[submission.idempotencyKey, default: 0] += 1 }
                stored[submission.idempotencyKey] = first
            } else {
                byKey[submission.idempotencyKey] = submission
                byTicket[submission.ticket] = submission.idempotencyKey
                if recordsArrivalOrder { arrival.append(submission.idempotencyKey) }
                stored[submission.idempotencyKey] = submission
            }
        }
        lock.unlock()
        completion(.success(stored))
    }

    public func lookUpTickets(_ tickets: [String],
                              completion: @escaping @Sendable (Result<[String: MockSubmission], any Error>) -> Void) {
        lock.lock()
        var found: [String: MockSubmission] = [:]
        for ticket in tickets {
            guard let key = byTicket[ticket], let submission = byKey[key] else { continue }
            found[ticket] = submission
            pollCounts[key, default: 0] += 1
        }
        lock.unlock()
        completion(.success(found))
    }

    /// Each key once, in the order it first reached the console (empty unless `recordingArrivalOrder`).
    public var keysInArrivalOrder: [String] {
        lock.lock(); defer { lock.unlock() }
        return arrival
    }

    /// How often each key was submitted.
    public var submissionCounts: [String: Int] {
        lock.lock(); defer { lock.unlock() }
        return submitCounts
    }

    /// The first submission of a key.
    public func submission(forKey key: String) -> MockSubmission? {
        lock.lock(); defer { lock.unlock() }
        return byKey[key]
    }

    /// What the console was told, for the bench's figures and tests: keys, repeats of a key with the same
    /// request, keys reused with another request, and per account the submits and polls received.
    public struct Figures: Sendable, Hashable {
        public struct Calls: Sendable, Hashable {
            public var submits = 0
            public var polls = 0
        }
        public var submissions = 0
        public var repeats = 0
        public var mismatches = 0
        public var perAccount: [String: Calls] = [:]
    }

    /// The figures of the keys `include` accepts (all by default).
    public func figures(include: (String) -> Bool = { _ in true }) -> Figures {
        lock.lock(); defer { lock.unlock() }
        var figures = Figures()
        for (key, submission) in byKey where include(key) {
            let submits = submitCounts[key] ?? 1
            figures.submissions += 1
            figures.repeats += submits - 1
            figures.mismatches += mismatchCounts[key] ?? 0
            var account = figures.perAccount[submission.account] ?? Figures.Calls()
            account.submits += submits
            account.polls += pollCounts[key] ?? 0
            figures.perAccount[submission.account] = account
        }
        return figures
    }
}
