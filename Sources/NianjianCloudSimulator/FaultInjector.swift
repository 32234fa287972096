import Dispatch
import Foundation
import NianjianConsole
import NianjianDomain

/// What the simulated cloud does to one call besides answering it: the latency, a throttle, a fault, or
/// (for an order) losing the answer after the order was made. Draws come from the seed and the call's
/// rank, so the same sequence of calls meets the same misfortunes.
public actor FaultInjector {
    public enum Fault: String, Sendable, CaseIterable {
        case serviceUnavailable = "service_unavailable"
        case internalError = "internal_error"
        case timeout
        case connectionDrop = "connection_drop"
    }

    /// How an answer that was lost is lost.
    public enum LostAnswer: String, Sendable {
        case serviceUnavailable = "service_unavailable"
        case connectionClosed = "connection_closed"
    }

    public enum Decision: Sendable, Equatable {
        case proceed(lostAnswer: LostAnswer?)
        case throttle(retryAfterMilliseconds: Int)
        case fault(Fault)
    }

    let settings: SimulatorSettings
    private var counter: UInt64 = 0
    private var buckets: [String: TokenBucket] = [:]

    public init(settings: SimulatorSettings) { self.settings = settings }

    /// - Parameter isOrder: a RenewInstance (only those can lose their answer after the fact).
    public func decide(accessKeyId: String, isOrder: Bool) -> (latencySeconds: Double, decision: Decision) {
        counter &+= 1
        var random = SeededRandom(seed: settings.seed &+ counter &* 0x9E37_79B9_7F4A_7C15 ^ fnv1a(accessKeyId))
        let latency = sampleLatency(&random)
        let limit = settings.requestsPerSecond(for: accessKeyId)
        if limit > 0 {
            let now = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
            var bucket = buckets[accessKeyId] ?? TokenBucket(ratePerSecond: limit, burst: max(1, limit), now: now)
            defer { buckets[accessKeyId] = bucket }
            if !bucket.take(now: now) {
                let wait = bucket.secondsUntilToken(now: now)
                return (latency, .throttle(retryAfterMilliseconds: max(1, Int((wait * 1000).rounded(.up)))))
            }
        }
        if random.unit() < settings.throttleRate {
            return (latency, .throttle(retryAfterMilliseconds: settings.throttleRetryAfterMilliseconds))
        }
        let roll = random.unit()
        var cumulative = 0.0
        let rates: [(Fault, Double)] = [(.serviceUnavailable, settings.faults.serviceUnavailable),
                                        (.internalError, settings.faults.internalError),
                                        (.timeout, settings.faults.timeout),
                                        (.connectionDrop, settings.faults.connectionDrop)]
        for (fault, rate) in rates {
            cumulative += rate
            if roll < cumulative { return (latency, .fault(fault)) }
        }
        if isOrder, random.unit() < settings.faults.lostAnswer {
            return (latency, .proceed(lostAnswer: random.unit() < 0.5 ? .serviceUnavailable : .connectionClosed))
        }
        return (latency, .proceed(lostAnswer: nil))
    }

    /// Log-normal with median p50 and 99th percentile p99 (z(0.99) = 2.3263), in seconds.
    private func sampleLatency(_ random: inout SeededRandom) -> Double {
        let p50 = settings.latencyP50Milliseconds
        guard p50 > 0 else { return 0 }
        let p99 = max(settings.latencyP99Milliseconds, p50)
        let sigma = log(p99 / p50) / 2.3263
        let u1 = max(random.unit(), 1e-12)
        let u2 = random.unit()
        let normal = sqrt(-2 * log(u1)) * cos(2 * Double.pi * u2)
        return p50 * exp(sigma * normal) / 1000
    }
}

/// Counters since the simulator started (`GET /_simulator/stats`).
public actor SimulatorStats {
    private var counts: [String: Int] = [:]

    public init() {}

    public func add(_ name: String, _ amount: Int = 1) { counts[name, default: 0] += amount }

    public func value(_ name: String) -> Int { counts[name] ?? 0 }

    public func snapshot() -> [String: Int] { counts }

    /// The names always reported (0 when nothing happened).
    public static let names = [
        "requests", "control_requests", "signatures_verified", "rejected_signature", "rejected_unknown_key",
        "rejected_incomplete_signature", "rejected_date", "rejected_nonce", "throttled", "faults_injected",
        "faults.service_unavailable", "faults.internal_error", "faults.timeout", "faults.connection_drop",
        "lost_answers", "lost_answers.service_unavailable", "lost_answers.connection_closed", "orders_created",
        "duplicate_submissions", "idempotency_mismatches", "client_errors",
    ]
}
