import NianjianStore
import Testing

/// A generator that repeats: shares drawn with it can be checked against a table.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("claim shares")
struct ClaimSharesTests {
    static let table: [(batch: Int, weights: [Int], shares: [Int])] = [
        (40, [3, 1], [30, 10]),
        (10, [1, 1], [5, 5]),
        (500, [1], [500]),
        (10, [1, 1, 1], [4, 3, 3]),   // ceil gives 4+4+4; two are cut, ties at random (the seed picks which)
        (7, [5, 1], [5, 2]),           // ceil(35/6)=6, ceil(7/6)=2: one too many, cut from the largest
        (3, [1, 100], [1, 2]),         // a light tenant still gets its first row
        (0, [1, 2], []),
    ]

    @Test func sharesFollowTheTable() {
        for row in Self.table {
            var generator = SplitMix64(state: 7)
            let tenants = row.weights.enumerated().map { (id: Int64($0.offset + 1), weight: $0.element) }
            let shares = ClaimShares.split(batch: row.batch, among: tenants, using: &generator)
            #expect(shares.map(\.share).sorted(by: >) == row.shares.sorted(by: >), "batch \(row.batch) weights \(row.weights)")
            #expect(shares.map(\.share).reduce(0, +) == row.shares.reduce(0, +))
        }
    }

    /// For any tenants and batch: never more than the batch; all of it when the tenants can take it; at least one
    /// row each while there are fewer tenants than the batch (else one each for as many as the batch); never
    /// above the share by weight; equal weights within one of each other.
    @Test func sharesKeepTheirInvariants() {
        var generator = SplitMix64(state: 2026)
        for _ in 0..<2_000 {
            let count = Int.random(in: 1...40, using: &generator)
            let batch = Int.random(in: 1...600, using: &generator)
            let weights = (0..<count).map { _ in Int.random(in: 1...5, using: &generator) }
            let tenants = weights.enumerated().map { (id: Int64($0.offset + 1), weight: $0.element) }
            let shares = ClaimShares.split(batch: batch, among: tenants, using: &generator)
            let total = shares.map(\.share).reduce(0, +)
            #expect(total == batch || (count < batch && total <= batch))
            #expect(total == min(batch, max(count, batch)))
            if count >= batch {
                #expect(shares.count == batch && shares.allSatisfy { $0.share == 1 })
                continue
            }
            let weightSum = weights.reduce(0, +)
            for (tenant, share) in zip(tenants, shares) {
                #expect(share.id == tenant.id)
                #expect(share.share >= 1)
                #expect(share.share <= max(1, (batch * tenant.weight + weightSum - 1) / weightSum))
            }
            for weight in Set(weights) {
                let equal = zip(weights, shares).filter { $0.0 == weight }.map(\.1.share)
                if let low = equal.min(), let high = equal.max() { #expect(high - low <= 1) }
            }
        }
    }

    @Test func theTurnGoesRoundTheTenantsInIdOrder() {
        let ids: [Int64] = [5, 1, 9, 3]
        #expect(ClaimShares.rotation(ids, id: { $0 }, after: 0) == [1, 3, 5, 9])
        #expect(ClaimShares.rotation(ids, id: { $0 }, after: 3) == [5, 9, 1, 3])
        #expect(ClaimShares.rotation(ids, id: { $0 }, after: 4) == [5, 9, 1, 3])
        #expect(ClaimShares.rotation(ids, id: { $0 }, after: 9) == [1, 3, 5, 9])
        #expect(ClaimShares.windowSize(batch: 1000, minimumShare: 16) == 62)
        #expect(ClaimShares.windowSize(batch: 64, minimumShare: 16) == 8)
        #expect(ClaimShares.windowSize(batch: 4, minimumShare: 16) == 4)
        #expect(ClaimShares.windowSize(batch: 1, minimumShare: 16) == 1)
    }
}
