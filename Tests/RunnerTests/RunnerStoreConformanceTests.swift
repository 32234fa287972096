import Foundation
import NianjianDomain
import NianjianPostgres
import NianjianStore
import NianjianTestSupport
import Testing

/// One store under test, with the few reads the conformance suite checks through (River's driver tests).
struct StoreHarness: Sendable {
    let store: any RunnerStore
    let ids: [String: Int64]
    let eventCount: @Sendable (_ kind: String) throws -> Int
    let renewalCount: @Sendable () throws -> Int
    let row: @Sendable (InspectionKey) throws -> RowView
    /// An inspection's events in order, as "kind from>to", without the plan's.
    let events: @Sendable (InspectionKey) throws -> [String]
    /// A run's status, and making its heartbeat older.
    let runStatus: @Sendable (Int64) throws -> String?
    let ageRunHeartbeat: @Sendable (Int64, Double) throws -> Void
    let close: @Sendable () -> Void
}

struct RowView: Equatable, Sendable {
    var state: InspectionState
    var key: String?
    var leased: Bool
}

/// How to build a store with tenants (slug, weight, inspections due now).
struct StoreKind: Sendable, CustomStringConvertible {
    let description: String
    let make: @Sendable (_ tenants: [(slug: String, weight: Int, due: Int)]) throws -> StoreHarness

    static let postgres = postgres(routing: .combined)

    /// PostgreSQL with the claim and write-back split into one statement per tenant (for Citus).
    static let postgresPerTenant = postgres(routing: .perTenant)

    static func postgres(routing: StatementRouting) -> StoreKind { StoreKind(description: "postgres \(routing.rawValue)") { tenants in
        let handle = try TestDatabase.fresh()
        let db = handle.open()
        let ids = try Scenario.load(db, tenants: tenants.map { .init(slug: $0.slug, companies: $0.due, weight: $0.weight) })
        return StoreHarness(
            store: PostgresRunnerStore(db, routing: routing), ids: ids,
            eventCount: { try Scenario.scalar(db, "SELECT count(*) FROM inspection_events WHERE kind = $1", [.text($0)]) },
            renewalCount: { try Scenario.scalar(db, "SELECT count(*) FROM service_renewals") },
            row: { key in
                try db.runBlocking { session in
                    let row = try session.query("""
                        SELECT state, idempotency_key,
                               EXISTS (SELECT 1 FROM inspection_leases l WHERE l.tenant_id = i.tenant_id AND l.inspection_id = i.id)
                          FROM inspections i WHERE tenant_id = $1 AND id = $2
                        """, [.init(key.tenantId), .init(key.id)])[0]
                    guard let state = InspectionState(rawValue: try row.requireString(0)) else {
                        throw PostgresError(kind: .decoding, message: "state")
                    }
                    return RowView(state: state, key: row.string(1), leased: try row.bool(2) ?? false)
                }
            },
            events: { key in
                try db.runBlocking { session in
                    let rows = try session.query("""
                        SELECT kind || ' ' || from_state || '>' || to_state FROM inspection_events
                         WHERE tenant_id = $1 AND inspection_id = $2 AND kind <> 'planned' ORDER BY id
                        """, [.init(key.tenantId), .init(key.id)])
                    return try (0..<rows.rowCount).map { try rows[$0].requireString(0) }
                }
            },
            runStatus: { id in
                try db.runBlocking { try $0.query("SELECT status FROM runs WHERE id = $1", [.init(id)]).rows.first?.string(0) }
            },
            ageRunHeartbeat: { id, seconds in
                try db.runBlocking {
                    _ = try $0.query("UPDATE runs SET heartbeat_at = heartbeat_at - make_interval(secs => $2::double precision) WHERE id = $1",
                                     [.init(id), .init(seconds)])
                }
            },
            close: { db.close(); handle.drop() })
    } }

