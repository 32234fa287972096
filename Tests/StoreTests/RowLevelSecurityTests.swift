import Foundation
import NianjianDomain
import NianjianPostgres
import NianjianStore
import NianjianTestSupport
import Testing

@Suite("row-level security")
struct RowLevelSecurityTests {
    @Test func tenantScopedSessionSeesAndChangesOnlyItsRows() async throws {
        let database = try TestDatabase.fresh()
        defer { database.drop() }
        let db = database.open()
        defer { db.close() }
        let (a, b) = try await db.run { session -> (Int64, Int64) in
            let a = try session.query("INSERT INTO tenants (slug, name) VALUES ('agency-a', 'A') RETURNING id")[0].requireInt64(0)
            let b = try session.query("INSERT INTO tenants (slug, name) VALUES ('agency-b', 'B') RETURNING id")[0].requireInt64(0)
            for (tenant, prefix) in [(a, "A"), (b, "B")] {
                try session.query("INSERT INTO companies (tenant_id, company_ref, name, legal_representative) VALUES ($1, $2, $3, '张三')",
                                  [.init(tenant), .text("\(prefix)1"), .text("公司\(prefix)")])
            }
            return (a, b)
        }
        let seen = try await db.run { session in
            try session.asTenant(a) { try session.query("SELECT company_ref FROM companies ORDER BY 1").rows.compactMap { $0.string(0) } }
        }
        #expect(seen == ["A1"])
        // Explicitly asking for B's rows finds nothing; updating or deleting them changes nothing.
        let (selected, updated, deleted) = try await db.run { session in
            try session.asTenant(a) {
                (try session.query("SELECT count(*) FROM companies WHERE tenant_id = $1", [.init(b)])[0].requireInt(0),
                 try session.query("UPDATE companies SET name = 'hacked' WHERE tenant_id = $1", [.init(b)]).affectedRows,
                 try session.query("DELETE FROM companies WHERE tenant_id = $1", [.init(b)]).affectedRows)
            }
        }
        #expect(selected == 0 && updated == 0 && deleted == 0)
        // Writing a row for B is refused by the policy's check.
        await #expect {
            try await db.run { session in
                try session.asTenant(a) {
                    try session.query("INSERT INTO companies (tenant_id, company_ref, name, legal_representative) VALUES ($1, 'X', 'x', 'x')", [.init(b)])
                }
            }
        } throws: { ($0 as? PostgresError)?.sqlState == "42501" }
        // The tenant role cannot switch row-level security off. (The session user could SET ROLE back; no
        // user input ever reaches SQL text, every value is bound, so no statement can ask it to.)
        for attempt in ["ALTER TABLE companies DISABLE ROW LEVEL SECURITY", "SET LOCAL row_security = off; SELECT * FROM companies",
                        "ALTER TABLE companies NO FORCE ROW LEVEL SECURITY", "DROP POLICY tenant_isolation ON companies"] {
            await #expect(throws: PostgresError.self, "\(attempt)") {
                try await db.run { session in try session.asTenant(a) { try session.executeScript(attempt) } }
            }
        }
        let bName = try await db.run { try $0.query("SELECT name FROM companies WHERE tenant_id = $1", [.init(b)])[0].string(0) }
        #expect(bName == "公司B")
    }

    // MARK: - Every tenant-owned table

    /// Every table of the schema with a tenant_id column (tenant-owned by DESIGN.md), read from the catalog.
    static func tenantOwnedTables(_ session: PostgresSession) throws -> [String] {
        try session.query("""
            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
               AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
             ORDER BY 1
            """).rows.map { try $0.requireString(0) }
    }

    /// The tables DESIGN.md names as tenant-owned today: the catalog query must find at least these (a query
    /// that found nothing would make every check below pass).
    /// Tables that name a tenant but belong to the platform (web console users and bearer tokens): the
    /// tenant role has no privilege on them at all, and row-level security with no policy denies it too.
    static let platformOnly: Set<String> = ["api_tokens", "web_users"]

    static let knownTenantOwned = ["cloud_accounts", "companies", "contracts", "import_batches", "inspection_events", "inspection_leases", "inspections", "materials",
                                   "run_tenants", "service_renewals", "services"]

    /// The catalog: every tenant-owned table (and `tenants` itself) has row-level security enabled, with a
    /// policy scoped by `nianjian.tenant_id`; the tenant role cannot bypass it (no BYPASSRLS, not a superuser,
    /// owns no table); a table the tenant role may write has a policy that checks new rows too.
    @Test func everyTenantOwnedTableHasRowLevelSecurityAndAPolicy() async throws {
        let database = try TestDatabase.fresh()
        defer { database.drop() }
        let db = database.open()
        defer { db.close() }
        let tables = try await db.run { try Self.tenantOwnedTables($0) }
        #expect(Set(Self.knownTenantOwned).isSubset(of: Set(tables)), "tenant-owned tables found: \(tables)")
        struct Row: Sendable { var table: String; var rls: Bool; var policies: Int; var scoped: Int; var checks: Int; var writable: Bool; var owner: String }
        let rows = try await db.run { session in
            try session.query("""
                SELECT c.relname, c.relrowsecurity,
                       (SELECT count(*) FROM pg_policies p WHERE p.schemaname = 'public' AND p.tablename = c.relname),
                       (SELECT count(*) FROM pg_policies p WHERE p.schemaname = 'public' AND p.tablename = c.relname
                           AND p.qual LIKE '%nianjian.tenant_id%' AND ('public' = ANY (p.roles) OR 'nianjian_tenant' = ANY (p.roles))),
                       (SELECT count(*) FROM pg_policies p WHERE p.schemaname = 'public' AND p.tablename = c.relname
                           AND coalesce(p.with_check, p.qual) LIKE '%nianjian.tenant_id%' AND p.cmd IN ('ALL', 'INSERT')),
                       has_table_privilege('nianjian_tenant', c.oid, 'INSERT') OR has_table_privilege('nianjian_tenant', c.oid, 'UPDATE'),
                       pg_get_userbyid(c.relowner)
                  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = 'public' AND c.relname = ANY ($1::text[])
                 ORDER BY 1
                """, [.text("{" + (tables + ["tenants"]).joined(separator: ",") + "}")]).rows.map { row in
                Row(table: try row.requireString(0), rls: try row.bool(1) ?? false, policies: try row.requireInt(2), scoped: try row.requireInt(3),
                    checks: try row.requireInt(4), writable: try row.bool(5) ?? true, owner: try row.requireString(6))
            }
        }
        #expect(rows.count == tables.count + 1)
        for row in rows where Self.platformOnly.contains(row.table) {
            #expect(row.rls, "\(row.table): row-level security is not enabled")
            let anyPrivilege = try await db.run { session in
                try session.query("""
                    SELECT has_table_privilege('nianjian_tenant', $1::text, 'SELECT') OR has_table_privilege('nianjian_tenant', $1::text, 'INSERT')
                        OR has_table_privilege('nianjian_tenant', $1::text, 'UPDATE') OR has_table_privilege('nianjian_tenant', $1::text, 'DELETE')
                    """, [.text(row.table)])[0].bool(0) ?? true
            }
            #expect(!anyPrivilege, "\(row.table): platform-only, yet the tenant role has a privilege on it")
        }
        for row in rows where !Self.platformOnly.contains(row.table) {
            #expect(row.rls, "\(row.table): row-level security is not enabled")
            #expect(row.policies > 0, "\(row.table): no policy")
            #expect(row.scoped > 0, "\(row.table): no policy scoped by nianjian.tenant_id for the tenant role")
            if row.writable { #expect(row.checks > 0, "\(row.table): the tenant role may write it, but no policy checks new rows") }
            #expect(row.owner != "nianjian_tenant", "\(row.table): owned by the tenant role, which then bypasses its policies")
        }
        let role = try await db.run { session in
            try session.query("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = 'nianjian_tenant'").rows.map {
                (try $0.bool(0) ?? true, try $0.bool(1) ?? true)
            }
        }
        #expect(role.count == 1 && role.first?.0 == false && role.first?.1 == false, "nianjian_tenant: \(role)")
    }

    /// For every tenant-owned table: a session scoped to tenant A (`asTenant`, as every `--tenant` command
    /// runs) sees exactly A's rows; selecting, updating and deleting B's rows finds nothing; inserting a row
    /// for B, or moving one of A's rows to B, is refused (by the policy where the role may write, by the
    /// missing privilege elsewhere). B's rows are unchanged at the end.
    @Test func noTenantOwnedTableCanBeReadOrWrittenAcrossTenants() async throws {
        let database = try TestDatabase.fresh()
        defer { database.drop() }
        let db = database.open()
        defer { db.close() }
        let ids = try Scenario.load(db, tenants: [.init(slug: "rls-a", companies: 3), .init(slug: "rls-b", companies: 2)])
        let a = try #require(ids["rls-a"]), b = try #require(ids["rls-b"])
        // Rows for the tables the load does not fill: an event, a renewal, a lease, a run, an import batch per tenant.
        try db.runBlocking { session in
            let run = try session.query("INSERT INTO runs (runner_id, job_name, as_of) VALUES ('rls', 'rls', '2026-12-01') RETURNING id")[0].requireInt64(0)
            for tenant in [a, b] {
                try session.query("""
                    INSERT INTO inspection_events (tenant_id, inspection_id, actor, kind, from_state, to_state)
                    SELECT tenant_id, id, 'test', 'planned', NULL, 'pending' FROM inspections WHERE tenant_id = $1
                    """, [.init(tenant)])
                try session.query("""
                    INSERT INTO service_renewals (tenant_id, inspection_id, service_id, previous_until, renewed_until, amount)
                    SELECT tenant_id, id, service_id, due_on, due_on + 365, 1.00 FROM inspections WHERE tenant_id = $1
                    """, [.init(tenant)])
                try session.query("""
                    INSERT INTO inspection_leases (tenant_id, inspection_id, owner, token, expires_at)
                    SELECT tenant_id, id, 'rls', 1, now() + interval '1 hour' FROM inspections WHERE tenant_id = $1
                    """, [.init(tenant)])
                try session.query("INSERT INTO run_tenants (tenant_id, run_id) VALUES ($1, $2)", [.init(tenant), .init(run)])
                try session.query("INSERT INTO import_batches (tenant_id, source, summary) VALUES ($1, 'rls', '{}')", [.init(tenant)])
                try session.query("INSERT INTO web_audit (tenant_id, actor, action) VALUES ($1, 'web:rls@example.com', 'login')", [.init(tenant)])
                try session.query("""
                    INSERT INTO cloud_accounts (tenant_id, company_id, access_key_id, secret_sealed)
                    SELECT tenant_id, id, 'LTAI5tRls', decode(repeat('ab', 40), 'hex') FROM companies WHERE tenant_id = $1
                    """, [.init(tenant)])
            }
        }
        let tables = try await db.run { try Self.tenantOwnedTables($0) }
        #expect(Set(Self.knownTenantOwned).isSubset(of: Set(tables)))

        /// Row counts per tenant, as the owner sees them (a fingerprint of B's rows too).
        func owned(_ table: String, _ tenant: Int64) throws -> (count: Int, digest: String) {
            try db.runBlocking { session in
                let row = try session.query("SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM \(table) t WHERE tenant_id = $1",
                                            [.init(tenant)])[0]
                return (try row.requireInt(0), try row.requireString(1))
            }
        }
        /// One statement as tenant A, in its own transaction.
        func asA(_ sql: String, _ binds: [PostgresBind]) -> Result<PostgresResult, PostgresError> {
            do {
                return .success(try db.runBlocking { session in try session.asTenant(a) { try session.query(sql, binds) } })
            } catch let error as PostgresError {
                return .failure(error)
            } catch {
                return .failure(PostgresError(kind: .server, message: "\(error)"))
            }
        }
        func refused(_ result: Result<PostgresResult, PostgresError>) -> PostgresError? {
            if case .failure(let error) = result { return error }
            return nil
        }

        var probed: [String] = []
        for table in tables where !Self.platformOnly.contains(table) {
            let ownA = try owned(table, a), ownB = try owned(table, b)
            // Both tenants have rows here, or the probes below would prove nothing.
            #expect(ownA.count > 0 && ownB.count > 0, "\(table): A has \(ownA.count) rows, B \(ownB.count)")
            let privileges = try db.runBlocking { session in
                try session.query("""
                    SELECT has_table_privilege('nianjian_tenant', $1::text, 'INSERT'), has_table_privilege('nianjian_tenant', $1::text, 'UPDATE'),
                           has_table_privilege('nianjian_tenant', $1::text, 'DELETE'),
                           EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = $1::text::regclass AND attidentity = 'a')
                    """, [.text(table)]).rows.map { (try $0.bool(0) ?? false, try $0.bool(1) ?? false, try $0.bool(2) ?? false, try $0.bool(3) ?? false) }[0]
            }
            let (canInsert, canUpdate, canDelete, hasIdentity) = privileges

            // SELECT: only A's rows, whatever the WHERE clause asks for.
            switch asA("SELECT count(*) FILTER (WHERE tenant_id = $1), count(*) FILTER (WHERE tenant_id <> $2), count(*) FROM \(table)", [.init(b), .init(a)]) {
            case .success(let result):
                let (ofB, ofOthers, all) = (try result[0].requireInt(0), try result[0].requireInt(1), try result[0].requireInt(2))
                #expect(ofB == 0, "\(table): A sees B's rows")
                #expect(ofOthers == 0, "\(table): A sees rows of other tenants")
                #expect(all == ownA.count, "\(table): A sees \(all) rows, owns \(ownA.count)")
            case .failure(let error):
                Issue.record("\(table): tenant A cannot read its own table: \(error)")
            }

            // UPDATE of B's rows: nothing found (or no privilege at all).
            let update = asA("UPDATE \(table) SET tenant_id = tenant_id WHERE tenant_id = $1", [.init(b)])
            if canUpdate {
                #expect((try? update.get().affectedRows) == 0, "\(table): A updated B's rows: \(update)")
                // The same statement on A's own rows does reach them: the zero above is the policy's doing.
                if table != "inspection_events" {
                    let own = asA("UPDATE \(table) SET tenant_id = tenant_id WHERE tenant_id = $1", [.init(a)])
                    #expect((try? own.get().affectedRows) == ownA.count, "\(table): A cannot update its own rows: \(own)")
                }
                // Moving one of A's rows to B is refused by the policy's check.
                let move = refused(asA("UPDATE \(table) SET tenant_id = $1 WHERE tenant_id = $2", [.init(b), .init(a)]))
                #expect(move?.sqlState == "42501" && move?.message.contains("row-level security") == true,
                        "\(table): moving A's row to B was not refused by the policy: \(String(describing: move))")
            } else {
                #expect(refused(update)?.sqlState == "42501", "\(table): UPDATE without the privilege: \(update)")
            }

            // DELETE of B's rows: nothing found (or no privilege).
            let delete = asA("DELETE FROM \(table) WHERE tenant_id = $1", [.init(b)])
            if canDelete {
                #expect((try? delete.get().affectedRows) == 0, "\(table): A deleted B's rows: \(delete)")
            } else {
                #expect(refused(delete)?.sqlState == "42501", "\(table): DELETE without the privilege: \(delete)")
            }

            // INSERT of a row for B (a copy of one of A's rows with B's tenant_id): refused.
            let insert = asA("""
                INSERT INTO \(table) \(hasIdentity ? "OVERRIDING SYSTEM VALUE" : "")
                SELECT (jsonb_populate_record(NULL::\(table), to_jsonb(x) || jsonb_build_object('tenant_id', $1::bigint))).*
                  FROM \(table) x WHERE tenant_id = $2 LIMIT 1
                """, [.init(b), .init(a)])
            let insertError = refused(insert)
            if canInsert {
                #expect(insertError?.sqlState == "42501" && insertError?.message.contains("row-level security") == true,
                        "\(table): a row for B was not refused by the policy: \(insert)")
            } else {
                #expect(insertError?.sqlState == "42501", "\(table): INSERT without the privilege: \(insert)")
            }

            // B's rows are exactly as they were.
            let afterB = try owned(table, b)
            #expect(afterB.count == ownB.count && afterB.digest == ownB.digest, "\(table): B's rows changed")
            probed.append(table)
        }
        #expect(probed == tables.filter { !Self.platformOnly.contains($0) })

        // The tenants table itself: A sees its own record only.
        switch asA("SELECT count(*), count(*) FILTER (WHERE id = $1) FROM tenants", [.init(b)]) {
        case .success(let result):
            let (all, ofB) = (try result[0].requireInt(0), try result[0].requireInt(1))
            #expect(all == 1 && ofB == 0, "A sees other tenants")
        case .failure(let error):
            Issue.record("tenants: \(error)")
        }
        #expect(refused(asA("UPDATE tenants SET name = 'x' WHERE id = $1", [.init(b)]))?.sqlState == "42501")
        print("row-level security: \(probed.count) tenant-owned tables probed across tenants: \(probed.joined(separator: ", "))")
    }
}
