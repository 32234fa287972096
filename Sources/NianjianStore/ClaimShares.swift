/// How one claim of `batch` inspections is shared among the tenants that have work due: by weight, at least
/// one each, never more than the batch in all. When the shares by weight add up to more than the batch (many
/// tenants, a small batch), the largest are cut first, ties at random: every tenant's first row comes before
/// anyone's second. The combined claim statement does the same in SQL (its `share` and `picked`); the claim
/// by tenant (`StatementRouting.perTenant`) sends each tenant's share as that tenant's own statement.
public enum ClaimShares {
    /// The claim by tenant's turn through the tenants: those after `after` in id order, then the rest from the
    /// start. Each claim serves a window of them and the next starts after its last.
    public static func rotation<Tenant>(_ tenants: [Tenant], id: (Tenant) -> Int64, after: Int64) -> [Tenant] {
        let sorted = tenants.sorted { id($0) < id($1) }
        let split = sorted.firstIndex { id($0) > after } ?? sorted.endIndex
        return Array(sorted[split...] + sorted[..<split])
    }

    /// How many tenants one claim by tenant serves: each tenant's statements cost about a millisecond of server
    /// time whatever they carry, so a claim serves one tenant per `minimumShare` rows of its batch; but never
    /// fewer than eight (or the batch), so a small batch still goes round several tenants a row each.
    public static func windowSize(batch: Int, minimumShare: Int) -> Int {
        max(1, min(batch, 8), batch / max(1, minimumShare))
    }

    public static func split<Generator: RandomNumberGenerator>(
        batch: Int, among tenants: [(id: Int64, weight: Int)], using generator: inout Generator
    ) -> [(id: Int64, share: Int)] {
        guard batch > 0, !tenants.isEmpty else { return [] }
        if tenants.count >= batch {
            let chosen = Set(tenants.map(\.id).shuffled(using: &generator).prefix(batch))
            return tenants.filter { chosen.contains($0.id) }.map { ($0.id, 1) }
        }
        let totalWeight = max(1, tenants.reduce(0) { $0 + max(0, $1.weight) })
        var shares = tenants.map { max(1, (batch * max(0, $0.weight) + totalWeight - 1) / totalWeight) }
        var excess = shares.reduce(0, +) - batch
        while excess > 0 {
            // (Fewer tenants than the batch: some share is above one while the shares exceed the batch.)
            guard let largest = shares.max(), largest > 1 else { break }
            let candidates = shares.indices.filter { shares[$0] == largest }
            guard let cut = candidates.randomElement(using: &generator) else { break }
            shares[cut] -= 1
            excess -= 1
        }
        return zip(tenants, shares).map { ($0.id, $1) }
    }
}

/// How the runner's hot statements meet the tables. `combined`: one statement for a claim and one for a
/// write-back, tenants mixed (fastest on one server). `perTenant`: each tenant's part is its own statement,
/// filtered on that one `tenant_id` and sent together in one round trip (libpq pipeline mode) and one
/// transaction, so that Citus, distributing by `tenant_id`, routes each to its shard.
public enum StatementRouting: String, Sendable, Hashable, CaseIterable {
    case combined
    case perTenant = "per_tenant"
}