    static let inMemory = StoreKind(description: "in-memory") { tenants in
        let store = InMemoryRunnerStore()
        var ids: [String: Int64] = [:]
        var next: Int64 = 1
        for (index, tenant) in tenants.enumerated() {
            let tenantId = Int64(index + 1)
            ids[tenant.slug] = tenantId
            store.addTenant(TenantRunSettings(id: tenantId, slug: tenant.slug, weight: tenant.weight, maxConcurrency: nil,
                                              submitRate: nil, pollRate: nil))
            for _ in 0..<tenant.due {
                store.addInspection(.init(tenantId: tenantId, id: next, serviceId: next, companyId: next, dueOn: Scenario.asOf,
                                          nextAttemptAt: Timestamp(chinaDate: Scenario.asOf, hour: 0)))
                next += 1
            }
        }
        return StoreHarness(
            store: store, ids: ids,
            eventCount: { kind in store.events.filter { $0.kind == kind }.count },
            renewalCount: { store.renewals.count },
            row: { key in
                guard let row = store.row(key) else { throw RunnerStoreTestError.missing(key) }
                return RowView(state: row.state, key: row.idempotencyKey, leased: row.leaseOwner != nil)
            },
            events: { key in
                store.events.filter { $0.key == key && $0.kind != "planned" }.map { "\($0.kind) \($0.from.rawValue)>\($0.to.rawValue)" }
            },
            runStatus: { store.runStatus($0) },
            ageRunHeartbeat: { store.ageRunHeartbeat($0, by: $1) },
            close: {})
    }

    static let all: [StoreKind] = [.postgres, .postgresPerTenant, .inMemory]
}

enum RunnerStoreTestError: Error { case missing(InspectionKey) }

extension RunnerStore {
    func call<T: Sendable>(_ body: @escaping @Sendable (any RunnerStoreSession) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            perform(body) { continuation.resume(with: $0) }
        }
    }
}

private let now = Timestamp(chinaDate: Scenario.asOf, hour: 2)

private func request(_ owner: String, batch: Int, lease: Double = 30) -> ClaimRequest {
    ClaimRequest(owner: owner, leaseSeconds: lease, batchSize: batch, now: now, tenantIds: nil)
}

private func update(_ item: ClaimedInspection, to: InspectionState, key: String? = nil, release: Bool = false,
                    kind: String = "validated") -> InspectionUpdate {
    InspectionUpdate(key: item.key, leaseToken: item.leaseToken, from: item.state, to: to, attempts: item.attempts,
                     generation: item.generation, idempotencyKey: key ?? item.idempotencyKey, ticket: nil,
                     nextAttemptAt: nil, nextPollAt: nil, findingsJSON: "[]", rejectionReason: nil, lastError: nil,
                     releaseLease: release, eventKind: kind, eventDetailJSON: "{}", businessAt: now,
                     markSubmitted: to == .submitting, markDecided: to == .approved)
}

