#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import NianjianCloudSimulator
import NianjianDemo
import NianjianDomain
import NianjianOperations
import NianjianSpreadsheet
import NianjianStore

/// The soak's world: agencies of uneven size with client companies shaped like the demo's (several services
/// and contracts each, a few defects), imported through the real sheets; the cloud simulator knowing the same
/// instances; the job file the nights run with; and `nianjian run` as a child process that can be SIGKILLed.
enum SoakWorld {
    /// Services per tenant for `total` over `tenants`: uneven, as agencies are (every tenth a big one, weight 4).
    static func sizes(total: Int, tenants: Int) -> [Int] {
        let weights = (0..<tenants).map { $0 % 10 == 0 ? 4 : 1 }
        let sum = weights.reduce(0, +)
        var sizes = weights.map { max(1, total * $0 / sum) }
        sizes[0] += total - sizes.reduce(0, +)
        return sizes
    }

    /// Imports each tenant's companies (until it has its share of services) through `Importer`, and returns
    /// every services.csv (for the cloud) and the number of services made.
    static func load(_ database: Database, sizes: [Int], seed: UInt64, referenceDate: CivilDate,
                     log: (String) -> Void) throws -> (servicesCSV: [[UInt8]], services: Int) {
        var sheets: [[UInt8]] = []
        var total = 0
        let started = Date()
        for (index, wanted) in sizes.enumerated() {
            let slug = String(format: "soak-%03d", index + 1)
            let tenant = try TenantAdmin.add(database: database, slug: slug, name: "Soak agency \(index + 1)", weight: sizes[index] > (sizes.min() ?? 0) ? 2 : 1)
            let generator = SyntheticCompanies(seed: seed &+ UInt64(index) &* 0x9E37_79B9)
            var files: [CompanyFile] = []
            var services = 0
            var company = 0
            // About one company in twelve carries a defect (the demo's mix); the defect plan needs the count.
            let defects = Demo.defectPlan(count: max(1, wanted / 2))
            while services < wanted {
                company += 1
                let portfolio = generator.portfolio(index: company, defect: defects[company], referenceDate: referenceDate)
                files.append(portfolio.file)
                services += portfolio.services.count
            }
            let rendered = try AgencySheets.render(files)
            if case .failure(let failure) = try Importer.importFiles(database: database, tenant: tenant, files: rendered,
                                                                     source: "bench soak", dryRun: false) {
                throw BenchError("soak: importing \(slug)'s sheets failed: \(String(failure.description.prefix(2_000)))")
            }
            sheets.append(rendered["services.csv"] ?? [])
            total += services
            if (index + 1) % 50 == 0 || index + 1 == sizes.count {
                log("soak: imported \(index + 1)/\(sizes.count) agencies, \(total) services (\(Bench.format(Date().timeIntervalSince(started), 0)) s)")
            }
        }
        return (sheets, total)
    }

    /// The cloud's instances from every agency's services.csv; the same instance id twice would let one
    /// agency's renewal count for another's, so it is refused.
    static func instances(_ sheets: [[UInt8]]) throws -> [CloudInstance] {
        var all: [CloudInstance] = []
        var seen = Set<String>()
        for sheet in sheets {
            for instance in try InstanceLoader.instances(fromServicesCSV: sheet) {
                guard seen.insert(instance.instanceId).inserted else {
                    throw BenchError("soak: instance \(instance.instanceId) is in two agencies' sheets (choose another --seed)")
                }
                all.append(instance)
            }
        }
        return all
    }

    /// The cloud: a little unreliable (503s, answers lost after the order was made, throttling), reviews of one
    /// business day with a few rejections, quick.
    static func cloudSettings(seed: UInt64) -> SimulatorSettings {
        // The demo's cloud at half its pace and rates: thirty nights of a big portfolio, its faults still in
        // every night, its reviews one business day long.
        var settings = DemoCloud.settings(seed: seed, environment: [:])
        settings.latencyP50Milliseconds /= 2
        settings.latencyP99Milliseconds /= 2
        settings.faults.serviceUnavailable /= 2
        settings.faults.lostAnswer /= 2
        settings.throttleRate /= 2
        settings.throttleRetryAfterMilliseconds /= 2
        settings.reviewBusinessDays = max(1, settings.reviewBusinessDays / 2)
        settings.rejectionRates = settings.rejectionRates.mapValues { $0 / 2 }
        return settings
    }

    /// The nights' job: plan what expires within 18 days, then submit, poll the next business day; leases of
    /// `leaseSeconds` (a killed runner's work is rescued that soon); database failures retried for a minute.
    static func jobFile(cloudURL: String, leaseSeconds: Double) -> String {
        """
        name: soak
        plan_first: true
        plan_window_days: 18
        night_hours: 8
        concurrency: {global: 96, per_tenant: 8}
        rate_limits:
          submit: {per_second: 200, burst: 20}
          poll: {per_second: 200, burst: 20}
        retry: {max_attempts: 12, base_delay_seconds: 0.05, multiplier: 2, max_delay_seconds: 1, jitter: 0.2}
        poll: {first_after_business_days: 1, first_after_seconds: 0, then_every_business_days: 1, then_every_seconds: 0}
        lease: {seconds: \(leaseSeconds), heartbeat_seconds: \(max(0.2, leaseSeconds / 4))}
        batch: {claim: 200, write: 200, flush_milliseconds: 20}
        shutdown_grace_seconds: 10
        database_retry_seconds: 60
        console:
          adapter: simulator
          simulator_url: \(cloudURL)
          timeout_seconds: 5
        """
    }
}

/// `nianjian run` as a child process: output to files (no pipe to drain), killable, its JSON summary read at
/// the end. The database URL goes in the environment, never on the command line.
final class SoakRunProcess {
    private let process = Process()
    let outputPath: String
    let errorPath: String

    init(executable: String, jobPath: String, date: CivilDate, databaseURL: String, folder: String, number: Int) throws {
        outputPath = folder + "/run-\(number).out"
        errorPath = folder + "/run-\(number).err"
        for path in [outputPath, errorPath] { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["run", "--job", jobPath, "--as-of", date.description, "--json", "--lang", "en"]
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = databaseURL
        environment["NIANJIAN_READ_DATABASE_URL"] = nil
        environment["ALIBABA_CLOUD_ACCESS_KEY_ID"] = nil
        environment["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] = nil
        environment["ALIBABA_CLOUD_SECURITY_TOKEN"] = nil
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle(forWritingAtPath: outputPath)
        process.standardError = FileHandle(forWritingAtPath: errorPath)
        try process.run()
    }

    var isRunning: Bool { process.isRunning }

    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// The exit status and the summary's `status` field (nil when it printed none).
    func finish() -> (status: Int32, summaryStatus: String?) {
        process.waitUntilExit()
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").last { $0.hasPrefix("{") }
        let object = line.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        return (process.terminationStatus, object?["status"] as? String)
    }

    /// The end of what it wrote on stderr, for a failure's message.
    var errorTail: String {
        String(((try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "").suffix(1_500))
    }
}
