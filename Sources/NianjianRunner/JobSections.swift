import NianjianDomain

extension JobDefinition {
    /// `concurrency:`: inspections in flight at once, in all and per tenant (a tenant's own limit wins).
    public struct Concurrency: Sendable, Hashable {
        public var global: Int
        public var perTenant: Int

        public init(global: Int = 64, perTenant: Int = 8) {
            self.global = global; self.perTenant = perTenant
        }
    }

    /// One kind of console call's limit per tenant: calls per second (0 = unlimited) and the burst saved up.
    public struct RateLimit: Sendable, Hashable {
        public var perSecond: Double
        public var burst: Double

        public init(perSecond: Double, burst: Double) {
            self.perSecond = perSecond; self.burst = burst
        }
    }

    /// `rate_limits:`: submits and polls (a tenant's own rates win).
    public struct RateLimits: Sendable, Hashable {
        public var submit: RateLimit
        public var poll: RateLimit

        public init(submit: RateLimit = RateLimit(perSecond: 20, burst: 20), poll: RateLimit = RateLimit(perSecond: 8, burst: 8)) {
            self.submit = submit; self.poll = poll
        }
    }

    /// `lease:`: how long a claim holds, and how often the runner renews what it holds (shorter than the lease).
    public struct Lease: Sendable, Hashable {
        public var seconds: Double
        public var heartbeatSeconds: Double

        public init(seconds: Double = 30, heartbeatSeconds: Double = 10) {
            self.seconds = seconds; self.heartbeatSeconds = heartbeatSeconds
        }
    }

    /// `batch:`: inspections claimed per statement, outcomes written per statement, and how long a partial write
    /// batch waits for more.
    public struct Batch: Sendable, Hashable {
        public var claim: Int
        public var write: Int
        public var flushMilliseconds: Double
        /// Write-backs in flight at once, each on its own connection (their rows never overlap: an inspection
        /// has one write pending at a time). One write-back keeps one server core busy; two use both of a
        /// small server's.
        public var writers: Int

        public init(claim: Int = 500, write: Int = 500, flushMilliseconds: Double = 20, writers: Int = 2) {
            self.claim = claim; self.write = write; self.flushMilliseconds = flushMilliseconds; self.writers = writers
        }
    }

    /// Checks a job however it was made (a job file, code, a base job the demo or a bench changed): the ranges the
    /// job file's reader enforces, the adapter's name, the heartbeat against the lease, rates that add up to at
    /// most 1. `JobDefinition.parse` calls it (`line`: where a file's problem is reported); so does every run.
    public func validate(file: String = "job", line: Int? = nil) throws {
        func refuse(_ en: String, _ zh: String) -> JobFileError { JobFileError(file: file, line: line, message: en, messageZh: zh) }
        guard !name.isEmpty else { throw refuse("name must be text", "name 必须是文本") }
        for (key, value, range) in wholeNumbers where !range.contains(value) {
            throw refuse("\(key) must be between \(range.lowerBound) and \(range.upperBound), not \(value)",
                         "\(key) 必须在 \(range.lowerBound) 到 \(range.upperBound) 之间，而不是 \(value)")
        }
        for (key, value, range) in numbers where !(value.isFinite && range.contains(value)) {
            let low = Self.shown(range.lowerBound), high = Self.shown(range.upperBound)
            throw refuse("\(key) must be between \(low) and \(high), not \(Self.shown(value))",
                         "\(key) 必须在 \(low) 到 \(high) 之间，而不是 \(Self.shown(value))")
        }
        guard ["mock", "aliyun", "simulator"].contains(consoleAdapter) else {
            throw refuse("console.adapter '\(consoleAdapter)' is unknown (available: mock, aliyun, simulator)",
                         "控制台适配器 '\(consoleAdapter)' 未知（可用：mock、aliyun、simulator）")
        }
        if lease.heartbeatSeconds >= lease.seconds {
            throw refuse("lease.heartbeat_seconds (\(lease.heartbeatSeconds)) must be shorter than lease.seconds (\(lease.seconds))",
                         "lease.heartbeat_seconds（\(lease.heartbeatSeconds)）必须短于 lease.seconds（\(lease.seconds)）")
        }
        if console.rejectionRates.values.reduce(0, +) > 1 {
            throw refuse("console.rejection_rates add up to more than 1", "console.rejection_rates 驳回概率之和不能超过 1")
        }
        if console.loginFailureRate + console.buttonFailureRate > 1 {
            throw refuse("console.faults login + button add up to more than 1", "console.faults 中 login 与 button 的故障概率之和不能超过 1")
        }
    }

