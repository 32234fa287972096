import Foundation
import NianjianConsole
import NianjianDomain
import NianjianMockConsole
import NianjianStore
import Yams

/// What a nightly run does (a `Jobs/*.yml` file): its limits, retry and poll policy, leases, batches and
/// console. Every field has a default; a file names only what it changes.
public struct JobDefinition: Sendable {
    public var name = "nightly"
    /// Plan inspections for services expiring within `planWindowDays` before claiming.
    public var planFirst = true
    public var planWindowDays = 30
    /// How long a night lasts on the business clock: retries due within it are waited for.
    public var nightHours = 8.0
    /// Hour (China time) a night starts: `--as-of` nights and poll times use it.
    public var nightStartHour = 1
    /// Inspections in flight at once, in all and per tenant (`concurrency:`).
    public var concurrency = Concurrency()
    /// Console calls per second per tenant (0 = unlimited) and the burst saved up (`rate_limits:`).
    public var rateLimits = RateLimits()
    public var retry = RetryPolicy(maxAttempts: 5, baseDelaySeconds: 30, multiplier: 2, maxDelaySeconds: 900, jitter: 0.2)
    public var poll = PollSchedule(firstPollAfterBusinessDays: 1, firstPollAfterSeconds: 0, thenEveryBusinessDays: 1, thenEverySeconds: 0)
    /// How long a claim holds and how often it is renewed (`lease:`).
    public var lease = Lease()
    /// Claim and write-back batch sizes, and how long a partial write batch waits (`batch:`).
    public var batch = Batch()
    public var shutdownGraceSeconds = 20.0
    /// How long database trouble (a restart, a network cut) is retried before the run gives up.
    public var databaseRetrySeconds = 60.0
    public var console = MockConsoleSettings()
    public var consoleAdapter = "mock"
    /// Where the cloud is, for the `aliyun` and `simulator` adapters.
    public var cloud = CloudSettings()
    /// Session limits (statement, lock, idle-in-transaction timeouts) and prepared statements.
    public var database = JobDatabaseSettings()

    public init() {}

    /// Parses and validates a job file. Errors name the file, the line and what is wrong.
    public static func load(path: String) throws -> JobDefinition {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw JobFileError(file: path, line: nil,
                               message: "no such job file: check the path (the default is Jobs/nightly.yml)",
                               messageZh: "作业文件不存在：请检查路径（默认为 Jobs/nightly.yml）")
        }
        if isDirectory.boolValue {
            throw JobFileError(file: path, line: nil,
                               message: "is a folder, not a job file: give a YAML file, e.g. --job \(path.hasSuffix("/") ? path : path + "/")nightly.yml",
                               messageZh: "这是一个文件夹，不是作业文件：请指定一个 YAML 文件，例如 --job \(path.hasSuffix("/") ? path : path + "/")nightly.yml")
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let readable = FileManager.default.isReadableFile(atPath: path)
            throw JobFileError(file: path, line: nil,
                               message: readable ? "cannot read the job file: save it as UTF-8 text"
                                                 : "cannot read the job file: permission denied; check its permissions",
                               messageZh: readable ? "无法读取作业文件：请将其保存为 UTF-8 文本"
                                                   : "无法读取作业文件：没有读取权限，请检查文件权限")
        }
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String = "job") throws -> JobDefinition {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw JobFileError(file: file, line: yamlErrorLine(error), message: yamlErrorMessage(error),
                               messageZh: "不是有效的 YAML：" + yamlErrorDetail(error))
        }
        var job = JobDefinition()
        guard let root else {
            try job.validate(file: file)
            return job
        }
        var reader = JobReader(file: file)
        try reader.read(root, into: &job)
        return job
    }

    private static func yamlErrorMessage(_ error: YamlError) -> String {
        if case .duplicatedKeysInMapping(let duplicates, _) = error {
            // Yams' own text would quote the whole file.
            return "key \(duplicates.map { "'\($0)'" }.joined(separator: ", ")) appears twice in one mapping"
        }
        // A parser error quotes the line it stopped in: keep the message readable when that line is huge.
        let text = "\(error)"
        return "not valid YAML: " + (text.count > 1_000 ? text.prefix(1_000) + "…" : text)
    }

    /// The parser's own detail (quoted text, position), without the English lead-in, for the Chinese message.
    private static func yamlErrorDetail(_ error: YamlError) -> String {
        if case .duplicatedKeysInMapping(let duplicates, _) = error {
            return "键 \(duplicates.map { "'\($0)'" }.joined(separator: ", ")) 在同一映射中出现了两次"
        }
        let text = "\(error)"
        return text.count > 1_000 ? text.prefix(1_000) + "…" : text
    }

    private static func yamlErrorLine(_ error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return mark.line
        case .duplicatedKeysInMapping(_, let context):
            return context.mark.line > 0 ? context.mark.line : nil
        case .reader(_, let offset?, _, let yaml):
            // The offset counts characters from the start: its line is one more than the line breaks before it.
            return yaml.prefix(offset).reduce(1) { $1.isNewline ? $0 + 1 : $0 }
        default:
            return nil
        }
    }
}

