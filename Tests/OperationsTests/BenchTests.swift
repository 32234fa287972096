import Foundation
@testable import NianjianBench
import NianjianPostgres
@testable import NianjianStore
import NianjianTestSupport
import Testing

/// Each benchmark scenario at a tiny size: it runs, checks its own outcome, and reports the JSON fields
/// issue 6 names. Speed is not asserted (figures come from `nianjian bench` on a release build); the targets
/// that hold at any size are: fairness (small tenants are served first), memory (peak and growth), and the
/// outcome of every night (checked by the scenario, whose check is itself tested here).
@Suite(.serialized)
struct BenchTests {
    /// A server for the scenarios' own fresh databases (the test cluster or DATABASE_URL).
    func server() throws -> (BenchServer, TestDatabaseHandle) {
        let handle = try TestDatabase.fresh()
        return (BenchServer(connectionString: handle.connectionString), handle)
    }

    func object(_ report: BenchReport) throws -> [String: Any] {
        let json = report.json()
        let parsed = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        return try #require(parsed, "not a JSON object: \(json)")
    }

    func number(_ object: [String: Any], _ key: String) -> Double? { (object[key] as? NSNumber)?.doubleValue }

    func small(_ tweak: (inout BenchOptions) -> Void = { _ in }) -> BenchOptions {
        var options = BenchOptions()
        options.batch = 100
        options.connections = 2
        tweak(&options)
        return options
    }

    @Test func throughputRunsTheLifecycleAndTheSQLFloor() async throws {
        let (server, handle) = try server()
        defer { handle.drop() }
        let report = try await offThePool {
            try BenchScenarios.throughput(server: server, options: self.small { $0.inspections = 300; $0.tenants = 5 })
        }
        let json = try object(report)
        #expect(json["scenario"] as? String == "throughput")
        #expect(number(json, "inspections") == 300)
        for key in ["seconds", "per_second", "sql_floor_per_second", "ratio", "minimal_floor_per_second", "ratio_minimal"] {
            #expect((number(json, key) ?? 0) > 0, "\(key) in \(report.json())")
        }
        // Both nights were checked (all 300 approved, renewed once, one submission each, no lease left) or the
        // scenario would have thrown: `theOutcomeCheckRefusesEveryWrongNight` shows that check bites.
        #expect(number(json, "tenants") == 5 && number(json, "batch") == 100)
        #expect(report.table().contains("ratio runner / floor"))
        #expect(report.table().contains("ratio runner / minimal lifecycle"))
    }

    /// The check every scenario runs before it reports a figure: a night with anything wrong is refused.
    @Test func theOutcomeCheckRefusesEveryWrongNight() throws {
        var right = BenchOutcome()
        right.inspections = 300; right.byState = ["approved": 300]; right.renewals = 300; right.consoleSubmissions = 300
        try Bench.requireAllApproved(right, expected: 300, what: "test")
        let wrongs: [(String, (inout BenchOutcome) -> Void)] = [
            ("an inspection missing", { $0.inspections = 299 }),
            ("one not approved", { $0.byState = ["approved": 299, "failed": 1] }),
            ("a renewal missing", { $0.renewals = 299 }),
            ("a service renewed twice", { $0.servicesRenewedWrongly = 1 }),
            ("a wrong expiry", { $0.wrongExpiry = 1 }),
            ("a lease left", { $0.leased = 1 }),
            ("an approval without its event", { $0.approvedWithoutEvent = 1 }),
            ("a submission missing", { $0.consoleSubmissions = 299 }),
            ("a key reused with another request", { $0.consoleMismatches = 1 }),
        ]
        for (label, spoil) in wrongs {
            var outcome = right
            spoil(&outcome)
            #expect(throws: BenchError.self, "\(label) was accepted") { try Bench.requireAllApproved(outcome, expected: 300, what: "test") }
        }
    }

    @Test func latencyReportsMakespanAgainstTheRateBound() async throws {
        let (server, handle) = try server()
        defer { handle.drop() }
        let report = try await offThePool {
            try BenchScenarios.latency(server: server, options: self.small {
                $0.inspections = 80; $0.tenants = 4; $0.p50Milliseconds = 5; $0.p99Milliseconds = 20
                $0.submitRate = 40; $0.pollRate = 40
            })
        }
        let json = try object(report)
        #expect(json["scenario"] as? String == "latency")
        // 20 inspections per tenant: 20 submits and 20 polls at 40/s each.
        #expect(abs((number(json, "bound_seconds") ?? 0) - 0.5) < 0.001, "\(report.json())")
        let makespan = try #require(number(json, "makespan_seconds"))
        // The limits cannot be beaten: a night faster than the bound (less a burst token) means they were not applied.
        #expect(makespan >= 0.45, "\(report.json())")
        #expect(abs(makespan / 0.5 - (number(json, "ratio") ?? 0)) < 0.01)
    }

