import NianjianDomain

/// What a transition's effects ask of the runner, read by one exhaustive switch: a new kind of effect does not
/// compile until it is handled here. The runner acts on the plan (the update it writes back, the tenant's lane,
/// the console call it makes after the write) and never reads effects itself.
struct TransitionPlan: Sendable, Equatable {
    /// The console call to make once the write-back has committed.
    var consoleCall: WorkItem.Action?
    /// `next_attempt_at` (the inspection is pending and due then) and `next_poll_at`.
    var nextAttemptAt: Timestamp?
    var nextPollAt: Timestamp?
    /// The write-back renews the service (for an approval, once per cycle: the renewal is keyed by inspection).
    var renewsService = false
    /// The console asked to slow down: the tenant's bucket pauses until then.
    var pauseTenantUntil: Timestamp?
    /// The event's detail (the last `recordEvent`; a transition records one).
    var eventDetail = ""

    init(_ effects: [InspectionEffect]) {
        for effect in effects {
            switch effect {
            case .callConsoleSubmit(let key): consoleCall = .submit(key: key)
            case .callConsolePoll(let ticket): consoleCall = .poll(ticket: ticket)
            case .scheduleRetry(let at): nextAttemptAt = at
            case .schedulePoll(let at): nextPollAt = at
            case .renewService: renewsService = true
            case .pauseTenant(let until): pauseTenantUntil = until
            case .recordEvent(_, _, let detail): eventDetail = detail
            }
        }
    }
}