public struct JobFileError: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let line: Int?
    public let message: String
    public let messageZh: String

    public var description: String {
        let place = line.map { "\(file):\($0)" } ?? file
        return "\(place): \(message)\n\(place)：作业文件错误：\(messageZh)"
    }
}

/// Walks the YAML tree, refusing unknown keys, wrong types and bad values with their line.
private struct JobReader {
    let file: String

    func fail(_ node: Node?, _ message: String, _ zh: String) -> JobFileError {
        JobFileError(file: file, line: node?.mark?.line, message: message, messageZh: zh)
    }

    func mapping(_ node: Node, _ path: String, allowed: [String]) throws -> [(key: String, keyNode: Node, value: Node)] {
        guard let map = node.mapping else { throw fail(node, "\(path) must be a mapping of keys to values", "\(path) 应为键值映射") }
        var seen = Set<String>()
        var entries: [(String, Node, Node)] = []
        for (keyNode, value) in map {
            guard let key = keyNode.string else { throw fail(keyNode, "\(path) has a key that is not text", "\(path) 的键必须是文本") }
            guard allowed.contains(key) else {
                throw fail(keyNode, "unknown key '\(path.isEmpty ? "" : path + ".")\(key)' (known: \(allowed.joined(separator: ", ")))",
                           "未知的键 '\(path.isEmpty ? "" : path + ".")\(key)'（可用的键：\(allowed.joined(separator: ", "))）")
            }
            guard seen.insert(key).inserted else { throw fail(keyNode, "key '\(key)' appears twice", "键 '\(key)' 重复") }
            entries.append((key, keyNode, value))
        }
        return entries
    }

    func number(_ node: Node, _ name: String, min: Double, max: Double) throws -> Double {
        guard let scalar = node.scalar, scalar.style == .plain, let value = Double(scalar.string), value.isFinite else {
            throw fail(node, "\(name) must be a number", "\(name) 必须是数字，而不是 \(Self.shown(node))")
        }
        guard value >= min, value <= max else {
            throw fail(node, "\(name) must be between \(format(min)) and \(format(max)), not \(scalar.string)", "\(name) 必须在 \(format(min)) 到 \(format(max)) 之间，而不是 \(scalar.string)")
        }
        return value
    }

    func integer(_ node: Node, _ name: String, min: Int, max: Int) throws -> Int {
        guard let scalar = node.scalar, scalar.style == .plain, let value = Int(scalar.string) else {
            throw fail(node, "\(name) must be a whole number", "\(name) 必须是整数，而不是 \(Self.shown(node))")
        }
        guard value >= min, value <= max else {
            throw fail(node, "\(name) must be between \(min) and \(max), not \(value)", "\(name) 必须在 \(min) 到 \(max) 之间，而不是 \(value)")
        }
        return value
    }