    /// The whole-number settings by job-file key, with the values the reader accepts.
    private var wholeNumbers: [(String, Int, ClosedRange<Int>)] {
        [
            ("plan_window_days", planWindowDays, 0...3660), ("night_start_hour", nightStartHour, 0...23),
            ("concurrency.global", concurrency.global, 1...100_000), ("concurrency.per_tenant", concurrency.perTenant, 1...100_000),
            ("retry.max_attempts", retry.maxAttempts, 1...1000),
            ("poll.first_after_business_days", poll.firstPollAfterBusinessDays, 0...60),
            ("poll.then_every_business_days", poll.thenEveryBusinessDays, 0...60),
            ("batch.claim", batch.claim, 1...100_000), ("batch.write", batch.write, 1...100_000),
            ("batch.writers", batch.writers, 1...8),
            ("console.review_business_days", console.reviewBusinessDays, 0...60),
        ]
    }

    /// The other numeric settings by job-file key, with the values the reader accepts.
    private var numbers: [(String, Double, ClosedRange<Double>)] {
        var numbers: [(String, Double, ClosedRange<Double>)] = [
            ("night_hours", nightHours, 0...24),
            ("rate_limits.submit.per_second", rateLimits.submit.perSecond, 0...1_000_000),
            ("rate_limits.submit.burst", rateLimits.submit.burst, 1...1_000_000),
            ("rate_limits.poll.per_second", rateLimits.poll.perSecond, 0...1_000_000),
            ("rate_limits.poll.burst", rateLimits.poll.burst, 1...1_000_000),
            ("retry.base_delay_seconds", retry.baseDelaySeconds, 0...86_400), ("retry.multiplier", retry.multiplier, 1...100),
            ("retry.max_delay_seconds", retry.maxDelaySeconds, 0...604_800), ("retry.jitter", retry.jitter, 0...1),
            ("poll.first_after_seconds", poll.firstPollAfterSeconds, 0...604_800),
            ("poll.then_every_seconds", poll.thenEverySeconds, 0...604_800),
            ("lease.seconds", lease.seconds, 0.5...3600), ("lease.heartbeat_seconds", lease.heartbeatSeconds, 0.1...3600),
            ("batch.flush_milliseconds", batch.flushMilliseconds, 0...60_000),
            ("shutdown_grace_seconds", shutdownGraceSeconds, 0...3600), ("database_retry_seconds", databaseRetrySeconds, 0...3600),
            ("database.statement_timeout_seconds", database.statementTimeoutSeconds, 0...86_400),
            ("database.lock_timeout_seconds", database.lockTimeoutSeconds, 0...86_400),
            ("database.idle_in_transaction_timeout_seconds", database.idleInTransactionTimeoutSeconds, 0...86_400),
            ("console.latency_ms.p50", console.latencyP50Milliseconds, 0...600_000),
            ("console.latency_ms.p99", console.latencyP99Milliseconds, 0...600_000),
            ("console.faults.login", console.loginFailureRate, 0...1), ("console.faults.button", console.buttonFailureRate, 0...1),
            ("console.faults.progress", console.progressFailureRate, 0...1), ("console.faults.timeout", console.timeoutRate, 0...1),
            ("console.throttle.rate", console.throttleRate, 0...1),
            ("console.throttle.retry_after_seconds", console.throttleRetryAfterSeconds, 0...3600),
            ("console.account_limits.submits_per_second", console.accountSubmitsPerSecond, 0...1_000_000),
            ("console.account_limits.polls_per_second", console.accountPollsPerSecond, 0...1_000_000),
            ("console.timeout_seconds", cloud.timeoutSeconds, 0.1...600),
        ]
        for reason in RejectionReason.allCases {
            numbers.append(("console.rejection_rates.\(reason.rawValue)", console.rejectionRates[reason] ?? 0, 0...1))
        }
        return numbers
    }

    /// A bound or value as the job file would say it: `30`, not `30.0`.
    private static func shown(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
