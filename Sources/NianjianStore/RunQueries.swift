import NianjianDomain
import NianjianPostgres

/// A tenant's settings as the runner needs them; NULL limits mean "the job file's default".
public struct TenantRunSettings: Sendable, Hashable {
    public var id: Int64
    public var slug: String
    public var weight: Int
    public var maxConcurrency: Int?
    public var submitRate: Double?
    public var pollRate: Double?

    public init(id: Int64, slug: String, weight: Int, maxConcurrency: Int?, submitRate: Double?, pollRate: Double?) {
        self.id = id; self.slug = slug; self.weight = weight
        self.maxConcurrency = maxConcurrency; self.submitRate = submitRate; self.pollRate = pollRate
    }
}

/// Runs: their record in `runs`/`run_tenants`, and the tenant settings a run starts from.
public enum RunQueries {
    /// The tenants a run works for: all, or those named (unknown slugs are returned so the caller can refuse).
    public static func loadTenants(_ session: PostgresSession, slugs: [String]?) throws -> (found: [TenantRunSettings], unknown: [String]) {
        let result = try session.query("""
            SELECT id, slug, weight, max_concurrency, submit_rate::float8, poll_rate::float8 FROM tenants
             WHERE $1::text[] IS NULL OR slug = ANY($1::text[]) ORDER BY id
            """, [slugs.map { PostgresBind.textArray($0) } ?? .null])
        var found: [TenantRunSettings] = []
        for index in 0..<result.rowCount {
            let row = result[index]
            found.append(TenantRunSettings(id: try row.requireInt64(0), slug: try row.requireString(1), weight: try row.requireInt(2),
                                           maxConcurrency: try row.int(3), submitRate: try row.double(4), pollRate: try row.double(5)))
        }
        let known = Set(found.map(\.slug))
        return (found, (slugs ?? []).filter { !known.contains($0) })
    }

    /// Records a run and the tenants it works for (every tenant, or those named with `--tenant`): one
    /// `run_tenants` row each, with nothing claimed yet, so a run that finds nothing due for a tenant is still
    /// in that tenant's recent runs and last run. (`runs` is visible to a tenant's role only through its
    /// `run_tenants` rows, so the row is what makes the run the tenant's; `finishRun` fills in the counts.)
    public static func startRun(_ session: PostgresSession, runnerId: String, jobName: String, asOf: CivilDate,
                                tenantIds: [Int64]) throws -> Int64 {
        try session.query("""
            WITH run AS (
                INSERT INTO runs (runner_id, job_name, as_of) VALUES ($1, $2, $3) RETURNING id
            ), scope AS (
                INSERT INTO run_tenants (tenant_id, run_id)
                SELECT DISTINCT t, run.id FROM run, unnest($4::bigint[]) AS u(t)
            )
            SELECT id FROM run
            """, [.text(runnerId), .text(jobName), .text(asOf.description), .intArray(tenantIds)])[0].requireInt64(0)
    }

    /// Records how a run ended, with its counts overall and per tenant (JSON objects state → count); tenants
    /// of the run with no counts keep the zero row `startRun` wrote.
    public static func finishRun(_ session: PostgresSession, runId: Int64, status: String, claimed: Int, byStateJSON: String,
                                 perTenant: [(tenantId: Int64, claimed: Int, byStateJSON: String)]) throws {
        try session.transaction {
            try session.query("""
                UPDATE runs SET status = $2, finished_at = now(), claimed = $3, by_state = $4::jsonb WHERE id = $1
                """, [.init(runId), .text(status), .init(claimed), .text(byStateJSON)])
            if !perTenant.isEmpty {
                try session.query("""
                    INSERT INTO run_tenants (tenant_id, run_id, claimed, by_state)
                    SELECT t, $1, c, s FROM unnest($2::bigint[], $3::int[], $4::jsonb[]) AS u(t, c, s)
                    ON CONFLICT (tenant_id, run_id) DO UPDATE SET claimed = EXCLUDED.claimed, by_state = EXCLUDED.by_state
                    """, [.init(runId), .intArray(perTenant.map(\.tenantId)), .intArray(perTenant.map(\.claimed)),
                          .textArray(perTenant.map(\.byStateJSON))])
            }
        }
    }

    /// How much work is due now (for the progress bar's total).
    public static func countDue(_ session: PostgresSession, tenantIds: [Int64]?, now: Timestamp) throws -> Int {
        try session.query("""
            SELECT count(*) FROM inspections
             WHERE ($1::bigint[] IS NULL OR tenant_id = ANY($1::bigint[]))
               AND ((next_attempt_at <= $2 AND state IN ('pending', 'submitting')) OR (next_poll_at <= $2 AND state = 'in_review'))
            """, [tenantIds.map { PostgresBind.intArray($0) } ?? .null, .text(now.description)])[0].requireInt(0)
    }
}
