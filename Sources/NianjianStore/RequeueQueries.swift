import NianjianDomain
import NianjianPostgres

/// Which inspections a requeue selects. nil fields do not filter.
public struct RequeueFilter: Sendable, Hashable {
    /// Only these states (the caller keeps them to needs_materials, rejected, failed).
    public var states: [InspectionState]
    /// Matches the rejection reason or a finding's code.
    public var reasonCode: String?
    public var companyRef: String?
    public var serviceRef: String?
    public var inspectionIds: [Int64]?

    public init(states: [InspectionState], reasonCode: String? = nil, companyRef: String? = nil, serviceRef: String? = nil,
                inspectionIds: [Int64]? = nil) {
        self.states = states; self.reasonCode = reasonCode; self.companyRef = companyRef; self.serviceRef = serviceRef
        self.inspectionIds = inspectionIds
    }
}

/// An inspection a requeue selected, as it was before.
public struct RequeueCandidate: Sendable, Hashable {
    public var id: Int64
    public var cycle: Int
    public var companyRef: String
    public var serviceRef: String
    public var state: InspectionState
    public var attempts: Int
    public var generation: Int
    public var idempotencyKey: String?
    public var ticket: String?
    public var rejectionReason: RejectionReason?
    public var lastError: String?
    /// Codes of the stored findings.
    public var findingCodes: [String]
}

/// One requeue to write: the inspection's new snapshot and its event.
public struct RequeueWrite: Sendable, Hashable {
    public var id: Int64
    public var from: InspectionState
    public var snapshot: InspectionSnapshot
    public var eventDetailJSON: String

    public init(id: Int64, from: InspectionState, snapshot: InspectionSnapshot, eventDetailJSON: String) {
        self.id = id; self.from = from; self.snapshot = snapshot; self.eventDetailJSON = eventDetailJSON
    }
}

/// Re-queueing: run inside `asTenant(tenantId)`.
public enum RequeueQueries {
    /// The matching inspections that no runner holds, locked until the transaction ends (`lock`), ordered by
    /// company and service.
    public static func selectRequeueCandidates(_ session: PostgresSession, _ filter: RequeueFilter,
                                               lock: Bool) throws -> [RequeueCandidate] {
        let ids: PostgresBind = filter.inspectionIds.map { PostgresBind.intArray($0) } ?? .null
        let result = try session.query("""
            SELECT i.id, i.cycle, c.company_ref, s.service_ref, i.state, i.attempts, i.generation, i.idempotency_key,
                   i.console_ticket, i.rejection_reason, i.last_error,
                   ARRAY(SELECT f->>'code' FROM jsonb_array_elements(CASE WHEN jsonb_typeof(i.findings) = 'array'
                                                                       THEN i.findings ELSE '[]'::jsonb END) f)
              FROM inspections i
              JOIN companies c ON c.tenant_id = i.tenant_id AND c.id = i.company_id
              JOIN services s ON s.tenant_id = i.tenant_id AND s.id = i.service_id
             WHERE i.state = ANY($1::text[])
               AND NOT EXISTS (SELECT 1 FROM inspection_leases l WHERE l.tenant_id = i.tenant_id AND l.inspection_id = i.id)
               AND ($2::text IS NULL OR i.rejection_reason = $2
                    OR (jsonb_typeof(i.findings) = 'array'
                        AND EXISTS (SELECT 1 FROM jsonb_array_elements(i.findings) f WHERE f->>'code' = $2)))
               AND ($3::text IS NULL OR c.company_ref = $3)
               AND ($4::bigint[] IS NULL OR i.id = ANY($4::bigint[]))
               AND ($5::text IS NULL OR s.service_ref = $5)
             ORDER BY c.company_ref, s.service_ref, i.id
            \(lock ? "FOR UPDATE OF i SKIP LOCKED" : "")
            """, [.textArray(filter.states.map(\.rawValue)), .init(filter.reasonCode), .init(filter.companyRef), ids,
                  .init(filter.serviceRef)])
        return try result.rows.map { row in
            guard let state = InspectionState(rawValue: try row.requireString(4)) else {
                throw PostgresError(kind: .decoding, message: "unknown inspection state")
            }
            return RequeueCandidate(
                id: try row.requireInt64(0), cycle: try row.requireInt(1), companyRef: try row.requireString(2),
                serviceRef: try row.requireString(3), state: state, attempts: try row.requireInt(5),
                generation: try row.requireInt(6), idempotencyKey: row.string(7), ticket: row.string(8),
                rejectionReason: row.string(9).flatMap(RejectionReason.init(rawValue:)), lastError: row.string(10),
                findingCodes: (try row.textArray(11) ?? []).compactMap { $0 })
        }
    }

