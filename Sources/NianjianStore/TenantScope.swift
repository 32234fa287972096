import NianjianPostgres

/// How one statement meets the tenants: across them (`StatementRouting.combined`), or on one tenant, bound as
/// parameter `$n` and named on every table the statement touches (`perTenant`), so that a database distributed
/// by `tenant_id` routes it to that tenant's shard. Every statement by tenant builds its text with this.
struct TenantScope {
    /// The tenant's parameter number; nil across tenants.
    let parameter: Int?

    init(_ routing: StatementRouting, parameter: Int) {
        self.parameter = routing == .perTenant ? parameter : nil
    }

    /// ` AND alias.tenant_id = $n` on one tenant (`tenant_id` unqualified for a nil alias); nothing across tenants.
    func filter(_ alias: String?) -> String {
        guard let parameter else { return "" }
        return " AND \(alias.map { "\($0)." } ?? "")tenant_id = $\(parameter)::bigint"
    }

    /// The tenant an inserted row gets: `$n` on one tenant, `alias.tenant_id` across tenants.
    func value(_ alias: String) -> String {
        parameter.map { "$\($0)::bigint" } ?? "\(alias).tenant_id"
    }

    /// The tenant's bind on one tenant; nothing across tenants.
    func bind(_ tenantId: Int64?) -> [PostgresBind] {
        parameter == nil ? [] : [.init(tenantId ?? 0)]
    }

    /// The statements' inputs: one group per tenant on one tenant (`items` sorted by tenant), all of them at once
    /// across tenants.
    func groups<Item>(_ items: [Item], tenant: (Item) -> Int64) -> [[Item]] {
        parameter == nil ? [items] : TenantGroups.split(items, tenant: tenant)
    }
}

/// Runs of items that belong to one tenant each, for statements by tenant (`StatementRouting.perTenant`).
enum TenantGroups {
    /// `items` sorted by tenant, cut where the tenant changes (order within a tenant kept).
    static func split<Item>(_ items: some Collection<Item>, tenant: (Item) -> Int64) -> [[Item]] {
        var groups: [[Item]] = []
        for item in items {
            if let last = groups.last?.last, tenant(last) == tenant(item) {
                groups[groups.count - 1].append(item)
            } else {
                groups.append([item])
            }
        }
        return groups
    }
}
