import NianjianPostgres

/// The demo's reset: removes every row of the named tenants so `nianjian demo` can run again from scratch.
/// Platform level (run as the owner): it deletes across tables, children first, in one transaction.
public enum DemoQueries {
    /// Deletes the tenants with these slugs and everything they own, children before parents; runs that
    /// worked only for them go too, and the mock console's memory of their submissions. Returns how many
    /// tenants were removed (0 when none existed).
    @discardableResult
    public static func deleteTenants(_ session: PostgresSession, slugs: [String]) throws -> Int {
        guard !slugs.isEmpty else { return 0 }
        return try session.transaction {
            let found = try session.query("SELECT id FROM tenants WHERE slug = ANY($1::text[]) ORDER BY id FOR UPDATE",
                                          [.textArray(slugs)])
            let ids = try found.rows.map { try $0.requireInt64(0) }
            guard !ids.isEmpty else { return 0 }
            let binds: [PostgresBind] = [.intArray(ids)]
            for table in ["inspection_events", "service_renewals", "inspections", "materials", "services", "contracts",
                          "companies", "import_batches"] {
                _ = try session.query("DELETE FROM \(table) WHERE tenant_id = ANY($1::bigint[])", binds)
            }
            // Runs that worked for these tenants only (a run that also served another tenant is kept).
            _ = try session.query("""
                WITH demo_runs AS (
                    SELECT DISTINCT run_id FROM run_tenants WHERE tenant_id = ANY($1::bigint[])
                )
                DELETE FROM runs r
                 USING demo_runs d
                 WHERE r.id = d.run_id
                   AND NOT EXISTS (SELECT 1 FROM run_tenants o WHERE o.run_id = r.id AND NOT (o.tenant_id = ANY($1::bigint[])))
                """, binds)
            _ = try session.query("DELETE FROM run_tenants WHERE tenant_id = ANY($1::bigint[])", binds)
            _ = try session.query("DELETE FROM tenants WHERE id = ANY($1::bigint[])", binds)
            return ids.count
        }
    }

    /// Console answers the runner retried during a run: transient errors and throttling answers.
    public static func retries(_ session: PostgresSession, runId: Int64) throws -> Int {
        try session.query("""
            SELECT count(*) FROM inspection_events WHERE run_id = $1 AND kind IN ('transient_error', 'throttled')
            """, [.init(runId)])[0].requireInt(0)
    }
}