    @Test func fairnessReportsEveryTenantsFinishTimes() async throws {
        let (server, handle) = try server()
        defer { handle.drop() }
        let report = try await offThePool {
            try BenchScenarios.fairness(server: server, options: self.small { $0.inspections = 1_000; $0.tenants = 4 })
        }
        let json = try object(report)
        #expect(json["scenario"] as? String == "fairness")
        let tenants = try #require(json["tenants"] as? [String: [String: Any]], "\(report.json())")
        #expect(tenants.count == 4)
        for (slug, times) in tenants {
            let first = try #require((times["first"] as? NSNumber)?.doubleValue, "\(slug)")
            let last = try #require((times["last"] as? NSNumber)?.doubleValue, "\(slug)")
            #expect(first >= 0 && first <= last && last <= 1, "\(slug): \(first) … \(last)")
        }
        // The fairness target at this size: fair-001 holds 900 of 1,000 and was loaded first, so a claim in
        // load order would serve the small tenants after 90 % of the night. Fair shares serve each small tenant
        // in the run's first claim and finish all of them within the first few (batch 100, 33 each).
        #expect(json["big_tenant"] as? String == "fair-001")
        let small = tenants.filter { $0.key != "fair-001" }
        let smallFirst = small.compactMap { ($0.value["first"] as? NSNumber)?.doubleValue }.max() ?? 1
        let smallLast = small.compactMap { ($0.value["last"] as? NSNumber)?.doubleValue }.max() ?? 1
        let bigLast = (tenants["fair-001"]?["last"] as? NSNumber)?.doubleValue ?? 0
        #expect(smallFirst <= 0.35, "a small tenant's first inspection finished at \(smallFirst) of the night: \(report.json())")
        #expect(smallLast <= 0.6 && smallLast < bigLast, "small tenants finished at \(smallLast), the big one at \(bigLast)")
        print("bench fairness (1,000 inspections): small tenants first \(String(format: "%.3f", smallFirst)), last \(String(format: "%.3f", smallLast))")
    }

    @Test func memoryMeasuresTwoBacklogsInWorkerProcesses() async throws {
        let binary = try #require(NianjianBinary.path, "the nianjian executable is built with the tests")
        let (server, handle) = try server()
        defer { handle.drop() }
        let report = try await offThePool {
            // 256 MiB resident in this (the parent) process while the workers run: a worker's figure is its own
            // memory, not its parent's (getrusage's maximum survives the exec of a spawned child).
            let ballast = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 << 20, alignment: 4096)
            defer { ballast.deallocate() }
            for page in stride(from: 0, to: ballast.count, by: 4096) { ballast[page] = 1 }
            return try BenchMemory.measure(server: server, options: self.small {
                $0.inspections = 4_000; $0.baselineInspections = 500; $0.tenants = 5; $0.workerExecutable = binary
                // The large backlog is stopped part-way: what was done is checked, the rest stays pending.
                $0.workerProcessed = 1_000
            })
        }
        let json = try object(report)
        #expect(json["scenario"] as? String == "memory")
        #expect(number(json, "pending") == 4_000)
        // The memory targets hold at any size: peak ≤ 150 MiB, and a backlog four times larger costs ≤ 1.5×.
        let peak = try #require(number(json, "peak_rss_mib")), small = try #require(number(json, "peak_rss_mib_at_10k"))
        #expect(peak > 0 && peak <= 150, "peak RSS \(peak) MiB: \(report.json())")
        #expect(small > 0 && peak / small <= 1.5, "growth \(peak / small): \(report.json())")
        // `processed` counts outcomes written (here one per inspection: its first poll, made at once, approves it
        // and is written with the submission). The small backlog was done whole; the large one was stopped once
        // 1,000 were done (progress is reported twice a second), well before its 4,000.
        #expect(number(json, "processed_at_10k") == 500, "\(report.json())")
        let processed = number(json, "processed") ?? 0
        #expect(processed >= 1_000 && processed < 4_000, "processed \(processed) before the stop: \(report.json())")
        // The claim's cost is measured in both backlogs (its growth is judged on full-size runs, not here).
        #expect((number(json, "claims") ?? 0) >= 1 && (number(json, "claims_at_10k") ?? 0) >= 1, "\(report.json())")
        #expect((number(json, "claim_ms_mean") ?? 0) > 0 && (number(json, "claim_ms_mean_at_10k") ?? 0) > 0, "\(report.json())")
        #expect(number(json, "claim_growth") != nil, "\(report.json())")
        // The growth target compares full-batch claims; every claim's growth is reported beside it.
        #expect(number(json, "full_claims") != nil && number(json, "claim_growth_all_claims") != nil, "\(report.json())")
        print("bench memory (4,000 / 500 pending): peak \(String(format: "%.1f", peak)) MiB, at 500 \(String(format: "%.1f", small)) MiB")
    }

    @Test func validateChecksEveryVerdict() throws {
        var options = BenchOptions()
        options.inspections = 2_000
        let report = try BenchScenarios.validate(options: options)
        let json = try object(report)
        #expect(json["scenario"] as? String == "validate")
        #expect((number(json, "per_second") ?? 0) > 0)
        // Every tenth company has a defect that blocks at least one of its services, never all 2,000 companies'
        // services (the scenario itself refuses a run where any service's verdict differs from what was planted).
        let services = try #require(number(json, "services"))
        #expect(services > 3_000, "companies have 1-4 services: \(services)")
        let blocked = try #require(number(json, "blocked"))
        #expect(blocked >= 200 && blocked < services / 4, "\(blocked) of \(services)")
    }

    @Test func unknownScenarioIsRefused() throws {
        #expect(throws: BenchError.self) {
            try BenchScenarios.run("nonsense", server: BenchServer(connectionString: ConnectionString("host=/nonexistent")),
                                   options: BenchOptions())
        }
    }
}
