#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import NianjianConsole
import NianjianDomain
import NianjianMockConsole
import NianjianStore
import NianjianTestSupport

/// What a `nianjian` subprocess did.
struct ChildOutcome: Sendable {
    var status: Int32
    /// Ended by a signal (SIGKILL sent by the test, or a crash).
    var signaled: Bool
    var stdout: String
    var stderr: String
    var seconds: Double

    /// `status` from the `--json` summary on stdout, when there is one.
    var summaryStatus: String? {
        guard let line = stdout.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
              let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
        return object["status"] as? String
    }

    var claimed: Int? {
        guard let line = stdout.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
              let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
        return object["claimed"] as? Int
    }
}

struct MissingBinary: Error, CustomStringConvertible {
    var description: String { "the nianjian executable was not found beside the tests (swift build --build-tests builds it)" }
}

enum Child {
    /// Runs `nianjian ARGUMENTS` with `DATABASE_URL` (and `extra` variables). With `signal`, sends it once
    /// `when` returns true (polled every 10 ms), then `after` more seconds — a random moment for the crash
    /// trials, not a synchronisation — unless the process ended first (the wait ends with it).
    /// Killed with SIGKILL after `timeout` seconds whatever happens.
    static func run(_ arguments: [String], url: String?, extra: [String: String] = [:], signal: Int32? = nil,
                    after: Double = 0, when: (@Sendable () -> Bool)? = nil, timeout: Double = 120) throws -> ChildOutcome {
        guard let path = NianjianBinary.path else { throw MissingBinary() }
        let folder = NSTemporaryDirectory() + "nj-child-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let outPath = folder + "/out", errPath = folder + "/err"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        guard let out = FileHandle(forWritingAtPath: outPath), let err = FileHandle(forWritingAtPath: errPath) else {
            throw MissingBinary()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = url
        environment["PGCONNECT_TIMEOUT"] = "5"
        environment["NIANJIAN_HOME"] = folder + "/home"
        for (key, value) in extra { environment[key] = value }
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let started = DispatchTime.now()
        try process.run()
        try? out.close()
        try? err.close()
        let pid = process.processIdentifier
        let killer = DispatchWorkItem { if process.isRunning { kill(pid, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
        if let signal {
            if let when { waitUntil(timeout: timeout) { !process.isRunning || when() } }
            if after > 0 { waitUntil(timeout: after, every: 0.002) { !process.isRunning } }
            if process.isRunning { kill(pid, signal) }
        }
        process.waitUntilExit()
        killer.cancel()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        let stdout = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        return ChildOutcome(status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal,
                            stdout: stdout, stderr: stderr, seconds: seconds)
    }

    /// Writes `text` to a new temporary file and returns its path.
    static func tempFile(_ text: String, name: String = "job.yml") throws -> String {
        let folder = NSTemporaryDirectory() + "nj-file-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/" + name
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// The job file of the crash trials: a slow enough night (latency, rate limits) for a kill to land in the
/// middle, transient faults and throttling on, short leases, fast retries, reviews decided at the first poll.
func crashJobYAML(seed: UInt64, faults: Bool = true, leaseSeconds: Double = 1, heartbeatSeconds: Double = 0.3,
                  submitPerSecond: Int = 60, databaseRetrySeconds: Double = 10, graceSeconds: Double = 5,
                  routing: StatementRouting = .combined) -> String {
    """
    name: crash-trial
    plan_first: false
    night_hours: 8
    concurrency: {global: 16, per_tenant: 4}
    rate_limits:
      submit: {per_second: \(submitPerSecond), burst: 4}
      poll: {per_second: \(submitPerSecond), burst: 4}
    retry: {max_attempts: 12, base_delay_seconds: 0.05, multiplier: 2, max_delay_seconds: 0.4, jitter: 0.2}
    poll: {first_after_business_days: 0, first_after_seconds: 0, then_every_business_days: 0, then_every_seconds: 0.05}
    lease: {seconds: \(leaseSeconds), heartbeat_seconds: \(heartbeatSeconds)}
    batch: {claim: 40, write: 40, flush_milliseconds: 5}
    shutdown_grace_seconds: \(graceSeconds)
    database_retry_seconds: \(databaseRetrySeconds)
    database: {routing: \(routing.rawValue)}
    console:
      adapter: mock
      seed: \(seed)
      latency_ms: {p50: 5, p99: 40}
      faults: {login: \(faults ? 0.04 : 0), button: \(faults ? 0.03 : 0), progress: \(faults ? 0.04 : 0), timeout: \(faults ? 0.03 : 0)}
      throttle: {rate: \(faults ? 0.05 : 0), retry_after_seconds: 0.05}
      review_business_days: 0
      rejection_rates: {incomplete_materials: 0.03, violation: 0.02}
    """
}

/// Companies with a few defects, so needs_materials is among the outcomes.
func crashTenants(_ prefix: String, tenants: Int, companies: Int) -> [Scenario.TenantSpec] {
    (0..<tenants).map { index in
        Scenario.TenantSpec(slug: "\(prefix)-\(index)", companies: companies,
                            defect: { $0 % 23 == 5 ? .missingDocument : nil })
    }
}

/// The invariants of issue 7 after a night that completed, crashes included: those of `checkInvariants`, and
/// nothing leased, every inspection final (or waiting for a later night), no console outcome missing (with the
/// console's memory in hand) or contradicted, at most one decision event per inspection.
func checkNightCompleted(_ database: Database, console: InMemoryConsoleMemory? = nil) throws {
    try checkInvariants(database, console: console)
    let leased = try Scenario.scalar(database, "SELECT count(*) FROM inspection_leases")
    guard leased == 0 else { throw InvariantFailure("\(leased) inspections still leased") }
    // The night of Scenario.asOf ends at 09:00 China time (01:00 + 8 hours).
    let unfinished = try Scenario.scalar(database, """
        SELECT count(*) FROM inspections
         WHERE NOT (state IN ('approved', 'rejected', 'needs_materials', 'failed')
                 OR (state = 'pending' AND next_attempt_at > timestamptz '2026-12-01 09:00:00+08')
                 OR (state = 'in_review' AND next_poll_at > timestamptz '2026-12-01 09:00:00+08'))
        """)
    guard unfinished == 0 else {
        let states = try Scenario.states(database)
        throw InvariantFailure("\(unfinished) inspections neither final nor waiting for a later night: \(states)")
    }
    // Every submission the console accepted is known, with its ticket (a failed inspection may have lost the
    // answer of its last try: the console has it, we do not): checked when the test holds the console's memory.
    if let console {
        let rows = try database.runBlocking { session in
            try session.query("SELECT idempotency_key, state, coalesce(console_ticket, '') FROM inspections WHERE idempotency_key IS NOT NULL")
                .rows.map { (try $0.requireString(0), try $0.requireString(1), $0.string(2) ?? "") }
        }
        var byKey: [String: (state: String, ticket: String)] = [:]
        for (key, state, ticket) in rows { byKey[key] = (state, ticket) }
        let missing = console.submissionCounts.keys.filter { key in
            guard let known = byKey[key], let first = console.submission(forKey: key) else { return true }
            return !(known.state == "failed" || (["in_review", "approved", "rejected"].contains(known.state) && known.ticket == first.ticket))
        }
        guard missing.isEmpty else { throw InvariantFailure("\(missing.count) console submissions missing from their inspection") }
    }
    let decidedTwice = try Scenario.scalar(database, """
        SELECT count(*) FROM (SELECT 1 FROM inspection_events WHERE to_state IN ('approved', 'rejected') AND from_state <> to_state
                               GROUP BY tenant_id, inspection_id HAVING count(*) > 1) x
        """)
    guard decidedTwice == 0 else { throw InvariantFailure("\(decidedTwice) inspections decided twice") }
}

/// Faults the mock console injected, as the events record them.
func injectedFaults(_ database: Database) throws -> Int {
    try Scenario.scalar(database, "SELECT count(*) FROM inspection_events WHERE kind IN ('transient_error', 'throttled')")
}

var soak: Bool { ProcessInfo.processInfo.environment["NIANJIAN_SOAK"] == "1" }
