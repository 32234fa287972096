import NianjianDomain

/// Settings of the deterministic mock console (the job file's `console:` section).
public struct MockConsoleSettings: Sendable, Hashable {
    public var seed: UInt64 = 1
    /// Latency of each call: log-normal with this median and 99th percentile (0 = answer at once).
    public var latencyP50Milliseconds: Double = 0
    public var latencyP99Milliseconds: Double = 0
    /// Probability of each transient fault per call.
    public var loginFailureRate: Double = 0
    public var buttonFailureRate: Double = 0
    /// "Progress not visible": the submission reached the console, the answer did not reach us.
    public var progressFailureRate: Double = 0
    public var timeoutRate: Double = 0
    /// Probability that a call is throttled, and the retry-after it asks for.
    public var throttleRate: Double = 0
    public var throttleRetryAfterSeconds: Double = 1
    /// Per-account request limits the console enforces (0 = none): renewal 30/s, queries 10/s at Alibaba Cloud.
    public var accountSubmitsPerSecond: Double = 0
    public var accountPollsPerSecond: Double = 0
    /// Business days a review takes (0 = decided at the first poll).
    public var reviewBusinessDays: Int = 2
    /// Probability of a rejection for each reason.
    public var rejectionRates: [RejectionReason: Double] = [:]
    /// Every call fails (transient) while this is true: an outage, for tests.
    public var outage: Bool = false
    /// Instances the status check finds missing, or `Expired` (tests; by default every instance is healthy).
    public var missingInstances: Set<String> = []
    public var expiredInstances: Set<String> = []

    public init() {}
}
