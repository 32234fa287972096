import NianjianDomain
import NianjianPostgres

/// The runner's write-back: a batch of outcomes in one transaction, fenced by lease tokens.
extension InspectionQueries {
    /// Writes a batch of outcomes (one transaction): each inspection's new state, its event, and for approvals
    /// the service renewal. A row whose lease token or state no longer matches (its lease expired and another
    /// runner took it) is left alone: fencing. Returns the keys that were written (a retried batch that had
    /// committed reports its rows as written). `combined`: one statement; `perTenant`: one statement per tenant,
    /// each naming its tenant on every table, pipelined in one round trip.
    @discardableResult
    public static func writeBack(_ session: PostgresSession, _ updates: [InspectionUpdate], actor: String,
                                 runId: Int64?, routing: StatementRouting = .combined) throws -> Set<InspectionKey> {
        guard !updates.isEmpty else { return [] }
        // Rows are locked in key order, so concurrent writers cannot deadlock on each other.
        let updates = updates.sorted { $0.key < $1.key }
        let results: [PostgresResult]
        switch routing {
        case .combined:
            results = [try session.query(combinedWriteBackStatement, writeBackBinds(updates, actor: actor, runId: runId))]
        case .perTenant:
            // Sorted by key, so each tenant's updates are one run of the array (and tenants are locked in order).
            let groups = perTenantScope.groups(updates, tenant: \.key.tenantId)
            // A generic plan: with a few rows per tenant the planner preferred a custom plan every time (its
            // estimate for an unnest of a parameter is ten rows, above the few it saw), and planning this
            // statement cost more than running it: 1.7 ms a call, 55 s of a 300-tenant bench.
            results = try session.pipeline(groups.map { group in
                PipelineStatement(perTenantWriteBackStatement,
                                  writeBackBinds(group, actor: actor, runId: runId) + perTenantScope.bind(group.first?.key.tenantId))
            }, localSettings: [("plan_cache_mode", "force_generic_plan")])
        }
        var written = Set<InspectionKey>()
        for result in results {
            for index in 0..<result.rowCount {
                written.insert(InspectionKey(tenantId: try result[index].requireInt64(0), id: try result[index].requireInt64(1)))
            }
        }
        return written
    }

    static let combinedWriteBackStatement = writeBackStatement(TenantScope(.combined, parameter: 32))
    /// $32: the one tenant every row of the batch belongs to, named on every table the statement touches.
    static let perTenantScope = TenantScope(.perTenant, parameter: 32)
    static let perTenantWriteBackStatement = writeBackStatement(perTenantScope)

