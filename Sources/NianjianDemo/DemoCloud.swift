import Dispatch
import Foundation
import Logging
import NianjianAliyun
import NianjianCloudSimulator
import NianjianDomain
import NianjianOperations
import NianjianStore

/// The demo's cloud: the simulator (`nianjian cloud serve`'s server) in this process, on 127.0.0.1 and a free
/// port, with its own state folder; its instances come from the same spreadsheets the agencies import, and the
/// demo's nights reach it through the real Alibaba Cloud adapter over loopback HTTP, signed.

/// What the simulated cloud saw: requests signed (and verified), throttled, faults injected, answers lost
/// after the order was made, orders made, paid and cancelled; `retried` is the runner's side (transient
/// errors and throttling answers it retried).
public struct DemoCloudFigures: Sendable, Hashable {
    public var signed = 0, throttled = 0, faults = 0, lostAnswers = 0, retried = 0
    public var orders = 0, paid = 0, cancelled = 0, refusedSignatures = 0

    public init() {}

    init(signed: Int, throttled: Int, faults: Int, lostAnswers: Int, retried: Int, orders: Int, paid: Int, cancelled: Int,
         refusedSignatures: Int) {
        self.signed = signed; self.throttled = throttled; self.faults = faults; self.lostAnswers = lostAnswers
        self.retried = retried; self.orders = orders; self.paid = paid; self.cancelled = cancelled
        self.refusedSignatures = refusedSignatures
    }

    public static func - (lhs: DemoCloudFigures, rhs: DemoCloudFigures) -> DemoCloudFigures {
        DemoCloudFigures(signed: lhs.signed - rhs.signed, throttled: lhs.throttled - rhs.throttled, faults: lhs.faults - rhs.faults,
                         lostAnswers: lhs.lostAnswers - rhs.lostAnswers, retried: lhs.retried - rhs.retried,
                         orders: lhs.orders - rhs.orders, paid: lhs.paid - rhs.paid, cancelled: lhs.cancelled - rhs.cancelled,
                         refusedSignatures: lhs.refusedSignatures - rhs.refusedSignatures)
    }
}

/// The simulator serving the demo (see the top of this file).
public final class DemoCloud: @unchecked Sendable {
    public let simulator: CloudSimulator
    public let url: String
    private let server: Task<Void, any Error>

    private init(simulator: CloudSimulator, url: String, server: Task<Void, any Error>) {
        self.simulator = simulator; self.url = url; self.server = server
    }

    /// The demo's cloud misbehaves a little (throttling, 503s, answers lost after the order was made) and takes
    /// two business days to review, refusing a few orders; the mock's demo rates otherwise.
    public static func settings(seed: UInt64, environment: [String: String]) -> SimulatorSettings {
        var settings = SimulatorSettings()
        let demo = ConsoleFactory.simulatorDemoCredentials
        settings.accounts = [demo.accessKeyId: demo.accessKeySecret]
        // The environment's AccessKey, when set, is the one the adapter signs with: the simulator knows it too.
        if let own = AliyunCredentials.fromEnvironment(environment) { settings.accounts[own.accessKeyId] = own.accessKeySecret }
        settings.seed = seed
        settings.latencyP50Milliseconds = 2
        settings.latencyP99Milliseconds = 20
        settings.faults.serviceUnavailable = 0.02
        settings.faults.lostAnswer = 0.02
        settings.throttleRate = 0.02
        settings.throttleRetryAfterMilliseconds = 200
        settings.reviewBusinessDays = 2
        settings.rejectionRates = [.incompleteMaterials: 0.012, .inaccurateInformation: 0.01, .abnormalServiceStatus: 0.005, .violation: 0.003]
        return settings
    }

    /// Starts the server (a fresh state folder, replacing the last demo's) and waits until it listens.
    static func start(seed: UInt64, stateDirectory: String, environment: [String: String]) throws -> DemoCloud {
        try? FileManager.default.removeItem(atPath: stateDirectory)
        return try start(settings: settings(seed: seed, environment: environment), stateDirectory: stateDirectory)
    }

