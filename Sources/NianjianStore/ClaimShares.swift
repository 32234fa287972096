/// How one claim of `batch` inspections is shared among the tenants that have work due: by weight, at least
/// one each, never more than the batch in all. When the shares by weight add up to more than the batch (many
/// tenants, a small batch), the largest are cut first, ties at random: every tenant's first row comes before
/// anyone's second. The combined claim statement does the same in SQL (its `share` and `picked`); the claim
/// by tenant (`StatementRouting.perTenant`) sends each tenant's share as that tenant's own statement.
public enum ClaimShares {
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