    /// What a requeue names, as the tenant sees it: whether the company exists, whether the service exists
    /// and whose it is, and whether any inspection carries the reason (as rejection reason or finding code).
    public static func selectNamedRefs(_ session: PostgresSession, companyRef: String?, serviceRef: String?,
                                       reasonCode: String?) throws -> (company: Bool, serviceOwner: String?, reasonSeen: Bool) {
        let row = try session.query("""
            SELECT EXISTS (SELECT 1 FROM companies WHERE company_ref = $1),
                   (SELECT c.company_ref FROM services s JOIN companies c ON c.tenant_id = s.tenant_id AND c.id = s.company_id
                     WHERE s.service_ref = $2),
                   $3::text IS NOT NULL AND EXISTS (
                       SELECT 1 FROM inspections i WHERE i.rejection_reason = $3
                          OR (jsonb_typeof(i.findings) = 'array'
                              AND EXISTS (SELECT 1 FROM jsonb_array_elements(i.findings) f WHERE f->>'code' = $3)))
            """, [.init(companyRef), .init(serviceRef), .init(reasonCode)])[0]
        return (try row.bool(0) ?? false, row.string(1), try row.bool(2) ?? false)
    }

    /// Writes the requeues and their `requeued` events in one statement. A row whose state changed meanwhile
    /// (or that a runner leased) is left alone. Returns the ids written.
    @discardableResult
    public static func writeRequeues(_ session: PostgresSession, tenantId: Int64, _ writes: [RequeueWrite],
                                     nextAttemptAt: Timestamp, actor: String) throws -> Set<Int64> {
        guard !writes.isEmpty else { return [] }
        let result = try session.query("""
            WITH input AS (
                SELECT * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::int[], $6::int[], $7::text[], $8::text[],
                                     $9::text[], $10::text[], $11::jsonb[])
                    AS u(id, from_state, to_state, attempts, generation, idempotency_key, ticket, rejection_reason,
                         last_error, detail)
            ),
            updated AS (
                UPDATE inspections i SET
                    state = u.to_state, attempts = u.attempts, generation = u.generation,
                    idempotency_key = u.idempotency_key, console_ticket = u.ticket,
                    rejection_reason = u.rejection_reason, last_error = u.last_error,
                    next_attempt_at = $12::timestamptz, next_poll_at = NULL, updated_at = now()
                  FROM input u
                 WHERE i.tenant_id = $1::bigint AND i.id = u.id AND i.state = u.from_state
                   AND NOT EXISTS (SELECT 1 FROM inspection_leases l WHERE l.tenant_id = i.tenant_id AND l.inspection_id = i.id)
                RETURNING i.id
            ),
            events AS (
                INSERT INTO inspection_events (tenant_id, inspection_id, business_at, actor, kind, from_state, to_state, detail)
                SELECT $1::bigint, u.id, $12::timestamptz, $13, 'requeued', u.from_state, u.to_state, u.detail
                  FROM updated d JOIN input u ON u.id = d.id
            )
            SELECT id FROM updated
            """, [.init(tenantId), .intArray(writes.map(\.id)), .textArray(writes.map(\.from.rawValue)),
                  .textArray(writes.map(\.snapshot.state.rawValue)), .intArray(writes.map(\.snapshot.attempts)),
                  .intArray(writes.map(\.snapshot.generation)), .textArray(writes.map(\.snapshot.idempotencyKey)),
                  .textArray(writes.map(\.snapshot.ticket)), .textArray(writes.map { $0.snapshot.rejectionReason?.rawValue }),
                  .textArray(writes.map(\.snapshot.lastError)), .textArray(writes.map(\.eventDetailJSON)),
                  .text(nextAttemptAt.description), .text(actor)])
        var written = Set<Int64>()
        for row in result.rows { written.insert(try row.requireInt64(0)) }
        return written
    }
}
