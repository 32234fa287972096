import Foundation
import NianjianDomain
import Yams

/// The simulator's knobs (`--settings FILE`, YAML or JSON): who may call, how the cloud misbehaves, how
/// long reviews take and how often they refuse. Every key is optional; README "The cloud simulator" lists them.
public struct SimulatorSettings: Sendable, Hashable {
    /// AccessKeyId → AccessKey secret of the accounts the simulator knows.
    public var accounts: [String: String] = [:]
    public var seed: UInt64 = 1
    /// Latency of each answer: log-normal with this median and 99th percentile (0: at once).
    public var latencyP50Milliseconds: Double = 0
    public var latencyP99Milliseconds: Double = 0
    /// Probability per call of each fault.
    public var faults = FaultRates()
    /// How long a `timeout` fault holds the request before dropping the connection.
    public var hangMilliseconds: Double = 30_000
    /// Probability that a call is throttled, and the `x-acs-retry-after` it carries.
    public var throttleRate: Double = 0
    public var throttleRetryAfterMilliseconds: Int = 1_000
    /// Requests per second each AccessKeyId may make (0: no limit); `perAccountRequestsPerSecond` overrides by key id.
    public var requestsPerSecond: Double = 0
    public var perAccountRequestsPerSecond: [String: Double] = [:]
    /// Business days an order's review takes (0: decided on the day it is made).
    public var reviewBusinessDays: Int = 2
    /// Probability that an order is cancelled for each reason.
    public var rejectionRates: [RejectionReason: Double] = [:]
    /// Days before expiry during which an instance is `WaitForExpire` rather than `Normal`.
    public var waitForExpireDays: Int = 15

    public struct FaultRates: Sendable, Hashable {
        public var serviceUnavailable: Double = 0
        public var internalError: Double = 0
        public var timeout: Double = 0
        public var connectionDrop: Double = 0
        /// RenewInstance only: the order is made and recorded, the answer is lost (503 or connection closed).
        public var lostAnswer: Double = 0
        public init() {}
    }

    public init() {}

    /// The limit for one key id (0: none).
    public func requestsPerSecond(for accessKeyId: String) -> Double {
        perAccountRequestsPerSecond[accessKeyId] ?? requestsPerSecond
    }

