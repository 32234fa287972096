import Foundation
import NianjianOperations
import NianjianPostgres
import NianjianTestSupport
import Testing

/// Each benchmark scenario at a tiny size: it runs, checks its own outcome, and reports the JSON fields
/// issue 6 names. No timing is asserted: figures come from `nianjian bench` on a release build.
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
        for key in ["seconds", "per_second", "sql_floor_per_second", "ratio"] {
            #expect((number(json, key) ?? 0) > 0, "\(key) in \(report.json())")
        }
        let ratio = (number(json, "per_second") ?? 0) / (number(json, "sql_floor_per_second") ?? 1)
        #expect(abs(ratio - (number(json, "ratio") ?? 0)) < 0.001)
        #expect(report.table().contains("ratio runner / floor"))
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
        let smallFirst = tenants.filter { $0.key != "fair-001" }.compactMap { ($0.value["first"] as? NSNumber)?.doubleValue }.max()
        #expect(abs((smallFirst ?? -1) - (number(json, "small_first_max_fraction") ?? -2)) < 0.0001)
    }

    @Test func memoryMeasuresTwoBacklogsInWorkerProcesses() async throws {
        let binary = try #require(NianjianBinary.path, "the nianjian executable is built with the tests")
        let (server, handle) = try server()
        defer { handle.drop() }
        let report = try await offThePool {
            try BenchMemory.measure(server: server, options: self.small {
                $0.inspections = 2_000; $0.baselineInspections = 500; $0.tenants = 5; $0.workerExecutable = binary
                // The large backlog is stopped part-way: what was done is checked, the rest stays pending.
                $0.workerProcessed = 1_000
            })
        }
        let json = try object(report)
        #expect(json["scenario"] as? String == "memory")
        #expect(number(json, "pending") == 2_000)
        #expect((number(json, "peak_rss_mib") ?? 0) > 1, "\(report.json())")
        #expect((number(json, "peak_rss_mib_at_10k") ?? 0) > 1, "\(report.json())")
        #expect((number(json, "processed") ?? 0) >= 1)
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
