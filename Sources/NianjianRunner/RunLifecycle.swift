/// The run's lifecycle as a pure state machine (postgres-nio's pattern): the runner feeds it events and
/// performs the actions it returns; the machine holds no clock, no queue and does no I/O, so every
/// transition is tested from a table, stops at any moment included.
public struct RunLifecycle: Sendable, Equatable {
    public enum Phase: Sendable, Equatable {
        /// Loading tenants, rescuing, recording the run.
        case starting
        /// Claiming and working.
        case running
        /// Stop requested: no more claims; in-flight work may finish until `deadline` (seconds, the runner's clock).
        case draining(deadline: Double)
        /// Final writes, leases given back, the run's record.
        case finishing(status: String)
        /// The run's record is written (or could not be).
        case done(status: String)
    }

    public enum Event: Sendable, Equatable {
        /// Start-up is over; `now` in seconds.
        case started(now: Double)
        case stopRequested(now: Double)
        /// The stop's grace period is over.
        case graceExpired
        /// Nothing in flight, nothing buffered, nothing being claimed or loaded.
        case quiescent
        /// Nothing held and nothing due tonight: the night's work is done.
        case nightOver
        /// A database call failed for good (retries exhausted or a permanent error).
        case databaseFailed(message: String)
        /// The final writes and the run's record are done (or failed: `recorded` false).
        case finished(recorded: Bool)
    }

    public enum Action: Sendable, Equatable {
        /// Start heartbeats, the rescuer and progress, and make the first claim.
        case startWorking
        /// Give back work claimed but not started, flush what is buffered, and call back with
        /// `graceExpired` after `graceSeconds`.
        case drain(graceSeconds: Double)
        /// Write the buffer, give back every lease, record the run with this status.
        case finishRun(status: String)
        /// Hand the summary to the caller with this status.
        case complete(status: String)
    }

    public private(set) var phase: Phase = .starting
    /// Set by the first stop request, whatever the phase then.
    public private(set) var stopRequested = false
    /// The first permanent database failure, for the run's message.
    public private(set) var failure: String?
    public let graceSeconds: Double

    public init(graceSeconds: Double) { self.graceSeconds = graceSeconds }

    /// Claims may be made.
    public var mayClaim: Bool { phase == .running }
    /// Start-up is over.
    public var hasStarted: Bool { phase != .starting }
    /// Finishing or done: late results have nowhere to go.
    public var isFinishing: Bool {
        switch phase {
        case .finishing, .done: return true
        case .starting, .running, .draining: return false
        }
    }

    /// Feeds one event; returns what the runner must do, in order.
    public mutating func handle(_ event: Event) -> [Action] {
        switch (phase, event) {
        case (.starting, .started):
            if stopRequested {
                // Stopped during start-up: record the run as interrupted, start nothing.
                return finish("interrupted")
            }
            phase = .running
            return [.startWorking]
        case (.starting, .stopRequested):
            // Nothing to release yet: the stop takes effect when start-up is over.
            stopRequested = true
            return []
        case (.running, .stopRequested(let now)):
            stopRequested = true
            phase = .draining(deadline: now + graceSeconds)
            return [.drain(graceSeconds: graceSeconds)]
        case (.draining, .graceExpired), (.draining, .quiescent):
            return finish("interrupted")
        case (.running, .nightOver):
            return finish("completed")
        case (.starting, .databaseFailed(let message)), (.running, .databaseFailed(let message)),
             (.draining, .databaseFailed(let message)):
            failure = failure ?? message
            return finish("failed")
        case (.finishing, .databaseFailed(let message)):
            failure = failure ?? message
            return []
        case (.finishing(let status), .finished(let recorded)):
            let final = recorded ? status : "failed"
            phase = .done(status: final)
            return [.complete(status: final)]
        case (.draining, .stopRequested), (.finishing, .stopRequested), (.done, .stopRequested):
            stopRequested = true
            return []
        case (.running, .graceExpired), (.starting, .graceExpired), (.finishing, .graceExpired), (.done, .graceExpired),
             (.starting, .quiescent), (.running, .quiescent), (.finishing, .quiescent), (.done, .quiescent),
             (.starting, .nightOver), (.draining, .nightOver), (.finishing, .nightOver), (.done, .nightOver),
             (.done, .databaseFailed),
             (.running, .started), (.draining, .started), (.finishing, .started), (.done, .started),
             (.starting, .finished), (.running, .finished), (.draining, .finished), (.done, .finished):
            // Late or repeated events change nothing.
            return []
        }
    }

    private mutating func finish(_ status: String) -> [Action] {
        let final = failure == nil ? status : "failed"
        phase = .finishing(status: final)
        return [.finishRun(status: final)]
    }
}