    /// Starts the server with `settings`; without a state folder its memory is this process's only (the soak's
    /// cloud outlives every runner it kills, as the real one does).
    public static func start(settings: SimulatorSettings, stateDirectory: String?) throws -> DemoCloud {
        let simulator = try blocking { try await CloudSimulator(settings: settings, stateDirectory: stateDirectory) }
        let port = PortSlot()
        // Quiet: the server's own shutdown chatter (a cancelled accept loop) is not the demo's news.
        var logger = Logger(label: "nianjian.demo-cloud")
        logger.logLevel = .critical
        let quiet = logger
        let server = Task { try await simulator.application(logger: quiet, onListening: { port.set($0) }).runService() }
        let deadline = DispatchTime.now() + 120
        while port.value == nil, DispatchTime.now() < deadline, !server.isCancelled { Thread.sleep(forTimeInterval: 0.01) }
        guard let bound = port.value else {
            server.cancel()
            throw OperationsError(code: "demo_cloud_not_started", en: "the demo's cloud simulator did not start listening on 127.0.0.1",
                                  zh: "演示用的云模拟器未能在 127.0.0.1 上开始监听")
        }
        return DemoCloud(simulator: simulator, url: "http://127.0.0.1:\(bound)", server: server)
    }

    /// The instances of an agency's `services.csv` (instances already known are kept, renewals included).
    @discardableResult
    func load(directory: String) throws -> Int {
        let instances = try InstanceLoader.instances(inDirectory: directory)
        let state = simulator.state
        return try Self.blocking { try await state.load(instances, replace: false).added }
    }

    /// The cloud's business date: reviews end on business days of the night being simulated.
    public func setBusinessDate(_ date: CivilDate) throws {
        let state = simulator.state
        try Self.blocking { try await state.setBusinessDate(date) }
    }

    func figures(retried: Int) throws -> DemoCloudFigures {
        let simulator = self.simulator
        let (stats, totals) = try Self.blocking { (await simulator.stats.snapshot(), try await simulator.state.totals()) }
        return DemoCloudFigures(signed: stats["signatures_verified"] ?? 0, throttled: stats["throttled"] ?? 0,
                       faults: stats["faults_injected"] ?? 0, lostAnswers: stats["lost_answers"] ?? 0, retried: retried,
                       orders: totals.orders, paid: totals.paid, cancelled: totals.cancelled,
                       refusedSignatures: (stats["rejected_signature"] ?? 0) + (stats["rejected_date"] ?? 0) + (stats["rejected_nonce"] ?? 0))
    }

    /// Stops the server (the adapter's connections are closed by then); waits a few seconds at most.
    public func stop() {
        server.cancel()
        let done = DispatchSemaphore(value: 0)
        let task = server
        Task {
            _ = try? await task.value
            done.signal()
        }
        _ = done.wait(timeout: .now() + 5)
    }

    /// Runs async work to its end from a thread that may block (the demo's own, never the cooperative pool).
    public static func blocking<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
        let slot = ResultSlot<T>()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { slot.set(.success(try await work())) } catch { slot.set(.failure(error)) }
            done.signal()
        }
        done.wait()
        guard let result = slot.value else {
            throw OperationsError(code: "demo_cloud", en: "the demo's cloud gave no answer", zh: "演示用的云模拟器没有应答")
        }
        return try result.get()
    }
}

private final class PortSlot: @unchecked Sendable {
    private let lock = NSLock()
    private var port: Int?
    func set(_ value: Int) { lock.lock(); port = value; lock.unlock() }
    var value: Int? { lock.lock(); defer { lock.unlock() }; return port }
}

private final class ResultSlot<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<T, any Error>?
    func set(_ value: Result<T, any Error>) { lock.lock(); result = value; lock.unlock() }
    var value: Result<T, any Error>? { lock.lock(); defer { lock.unlock() }; return result }
}