    func bool(_ node: Node, _ name: String) throws -> Bool {
        guard let scalar = node.scalar, scalar.style == .plain else { throw fail(node, "\(name) must be true or false", "\(name) 必须是 true 或 false") }
        switch scalar.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw fail(node, "\(name) must be true or false", "\(name) 必须是 true 或 false")
        }
    }

    func text(_ node: Node, _ name: String) throws -> String {
        guard let scalar = node.scalar, !scalar.string.isEmpty else { throw fail(node, "\(name) must be text", "\(name) 必须是文本") }
        return scalar.string
    }

    /// A scalar's text for a message (shortened), or what kind of node it is.
    static func shown(_ node: Node) -> String {
        guard let scalar = node.scalar else { return node.mapping != nil ? "一个映射" : "一个列表" }
        return "'" + (scalar.string.count > 60 ? scalar.string.prefix(60) + "…" : scalar.string) + "'"
    }

    private func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    mutating func read(_ root: Node, into job: inout JobDefinition) throws {
        let top = ["name", "plan_first", "plan_window_days", "night_hours", "night_start_hour", "concurrency", "rate_limits",
                   "retry", "poll", "lease", "batch", "shutdown_grace_seconds", "database_retry_seconds", "database", "console"]
        for (key, _, value) in try mapping(root, "", allowed: top) {
            switch key {
            case "name": job.name = try text(value, key)
            case "plan_first": job.planFirst = try bool(value, key)
            case "plan_window_days": job.planWindowDays = try integer(value, key, min: 0, max: 3660)
            case "night_hours": job.nightHours = try number(value, key, min: 0, max: 24)
            case "night_start_hour": job.nightStartHour = try integer(value, key, min: 0, max: 23)
            case "shutdown_grace_seconds": job.shutdownGraceSeconds = try number(value, key, min: 0, max: 3600)
            case "database_retry_seconds": job.databaseRetrySeconds = try number(value, key, min: 0, max: 3600)
            case "concurrency":
                for (sub, _, node) in try mapping(value, key, allowed: ["global", "per_tenant"]) {
                    if sub == "global" { job.concurrency.global = try integer(node, "concurrency.global", min: 1, max: 100_000) }
                    else { job.concurrency.perTenant = try integer(node, "concurrency.per_tenant", min: 1, max: 100_000) }
                }
            case "rate_limits":
                for (sub, _, node) in try mapping(value, key, allowed: ["submit", "poll"]) {
                    // A section given replaces the default: what it leaves out is unlimited, with a burst of 1.
                    var limit = JobDefinition.RateLimit(perSecond: 0, burst: 1)
                    for (field, _, leaf) in try mapping(node, "rate_limits.\(sub)", allowed: ["per_second", "burst"]) {
                        if field == "per_second" { limit.perSecond = try number(leaf, "rate_limits.\(sub).per_second", min: 0, max: 1_000_000) }
                        else { limit.burst = try number(leaf, "rate_limits.\(sub).burst", min: 1, max: 1_000_000) }
                    }
                    if sub == "submit" { job.rateLimits.submit = limit } else { job.rateLimits.poll = limit }
                }
            case "retry":
                for (sub, _, node) in try mapping(value, key, allowed: ["max_attempts", "base_delay_seconds", "multiplier", "max_delay_seconds", "jitter"]) {
                    switch sub {
                    case "max_attempts": job.retry.maxAttempts = try integer(node, "retry.max_attempts", min: 1, max: 1000)
                    case "base_delay_seconds": job.retry.baseDelaySeconds = try number(node, "retry.base_delay_seconds", min: 0, max: 86_400)
                    case "multiplier": job.retry.multiplier = try number(node, "retry.multiplier", min: 1, max: 100)
                    case "max_delay_seconds": job.retry.maxDelaySeconds = try number(node, "retry.max_delay_seconds", min: 0, max: 604_800)
                    default: job.retry.jitter = try number(node, "retry.jitter", min: 0, max: 1)
                    }
                }
            case "poll":
                for (sub, _, node) in try mapping(value, key, allowed: ["first_after_business_days", "first_after_seconds", "then_every_business_days", "then_every_seconds"]) {
                    switch sub {
                    case "first_after_business_days": job.poll.firstPollAfterBusinessDays = try integer(node, "poll.\(sub)", min: 0, max: 60)
                    case "first_after_seconds": job.poll.firstPollAfterSeconds = try number(node, "poll.\(sub)", min: 0, max: 604_800)
                    case "then_every_business_days": job.poll.thenEveryBusinessDays = try integer(node, "poll.\(sub)", min: 0, max: 60)
                    default: job.poll.thenEverySeconds = try number(node, "poll.\(sub)", min: 0, max: 604_800)
                    }
                }
            case "lease":
                for (sub, _, node) in try mapping(value, key, allowed: ["seconds", "heartbeat_seconds"]) {
                    if sub == "seconds" { job.lease.seconds = try number(node, "lease.seconds", min: 0.5, max: 3600) }
                    else { job.lease.heartbeatSeconds = try number(node, "lease.heartbeat_seconds", min: 0.1, max: 3600) }
                }
            case "batch":
                for (sub, _, node) in try mapping(value, key, allowed: ["claim", "write", "flush_milliseconds", "writers"]) {
                    switch sub {
                    case "claim": job.batch.claim = try integer(node, "batch.claim", min: 1, max: 100_000)
                    case "write": job.batch.write = try integer(node, "batch.write", min: 1, max: 100_000)
                    case "writers": job.batch.writers = try integer(node, "batch.writers", min: 1, max: 8)
                    default: job.batch.flushMilliseconds = try number(node, "batch.flush_milliseconds", min: 0, max: 60_000)
                    }
                }
            case "database":
                for (sub, _, node) in try mapping(value, key, allowed: JobDatabaseSettings.keys) {
                    switch sub {
                    case "statement_timeout_seconds": job.database.statementTimeoutSeconds = try number(node, "database.\(sub)", min: 0, max: 86_400)
                    case "lock_timeout_seconds": job.database.lockTimeoutSeconds = try number(node, "database.\(sub)", min: 0, max: 86_400)
                    case "idle_in_transaction_timeout_seconds":
                        job.database.idleInTransactionTimeoutSeconds = try number(node, "database.\(sub)", min: 0, max: 86_400)
                    case "routing":
                        let name = try text(node, "database.routing")
                        guard let routing = StatementRouting(rawValue: name) else {
                            throw fail(node, "database.routing must be combined or per_tenant, not \(Self.shown(node))",
                                       "database.routing 必须是 combined 或 per_tenant，而不是 \(Self.shown(node))")
                        }
                        job.database.routing = routing
                    default: job.database.preparedStatements = try bool(node, "database.prepared_statements")
                    }
                }
            case "console":
                try readConsole(value, into: &job)
            default:
                break
            }
        }
        // What no single key shows (the heartbeat against the lease…), and everything again for jobs built in code.
        try job.validate(file: file, line: root.mark?.line)
    }

    /// An http(s) URL with a host, without a trailing slash.
    private func url(_ node: Node, _ name: String) throws -> String {
        let value = try text(node, name)
        let lower = value.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://"), value.split(separator: "/").count >= 2,
              !value.contains(" ") else {
            throw fail(node, "\(name) must be an http(s) URL such as https://business.aliyuncs.com, not '\(value)'",
                       "\(name) 应为 http(s) 地址，例如 https://business.aliyuncs.com，而不是 '\(value)'")
        }
        return value.hasSuffix("/") ? String(value.dropLast()) : value
    }

    private func readConsole(_ node: Node, into job: inout JobDefinition) throws {
        let keys = ["adapter", "seed", "latency_ms", "faults", "throttle", "account_limits", "review_business_days", "rejection_rates",
                    "region", "endpoints", "timeout_seconds", "simulator_url"]
        for (key, _, value) in try mapping(node, "console", allowed: keys) {
            let name = "console.\(key)"
            switch key {
            case "adapter":
                let adapter = try text(value, name)
                guard ["mock", "aliyun", "simulator"].contains(adapter) else {
                    throw fail(value, "console.adapter '\(adapter)' is unknown (available: mock, aliyun, simulator)",
                               "控制台适配器 '\(adapter)' 未知（可用：mock、aliyun、simulator）")
                }
                job.consoleAdapter = adapter
            case "region": job.cloud.region = try text(value, name)
            case "timeout_seconds": job.cloud.timeoutSeconds = try number(value, name, min: 0.1, max: 600)
            case "simulator_url": job.cloud.simulatorURL = try url(value, name)
            case "endpoints":
                for (sub, _, leaf) in try mapping(value, name, allowed: ["bss", "ecs", "rds"]) {
                    job.cloud.endpoints[sub] = try url(leaf, "\(name).\(sub)")
                }
            case "seed": job.console.seed = UInt64(try integer(value, name, min: 0, max: Int.max))
            case "review_business_days": job.console.reviewBusinessDays = try integer(value, name, min: 0, max: 60)
            case "latency_ms":
                for (sub, _, leaf) in try mapping(value, name, allowed: ["p50", "p99"]) {
                    let milliseconds = try number(leaf, "\(name).\(sub)", min: 0, max: 600_000)
                    if sub == "p50" { job.console.latencyP50Milliseconds = milliseconds } else { job.console.latencyP99Milliseconds = milliseconds }
                }
            case "faults":
                for (sub, _, leaf) in try mapping(value, name, allowed: ["login", "button", "progress", "timeout"]) {
                    let rate = try number(leaf, "\(name).\(sub)", min: 0, max: 1)
                    switch sub {
                    case "login": job.console.loginFailureRate = rate
                    case "button": job.console.buttonFailureRate = rate
                    case "progress": job.console.progressFailureRate = rate
                    default: job.console.timeoutRate = rate
                    }
                }
            case "throttle":
                for (sub, _, leaf) in try mapping(value, name, allowed: ["rate", "retry_after_seconds"]) {
                    if sub == "rate" { job.console.throttleRate = try number(leaf, "\(name).rate", min: 0, max: 1) }
                    else { job.console.throttleRetryAfterSeconds = try number(leaf, "\(name).retry_after_seconds", min: 0, max: 3600) }
                }
            case "account_limits":
                for (sub, _, leaf) in try mapping(value, name, allowed: ["submits_per_second", "polls_per_second"]) {
                    let rate = try number(leaf, "\(name).\(sub)", min: 0, max: 1_000_000)
                    if sub == "submits_per_second" { job.console.accountSubmitsPerSecond = rate } else { job.console.accountPollsPerSecond = rate }
                }
            case "rejection_rates":
                var total = 0.0
                for (sub, _, leaf) in try mapping(value, name, allowed: RejectionReason.allCases.map(\.rawValue)) {
                    guard let reason = RejectionReason(rawValue: sub) else { continue }
                    let rate = try number(leaf, "\(name).\(sub)", min: 0, max: 1)
                    job.console.rejectionRates[reason] = rate
                    total += rate
                }
                if total > 1 { throw fail(value, "console.rejection_rates add up to more than 1", "console.rejection_rates 驳回概率之和不能超过 1") }
            default:
                break
            }
        }
        let faults = job.console.loginFailureRate + job.console.buttonFailureRate
        if faults > 1 { throw fail(node, "console.faults login + button add up to more than 1", "console.faults 中 login 与 button 的故障概率之和不能超过 1") }
    }
}
