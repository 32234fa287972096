import Hummingbird
import NianjianPostgres
import NianjianOperations
import NianjianStore

/// The tenant a request works on. For a tenant's user or token it is always their own tenant, found by the
/// slug through that tenant's row-level security: another tenant's slug finds nothing (404). The platform
/// operator may open any tenant. Every later statement runs inside `asTenant(id)`.
struct TenantScope: Sendable {
    var id: Int64
    var slug: String
    var name: String

    /// For the operations that take a record (the importer, the requeuer, the report builder): they only use
    /// its id and slug.
    var record: TenantRecord { TenantRecord(id: id, slug: slug, name: name, weight: 1, maxConcurrency: nil, submitRate: nil, pollRate: nil) }
}

extension WebConsole {
    func scope(slug: String, principal: Principal) async throws -> TenantScope {
        if let own = principal.tenantId {
            guard let found = try await database.run({ session in
                try session.asTenant(own) { try WebQueries.selectVisibleTenant(session, slug: slug) }
            }) else { throw WebError.notFound }
            return TenantScope(id: found.id, slug: slug, name: found.name)
        }
        guard principal.isPlatform,
              let record = try await database.run({ try TenantQueries.findTenant($0, slug: slug) }) else { throw WebError.notFound }
        return TenantScope(id: record.id, slug: record.slug, name: record.name)
    }

    /// A read: logged in, and the tenant visible to them.
    func readScope(_ context: WebContext) async throws -> (Principal, TenantScope) {
        let principal = try context.requirePrincipal()
        let slug = try context.parameters.require("slug")
        return (principal, try await scope(slug: slug, principal: principal))
    }

    /// A state change: logged in, the CSRF token of a browser session, the tenant visible (else 404), then a
    /// role that may act (else 403).
    func actScope(_ request: Request, _ context: WebContext, formToken: String?) async throws -> (Principal, TenantScope) {
        let principal = try context.requirePrincipal()
        try context.requireCSRF(request, principal: principal, formToken: formToken)
        let slug = try context.parameters.require("slug")
        let scope = try await scope(slug: slug, principal: principal)
        guard principal.role.canAct else { throw WebError.forbidden }
        return (principal, scope)
    }

    /// Runs `body` as the tenant under row-level security, on a connection's queue.
    func asTenant<T: Sendable>(_ scope: TenantScope, _ body: @escaping @Sendable (PostgresSession) throws -> T) async throws -> T {
        let id = scope.id
        return try await database.run { session in try session.asTenant(id) { try body(session) } }
    }

    /// A read that may lag (the overview, reports): on the read database (a standby when
    /// NIANJIAN_READ_DATABASE_URL names one), with the standby's replay time when it is one.
    func readAsTenant<T: Sendable>(_ scope: TenantScope, _ body: @escaping @Sendable (PostgresSession) throws -> T)
        async throws -> (value: T, replayedAt: String?) {
        let id = scope.id, marked = readsElsewhere
        return try await readDatabase.run { session in
            let value = try session.asTenant(id) { try body(session) }
            return (value, marked ? try ReplicaQueries.replayMark(session) : nil)
        }
    }
}
