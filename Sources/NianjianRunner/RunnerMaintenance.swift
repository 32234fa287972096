import Dispatch
import Foundation
import Logging
import NianjianConsole
import NianjianDomain
import NianjianPostgres
import NianjianStore

/// Maintenance: heartbeat, rescuer and progress timers, signals, database calls with retry.
extension NightRunner {
    func startTimers() {
        let owner = options.runnerId, lease = job.lease.seconds
        addTimer(every: job.lease.heartbeatSeconds) { [self] in
            guard held > 0 else { return }
            databaseCall("heartbeat", { try $0.extendLeases(owner: owner, leaseSeconds: lease) }) { _ in }
        }
        addTimer(every: max(1, job.lease.seconds)) { [self] in
            let now = clock.now(), actor = "rescuer:\(owner)"
            databaseCall("rescue", { try $0.extendThenRescue(owner: owner, businessNow: now, actor: actor, leaseSeconds: lease) }) { _ in }
        }
        addTimer(every: 0.5) { [self] in
            onProgress?(RunProgress(done: doneCount, total: max(totalDue, doneCount), inFlight: inFlight, byState: totals(),
                                    elapsedSeconds: elapsed()))
        }
    }

    func addTimer(every seconds: Double, _ handler: @escaping @Sendable () -> Void) {
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + seconds, repeating: seconds)
        timer.setEventHandler(handler: handler)
        timer.resume()
        timers.append(timer)
    }

    func installSignalHandlers() {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [self] in
                logger.notice("signal received: stopping (in-flight work finishes, the rest is released)", metadata: ["signal": "\(number)"])
                beginStop(reason: "signal \(number)")
            }
            source.resume()
            signalSources.append(source)
        }
    }

    /// Runs `body` on a pooled connection and delivers its result on the runner's queue. A transient failure
    /// (server restart, failover, network, a lock or statement timeout) is retried with backoff for
    /// `databaseRetrySeconds`, with `retry` (made on the runner's queue) instead of `body` when given; then the
    /// run fails with a clear message and the leases it held expire for the next run to rescue.
    func databaseCall<T: Sendable>(_ what: String, _ body: @escaping @Sendable (any RunnerStoreSession) throws -> T,
                                           attempt: Int = 0, firstFailure: DispatchTime? = nil,
                                           retry: (@Sendable () -> @Sendable (any RunnerStoreSession) throws -> T)? = nil,
                                           onFailure: (@Sendable () -> Void)? = nil,
                                           _ completion: @escaping @Sendable (T) -> Void) {
        store.perform(body) { [self] result in
            queue.async { [self] in
                switch result {
                case .success(let value):
                    completion(value)
                case .failure(let error):
                    let started = firstFailure ?? .now()
                    let waited = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
                    if let postgres = error as? PostgresError, postgres.isTransient, waited < job.databaseRetrySeconds {
                        // At most a second apart: a failover is noticed within a second of the new primary
                        // taking writes, and the window is never overshot by more than that.
                        let delay = min(1, 0.1 * pow(2, Double(attempt)), max(0.01, job.databaseRetrySeconds - waited))
                        logger.warning("database unavailable, retrying", metadata: ["operation": "\(what)", "error": "\(postgres)",
                                                                                    "retry_in": "\(delay)"])
                        queue.asyncAfter(deadline: .now() + delay) { [self] in
                            databaseCall(what, retry?() ?? body, attempt: attempt + 1, firstFailure: started, retry: retry,
                                         onFailure: onFailure, completion)
                        }
                        return
                    }
                    let text = (error as? PostgresError).map { "\($0)" } ?? "\(error)"
                    logger.error("database operation failed", metadata: ["operation": "\(what)", "error": "\(text)",
                                                                         "sqlstate": "\((error as? PostgresError)?.sqlState ?? "-")"])
                    // The machine keeps the first failure; while finishing, `onFailure` says how the end goes.
                    let window = String(format: "%g", job.databaseRetrySeconds)
                    let retried = (error as? PostgresError)?.isTransient == true
                    let why = retried ? " (retried for database_retry_seconds = \(window) s: the trouble — a restart, a failover, a lock held elsewhere — lasted longer)" : ""
                    let whyZh = retried ? "（已按 database_retry_seconds = \(window) 秒重试：重启、主备切换或他人持有的锁持续更久）" : ""
                    handle(.databaseFailed(message: """
                        The run stopped: the database failed during \(what): \(text)\(why)
                        Unfinished work keeps its lease until it expires; the next `nianjian run` picks it up.
                        运行中止：数据库在「\(what)」时出错\(whyZh)。未完成的工作在租约过期后由下一次 nianjian run 接手。
                        """))
                    onFailure?()
                }
            }
        }
    }
}

extension DispatchTime {
    var seconds: Double { Double(uptimeNanoseconds) / 1_000_000_000 }
}

extension RunnerStoreSession {
    /// The rescuer of a live runner: its own leases are extended first, so that after an outage longer than a
    /// lease (a failover) it never takes its own work away from itself.
    func extendThenRescue(owner: String, businessNow: Timestamp, actor: String, leaseSeconds: Double) throws -> Int {
        try extendLeases(owner: owner, leaseSeconds: leaseSeconds)
        return try rescueExpiredLeases(businessNow: businessNow, actor: actor, leaseSeconds: leaseSeconds)
    }
}
