import Foundation
import NianjianDomain

/// The mock console's memory in process memory: the twin of the PostgreSQL memory, for unit tests.
public final class InMemoryConsoleMemory: MockConsoleMemory, @unchecked Sendable {
    private let lock = NSLock()
    private var byKey: [String: MockSubmission] = [:]
    private var byTicket: [String: String] = [:]
    private var submitCounts: [String: Int] = [:]

    public init() {}

    public func recordSubmissions(_ submissions: [MockSubmission],
                                  completion: @escaping @Sendable (Result<[String: MockSubmission], any Error>) -> Void) {
        lock.lock()
        var stored: [String: MockSubmission] = [:]
        for submission in submissions {
            submitCounts[submission.idempotencyKey, default: 0] += 1
            if let first = byKey[submission.idempotencyKey] {
                stored[submission.idempotencyKey] = first
            } else {
                byKey[submission.idempotencyKey] = submission
                byTicket[submission.ticket] = submission.idempotencyKey
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
            if let key = byTicket[ticket], let submission = byKey[key] { found[ticket] = submission }
        }
        lock.unlock()
        completion(.success(found))
    }

    /// How often each key was submitted.
    public var submissionCounts: [String: Int] {
        lock.lock(); defer { lock.unlock() }
        return submitCounts
    }
}