/// The runner store's contract, against PostgreSQL and the in-memory twin alike.
@Suite("runner store conformance")
struct RunnerStoreConformanceTests {
    /// SKIP LOCKED: concurrent claimers never get the same row.
    @Test(arguments: StoreKind.all) func concurrentClaimersNeverShareARow(_ kind: StoreKind) async throws {
        let harness = try kind.make([("a", 1, 50), ("b", 1, 50)])
        defer { harness.close() }
        let store = harness.store
        let batches = try await withThrowingTaskGroup(of: [ClaimedInspection].self) { group in
            for claimer in 0..<8 {
                group.addTask { try await store.call { try $0.claim(request("r\(claimer)", batch: 10)) } }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let keys = batches.flatMap { $0.map(\.key) }
        #expect(keys.count == 80)
        #expect(Set(keys).count == keys.count)
        // Everything left is claimed once more, and then nothing is due.
        let rest = try await store.call { try $0.claim(request("r9", batch: 100)) }
        #expect(rest.count == 20 && Set(rest.map(\.key)).isDisjoint(with: keys))
        #expect(try await store.call { try $0.claim(request("r10", batch: 100)) }.isEmpty)
    }

    /// Each tenant with due work gets a share of the batch by weight.
    @Test(arguments: StoreKind.all) func sharesFollowWeights(_ kind: StoreKind) async throws {
        let harness = try kind.make([("heavy", 3, 60), ("light", 1, 60)])
        defer { harness.close() }
        let claimed = try await harness.store.call { try $0.claim(request("r1", batch: 40)) }
        #expect(claimed.filter { $0.tenantId == harness.ids["heavy"] }.count == 30)
        #expect(claimed.filter { $0.tenantId == harness.ids["light"] }.count == 10)
        // One token per claim: every row of it is fenced by the same one.
        #expect(Set(claimed.map(\.leaseToken)).count == 1)
    }

    /// A held lease keeps the row from other claimers; heartbeats extend it; expired leases are rescued with
    /// one event each.
    @Test(arguments: StoreKind.all) func leasesExpireAndAreRescued(_ kind: StoreKind) async throws {
        let harness = try kind.make([("a", 1, 6)])
        defer { harness.close() }
        let store = harness.store
        // r1's leases are long (an hour): however slowly a loaded machine runs this test, only r2's expire.
        let held = try await store.call { try $0.claim(request("r1", batch: 3, lease: 3600)) }
        let expired = try await store.call { try $0.claim(request("r2", batch: 3, lease: -1)) }
        #expect(held.count == 3 && expired.count == 3)
        #expect(try await store.call { try $0.extendLeases(owner: "r1", leaseSeconds: 3600) } == 3)
        let next = try await store.call { try $0.nextDue(tenantIds: nil, owner: "r1") }
        #expect(next.businessDue == nil)
        #expect((next.secondsUntilLeaseExpiry ?? 1) < 0)
        let rescued = try await store.call { try $0.rescueExpiredLeases(businessNow: now, actor: "rescuer:test", leaseSeconds: 30) }
        #expect(rescued == 3)
        #expect(try harness.eventCount("lease_expired") == 3)
        let again = try await store.call { try $0.claim(request("r3", batch: 10)) }
        #expect(Set(again.map(\.key)) == Set(expired.map(\.key)))
        #expect(try await store.call { try $0.releaseLeases(owner: "r1") } == 3)
        #expect(try await store.call { try $0.countDue(tenantIds: nil, now: now) } == 6)
    }

    /// A write with an old token changes nothing; the new holder's write goes through.
    @Test(arguments: StoreKind.all) func oldTokensAreFencedOut(_ kind: StoreKind) async throws {
        let harness = try kind.make([("a", 1, 2)])
        defer { harness.close() }
        let store = harness.store
        let first = try await store.call { try $0.claim(request("r1", batch: 2, lease: -1)) }
        _ = try await store.call { try $0.rescueExpiredLeases(businessNow: now, actor: "rescuer:test", leaseSeconds: 30) }
        let second = try await store.call { try $0.claim(request("r2", batch: 2)) }
        #expect(second.count == 2 && second[0].leaseToken != first[0].leaseToken)
        let stale = first.map { update($0, to: .needsMaterials, release: true) }
        #expect(try await store.call { try $0.writeBack(stale, actor: "r1", runId: nil) }.isEmpty)
        for item in first { #expect(try harness.row(item.key).state == .pending) }
        let fresh = second.map { update($0, to: .needsMaterials, release: true) }
        #expect(try await store.call { try $0.writeBack(fresh, actor: "r2", runId: nil) }.count == 2)
        for item in second { #expect(try harness.row(item.key) == RowView(state: .needsMaterials, key: nil, leased: false)) }
        // Releasing by an old token gives back nothing either.
        #expect(try await store.call { try $0.releaseLeases(first.map { ($0.key, $0.leaseToken) }) } == 0)
    }

    /// The rescuer returns a submission whose runner died; it keeps its idempotency key for the resubmission.
    @Test(arguments: StoreKind.all) func rescuedSubmissionsKeepTheirKey(_ kind: StoreKind) async throws {
        let harness = try kind.make([("a", 1, 1)])
        defer { harness.close() }
        let store = harness.store
        let claimed = try await store.call { try $0.claim(request("r1", batch: 1, lease: -1)) }
        let submitting = claimed.map { update($0, to: .submitting, key: "nj-key-\($0.id)") }
        #expect(try await store.call { try $0.writeBack(submitting, actor: "r1", runId: nil) }.count == 1)
        #expect(try await store.call { try $0.rescueExpiredLeases(businessNow: now, actor: "rescuer:test", leaseSeconds: 30) } == 1)
        let next = try await store.call { try $0.nextDue(tenantIds: nil, owner: "r2") }
        #expect((next.businessDue ?? now) < now)
        let resumed = try await store.call { try $0.claim(request("r2", batch: 1)) }
        #expect(resumed.count == 1)
        #expect(resumed.first?.state == .submitting)
        #expect(resumed.first?.idempotencyKey == "nj-key-\(claimed[0].id)")
    }

    /// A write-back retried after its commit (the answer was lost) counts as written, without a second
    /// event; an approval renews its service exactly once.
    @Test(arguments: StoreKind.all) func retriedWriteBacksCountOnceAndRenewOnce(_ kind: StoreKind) async throws {
        let harness = try kind.make([("a", 1, 2)])
        defer { harness.close() }
        let store = harness.store
        let claimed = try await store.call { try $0.claim(request("r1", batch: 2)) }
        let validated = claimed.map { update($0, to: .submitting, key: "k-\($0.id)") }
        let first = try await store.call { try $0.writeBack(validated, actor: "r1", runId: nil) }
        let again = try await store.call { try $0.writeBack(validated, actor: "r1", runId: nil) }
        #expect(first.count == 2 && again == first)
        #expect(try harness.eventCount("validated") == 2)
        var submitted = claimed
        for index in submitted.indices {
            submitted[index].state = .submitting
            submitted[index].idempotencyKey = "k-\(submitted[index].id)"
        }
        let approvals = submitted.map { update($0, to: .approved, release: true, kind: "approved") }
        #expect(try await store.call { try $0.writeBack(approvals, actor: "r1", runId: nil) }.count == 2)
        #expect(try await store.call { try $0.writeBack(approvals, actor: "r1", runId: nil) }.count == 2)
        #expect(try harness.eventCount("approved") == 2)
        #expect(try harness.renewalCount() == 2)
        for item in claimed { #expect(try harness.row(item.key) == RowView(state: .approved, key: "k-\(item.id)", leased: false)) }
    }

    /// A transition folded into the next one's write (a poll made at once after its submission): one write
    /// takes the row from `submitting` to `approved`, both events in order, the renewal once; a retry adds nothing.
    @Test(arguments: StoreKind.all) func foldedTransitionsWriteEveryEventInOrder(_ kind: StoreKind) async throws {
        let harness = try kind.make([("a", 1, 2)])
        defer { harness.close() }
        let store = harness.store
        let claimed = try await store.call { try $0.claim(request("r1", batch: 2)) }
        #expect(try await store.call { try $0.writeBack(claimed.map { update($0, to: .submitting, key: "k-\($0.id)") },
                                                         actor: "r1", runId: nil) }.count == 2)
        let folded = claimed.map { item -> InspectionUpdate in
            var submitting = item
            submitting.state = .submitting
            submitting.idempotencyKey = "k-\(item.id)"
            var submitted = update(submitting, to: .inReview, kind: "submitted")
            submitted.markSubmitted = true
            var inReview = submitting
            inReview.state = .inReview
            let approved = update(inReview, to: .approved, release: true, kind: "approved")
            return approved.folded(after: submitted)
        }
        #expect(folded.allSatisfy { $0.from == .submitting && $0.eventFrom == .inReview && $0.markSubmitted })
        #expect(try await store.call { try $0.writeBack(folded, actor: "r1", runId: nil) }.count == 2)
        #expect(try await store.call { try $0.writeBack(folded, actor: "r1", runId: nil) }.count == 2)
        for item in claimed {
            #expect(try harness.row(item.key) == RowView(state: .approved, key: "k-\(item.id)", leased: false))
            #expect(try harness.events(item.key) == ["validated pending>submitting", "submitted submitting>in_review",
                                                     "approved in_review>approved"])
        }
        #expect(try harness.renewalCount() == 2)
    }
}

