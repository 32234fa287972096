import NianjianRunner
import Testing

@Suite("run lifecycle")
struct RunLifecycleTests {
    typealias Phase = RunLifecycle.Phase
    typealias Event = RunLifecycle.Event
    typealias Action = RunLifecycle.Action

    /// Drives a machine through `events`, returning it and every action it asked for.
    static func drive(_ events: [Event], grace: Double = 10) -> (RunLifecycle, [Action]) {
        var machine = RunLifecycle(graceSeconds: grace)
        var actions: [Action] = []
        for event in events { actions += machine.handle(event) }
        return (machine, actions)
    }

    struct Row: Sendable, CustomStringConvertible {
        let events: [Event]
        let phase: Phase
        let actions: [Action]
        var description: String { events.map { "\($0)" }.joined(separator: " → ") }
    }

    static let table: [Row] = [
        Row(events: [.started(now: 0)], phase: .running, actions: [.startWorking]),
        Row(events: [.started(now: 0), .nightOver], phase: .finishing(status: "completed"),
            actions: [.startWorking, .finishRun(status: "completed")]),
        Row(events: [.started(now: 0), .nightOver, .finished(recorded: true)], phase: .done(status: "completed"),
            actions: [.startWorking, .finishRun(status: "completed"), .complete(status: "completed")]),
        Row(events: [.started(now: 0), .stopRequested(now: 5)], phase: .draining(deadline: 15),
            actions: [.startWorking, .drain(graceSeconds: 10)]),
        Row(events: [.started(now: 0), .stopRequested(now: 5), .quiescent], phase: .finishing(status: "interrupted"),
            actions: [.startWorking, .drain(graceSeconds: 10), .finishRun(status: "interrupted")]),
        Row(events: [.started(now: 0), .stopRequested(now: 5), .graceExpired, .quiescent], phase: .finishing(status: "interrupted"),
            actions: [.startWorking, .drain(graceSeconds: 10), .finishRun(status: "interrupted")]),
        // A stop during start-up takes effect when start-up is over: the run is recorded as interrupted.
        Row(events: [.stopRequested(now: 0), .started(now: 1)], phase: .finishing(status: "interrupted"),
            actions: [.finishRun(status: "interrupted")]),
        Row(events: [.started(now: 0), .databaseFailed(message: "gone")], phase: .finishing(status: "failed"),
            actions: [.startWorking, .finishRun(status: "failed")]),
        // A failure while draining fails the run; a failure of the final writes leaves it failed.
        Row(events: [.started(now: 0), .stopRequested(now: 1), .databaseFailed(message: "gone")], phase: .finishing(status: "failed"),
            actions: [.startWorking, .drain(graceSeconds: 10), .finishRun(status: "failed")]),
        Row(events: [.started(now: 0), .nightOver, .databaseFailed(message: "gone"), .finished(recorded: false)],
            phase: .done(status: "failed"), actions: [.startWorking, .finishRun(status: "completed"), .complete(status: "failed")]),
        // Late and repeated events change nothing.
        Row(events: [.started(now: 0), .quiescent, .graceExpired, .started(now: 1), .finished(recorded: true)], phase: .running,
            actions: [.startWorking]),
        Row(events: [.started(now: 0), .stopRequested(now: 1), .stopRequested(now: 2), .nightOver], phase: .draining(deadline: 11),
            actions: [.startWorking, .drain(graceSeconds: 10)]),
    ]

    @Test(arguments: table) func transitions(_ row: Row) {
        let (machine, actions) = Self.drive(row.events)
        #expect(machine.phase == row.phase)
        #expect(actions == row.actions)
    }

    /// Every prefix of a run's events, then a stop: the run always ends, recorded as interrupted (or as
    /// what it had already become), with exactly one `finishRun` and one `complete`.
    @Test func stopAtAnyMoment() {
        let night: [Event] = [.started(now: 0), .quiescent, .nightOver, .finished(recorded: true)]
        for cut in 0...night.count {
            var events = Array(night.prefix(cut)) + [.stopRequested(now: 100)]
            // What the runner then feeds: start-up ends, work drains, the grace period passes, the record is written.
            events += [.started(now: 101), .quiescent, .graceExpired, .finished(recorded: true)]
            let (machine, actions) = Self.drive(events)
            #expect(actions.filter { if case .finishRun = $0 { true } else { false } }.count == 1, "cut \(cut)")
            #expect(actions.filter { if case .complete = $0 { true } else { false } }.count == 1, "cut \(cut)")
            #expect(machine.stopRequested)
            let expected = cut >= 3 ? "completed" : "interrupted"
            #expect(machine.phase == .done(status: expected), "cut \(cut)")
            #expect(!machine.mayClaim)
        }
    }

    @Test func failureIsKeptOnceAndWins() {
        let (machine, actions) = Self.drive([.started(now: 0), .databaseFailed(message: "first"),
                                             .databaseFailed(message: "second"), .finished(recorded: true)])
        #expect(machine.failure == "first")
        #expect(actions.last == .complete(status: "failed"))
    }
}
