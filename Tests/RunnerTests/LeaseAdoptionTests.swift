import Foundation
import NianjianDomain
import NianjianStore
import NianjianTestSupport
import Testing

/// Issue 14: a claim that committed while its answer was lost (a failover, a dropped connection) is adopted by
/// the same runner with the same token, instead of waiting for its lease to expire. PostgreSQL and the twin alike.
@Suite("lease adoption")
struct LeaseAdoptionTests {
    @Test(arguments: StoreKind.all) func aLostClaimIsAdoptedWithItsOwnToken(_ kind: StoreKind) async throws {
        let harness = try kind.make([("a", 1, 30), ("b", 1, 30)])
        defer { harness.close() }
        let store = harness.store
        let now = Timestamp(chinaDate: Scenario.asOf, hour: 2)
        let mine = ClaimRequest(owner: "r1", leaseSeconds: 30, batchSize: 10, now: now, tenantIds: nil)
        var theirs = mine
        theirs.owner = "r2"
        let known = try await store.call { try $0.claim(mine) }
        // This answer is "lost": the runner never sees its token.
        let lost = try await store.call { try $0.claim(mine) }
        let other = try await store.call { [theirs] in try $0.claim(theirs) }
        #expect(known.count == 10 && lost.count == 10 && other.count == 10)
        let knownTokens = Array(Set(known.map(\.leaseToken)))
        let adopted = try await store.call { try $0.adoptLeases(owner: "r1", knownTokens: knownTokens, leaseSeconds: 30) }
        #expect(Set(adopted.map(\.key)) == Set(lost.map(\.key)))
        #expect(Set(adopted.map(\.leaseToken)) == Set(lost.map(\.leaseToken)))
        #expect(adopted.allSatisfy { $0.state == .pending })
        // Adopted, the rows are still ours with their token: a write-back under it lands.
        let written = try await store.call { session in
            try session.writeBack(adopted.map { item in
                InspectionUpdate(key: item.key, leaseToken: item.leaseToken, from: item.state, to: .needsMaterials,
                                 attempts: item.attempts, generation: item.generation, idempotencyKey: nil, ticket: nil,
                                 nextAttemptAt: nil, nextPollAt: nil, findingsJSON: "[]", rejectionReason: nil, lastError: nil,
                                 releaseLease: true, eventKind: "validated", eventDetailJSON: "{}", businessAt: now,
                                 markSubmitted: false, markDecided: false)
            }, actor: "r1", runId: nil)
        }
        #expect(written.count == 10)
        // Nothing else is adopted: not our known claim, not another runner's.
        let again = try await store.call { try $0.adoptLeases(owner: "r1", knownTokens: knownTokens, leaseSeconds: 30) }
        #expect(again.isEmpty)
        let all = Array(Set((known + lost).map(\.leaseToken)))
        #expect(try await store.call { try $0.adoptLeases(owner: "r1", knownTokens: all, leaseSeconds: 30) }.isEmpty)
        #expect(try harness.eventCount("lease_expired") == 0)
    }
}
