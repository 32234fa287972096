import NianjianDomain
@testable import NianjianRunner
import Testing

/// The runner reads a transition's effects only through `TransitionPlan` (one exhaustive switch): each effect
/// lands in its field, and the plans of the state machine's own transitions say what the runner must do.
@Suite("transition plan")
struct TransitionPlanTests {
    static let now = Timestamp(microseconds: 1_780_000_000_000_000)
    static let later = Timestamp(microseconds: 1_780_000_060_000_000)

    @Test func everyEffectLandsInItsField() {
        let table: [(InspectionEffect, (TransitionPlan) -> Bool)] = [
            (.callConsoleSubmit(idempotencyKey: "k-1"), { $0.consoleCall == .submit(key: "k-1") }),
            (.callConsolePoll(ticket: "T-9"), { $0.consoleCall == .poll(ticket: "T-9") }),
            (.scheduleRetry(at: Self.later), { $0.nextAttemptAt == Self.later && $0.nextPollAt == nil }),
            (.schedulePoll(at: Self.later), { $0.nextPollAt == Self.later && $0.nextAttemptAt == nil }),
            (.renewService, { $0.renewsService }),
            (.pauseTenant(until: Self.later), { $0.pauseTenantUntil == Self.later }),
            (.recordEvent(from: .pending, to: .submitting, detail: "materials valid"), { $0.eventDetail == "materials valid" }),
        ]
        for (effect, holds) in table {
            #expect(holds(TransitionPlan([effect])), "\(effect)")
        }
        let empty = TransitionPlan([])
        #expect(empty.consoleCall == nil && empty.nextAttemptAt == nil && empty.nextPollAt == nil && !empty.renewsService
                && empty.pauseTenantUntil == nil && empty.eventDetail.isEmpty)
    }

    @Test func theMachinesTransitionsPlanWhatTheRunnerDoes() throws {
        let machine = InspectionStateMachine(retryPolicy: RetryPolicy(maxAttempts: 3, baseDelaySeconds: 60, multiplier: 2,
                                                                      maxDelaySeconds: 200, jitter: 0))
        let identity = InspectionIdentity(tenantId: "7", inspectionId: "42", cycle: 2026)
        func plan(_ snapshot: InspectionSnapshot, _ event: InspectionEvent) throws -> (TransitionPlan, InspectionSnapshot) {
            let step = try machine.transition(snapshot, on: event, identity: identity, now: Self.now, jitter: 0).get()
            return (TransitionPlan(step.effects), step.snapshot)
        }
        // Clean materials: submit with the new key, the lease kept for the call.
        let (valid, submitting) = try plan(InspectionSnapshot(), .validated(findings: []))
        #expect(valid.consoleCall == .submit(key: try #require(submitting.idempotencyKey)) && !valid.renewsService)
        // A resumed submission: the same key again.
        let (resumed, _) = try plan(submitting, .leaseExpired)
        #expect(resumed.consoleCall == .submit(key: try #require(submitting.idempotencyKey)))
        // Throttled: the tenant pauses, the retry is due then, no call now.
        let (throttled, _) = try plan(submitting, .throttled(retryAfterSeconds: 60))
        #expect(throttled.pauseTenantUntil == Self.later && throttled.nextAttemptAt == Self.later && throttled.consoleCall == nil)
        // In review: a poll is a call; an approval renews once; a second approval of a renewed one does not.
        let inReview = InspectionSnapshot(state: .inReview, attempts: 1, idempotencyKey: "k", ticket: "T-1")
        #expect(try plan(inReview, .pollDue).0.consoleCall == .poll(ticket: "T-1"))
        let (approved, renewed) = try plan(inReview, .approved)
        #expect(approved.renewsService && renewed.renewed && approved.eventDetail == "approved")
        // Blocking findings: needs materials, nothing to call, nothing scheduled.
        let (blocked, needs) = try plan(InspectionSnapshot(), .validated(findings: [Finding(.businessLicenseMissing)]))
        #expect(needs.state == .needsMaterials && blocked.consoleCall == nil && blocked.nextAttemptAt == nil)
    }
}