    /// Reads a settings file; an unknown key, a wrong type or an out-of-range value is refused with its key.
    public static func load(path: String) throws -> SimulatorSettings {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SettingsError(message: "cannot read the settings file \(path)")
        }
        do {
            return try parse(String(decoding: data, as: UTF8.self))
        } catch let error as SettingsError {
            throw SettingsError(message: "\(path): \(error.message)")
        }
    }

    public static func parse(_ text: String) throws -> SimulatorSettings {
        let loaded: Any?
        do {
            loaded = try Yams.load(yaml: text)
        } catch {
            throw SettingsError(message: "not YAML or JSON: \(error)")
        }
        var settings = SimulatorSettings()
        guard let loaded else { return settings }
        let root = try Table(loaded, path: "")
        try root.only(["accounts", "seed", "latency", "faults", "throttle", "limits", "review_business_days",
                       "rejection_rates", "wait_for_expire_days"])
        if let accounts = try root.table("accounts") {
            for key in accounts.keys {
                let secret = try accounts.string(key) ?? ""
                guard !key.isEmpty, !secret.isEmpty else {
                    throw SettingsError(message: "accounts: every AccessKeyId needs a non-empty secret")
                }
                settings.accounts[key] = secret
            }
        }
        if let seed = try root.number("seed") {
            guard seed >= 0, seed < 9.0e18, seed == seed.rounded() else { throw SettingsError(message: "seed: a whole number ≥ 0") }
            settings.seed = UInt64(seed)
        }
        if let latency = try root.table("latency") {
            try latency.only(["p50_ms", "p99_ms"])
            settings.latencyP50Milliseconds = try latency.number("p50_ms", in: 0...600_000) ?? 0
            settings.latencyP99Milliseconds = try latency.number("p99_ms", in: 0...600_000) ?? settings.latencyP50Milliseconds
            guard settings.latencyP99Milliseconds >= settings.latencyP50Milliseconds else {
                throw SettingsError(message: "latency.p99_ms must be at least latency.p50_ms")
            }
        }
        if let faults = try root.table("faults") {
            try faults.only(["service_unavailable", "internal_error", "timeout", "connection_drop", "lost_answer", "hang_ms"])
            settings.faults.serviceUnavailable = try faults.number("service_unavailable", in: 0...1) ?? 0
            settings.faults.internalError = try faults.number("internal_error", in: 0...1) ?? 0
            settings.faults.timeout = try faults.number("timeout", in: 0...1) ?? 0
            settings.faults.connectionDrop = try faults.number("connection_drop", in: 0...1) ?? 0
            settings.faults.lostAnswer = try faults.number("lost_answer", in: 0...1) ?? 0
            settings.hangMilliseconds = try faults.number("hang_ms", in: 0...3_600_000) ?? settings.hangMilliseconds
            let f = settings.faults
            guard f.serviceUnavailable + f.internalError + f.timeout + f.connectionDrop <= 1 else {
                throw SettingsError(message: "faults: service_unavailable + internal_error + timeout + connection_drop must be at most 1")
            }
        }
        if let throttle = try root.table("throttle") {
            try throttle.only(["rate", "retry_after_ms"])
            settings.throttleRate = try throttle.number("rate", in: 0...1) ?? 0
            settings.throttleRetryAfterMilliseconds = Int(try throttle.number("retry_after_ms", in: 1...3_600_000) ?? 1_000)
        }
        if let limits = try root.table("limits") {
            try limits.only(["requests_per_second", "per_account"])
            settings.requestsPerSecond = try limits.number("requests_per_second", in: 0...1_000_000) ?? 0
            if let perAccount = try limits.table("per_account") {
                for key in perAccount.keys {
                    settings.perAccountRequestsPerSecond[key] = try perAccount.number(key, in: 0...1_000_000) ?? 0
                }
            }
        }
        if let days = try root.number("review_business_days", in: 0...60) {
            guard days == days.rounded() else { throw SettingsError(message: "review_business_days: a whole number") }
            settings.reviewBusinessDays = Int(days)
        }
        if let days = try root.number("wait_for_expire_days", in: 0...366) {
            settings.waitForExpireDays = Int(days)
        }
        if let rates = try root.table("rejection_rates") {
            try rates.only(RejectionReason.allCases.map(\.rawValue))
            for reason in RejectionReason.allCases {
                if let rate = try rates.number(reason.rawValue, in: 0...1) { settings.rejectionRates[reason] = rate }
            }
            guard settings.rejectionRates.values.reduce(0, +) <= 1 else {
                throw SettingsError(message: "rejection_rates: the rates add up to more than 1")
            }
        }
        return settings
    }
}

public struct SettingsError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// A mapping of the settings file, with its dotted path for messages.
private struct Table {
    let values: [String: Any]
    let path: String

    init(_ value: Any, path: String) throws {
        if let map = value as? [String: Any] {
            values = map
        } else if let map = value as? [AnyHashable: Any] {
            var converted: [String: Any] = [:]
            for (key, item) in map { converted[String(describing: key)] = item }
            values = converted
        } else {
            throw SettingsError(message: "\(path.isEmpty ? "the file" : path): expected a mapping of keys to values")
        }
        self.path = path
    }

    var keys: [String] { values.keys.sorted() }

    func name(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    func only(_ allowed: [String]) throws {
        for key in keys where !allowed.contains(key) {
            throw SettingsError(message: "unknown key \(name(key)) (known: \(allowed.joined(separator: ", ")))")
        }
    }

    func table(_ key: String) throws -> Table? {
        guard let value = values[key], !(value is NSNull) else { return nil }
        return try Table(value, path: name(key))
    }

    func string(_ key: String) throws -> String? {
        guard let value = values[key], !(value is NSNull) else { return nil }
        if let text = value as? String { return text }
        if let number = value as? Int { return String(number) }
        throw SettingsError(message: "\(name(key)): expected text")
    }

    func number(_ key: String, in range: ClosedRange<Double>? = nil) throws -> Double? {
        guard let value = values[key], !(value is NSNull) else { return nil }
        let number: Double
        if let int = value as? Int {
            number = Double(int)
        } else if let double = value as? Double {
            number = double
        } else {
            throw SettingsError(message: "\(name(key)): expected a number")
        }
        if let range, !range.contains(number) {
            throw SettingsError(message: "\(name(key)): \(number) is out of range \(range.lowerBound)…\(range.upperBound)")
        }
        return number
    }
}
