import NianjianDomain
import NianjianPostgres
import NianjianStore

/// How many inspections a plan created for one tenant.
public struct PlanResult: Sendable, Hashable, Codable {
    public var tenantId: Int64
    public var tenant: String
    public var planned: Int

    enum CodingKeys: String, CodingKey {
        case tenant, planned
        case tenantId = "tenant_id"
    }
}

/// `nianjian plan`: one pending inspection per service expiring within the window, per cycle.
public enum Planner {
    /// The hour (China time) a night's run starts: planned work is due from then.
    public static let nightStartHour = 1

    /// Plans for `tenantIds` (nil: every tenant), tenant by tenant, each through its row-level security.
    /// Idempotent: a service that already has an inspection for its cycle gets none.
    @discardableResult
    public static func plan(database: Database, tenantIds: [Int64]?, asOf: CivilDate, windowDays: Int = 30) throws -> [PlanResult] {
        guard (0...3660).contains(windowDays) else {
            throw OperationsError(code: "bad_window", en: "--window-days must be between 0 and 3660",
                                  zh: "--window-days 应在 0 到 3660 之间")
        }
        let through = asOf.adding(days: windowDays)
        let due = Timestamp(chinaDate: asOf, hour: nightStartHour)
        return try database.runBlocking { session in
            let tenants = try tenantIds.map { try TenantQueries.findTenants(session, ids: $0) }
                ?? TenantQueries.listTenants(session)
            return try tenants.map { tenant in
                let planned = try session.asTenant(tenant.id) {
                    try PlanQueries.planInspections(session, tenantId: tenant.id, through: through, nextAttemptAt: due,
                                                    asOf: asOf, windowDays: windowDays)
                }
                return PlanResult(tenantId: tenant.id, tenant: tenant.slug, planned: planned)
            }
        }
    }
}
