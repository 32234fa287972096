import Foundation
import NianjianDomain

/// The mock console's memory, in process memory: the mock is for unit tests and the throughput bench, and a
/// console's memory lives with the console, never in the product database (DESIGN.md "Console adapter").
/// Durable console memory across runner crashes is the simulator's (`nianjian cloud serve`).
public final class InMemoryConsoleMemory: MockConsoleMemory, @unchecked Sendable {
    private let lock = NSLock()
    /// What the console knows of one key: its first submission and how often it was sent and polled (one
    /// entry, so a submit or a poll costs one lookup by key).
    private struct Entry {
        var submission: MockSubmission
        var submits = 1
        var mismatches = 0
        var polls = 0
    }
    private var byKey: [String: Entry] = [:]
    private var byTicket: [String: String] = [:]
    /// Keys in the order the console first received them, when asked for (a test of dispatch order; the
    /// throughput and memory benches keep a million keys and leave it off).
    private let recordsArrivalOrder: Bool
    private var arrival: [String] = []

    public init(recordingArrivalOrder: Bool = false) { recordsArrivalOrder = recordingArrivalOrder }

    public func record(_ submission: MockSubmission) -> MockSubmission {
        lock.lock(); defer { lock.unlock() }
        let key = submission.idempotencyKey
        guard let index = byKey.index(forKey: key) else {
            byKey[key] = Entry(submission: submission)
            byTicket[submission.ticket] = key
            if recordsArrivalOrder { arrival.append(key) }
            return submission
        }
        // Counted in place: one lookup by key.
        byKey.values[index].submits += 1
        if byKey.values[index].submission.fingerprint != submission.fingerprint { byKey.values[index].mismatches += 1 }
        return byKey.values[index].submission
    }

    public func lookUp(ticket: String) -> MockSubmission? {
        lock.lock(); defer { lock.unlock() }
        guard let key = byTicket[ticket], let index = byKey.index(forKey: key) else { return nil }
        byKey.values[index].polls += 1
        return byKey.values[index].submission
    }

    /// Each key once, in the order it first reached the console (empty unless `recordingArrivalOrder`).
    public var keysInArrivalOrder: [String] {
        lock.lock(); defer { lock.unlock() }
        return arrival
    }

    /// How often each key was submitted.
    public var submissionCounts: [String: Int] {
        lock.lock(); defer { lock.unlock() }
        return byKey.mapValues(\.submits)
    }

    /// The first submission of a key.
    public func submission(forKey key: String) -> MockSubmission? {
        lock.lock(); defer { lock.unlock() }
        return byKey[key]?.submission
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
        for (key, entry) in byKey where include(key) {
            figures.submissions += 1
            figures.repeats += entry.submits - 1
            figures.mismatches += entry.mismatches
            var account = figures.perAccount[entry.submission.account] ?? Figures.Calls()
            account.submits += entry.submits
            account.polls += entry.polls
            figures.perAccount[entry.submission.account] = account
        }
        return figures
    }
}
