import Foundation
import Logging
import NianjianConsole
import NianjianDomain
import NianjianMockConsole
import NianjianRunner
import NianjianStore
import NianjianTestSupport
import Testing

/// A first poll due at once is made in hand after its submission (no `in_review` write and second claim
/// between them), against the in-memory store: what is written, and what a stop leaves.
@Suite("a poll made at once, in hand")
struct PollAtOnceTests {
    static func store(inspections count: Int) -> InMemoryRunnerStore {
        let store = InMemoryRunnerStore()
        store.addTenant(TenantRunSettings(id: 1, slug: "alpha", weight: 1, maxConcurrency: nil, submitRate: nil, pollRate: nil))
        let companies = SyntheticCompanies(seed: 5, servicesPerCompany: 1...1)
        for index in 1...count {
            let file = companies.portfolio(index: index, defect: nil, referenceDate: Scenario.asOf).file
            store.addInspection(.init(tenantId: 1, id: Int64(index), serviceId: Int64(index), companyId: Int64(index), cycle: 2026,
                                      dueOn: Scenario.asOf, nextAttemptAt: Timestamp(chinaDate: Scenario.asOf, hour: 0)),
                                file: InspectionFile(file: file, companyId: Int64(index)))
        }
        return store
    }

    static func runner(_ store: InMemoryRunnerStore, _ job: JobDefinition) -> (NightRunner, InMemoryConsoleMemory) {
        let clock = AsOfBusinessClock(date: Scenario.asOf, nightStartHour: job.nightStartHour)
        let memory = InMemoryConsoleMemory()
        let console = MockConsole(settings: job.console, memory: memory, clock: clock)
        var logger = Logger(label: "test.runner")
        logger.logLevel = .error
        return (NightRunner(store: store, console: console, clock: clock, options: RunOptions(job: job, asOf: Scenario.asOf),
                            logger: logger), memory)
    }

    static func events(_ store: InMemoryRunnerStore, _ id: Int64) -> [String] {
        store.events.filter { $0.key.id == id }.map { "\($0.kind) \($0.from.rawValue)>\($0.to.rawValue)" }
    }

    @Test func theNightWritesEachSubmissionWithItsFirstPoll() async throws {
        let store = Self.store(inspections: 40)
        let (runner, memory) = Self.runner(store, testJob())
        let summary = try await offThePool { try runner.run() }
        #expect(summary.status == "completed")
        // One outcome per inspection: approved, not in_review and then approved.
        #expect(summary.byState == ["approved": 40])
        #expect(summary.claimed == 40)
        for row in store.rows {
            #expect(row.state == .approved && row.ticket != nil && row.leaseOwner == nil && row.renewed)
            #expect(Self.events(store, row.id) == ["validated pending>submitting", "submitted submitting>in_review",
                                                    "approved in_review>approved"])
        }
        let calls = memory.figures().perAccount["alpha"]
        #expect(memory.figures().submissions == 40 && calls?.submits == 40 && calls?.polls == 40)
    }

    /// A poll that would wait for its tenant's rate limit is not held in hand: the submission is written at
    /// once, `in_review` with its ticket and its lease given back, and the poll waits for a later claim (a stop
    /// gives that lease back too).
    @Test func aPollThatWouldWaitForItsRateLimitIsNotHeld() async throws {
        let store = Self.store(inspections: 20)
        let job = testJob { $0.rateLimits.poll = JobDefinition.RateLimit(perSecond: 0.001, burst: 1) }
        let (runner, memory) = Self.runner(store, job)
        let night = StartedWork { try runner.run() }
        let settled = try await offThePool { () -> Bool in
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                let rows = store.rows
                // Written in_review (the poll due now may be claimed again, to wait in its lane).
                if memory.figures().submissions == 20, rows.filter({ $0.state == .inReview }).count == 19 {
                    return true
                }
                Thread.sleep(forTimeInterval: 0.01)
            }
            return false
        }
        #expect(settled)
        runner.requestStop()
        let summary = try await night.value()
        #expect(summary.status == "interrupted")
        let rows = store.rows
        #expect(rows.allSatisfy { $0.leaseOwner == nil })
        #expect(rows.filter { $0.state == .approved }.count == 1)
        #expect(memory.figures().perAccount["alpha"]?.polls == 1)
        for row in rows where row.state != .approved {
            #expect(row.state == .inReview && row.ticket != nil && row.nextPollAt != nil && !row.renewed)
            #expect(Self.events(store, row.id) == ["validated pending>submitting", "submitted submitting>in_review"])
        }
    }

    /// A stop at an arbitrary moment while one call at a time goes out (polls in hand may wait behind a submit
    /// for the only slot): nothing stays leased, and every row's events lead from `pending` to its state.
    @Test(arguments: [3, 8, 15]) func aStopAtAnyMomentLeavesEveryChainWhole(_ stopAfter: Int) async throws {
        let store = Self.store(inspections: 20)
        let job = testJob { job in
            job.concurrency.global = 1
            job.console.latencyP50Milliseconds = 3
            job.console.latencyP99Milliseconds = 6
        }
        let (runner, memory) = Self.runner(store, job)
        let night = StartedWork { try runner.run() }
        _ = try await offThePool { () -> Bool in
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline, memory.figures().submissions < stopAfter { Thread.sleep(forTimeInterval: 0.002) }
            return true
        }
        runner.requestStop()
        _ = try await night.value()
        for row in store.rows {
            #expect(row.leaseOwner == nil, "inspection \(row.id) still leased")
            let chain = store.events.filter { $0.key.id == row.id }
            #expect(chain.first.map { $0.from == .pending } ?? (row.state == .pending), "inspection \(row.id)")
            #expect(zip(chain, chain.dropFirst()).allSatisfy { $0.to == $1.from }, "inspection \(row.id): \(chain)")
            #expect((chain.last?.to ?? .pending) == row.state, "inspection \(row.id) is \(row.state)")
            if row.state == .inReview || row.state == .approved { #expect(row.ticket != nil) }
            #expect(row.renewed == (row.state == .approved))
        }
    }
}
