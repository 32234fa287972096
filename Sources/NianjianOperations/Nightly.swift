import Foundation
import Logging
import NianjianConsole
import NianjianDomain
import NianjianMockConsole
import NianjianPostgres
import NianjianRunner
import NianjianStore

/// One night, assembled the same way for `nianjian run`, the demo and the benchmarks: plan first when the
/// job says so, the console the job names, the business clock (`--as-of` or real), the runner. `mockMemory`:
/// the in-process mock's memory to use (several nights in one process sharing one console; a new one otherwise).
public enum Nightly {
    public static func run(database: Database, job: JobDefinition, tenants: [String]? = nil, asOf: CivilDate? = nil,
                           watch: Bool = false, handleSignals: Bool = false, runnerId: String = NightRunner.defaultRunnerId(),
                           logger: Logger = Logger(label: "nianjian.runner"),
                           environment: [String: String] = ProcessInfo.processInfo.environment,
                           mockMemory: InMemoryConsoleMemory? = nil,
                           onProgress: (@Sendable (RunProgress) -> Void)? = nil) throws -> RunSummary {
        // The job's session limits (timeouts, prepared statements) on every connection of the night.
        let (database, owned) = sessions(database, job)
        defer { if owned { database.close() } }
        let clock: any BusinessClock = asOf.map { AsOfBusinessClock(date: $0, nightStartHour: job.nightStartHour) } ?? SystemBusinessClock()
        // Reviews and polls count business days from tonight on: say when a year they reach has no holiday data.
        let today = clock.now().chinaDate
        for warning in BusinessCalendar.china.warnings(from: today, to: today.adding(days: max(30, job.planWindowDays))) {
            logger.warning("\(warning)")
        }
        if job.planFirst {
            // Services that came due since the last night get their inspection before claiming starts.
            let tenantIds = try tenants.map { slugs in try slugs.map { try TenantAdmin.resolve(database: database, slug: $0).id } }
            let planned = try Planner.plan(database: database, tenantIds: tenantIds, asOf: today,
                                           windowDays: job.planWindowDays)
            let total = planned.reduce(0) { $0 + $1.planned }
            if total > 0 { logger.info("planned \(total) inspections before the run") }
        }
        let console = try ConsoleFactory.open(job: job, database: database, clock: clock, environment: environment,
                                              mockMemory: mockMemory)
        defer { console.close() }
        let runner = NightRunner(database: database, console: console.adapter, clock: clock,
                                 options: RunOptions(job: job, tenantSlugs: tenants, asOf: asOf, watch: watch, runnerId: runnerId),
                                 logger: logger)
        runner.onProgress = onProgress
        let summary = try runner.run(handleSignals: handleSignals)
        if let counters = console.cloudCounters?.snapshot, !counters.isEmpty {
            logger.info("cloud calls", metadata: counters.mapValues { .stringConvertible($0) })
        }
        return summary
    }

    /// A database whose sessions set the job's limits: `database` itself when they already do (the caller
    /// opened it with them), else a new pool on the same server, closed when the night ends.
    static func sessions(_ database: Database, _ job: JobDefinition) -> (database: Database, owned: Bool) {
        let wanted = database.connectionString.with(job.database.sessionSettings)
        if wanted.settings == database.connectionString.settings { return (database, false) }
        return (Database(wanted, maximumConnections: database.pool.maximumConnections, logger: database.logger), true)
    }
}
