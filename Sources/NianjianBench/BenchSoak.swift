import Foundation
import NianjianCloudSimulator
import NianjianDemo
import NianjianDomain
import NianjianPostgres
import NianjianStore

/// `nianjian bench soak` (issue 14): many nights over a large season on a primary and a synchronous standby
/// this command starts, through the cloud simulator, with `nianjian run` SIGKILLed at random moments, one
/// PostgreSQL crash-restart and one failover (the old primary rebuilt as the new standby afterwards). After
/// every night the invariants are checked and printed; the first broken one stops the soak.
public struct SoakOptions: Sendable {
    public var nights = 30
    public var inspections = 200_000
    public var tenants = 300
    /// SIGKILLs of the runner, spread over the nights without a restart or failover.
    public var kills = 8
    public var seed: UInt64 = 14
    public var leaseSeconds = 5.0
    /// The `nianjian` executable the nights run (the current one by default).
    public var executable: String?

    public init() {}
}

/// One night of the soak, as printed.
public struct SoakNight: Sendable {
    public var number: Int
    public var date: CivilDate
    /// `nianjian run` processes started (kills and their reruns included), and how many were SIGKILLed.
    public var runs = 0
    public var kills = 0
    /// "restart" or "failover" when the night had one.
    public var disruption = ""
    public var seconds = 0.0
    public var invariants = SoakInvariants()
    /// Services whose expiry differs between the cloud and the database (in-review ones excepted).
    public var cloudDisagreements = 0
    public var cloudOrders = 0
    /// Failover: promote + stop of the old primary, then the first write on the new primary (both from the
    /// failover's start), and how long rebuilding the old primary as standby took.
    public var failoverSeconds: Double?
    public var firstWriteSeconds: Double?
    public var rejoinSeconds: Double?
    public var restartSeconds: Double?
    /// Kills and the disruption the night ended too early for (the next night does them).
    var leftOver: (kills: Int, disruption: String) = (0, "")

    public var holds: Bool { invariants.violations.isEmpty && cloudDisagreements == 0 }
}

public enum BenchSoak {
    public static func run(options: SoakOptions, log: @escaping (String) -> Void) throws -> BenchReport {
        guard options.nights >= 3, options.inspections >= options.tenants, options.tenants >= 1 else {
            throw BenchError("soak: at least 3 nights and one inspection per tenant / soak 至少 3 个夜间批次，每个租户至少一个年检")
        }
        guard let executable = options.executable ?? BenchMemory.currentExecutable() else {
            throw BenchError("soak: cannot find the nianjian executable to run the nights")
        }
        let started = Date()
        let folder = NSTemporaryDirectory() + "nianjian-soak-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let calendar = BusinessCalendar.china
        let start = Bench.asOf
        let sizes = SoakWorld.sizes(total: options.inspections, tenants: options.tenants)
        var sheets: [[UInt8]] = []
        var services = 0
        log("soak: a primary and a synchronous standby, \(options.tenants) agencies, \(options.inspections) services, \(options.nights) nights")
        let pair = try ReplicatedPair(databaseName: "nianjian_soak") { database in
            (sheets, services) = try SoakWorld.load(database, sizes: sizes, seed: options.seed, referenceDate: start, log: log)
        }
        defer { pair.destroy() }
        let cloud = try DemoCloud.start(settings: SoakWorld.cloudSettings(seed: options.seed), stateDirectory: nil)
        defer { cloud.stop() }
        let instances = try SoakWorld.instances(sheets)
        let state = cloud.simulator.state
        _ = try DemoCloud.blocking { try await state.load(instances, replace: false) }
        let jobPath = folder + "/soak.yml"
        try Data(SoakWorld.jobFile(cloudURL: cloud.url, leaseSeconds: options.leaseSeconds).utf8).write(to: URL(fileURLWithPath: jobPath))
        let database = Database(ConnectionString(pair.url()), maximumConnections: 2)
        defer { database.close() }
        var plan = Plan(options: options)
        var nights: [SoakNight] = []
        var date = calendar.isBusinessDay(start) ? start : calendar.adding(businessDays: 1, to: start)
        let context = NightContext(pair: pair, database: database, cloud: cloud, executable: executable, jobPath: jobPath,
                                   folder: folder, leaseSeconds: options.leaseSeconds)
        var typicalSeconds = 1.0
        var leftOver: (kills: Int, disruption: String) = (0, "")
        for number in 1...options.nights {
            let disruption = plan.disruption(on: number)
            let night = try context.night(number, date: date, kills: plan.kills(on: number) + leftOver.kills,
                                          disruption: disruption.isEmpty ? leftOver.disruption : disruption,
                                          typicalSeconds: typicalSeconds, random: &plan.random)
            leftOver = night.leftOver
            if night.runs == 1 && night.disruption.isEmpty { typicalSeconds = night.seconds }
            log(describe(night))
            nights.append(night)
            guard night.holds else { break }
            date = calendar.adding(businessDays: 1, to: date)
        }
        return report(nights, options: options, services: services, seconds: Date().timeIntervalSince(started))
    }

