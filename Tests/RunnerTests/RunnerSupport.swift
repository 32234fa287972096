import Foundation
import Logging
import NianjianConsole
import NianjianDomain
import NianjianMockConsole
import NianjianOperations
import NianjianPostgres
import NianjianRunner
import NianjianStore
import NianjianTestSupport

/// A job for tests: instant console, reviews decided at the first poll, retries in milliseconds.
func testJob(_ tweak: (inout JobDefinition) -> Void = { _ in }) -> JobDefinition {
    var job = JobDefinition()
    job.planFirst = false
    job.retry = RetryPolicy(maxAttempts: 5, baseDelaySeconds: 0.01, multiplier: 2, maxDelaySeconds: 0.05, jitter: 0)
    job.poll = PollSchedule(firstPollAfterBusinessDays: 0, firstPollAfterSeconds: 0, thenEveryBusinessDays: 0, thenEverySeconds: 0.01)
    job.rateLimits.submit.perSecond = 0
    job.rateLimits.poll.perSecond = 0
    job.lease.seconds = 5
    job.lease.heartbeatSeconds = 1
    job.batch.flushMilliseconds = 5
    job.databaseRetrySeconds = 5
    var console = MockConsoleSettings()
    console.reviewBusinessDays = 0
    console.seed = 11
    job.console = console
    tweak(&job)
    return job
}

/// Runs one night in this process on the test business date.
/// With `console`, the mock keeps its memory there (several nights, or two runners, sharing one console).
func runNight(_ database: Database, _ job: JobDefinition, tenants: [String]? = nil, runnerId: String = NightRunner.defaultRunnerId(),
              asOf: CivilDate = Scenario.asOf, console: InMemoryConsoleMemory? = nil) async throws -> RunSummary {
    try await offThePool {
        var logger = Logger(label: "test.runner")
        logger.logLevel = ProcessInfo.processInfo.environment["NJ_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .error
        return try Nightly.run(database: database, job: job, tenants: tenants, asOf: asOf, runnerId: runnerId, logger: logger,
                               mockMemory: console)
    }
}

/// The invariants every night must keep, whatever happened (crashes included).
func checkInvariants(_ database: Database, console: InMemoryConsoleMemory? = nil) throws {
    // No service renewed twice: one renewal row per approved inspection, and none for others.
    let renewals = try Scenario.scalar(database, "SELECT count(*) FROM service_renewals")
    let approved = try Scenario.scalar(database, "SELECT count(*) FROM inspections WHERE state = 'approved'")
    guard renewals == approved else { throw InvariantFailure("renewals \(renewals) != approved \(approved)") }
    let doubled = try Scenario.scalar(database, """
        SELECT count(*) FROM services s JOIN inspections i ON i.tenant_id = s.tenant_id AND i.service_id = s.id
         WHERE i.state = 'approved' AND s.expires_on <> (i.due_on + make_interval(months => s.term_months))::date
        """)
    guard doubled == 0 else { throw InvariantFailure("\(doubled) services not renewed by exactly one term") }
    // No idempotency key sent with two different requests (the console's memory, when the test holds it).
    if let mismatches = console?.figures().mismatches, mismatches != 0 { throw InvariantFailure("\(mismatches) key mismatches") }
    // No decision contradicts the console's: the mock's tickets carry the decision it made.
    let decided = try database.runBlocking { session in
        try session.query("SELECT state, console_ticket, coalesce(rejection_reason, '') FROM inspections WHERE state IN ('approved', 'rejected')")
            .rows.map { (try $0.requireString(0), $0.string(1) ?? "", $0.string(2) ?? "") }
    }
    for (state, ticket, reason) in decided {
        guard let decision = MockTicket.decision(of: ticket) else { continue }  // not the mock's (the simulator's order ids)
        let agrees = state == "approved" ? decision.rejection == nil : decision.rejection?.rawValue == reason
        guard agrees else { throw InvariantFailure("\(state) inspection with ticket \(ticket) contradicts the console's decision") }
    }
    // Every inspection's state agrees with its last event.
    let disagreeing = try Scenario.scalar(database, """
        SELECT count(*) FROM inspections i
         WHERE i.state <> (SELECT e.to_state FROM inspection_events e WHERE e.tenant_id = i.tenant_id AND e.inspection_id = i.id
                            ORDER BY e.id DESC LIMIT 1)
        """)
    guard disagreeing == 0 else { throw InvariantFailure("\(disagreeing) inspections disagree with their last event") }
    // Every ticket the console gave for an approved or rejected inspection is recorded.
    let missingTickets = try Scenario.scalar(database, """
        SELECT count(*) FROM inspections WHERE state IN ('in_review', 'approved', 'rejected') AND console_ticket IS NULL
        """)
    guard missingTickets == 0 else { throw InvariantFailure("\(missingTickets) decided inspections without a ticket") }
}

struct InvariantFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Log messages a runner wrote, for a test to wait on (e.g. "database unavailable, retrying").
final class LogCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [String] = []
    private var details: [String] = []

    func append(_ message: String, detail: String = "") {
        lock.lock(); messages.append(message); details.append(message + " " + detail); lock.unlock()
    }

    /// Messages with their metadata (e.g. the error and its SQLSTATE) that contain `fragment`.
    func count(containing fragment: String) -> Int {
        lock.lock(); defer { lock.unlock() }
        return details.filter { $0.contains(fragment) }.count
    }

    func count(_ message: String) -> Int {
        lock.lock(); defer { lock.unlock() }
        return messages.filter { $0 == message }.count
    }

    /// A logger that records every message at `level` or above (and prints nothing).
    func logger(label: String, level: Logger.Level = .warning) -> Logger {
        var logger = Logger(label: label) { _ in CapturingLogHandler(capture: self) }
        logger.logLevel = level
        return logger
    }
}

struct CapturingLogHandler: LogHandler {
    let capture: LogCapture
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .warning

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        capture.append(event.message.description, detail: merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
    }
}
