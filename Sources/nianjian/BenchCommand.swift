import ArgumentParser
import Foundation
import NianjianDomain
import NianjianBench
import NianjianStore

/// `nianjian bench SCENARIO`: benchmarks as a command (issue 6). Thin: parse, call the scenario, print.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure throughput, latency, fairness, memory or validation speed in a fresh database.",
        discussion: """
            Scenarios: throughput, latency, fairness, memory, validate, soak. Each makes its own data in a new database \
            (nianjian_bench_<pid>_<n>, on DATABASE_URL's server or the embedded cluster), checks the outcome is \
            correct, and drops it. soak starts its own primary and synchronous standby (PostgreSQL's server programs \
            must be installed), runs --nights nights through the cloud simulator with --kills SIGKILLs of the runner, \
            one PostgreSQL restart and one failover, and checks the invariants after every night. Use a release build \
            for real figures:
              swift build -c release && .build/release/nianjian bench throughput
            基准测试：每个场景在新建的数据库中生成数据、运行、校验结果，然后删除该数据库。
            """)

    @Argument(help: "throughput, latency, fairness, memory, validate or soak.")
    var scenario: String

    @Flag(name: .long, help: "Print one JSON object.")
    var json = false

    @Option(name: .long, help: "Inspections (memory: pending; validate: companies). Default per scenario.")
    var inspections: Int?

    @Option(name: .long, help: "validate: companies to validate, a number or 'small' (2000, a quick check). Default 200000.")
    var companies: String?

    @Option(name: .long, help: "Tenants. Default per scenario.")
    var tenants: Int?

    @Option(name: .customLong("p50-ms"), help: "Console latency median, milliseconds.")
    var p50: Double?

    @Option(name: .customLong("p99-ms"), help: "Console latency 99th percentile, milliseconds.")
    var p99: Double?

    @Option(name: .customLong("submit-rate"), help: "latency: submits per second per tenant (default 10).")
    var submitRate: Double?

    @Option(name: .customLong("poll-rate"), help: "latency: polls per second per tenant (default 10).")
    var pollRate: Double?

    @Option(name: .long, help: "Claim and write batch of the runner and of the SQL floor (default 1000; latency: one second of calls).")
    var batch: Int?

    @Option(name: .long, help: "Connections of the runner's pool.")
    var connections = 4

    @Option(name: .long, help: "The runner's statement routing: combined (default) or per_tenant (the shape Citus needs).")
    var routing = "combined"

    @Option(name: .long, help: "Seed of the synthetic companies and the mock console.")
    var seed = 7

    @Option(name: .long, help: "memory: the small backlog to compare with.")
    var baseline = 10_000

    @Option(name: .long, help: "soak: nights (business days from 2026-12-01). Default 30.")
    var nights: Int?

    @Option(name: .long, help: "soak: SIGKILLs of the runner over the nights. Default 8.")
    var kills: Int?

    @OptionGroup var language: LanguageOption

    @Option(name: .customLong("worker-seconds"), help: .hidden)
    var workerSeconds = 15.0

    @Option(name: .customLong("worker-processed"), help: .hidden)
    var workerProcessed = 10_000

    func validate() throws {
        guard scenario == "memory-worker" || scenario == "soak" || BenchScenarios.names.contains(scenario) else {
            throw ValidationError("unknown scenario '\(scenario)' (known: \(BenchScenarios.names.joined(separator: ", ")))")
        }
        if let companies {
            guard scenario == "validate" else {
                throw ValidationError("--companies is for `bench validate` only / --companies 只用于 bench validate")
            }
            guard BenchCommand.companyCount(companies) != nil else {
                throw ValidationError("--companies must be a number of at least 1 or 'small' / --companies 应为不小于 1 的数字或 small")
            }
            guard inspections == nil else {
                throw ValidationError("give --companies or --inspections, not both / --companies 与 --inspections 只能二选一")
            }
        }
        if scenario != "soak", nights != nil || kills != nil {
            throw ValidationError("--nights and --kills are for `bench soak` only / --nights 与 --kills 只用于 bench soak")
        }
        if let nights, !(3...250).contains(nights) { throw ValidationError("--nights must be between 3 and 250 / --nights 应在 3 到 250 之间") }
        if let kills, kills < 0 { throw ValidationError("--kills must be at least 0 / --kills 不能为负数") }
        for (name, value) in [("--inspections", inspections), ("--tenants", tenants)] {
            if let value, value < 1 { throw ValidationError("\(name) must be at least 1") }
        }
        guard (batch ?? 1) >= 1, connections >= 1, baseline >= 1, seed >= 0 else {
            throw ValidationError("--batch, --connections and --baseline must be at least 1, --seed at least 0")
        }
        for (name, value) in [("--p50-ms", p50), ("--p99-ms", p99)] {
            if let value, !(0...600_000).contains(value) { throw ValidationError("\(name) must be between 0 and 600000") }
        }
        for (name, value) in [("--submit-rate", submitRate), ("--poll-rate", pollRate)] {
            if let value, !(value > 0 && value <= 1_000_000) { throw ValidationError("\(name) must be above 0") }
        }
    }

    func run() throws {
        try runCommand {
            var options = BenchOptions()
            options.inspections = inspections ?? companies.flatMap(BenchCommand.companyCount)
            options.tenants = tenants
            options.p50Milliseconds = p50
            options.p99Milliseconds = p99
            options.submitRate = submitRate
            options.pollRate = pollRate
            options.batch = batch
            options.connections = connections
            guard let routing = StatementRouting(rawValue: routing) else {
                throw ValidationError("--routing must be combined or per_tenant / --routing 应为 combined 或 per_tenant")
            }
            options.routing = routing
            options.seed = UInt64(seed)
            options.baselineInspections = baseline
            options.workerSeconds = workerSeconds
            options.workerProcessed = workerProcessed
            if scenario == "memory-worker" {
                printOut(try BenchMemory.worker(options: options).json)
                return
            }
            if scenario == "soak" {
                var soak = SoakOptions()
                soak.nights = nights ?? soak.nights
                soak.kills = kills ?? soak.kills
                soak.inspections = inspections ?? soak.inspections
                soak.tenants = tenants ?? soak.tenants
                soak.seed = UInt64(seed)
                do {
                    let report = try BenchSoak.run(options: soak) { printError($0) }
                    printOut(json ? report.json() : BenchCommand.table(report, language.language))
                    if !report.meetsTargets { throw ExitCode(1) }
                } catch let error as BenchError {
                    throw UserFacingError(description: error.description)
                }
                return
            }
            do {
                let report = try BenchScenarios.run(scenario, server: try BenchServer.resolve(), options: options)
                printOut(json ? report.json() : BenchCommand.table(report, language.language))
            } catch let error as BenchError {
                throw UserFacingError(description: error.description)
            }
        }
    }

    /// `small` (2000) or a positive number.
    static func companyCount(_ text: String) -> Int? {
        if text.lowercased() == "small" { return 2_000 }
        guard let count = Int(text), count >= 1 else { return nil }
        return count
    }

    /// The report's table; in Chinese with translated headings and verdicts (figure names stay as measured).
    static func table(_ report: BenchReport, _ lang: Language) -> String {
        guard lang == .zh else { return report.table() }
        let verdict = ["pass": "达标", "miss": "未达标"]
        let rows = report.rows.map { [$0.0, $0.1, $0.2, verdict[$0.3] ?? $0.3] }
        return "基准测试 \(report.scenario)（\(report.meetsTargets ? "全部达标" : "有指标未达标")）\n"
            + CLIText.table(header: ["指标", "数值", "目标", "结论"], rows: rows)
    }
}
