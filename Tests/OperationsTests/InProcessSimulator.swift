import Foundation
import Hummingbird
import Logging
import NianjianCloudSimulator
import NianjianDomain
import NianjianOperations
import NianjianRunner
import NianjianStore
import NianjianTestSupport

/// The cloud simulator served in this process on a free loopback port, for nights through the real adapter.
struct InProcessSimulator {
    let port: Int
    let server: Task<Void, any Error>

    /// Starts `simulator`; `stop()` (or cancelling `server`) ends it.
    static func start(_ simulator: CloudSimulator) async throws -> InProcessSimulator {
        let box = PortBox()
        let server = Task { try await simulator.application(onListening: { box.set($0) }).runService() }
        let deadline = Date().addingTimeInterval(180)  // a loaded machine starts servers slowly
        while box.port == nil, Date() < deadline { try await Task.sleep(nanoseconds: 20_000_000) }
        guard let port = box.port else {
            server.cancel()
            throw SimulatorDidNotStart()
        }
        return InProcessSimulator(port: port, server: server)
    }

    /// A simulator with `settings` whose cloud holds `instances` (an agency's services sheet, as the cloud would
    /// know them) on the business date `asOf`, served.
    static func start(settings: SimulatorSettings, instances: [CloudInstance],
                      asOf: CivilDate) async throws -> (simulator: CloudSimulator, served: InProcessSimulator) {
        let simulator = try await CloudSimulator(settings: settings)
        _ = try await simulator.state.load(instances, replace: false)
        try await simulator.state.setBusinessDate(asOf)
        return (simulator, try await start(simulator))
    }

    func stop() { server.cancel() }

    /// One night through `Nightly.run` against this simulator (off Swift's pool; the runner's log quiet).
    func runNight(_ database: Database, maxAttempts: Int, asOf: CivilDate,
                  environment: [String: String] = [:]) async throws -> RunSummary {
        let night = nightJob(maxAttempts: maxAttempts)
        return try await offThePool {
            var logger = Logger(label: "test.simulator-night")
            logger.logLevel = .error
            return try Nightly.run(database: database, job: night, asOf: asOf, logger: logger, environment: environment)
        }
    }

    /// A quick night against this simulator: no planning, no rate limits, fast retries and polls.
    func nightJob(maxAttempts: Int) -> JobDefinition {
        var job = JobDefinition()
        job.planFirst = false
        job.consoleAdapter = "simulator"
        job.cloud.simulatorURL = "http://127.0.0.1:\(port)"
        job.cloud.timeoutSeconds = 5
        job.retry = RetryPolicy(maxAttempts: maxAttempts, baseDelaySeconds: 0.01, multiplier: 2, maxDelaySeconds: 0.05, jitter: 0)
        job.poll = PollSchedule(firstPollAfterBusinessDays: 0, firstPollAfterSeconds: 0, thenEveryBusinessDays: 0, thenEverySeconds: 0.01)
        job.rateLimits.submit.perSecond = 0
        job.rateLimits.poll.perSecond = 0
        return job
    }

    struct SimulatorDidNotStart: Error, CustomStringConvertible {
        var description: String { "the simulator did not start within 180 s" }
    }
}

final class PortBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int?
    func set(_ port: Int) { lock.lock(); value = port; lock.unlock() }
    var port: Int? { lock.lock(); defer { lock.unlock() }; return value }
}