/// The claim's shares and write-backs across tenants: what the claim by tenant must keep of the combined one.
@Suite("runner store conformance: tenants")
struct RunnerStoreTenantConformanceTests {
    /// Shares are among the tenants with work due: one with none takes nothing from the others.
    @Test(arguments: StoreKind.all) func tenantsWithNothingDueTakeNoShare(_ kind: StoreKind) async throws {
        let harness = try kind.make([("few", 1, 2), ("many", 1, 20), ("none", 1, 0)])
        defer { harness.close() }
        let claimed = try await harness.store.call { try $0.claim(request("r1", batch: 10)) }
        #expect(claimed.filter { $0.tenantId == harness.ids["few"] }.count == 2)
        #expect(claimed.filter { $0.tenantId == harness.ids["many"] }.count == 5)
        #expect(claimed.allSatisfy { $0.tenantId != harness.ids["none"] })
        #expect(Set(claimed.map(\.tenantSlug)) == ["few", "many"])
    }

    /// Many tenants, a small batch: every tenant's first row before anyone's second.
    @Test(arguments: StoreKind.all) func aSmallBatchGivesEachTenantOneRowFirst(_ kind: StoreKind) async throws {
        let harness = try kind.make((1...6).map { ("t\($0)", 1, 5) })
        defer { harness.close() }
        let claimed = try await harness.store.call { try $0.claim(request("r1", batch: 4)) }
        #expect(claimed.count == 4)
        #expect(Set(claimed.map(\.tenantId)).count == 4)
        let second = try await harness.store.call { try $0.claim(request("r1", batch: 20)) }
        #expect(Set(second.map(\.tenantId)).count == 6)
    }

