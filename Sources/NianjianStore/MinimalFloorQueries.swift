import NianjianPostgres

/// The yardstick of issue 11: the least a job lifecycle can cost on this server. A minimal three-table schema
/// (jobs, events, services) in its own schema `bench_minimal` of the bench database, and per batch one
/// transaction: a claim with SKIP LOCKED, two further state updates, three event inserts and the service's
/// renewal. Nothing of the product (tenants, RLS, findings, fencing tokens, reports' indexes) is in it, so
/// `runner ÷ minimal floor` says what the product's own bookkeeping costs.
public enum MinimalFloorQueries {
    /// Creates the schema and `count` due jobs, each on its own service.
    public static func create(_ session: PostgresSession, count: Int, tenants: Int) throws {
        try session.executeScript("""
            DROP SCHEMA IF EXISTS bench_minimal CASCADE;
            CREATE SCHEMA bench_minimal;
            CREATE TABLE bench_minimal.services (
                id bigint PRIMARY KEY, expires_on date NOT NULL, term_months int NOT NULL,
                renewed_count int NOT NULL DEFAULT 0);
            CREATE TABLE bench_minimal.jobs (
                id bigint PRIMARY KEY, tenant_id bigint NOT NULL, service_id bigint NOT NULL, state text NOT NULL,
                run_at timestamptz NOT NULL, lease_owner text, lease_expires_at timestamptz, ticket text);
            CREATE INDEX ON bench_minimal.jobs (run_at, id) WHERE state = 'pending';
            CREATE TABLE bench_minimal.events (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, job_id bigint NOT NULL, kind text NOT NULL,
                at timestamptz NOT NULL DEFAULT now());
            """)
        try session.query("""
            INSERT INTO bench_minimal.services (id, expires_on, term_months)
            SELECT g, date '2026-12-20', 12 FROM generate_series(1, $1::int) g
            """, [.init(count)])
        try session.query("""
            INSERT INTO bench_minimal.jobs (id, tenant_id, service_id, state, run_at)
            SELECT g, g % $2::int, g, 'pending', now() - interval '1 hour' FROM generate_series(1, $1::int) g
            """, [.init(count), .init(max(1, tenants))])
        try session.executeScript("VACUUM ANALYZE bench_minimal.services, bench_minimal.jobs")
        try BenchQueries.checkpoint(session)
    }

    /// One batch of the whole lifecycle in one transaction. Returns how many jobs it carried (0: none left).
    public static func lifecycleBatch(_ session: PostgresSession, owner: String, batchSize: Int) throws -> Int {
        try session.transaction {
            let claimed = try session.query("""
                WITH picked AS (
                    SELECT id FROM bench_minimal.jobs WHERE state = 'pending' AND run_at <= now()
                     ORDER BY run_at, id LIMIT $1 FOR UPDATE SKIP LOCKED
                ),
                claimed AS (
                    UPDATE bench_minimal.jobs j SET state = 'running', lease_owner = $2,
                           lease_expires_at = now() + interval '30 seconds'
                      FROM picked WHERE j.id = picked.id RETURNING j.id
                ),
                events AS (INSERT INTO bench_minimal.events (job_id, kind) SELECT id, 'claimed' FROM claimed)
                SELECT array_agg(id) FROM claimed
                """, [.init(batchSize), .text(owner)])
            guard let ids = claimed[0].string(0) else { return 0 }
            try session.query("""
                WITH submitted AS (
                    UPDATE bench_minimal.jobs SET state = 'in_review', ticket = 'T' || id
                     WHERE id = ANY($1::bigint[]) AND lease_owner = $2 RETURNING id
                )
                INSERT INTO bench_minimal.events (job_id, kind) SELECT id, 'submitted' FROM submitted
                """, [.text(ids), .text(owner)])
            let done = try session.query("""
                WITH approved AS (
                    UPDATE bench_minimal.jobs SET state = 'approved', lease_owner = NULL, lease_expires_at = NULL
                     WHERE id = ANY($1::bigint[]) AND lease_owner = $2 RETURNING id, service_id
                ),
                events AS (INSERT INTO bench_minimal.events (job_id, kind) SELECT id, 'approved' FROM approved),
                renewed AS (
                    UPDATE bench_minimal.services s SET expires_on = (s.expires_on + make_interval(months => s.term_months))::date,
                           renewed_count = s.renewed_count + 1
                      FROM approved a WHERE s.id = a.service_id
                )
                SELECT count(*) FROM approved
                """, [.text(ids), .text(owner)])
            return try done[0].requireInt(0)
        }
    }

    /// Jobs approved with their service renewed exactly once (the floor's figure counts only then).
    public static func verified(_ session: PostgresSession) throws -> Int {
        try session.query("""
            WITH per_job AS (SELECT job_id, count(*) AS n FROM bench_minimal.events GROUP BY job_id)
            SELECT count(*) FROM bench_minimal.jobs j JOIN bench_minimal.services s ON s.id = j.service_id
              JOIN per_job e ON e.job_id = j.id
             WHERE j.state = 'approved' AND s.renewed_count = 1 AND e.n = 3
            """)[0].requireInt(0)
    }

    public static func drop(_ session: PostgresSession) throws {
        try session.executeScript("DROP SCHEMA IF EXISTS bench_minimal CASCADE")
    }
}