    /// Which nights get kills, the restart and the failover (a third and two thirds through).
    struct Plan {
        var random: SeededRandom
        let restartNight: Int
        let failoverNight: Int
        private var killsByNight: [Int: Int] = [:]

        init(options: SoakOptions) {
            random = SeededRandom(seed: options.seed ^ 0x50A4)
            restartNight = max(2, options.nights / 3)
            failoverNight = max(restartNight + 1, 2 * options.nights / 3)
            let quiet = (1...options.nights).filter { $0 != restartNight && $0 != failoverNight }
            for _ in 0..<options.kills {
                if let night = quiet.randomElement(using: &random) { killsByNight[night, default: 0] += 1 }
            }
        }

        func kills(on night: Int) -> Int { killsByNight[night] ?? 0 }
        func disruption(on night: Int) -> String { night == restartNight ? "restart" : night == failoverNight ? "failover" : "" }
    }

    static func describe(_ night: SoakNight) -> String {
        let states = night.invariants.byState.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        var line = "night \(night.number) \(night.date): \(night.runs) run(s), \(night.kills) SIGKILL(s)"
        if !night.disruption.isEmpty { line += ", \(night.disruption)" }
        if let failover = night.failoverSeconds {
            line += " (promoted in \(Bench.format(failover, 2)) s, first write \(night.firstWriteSeconds.map { Bench.format($0, 2) } ?? "-") s"
                + ", standby rebuilt in \(night.rejoinSeconds.map { Bench.format($0, 1) } ?? "-") s)"
        }
        if let restart = night.restartSeconds { line += " (back in \(Bench.format(restart, 2)) s)" }
        line += ", \(Bench.format(night.seconds, 1)) s; \(states); renewals \(night.invariants.renewals), cloud orders \(night.cloudOrders)"
        let broken = night.invariants.violations.map { "\($0.0) \($0.1)" }
            + (night.cloudDisagreements == 0 ? [] : ["cloud ≠ database expiries \(night.cloudDisagreements)"])
        return line + (broken.isEmpty ? "; invariants hold" : "; INVARIANTS BROKEN: " + broken.joined(separator: ", "))
    }

    static func report(_ nights: [SoakNight], options: SoakOptions, services: Int, seconds: Double) -> BenchReport {
        let held = nights.filter(\.holds).count
        let last = nights.last?.invariants ?? SoakInvariants()
        let failover = nights.first { $0.failoverSeconds != nil }
        let restart = nights.first { $0.restartSeconds != nil }
        let kills = nights.map(\.kills).reduce(0, +)
        let completed = held == options.nights
        let fields: [(String, BenchValue)] = [
            ("nights", .int(options.nights)), ("nights_completed", .int(held)), ("inspections", .int(last.inspections)),
            ("services", .int(services)), ("tenants", .int(options.tenants)), ("sigkills", .int(kills)),
            ("runs", .int(nights.map(\.runs).reduce(0, +))), ("renewals", .int(last.renewals)), ("events", .int(last.events)),
            ("failover_promote_seconds", .double(failover?.failoverSeconds ?? .nan)),
            ("failover_first_write_seconds", .double(failover?.firstWriteSeconds ?? .nan)),
            ("restart_seconds", .double(restart?.restartSeconds ?? .nan)),
            ("by_state", .object(last.byState.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
            ("seconds", .double(seconds)),
        ]
        var rows: [(String, String, String, String)] = [
            ("nights with every invariant holding", "\(held) of \(options.nights)", "all", Bench.verdict(completed)),
            ("inspections planned (services)", "\(last.inspections) (\(services))", "", ""),
            ("runs (SIGKILLed)", "\(nights.map(\.runs).reduce(0, +)) (\(kills))", "", ""),
            ("renewals", "\(last.renewals)", "= approved", Bench.verdict(last.renewals == (last.byState["approved"] ?? 0))),
            ("soak seconds", Bench.format(seconds, 0), "", ""),
        ]
        if let failover {
            rows.append(("failover: promoted / first write (s)",
                         "\(failover.failoverSeconds.map { Bench.format($0, 2) } ?? "-") / \(failover.firstWriteSeconds.map { Bench.format($0, 2) } ?? "-")",
                         "", ""))
        }
        if let restart { rows.append(("restart: back in (s)", restart.restartSeconds.map { Bench.format($0, 2) } ?? "-", "", "")) }
        return BenchReport(scenario: "soak", fields: fields, rows: rows, meetsTargets: completed)
    }
}
