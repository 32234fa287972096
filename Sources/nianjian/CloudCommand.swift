import ArgumentParser
import Dispatch
import Foundation
import NianjianAliyun
import NianjianCloudSimulator

/// `nianjian cloud …`: the simulated Alibaba Cloud.
struct CloudCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cloud",
        abstract: "The cloud simulator: Alibaba Cloud's signed BSS/ECS/RDS protocol over loopback HTTP. 云模拟器。",
        subcommands: [CloudServeCommand.self])
}

/// `nianjian cloud serve`: runs the simulator until SIGINT/SIGTERM; the first line on stdout is its address.
struct CloudServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the simulated cloud (prints `listening on http://HOST:PORT` first). 启动云模拟器。",
        discussion: """
            Verifies every ACS3-HMAC-SHA256 signature, the date window and nonce reuse; keeps instances and
            orders in its own state (--state DIR, a journal that survives kill -9; memory without it); makes each
            ClientToken idempotent; injects the latency, faults, lost answers and throttling the settings ask for.
            Accounts come from --settings and from ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET.
            The control plane /_simulator/ (clock, stats, instances) answers loopback callers only.
            README, "The cloud simulator", lists every setting.
            """)

    @Option(name: .long, help: "HOST:PORT to listen on (default 127.0.0.1:8930, the job files' console.simulator_url; port 0 picks a free one).")
    var listen = "127.0.0.1:8930"

    @Option(name: .long, help: "Folder of the simulator's own state (journal). Without it, state is in memory.")
    var state: String?

    @Option(name: .long, help: "Settings file (YAML or JSON): accounts, seed, latency, faults, throttle, limits, review days, rejection rates.")
    var settings: String?

    @Option(name: .long, help: "Folder whose services.csv is loaded at start (instances already in the state are kept).")
    var instances: String?

    @OptionGroup var language: LanguageOption

    func run() throws {
        try runCommand {
            try LogSetup.bootstrap(format: "plain", level: "warning")
            let (host, port) = try Self.parseListen(listen)
            var loaded = SimulatorSettings()
            if let settings {
                do {
                    loaded = try SimulatorSettings.load(path: settings)
                } catch let error as SettingsError {
                    throw UserFacingError(description: "\(error.message)\n设置文件有误：\(error.message)", exitCode: 2)
                }
            }
            if let credentials = AliyunCredentials.fromEnvironment(ProcessInfo.processInfo.environment),
               loaded.accounts[credentials.accessKeyId] == nil {
                loaded.accounts[credentials.accessKeyId] = credentials.accessKeySecret
            }
            if loaded.accounts.isEmpty {
                printError("warning: no accounts (settings `accounts:` or ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET): every signed call will be refused\n警告：没有账户，所有签名请求都会被拒绝")
            }
            let outcome = Outcome()
            let done = DispatchSemaphore(value: 0)
            let settingsValue = loaded
            let stateDirectory = state, instancesDirectory = instances
            Task {
                do {
                    let simulator = try await CloudSimulator(settings: settingsValue, stateDirectory: stateDirectory,
                                                             instancesDirectory: instancesDirectory)
                    try await simulator.serve(host: host, port: port) { bound in
                        printOut("listening on http://\(host):\(bound)")
                    }
                } catch {
                    outcome.fail(String(describing: error))
                }
                done.signal()
            }
            done.wait()
            if let message = outcome.message {
                throw UserFacingError(description: "the cloud simulator stopped: \(message)\n云模拟器已停止：\(message)")
            }
        }
    }

    /// `127.0.0.1:8930`, `[::1]:0`.
    static func parseListen(_ text: String) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port) else {
            throw UserFacingError(description: "--listen must be HOST:PORT, like 127.0.0.1:8930 / --listen 应为 HOST:PORT", exitCode: 2)
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else {
            throw UserFacingError(description: "--listen must name a host, like 127.0.0.1:8930 / --listen 应包含主机", exitCode: 2)
        }
        return (host, port)
    }
}

/// The simulator task's error, read after it ended.
private final class Outcome: @unchecked Sendable {
    private let lock = NSLock()
    private var text: String?
    func fail(_ message: String) { lock.lock(); text = message; lock.unlock() }
    var message: String? { lock.lock(); defer { lock.unlock() }; return text }
}
