import NianjianDomain
import NianjianPostgres
import NianjianStore

/// Builds test data: tenants with synthetic client companies, their inspections planned.
public enum Scenario {
    public struct TenantSpec: Sendable {
        public var slug: String
        public var companies: Int
        public var weight: Int
        /// Defect per company index (nil: a clean company).
        public var defect: @Sendable (Int) -> SyntheticCompanies.Defect?
        /// Services per company. Tests of the runner's mechanics count inspections and keep one service per
        /// company (1...1); portfolio tests use the generator's realistic 1...4.
        public var servicesPerCompany: ClosedRange<Int>

        public init(slug: String, companies: Int, weight: Int = 1, servicesPerCompany: ClosedRange<Int> = 1...1,
                    defect: @escaping @Sendable (Int) -> SyntheticCompanies.Defect? = { _ in nil }) {
            self.slug = slug; self.companies = companies; self.weight = weight; self.defect = defect
            self.servicesPerCompany = servicesPerCompany
        }
    }

    /// The business date tests run as of.
    public static let asOf = CivilDate(year: 2026, month: 12, day: 1) ?? CivilDate(daysSinceEpoch: 20_788)

    /// Creates the tenants and their companies, and plans an inspection for every service (window one year),
    /// due at the start of `asOf`'s night. Returns tenant ids by slug.
    @discardableResult
    public static func load(_ database: Database, tenants: [TenantSpec], seed: UInt64 = 7,
                            asOf: CivilDate = Scenario.asOf) throws -> [String: Int64] {
        try loadPortfolios(database, tenants: tenants, seed: seed, asOf: asOf).ids
    }

    /// Like `load`, and returns every generated portfolio by tenant slug (where each defect must show).
    public static func loadPortfolios(_ database: Database, tenants: [TenantSpec], seed: UInt64 = 7,
                                      asOf: CivilDate = Scenario.asOf) throws -> (ids: [String: Int64], portfolios: [String: [SyntheticPortfolio]]) {
        var ids: [String: Int64] = [:]
        var portfolios: [String: [SyntheticPortfolio]] = [:]
        for spec in tenants {
            let generator = SyntheticCompanies(seed: seed, servicesPerCompany: spec.servicesPerCompany)
            let generated = (0..<spec.companies).map {
                generator.portfolio(index: $0 + 1, defect: spec.defect($0), referenceDate: asOf)
            }
            portfolios[spec.slug] = generated
            let files = generated.map(\.file)
            let tenantId = try database.runBlocking { session -> Int64 in
                let id = try BulkLoadQueries.ensureTenant(session, slug: spec.slug, name: "Agency \(spec.slug)", weight: spec.weight)
                for chunk in stride(from: 0, to: files.count, by: 5000) {
                    try BulkLoadQueries.insertCompanyFiles(session, tenantId: id, files: Array(files[chunk..<min(files.count, chunk + 5000)]))
                }
                try session.asTenant(id) {
                    _ = try PlanQueries.planInspections(session, tenantId: id, through: asOf.adding(days: 400),
                                                        nextAttemptAt: Timestamp(chinaDate: asOf, hour: 1), asOf: asOf, windowDays: 400)
                }
                return id
            }
            ids[spec.slug] = tenantId
        }
        return (ids, portfolios)
    }

    /// Counts of inspections by state.
    public static func states(_ database: Database, tenantId: Int64? = nil) throws -> [String: Int] {
        try database.runBlocking { session in
            let result = try session.query("""
                SELECT state, count(*) FROM inspections WHERE $1::bigint IS NULL OR tenant_id = $1 GROUP BY state
                """, [PostgresBind(tenantId)])
            var counts: [String: Int] = [:]
            for row in result.rows { counts[try row.requireString(0)] = try row.requireInt(1) }
            return counts
        }
    }

    /// Runs one query and returns its first column of the first row as an integer.
    public static func scalar(_ database: Database, _ sql: String, _ binds: [PostgresBind] = []) throws -> Int {
        try database.runBlocking { try $0.query(sql, binds)[0].int(0) ?? 0 }
    }
}

import Dispatch

/// Runs blocking work (a night run, a subprocess) off Swift's cooperative pool and awaits it.
public func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await BlockingWork.run(body)
}

/// Blocking work started at once on a thread of its own, awaited later. Unlike `async let … = offThePool`,
/// whose child task first needs a thread of the cooperative pool (which other tests of a parallel run may hold
/// for a long while), the work is running when this returns: a test that waits for its effects waits for
/// the work, not for the pool.
public final class StartedWork<T: Sendable>: @unchecked Sendable {
    private let done = DispatchGroup()
    private var result: Result<T, any Error>?

    public init(_ body: @escaping @Sendable () throws -> T) {
        done.enter()
        BlockingWork.start { [self] in
            result = Result { try body() }
            done.leave()
        }
    }

    /// The work's result, once it has finished.
    public func value() async throws -> T {
        try await offThePool { [self] in
            done.wait()
            guard let result else { preconditionFailure("the work left without a result") }
            return try result.get()
        }
    }
}