    /// One write-back holding several tenants' outcomes writes each row, its event and its renewal.
    @Test(arguments: StoreKind.all) func aWriteBackAcrossTenantsWritesEveryRow(_ kind: StoreKind) async throws {
        let harness = try kind.make([("a", 1, 4), ("b", 2, 4), ("c", 1, 4)])
        defer { harness.close() }
        let claimed = try await harness.store.call { try $0.claim(request("r1", batch: 40)) }
        #expect(claimed.count == 12)
        let updates = claimed.map { update($0, to: .submitting, key: "key-\($0.tenantId)-\($0.id)") }
        let written = try await harness.store.call { try $0.writeBack(updates, actor: "test", runId: nil) }
        #expect(written == Set(claimed.map(\.key)))
        for item in claimed {
            #expect(try harness.row(item.key) == RowView(state: .submitting, key: "key-\(item.tenantId)-\(item.id)", leased: true))
        }
        #expect(try harness.eventCount("validated") == 12)
        // Fenced per row: a stale token in one tenant's part leaves that row alone and writes the others.
        var next = claimed.map { item in
            var approval = update(item, to: .approved, key: "key-\(item.tenantId)-\(item.id)", release: true, kind: "approved")
            approval.from = .submitting
            return approval
        }
        next[0].leaseToken &+= 1
        let approvals = next
        let approved = try await harness.store.call { try $0.writeBack(approvals, actor: "test", runId: nil) }
        #expect(approved.count == 11)
        #expect(!approved.contains(claimed[0].key))
        #expect(try harness.renewalCount() == 11)
        #expect(try harness.row(claimed[0].key).state == .submitting)
    }

    /// The claim by tenant serves a window of tenants per claim (one per 16 rows of the batch, at least
    /// eight) and the next claim the tenants after it: every tenant gets its turn, none twice in a turn.
    @Test func theClaimByTenantTakesTurnsThroughEveryTenant() async throws {
        let harness = try StoreKind.postgresPerTenant.make((1...40).map { (String(format: "t%02d", $0), 1, 3) })
        defer { harness.close() }
        var served: [Set<Int64>] = []
        for _ in 0..<5 {
            let claimed = try await harness.store.call { try $0.claim(request("r1", batch: 64)) }
            served.append(Set(claimed.map(\.tenantId)))
            #expect(claimed.count == 24)
        }
        #expect(served.allSatisfy { $0.count == 8 })
        #expect(served.reduce(into: Set<Int64>()) { $0.formUnion($1) } == Set(harness.ids.values))
    }

    /// Every claim is the run's heartbeat, one that finds nothing too: an idle runner holds no lease, and the
    /// rescuer closes a run whose heartbeat is old and which holds none.
    @Test(arguments: StoreKind.all) func anIdleRunnersEmptyClaimsKeepItsRunAlive(_ kind: StoreKind) async throws {
        let harness = try kind.make([("idle", 1, 0)])
        defer { harness.close() }
        let store = harness.store
        let tenantId = try #require(harness.ids["idle"])
        let runId = try await store.call { try $0.startRun(runnerId: "r1", jobName: "t", asOf: Scenario.asOf, tenantIds: [tenantId]) }
        // An hour without a heartbeat, then a claim that finds nothing: the run is alive again.
        try harness.ageRunHeartbeat(runId, 3_600)
        #expect(try await store.call { try $0.claim(request("r1", batch: 10)) }.isEmpty)
        _ = try await store.call { try $0.rescueExpiredLeases(businessNow: now, actor: "rescuer", leaseSeconds: 60) }
        #expect(try harness.runStatus(runId) == "running")
        // Without that claim the rescuer would have closed it.
        try harness.ageRunHeartbeat(runId, 3_600)
        _ = try await store.call { try $0.rescueExpiredLeases(businessNow: now, actor: "rescuer", leaseSeconds: 60) }
        #expect(try harness.runStatus(runId) == "interrupted")
    }
}
