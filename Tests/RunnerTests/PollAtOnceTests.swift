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

    /// Polls wait for their tenant's bucket (one token, then almost none) when the stop comes: each waiting
    /// poll's submission is written, `in_review` with its ticket, and its lease given back; nothing is lost.
    @Test func aStopWhilePollsWaitWritesTheirSubmissions() async throws {
        let store = Self.store(inspections: 20)
        let job = testJob { $0.rateLimits.poll = JobDefinition.RateLimit(perSecond: 0.001, burst: 1) }
        let (runner, memory) = Self.runner(store, job)
        async let night = offThePool { try runner.run() }
        let submitted = try await offThePool { () -> Bool in
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                if memory.figures().perAccount["alpha"]?.polls == 1 && memory.figures().submissions == 20 { return true }
                Thread.sleep(forTimeInterval: 0.01)
            }
            return false
        }
        #expect(submitted)
        runner.requestStop()
        let summary = try await night
        #expect(summary.status == "interrupted")
        let rows = store.rows
        #expect(rows.allSatisfy { $0.leaseOwner == nil })
        #expect(rows.filter { $0.state == .approved }.count == 1)
        for row in rows where row.state != .approved {
            #expect(row.state == .inReview && row.ticket != nil && row.nextPollAt != nil && !row.renewed)
            #expect(Self.events(store, row.id) == ["validated pending>submitting", "submitted submitting>in_review"])
        }
    }
}
