import AsyncHTTPClient
import Foundation
import NianjianAliyun
import NianjianConsole
import NianjianMockConsole
import NianjianRunner
import NianjianStore

/// The console a job names: the in-process mock, Alibaba Cloud's OpenAPI, or the simulator speaking it.
/// Whoever opens one closes it when the night is over (the HTTP client's connections).
public struct OpenedConsole: Sendable {
    public let adapter: any ConsoleAdapter
    /// The Alibaba Cloud adapter's counters (nil for the mock).
    public let cloudCounters: AliyunCallCounters?
    /// The mock's memory, in process (nil for the cloud adapters): what it was sent this run.
    public let mockMemory: InMemoryConsoleMemory?
    let shutdown: @Sendable () -> Void

    public func close() { shutdown() }
}

public enum ConsoleFactory {
    /// The simulator's built-in demo account, used when no credentials are set for `console.adapter: simulator`.
    public static let simulatorDemoCredentials = AliyunCredentials(accessKeyId: "LTAI5tNianjianDemo", accessKeySecret: "nianjian-simulator-demo-secret")

    public static func open(job: JobDefinition, database: Database, clock: any BusinessClock,
                            environment: [String: String] = ProcessInfo.processInfo.environment,
                            mockMemory: InMemoryConsoleMemory? = nil) throws -> OpenedConsole {
        switch job.consoleAdapter {
        case "aliyun", "simulator":
            var settings = job.cloud
            let fromEnvironment = AliyunCredentials.fromEnvironment(environment)
            if job.consoleAdapter == "simulator" {
                // Every API goes to the simulator, unless the job names another endpoint than the public default.
                for api in AliyunAPI.allCases
                where settings.endpoints[api.rawValue] == nil || settings.endpoints[api.rawValue] == CloudSettings().endpoints[api.rawValue] {
                    settings.endpoints[api.rawValue] = settings.simulatorURL
                }
            }
            // Companies with their own account are called with it; every other with the environment's (the
            // simulator's demo account stands in only for the simulator, never for the real cloud).
            let perCompany = try CloudAccounts.loadAll(database: database) {
                try SecretBox.fromEnvironment(environment, create: false)
            }
            let fallback = fromEnvironment ?? (job.consoleAdapter == "simulator" ? simulatorDemoCredentials : nil)
            if fallback == nil, perCompany.isEmpty {
                throw OperationsError(code: "no_cloud_credentials",
                                      en: "console.adapter is aliyun but no AccessKey is set: export ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET (and ALIBABA_CLOUD_SECURITY_TOKEN for STS), or try console.adapter: simulator first",
                                      zh: "console.adapter 为 aliyun，但未设置 AccessKey：请设置 ALIBABA_CLOUD_ACCESS_KEY_ID 与 ALIBABA_CLOUD_ACCESS_KEY_SECRET（STS 另需 ALIBABA_CLOUD_SECURITY_TOKEN），或先用 console.adapter: simulator 试运行")
            }
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            let console = AliyunConsole(settings: settings, client: client, credentials: { _, owner in
                owner.flatMap { perCompany[$0] } ?? fallback
            })
            return OpenedConsole(adapter: console, cloudCounters: console.counters, mockMemory: nil,
                                 shutdown: { try? client.syncShutdown() })
        default:
            // In process only: the mock's memory lives with the mock, never in the product database.
            let memory = mockMemory ?? InMemoryConsoleMemory()
            let console = MockConsole(settings: job.console, memory: memory, clock: clock)
            return OpenedConsole(adapter: console, cloudCounters: nil, mockMemory: memory, shutdown: {})
        }
    }
}
