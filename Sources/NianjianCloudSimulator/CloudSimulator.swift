import Hummingbird
import Logging
import NIOCore
import NianjianDomain

/// The simulated Alibaba Cloud: one HTTP server on loopback speaking the signed RPC protocol of the BSS, ECS
/// and RDS actions the adapter uses, with its own state (`CloudState`) and deterministic faults.
public struct CloudSimulator: Sendable {
    public let settings: SimulatorSettings
    public let state: CloudState
    public let stats: SimulatorStats

    /// - Parameters:
    ///   - stateDirectory: where the journal lives (nil: memory only).
    ///   - instancesDirectory: a folder whose services.csv is loaded at start (instances already known are kept).
    public init(settings: SimulatorSettings, stateDirectory: String? = nil, instancesDirectory: String? = nil,
                realToday: (@Sendable () -> CivilDate)? = nil) async throws {
        self.settings = settings
        if let realToday {
            state = try CloudState(settings: settings, stateDirectory: stateDirectory, realToday: realToday)
        } else {
            state = try CloudState(settings: settings, stateDirectory: stateDirectory)
        }
        stats = SimulatorStats()
        if let instancesDirectory {
            _ = try await state.load(try InstanceLoader.instances(inDirectory: instancesDirectory), replace: false)
        }
    }

    public func router() -> Router<SimulatorContext> {
        let router = Router(context: SimulatorContext.self)
        ControlPlane(state: state, stats: stats).register(on: router)
        let rpc = RPCResponder(verifier: SignatureVerifier(accounts: settings.accounts), nonces: NonceCache(),
                               faults: FaultInjector(settings: settings), handlers: ActionHandlers(state: state),
                               stats: stats, hangSeconds: settings.hangMilliseconds / 1000)
        router.post("/") { request, context in try await rpc.respond(request, context: context) }
        router.get("/") { request, context in try await rpc.respond(request, context: context) }
        return router
    }

    /// Runs the server until SIGINT or SIGTERM (then finishes the calls in flight and returns).
    public func serve(host: String, port: Int, onListening: @escaping @Sendable (Int) async -> Void) async throws {
        try await application(host: host, port: port, onListening: onListening).runService()
    }

    /// The server; `onListening` gets the port actually bound (`port: 0` picks a free one).
    public func application(host: String = "127.0.0.1", port: Int = 0, logger: Logger? = nil,
                            onListening: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        var quiet = logger ?? Logger(label: "nianjian.cloud-simulator")
        if logger == nil { quiet.logLevel = .warning }
        return Application(router: router(), configuration: ApplicationConfiguration(address: .hostname(host, port: port)),
                           onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) },
                           logger: quiet)
    }
}