    private static func writeBackStatement(_ scope: TenantScope) -> String {
        """
            WITH input AS (
                SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::int[], $7::int[],
                                     $8::text[], $9::text[], $10::timestamptz[], $11::timestamptz[], $12::jsonb[], $13::text[],
                                     $14::text[], $15::bool[], $16::text[], $17::jsonb[], $18::timestamptz[], $19::bool[],
                                     $20::bool[], $23::text[], $24::timestamptz[])
                    AS u(tenant_id, id, lease_token, from_state, to_state, attempts, generation, idempotency_key, ticket,
                         next_attempt_at, next_poll_at, findings, rejection_reason, last_error, release, event_kind, detail,
                         business_at, mark_submitted, mark_decided, event_from, submitted_at)
            ),
            -- Fencing: only rows whose lease still carries the token they were claimed with. The lease rows are
            -- locked first (in key order), so neither the rescuer nor a heartbeat changes them under this write.
            -- `held` carries the input's columns on: later steps join it, never `input` again (the planner
            -- cannot size an unnest and would loop over it per row).
            held AS (
                SELECT u.* FROM input u
                  JOIN inspection_leases l ON l.tenant_id = u.tenant_id\(scope.filter("l")) AND l.inspection_id = u.id
                                          AND l.token = u.lease_token
                 ORDER BY u.tenant_id, u.id
                   FOR UPDATE OF l
            ),
            updated AS (
                UPDATE inspections i SET
                    state = u.to_state, attempts = u.attempts, generation = u.generation,
                    idempotency_key = u.idempotency_key, console_ticket = u.ticket,
                    -- A submission keeps the due time it was claimed at: the due index does not change, so
                    -- `pending` → `submitting` is a HOT update (migration 0008), and it is due again when unleased.
                    next_attempt_at = CASE WHEN u.to_state = 'submitting' THEN COALESCE(i.next_attempt_at, u.business_at)
                                           ELSE u.next_attempt_at END,
                    next_poll_at = u.next_poll_at,
                    findings = COALESCE(u.findings, i.findings), rejection_reason = u.rejection_reason,
                    last_error = u.last_error,
                    submitted_at = CASE WHEN u.mark_submitted THEN COALESCE(u.submitted_at, u.business_at) ELSE i.submitted_at END,
                    decided_at = CASE WHEN u.mark_decided THEN u.business_at ELSE i.decided_at END,
                    renewed_until = CASE WHEN u.to_state = 'approved'
                                         THEN (i.due_on + make_interval(months => s.term_months))::date
                                         ELSE i.renewed_until END,
                    renewal_amount = CASE WHEN u.to_state = 'approved' THEN s.renewal_amount ELSE i.renewal_amount END,
                    updated_at = now()
                  -- The service's term and amount only for approvals (OFFSET 0 keeps the test a gate before the probes).
                  FROM held u LEFT JOIN LATERAL (
                      SELECT s.term_months, s.renewal_amount FROM services s
                       WHERE u.to_state = 'approved' AND s.tenant_id = u.tenant_id\(scope.filter("s"))
                         AND s.id = (SELECT x.service_id FROM inspections x WHERE x.tenant_id = u.tenant_id\(scope.filter("x")) AND x.id = u.id)
                      OFFSET 0) s ON true
                 WHERE i.tenant_id = u.tenant_id\(scope.filter("i")) AND i.id = u.id AND i.state = u.from_state
                RETURNING i.tenant_id, i.id, i.service_id, i.state, i.due_on, i.renewed_until, i.renewal_amount,
                          u.release, u.business_at, u.event_kind, u.event_from, u.detail
            ),
            released AS (
                DELETE FROM inspection_leases l USING updated d
                 WHERE d.release AND l.tenant_id = d.tenant_id\(scope.filter("l")) AND l.inspection_id = d.id
            ),
            -- The events of transitions folded into this write come first: Append runs its parts in order, so
            -- their ids are lower than the last transition's.
            events AS (
                INSERT INTO inspection_events (tenant_id, inspection_id, business_at, actor, kind, from_state, to_state, detail, run_id)
                SELECT \(scope.value("e")), e.id, e.business_at, $21::text, e.kind, e.from_state, e.to_state, e.detail, $22::bigint
                  FROM unnest($25::bigint[], $26::bigint[], $27::text[], $28::text[], $29::text[], $30::jsonb[], $31::timestamptz[])
                       AS e(tenant_id, id, kind, from_state, to_state, detail, business_at)
                 WHERE (e.tenant_id, e.id) IN (SELECT d.tenant_id, d.id FROM updated d)
                UNION ALL
                SELECT \(scope.value("d")), d.id, d.business_at, $21::text, d.event_kind, d.event_from, d.state, d.detail, $22::bigint FROM updated d
            ),
            renewals AS (
                INSERT INTO service_renewals (tenant_id, inspection_id, service_id, previous_until, renewed_until, amount)
                SELECT \(scope.value("d")), d.id, d.service_id, d.due_on, d.renewed_until, d.renewal_amount
                  FROM updated d WHERE d.state = 'approved'
                ON CONFLICT DO NOTHING
                RETURNING tenant_id, service_id, renewed_until
            ),
            renewed AS (
                UPDATE services s SET expires_on = GREATEST(s.expires_on, r.renewed_until),
                                      renewed_count = s.renewed_count + 1, updated_at = now()
                  FROM renewals r WHERE s.tenant_id = r.tenant_id\(scope.filter("s")) AND s.id = r.service_id
            )
            SELECT tenant_id, id FROM updated
            UNION ALL
            -- A retry of a batch whose COMMIT succeeded but whose answer was lost: rows already in their new state
            -- (lease kept with our token, or given back) count as written, without a second event.
            -- Only rows this statement did not write are looked up (a hashed NOT IN: on a first try it finds every
            -- row written and nothing is probed), each by its primary key (LIMIT keeps the lookup a probe: a hash
            -- join here read the whole table on every write-back).
            SELECT u.tenant_id, u.id FROM input u
              CROSS JOIN LATERAL (SELECT 1 FROM inspections i WHERE i.tenant_id = u.tenant_id\(scope.filter("i")) AND i.id = u.id
                                     AND i.state = u.to_state LIMIT 1) already
             WHERE u.from_state <> u.to_state
               AND (u.tenant_id, u.id) NOT IN (SELECT d.tenant_id, d.id FROM updated d)
               -- Given back: our lease is gone (the row may already be leased again, by the next claim of the
               -- poll it is due for). Kept: our lease is still there.
               AND CASE WHEN u.release
                        THEN NOT EXISTS (SELECT 1 FROM inspection_leases l WHERE l.tenant_id = u.tenant_id\(scope.filter("l")) AND l.inspection_id = u.id
                                            AND l.token = u.lease_token)
                        ELSE EXISTS (SELECT 1 FROM inspection_leases l WHERE l.tenant_id = u.tenant_id\(scope.filter("l")) AND l.inspection_id = u.id
                                        AND l.token = u.lease_token) END
            """
    }

    private static func writeBackBinds(_ updates: [InspectionUpdate], actor: String, runId: Int64?) -> [PostgresBind] {
        let earlier = updates.flatMap { update in update.earlierEvents.map { (key: update.key, event: $0) } }
        return [
            .intArray(updates.map(\.key.tenantId)), .intArray(updates.map(\.key.id)), .intArray(updates.map(\.leaseToken)),
            .textArray(updates.map(\.from.rawValue)), .textArray(updates.map(\.to.rawValue)),
            .intArray(updates.map(\.attempts)), .intArray(updates.map(\.generation)),
            .textArray(updates.map(\.idempotencyKey)), .textArray(updates.map(\.ticket)),
            .textArray(updates.map { $0.nextAttemptAt?.description }), .textArray(updates.map { $0.nextPollAt?.description }),
            .textArray(updates.map(\.findingsJSON)), .textArray(updates.map { $0.rejectionReason?.rawValue }),
            .textArray(updates.map(\.lastError)), .textArray(updates.map { $0.releaseLease ? "t" : "f" }),
            .textArray(updates.map(\.eventKind)), .textArray(updates.map(\.eventDetailJSON)),
            .textArray(updates.map(\.businessAt.description)), .textArray(updates.map { $0.markSubmitted ? "t" : "f" }),
            .textArray(updates.map { $0.markDecided ? "t" : "f" }), .text(actor), PostgresBind(runId),
            .textArray(updates.map(\.eventFrom.rawValue)), .textArray(updates.map { $0.submittedAt?.description }),
            .intArray(earlier.map(\.key.tenantId)), .intArray(earlier.map(\.key.id)), .textArray(earlier.map(\.event.kind)),
            .textArray(earlier.map(\.event.from.rawValue)), .textArray(earlier.map(\.event.to.rawValue)),
            .textArray(earlier.map(\.event.detailJSON)), .textArray(earlier.map(\.event.businessAt.description)),
        ]
    }
}
