import NianjianDomain
import NianjianPostgres

/// The statements a night run needs, one verb-named method per statement, on one session (one connection,
/// for PostgreSQL). Implemented by `PostgresRunnerStore` and by the in-memory twin in NianjianTestSupport;
/// one conformance suite runs against both.
public protocol RunnerStoreSession {
    /// The tenants a run works for: all, or those named (unknown slugs are returned so the caller can refuse).
    func loadTenants(slugs: [String]?) throws -> (found: [TenantRunSettings], unknown: [String])
    /// Records a run and the tenants it works for; returns the run's id.
    func startRun(runnerId: String, jobName: String, asOf: CivilDate, tenantIds: [Int64]) throws -> Int64
    /// How much work is due now (for the progress bar's total).
    func countDue(tenantIds: [Int64]?, now: Timestamp) throws -> Int
    /// Claims due work fairly by weight, skipping rows other claimers hold; every claimed row gets a lease
    /// and a new fencing token.
    func claim(_ request: ClaimRequest) throws -> [ClaimedInspection]
    /// Work `owner` holds under a lease token not in `knownTokens` (a claim whose answer was lost with the
    /// connection): extended and returned with its own token, for the runner to carry on with.
    func adoptLeases(owner: String, knownTokens: [Int64], leaseSeconds: Double) throws -> [ClaimedInspection]
    /// The company file of each claimed inspection (by the company and service the claim read).
    func loadFiles(for inspections: [ClaimedInspection]) throws -> [InspectionKey: InspectionFile]
    /// Writes a batch of outcomes, fenced by lease token and state; returns the keys written (a retried
    /// batch that had committed reports its rows as written, without a second event).
    @discardableResult
    func writeBack(_ updates: [InspectionUpdate], actor: String, runId: Int64?) throws -> Set<InspectionKey>
    /// Extends the leases `owner` holds (heartbeat); returns how many.
    @discardableResult
    func extendLeases(owner: String, leaseSeconds: Double) throws -> Int
    /// Gives back every lease `owner` holds, states unchanged.
    @discardableResult
    func releaseLeases(owner: String) throws -> Int
    /// Gives back these leases (claimed, not started), each only while its token still matches.
    @discardableResult
    func releaseLeases(_ claims: [(key: InspectionKey, token: Int64)]) throws -> Int
    /// Returns expired leases' work to be claimed again, each with a `lease_expired` event.
    @discardableResult
    func rescueExpiredLeases(businessNow: Timestamp, actor: String, leaseSeconds: Double) throws -> Int
    /// When the next work becomes claimable.
    func nextDue(tenantIds: [Int64]?, owner: String) throws -> NextDue
    /// Records how a run ended, with its counts overall and per tenant.
    func finishRun(runId: Int64, status: String, claimed: Int, byStateJSON: String,
                   perTenant: [(tenantId: Int64, claimed: Int, byStateJSON: String)]) throws
}

/// Where a runner's statements run: off the caller's thread, one session at a time per call (River's driver).
public protocol RunnerStore: Sendable {
    /// Runs `body` on a session and delivers its result by callback (on no particular thread).
    func perform<T>(_ body: @escaping @Sendable (any RunnerStoreSession) throws -> T,
                    completion: @escaping @Sendable (Result<T, any Error>) -> Void)
    /// Runs `body` on a session, blocking this thread (start-up and tests, never the cooperative pool).
    func performBlocking<T>(_ body: @escaping @Sendable (any RunnerStoreSession) throws -> T) throws -> T
}

/// The PostgreSQL runner store: every call on a pooled connection's serial queue, through
/// `InspectionQueries` and `RunQueries`.
public struct PostgresRunnerStore: RunnerStore {
    public let database: Database
    /// One statement per claim and write-back, or one per tenant (for a database distributed by tenant).
    public let routing: StatementRouting
    let rotation = TenantRotation()

    public init(_ database: Database, routing: StatementRouting = .combined) { self.database = database; self.routing = routing }

    public func perform<T>(_ body: @escaping @Sendable (any RunnerStoreSession) throws -> T,
                           completion: @escaping @Sendable (Result<T, any Error>) -> Void) {
        database.pool.withConnection({ try body(PostgresRunnerSession(session: $0, routing: routing, rotation: rotation)) }, completion: completion)
    }

    public func performBlocking<T>(_ body: @escaping @Sendable (any RunnerStoreSession) throws -> T) throws -> T {
        try database.runBlocking { try body(PostgresRunnerSession(session: $0, routing: routing, rotation: rotation)) }
    }
}

struct PostgresRunnerSession: RunnerStoreSession {
    let session: PostgresSession
    let routing: StatementRouting
    let rotation: TenantRotation

    func loadTenants(slugs: [String]?) throws -> (found: [TenantRunSettings], unknown: [String]) {
        try RunQueries.loadTenants(session, slugs: slugs)
    }

    func startRun(runnerId: String, jobName: String, asOf: CivilDate, tenantIds: [Int64]) throws -> Int64 {
        try RunQueries.startRun(session, runnerId: runnerId, jobName: jobName, asOf: asOf, tenantIds: tenantIds)
    }

    func countDue(tenantIds: [Int64]?, now: Timestamp) throws -> Int {
        try RunQueries.countDue(session, tenantIds: tenantIds, now: now)
    }

    func claim(_ request: ClaimRequest) throws -> [ClaimedInspection] {
        try InspectionQueries.claimDue(session, request, routing: routing, rotation: rotation)
    }

    func adoptLeases(owner: String, knownTokens: [Int64], leaseSeconds: Double) throws -> [ClaimedInspection] {
        try LeaseQueries.adoptLeases(session, owner: owner, knownTokens: knownTokens, leaseSeconds: leaseSeconds, routing: routing)
    }

    func loadFiles(for inspections: [ClaimedInspection]) throws -> [InspectionKey: InspectionFile] {
        try InspectionQueries.loadFiles(session, for: inspections, routing: routing)
    }

    @discardableResult
    func writeBack(_ updates: [InspectionUpdate], actor: String, runId: Int64?) throws -> Set<InspectionKey> {
        try InspectionQueries.writeBack(session, updates, actor: actor, runId: runId, routing: routing)
    }

    @discardableResult
    func extendLeases(owner: String, leaseSeconds: Double) throws -> Int {
        try InspectionQueries.extendLeases(session, owner: owner, leaseSeconds: leaseSeconds, routing: routing)
    }

    @discardableResult
    func releaseLeases(owner: String) throws -> Int {
        try InspectionQueries.releaseLeases(session, owner: owner)
    }

    @discardableResult
    func releaseLeases(_ claims: [(key: InspectionKey, token: Int64)]) throws -> Int {
        try InspectionQueries.releaseLeases(session, claims, routing: routing)
    }

    @discardableResult
    func rescueExpiredLeases(businessNow: Timestamp, actor: String, leaseSeconds: Double) throws -> Int {
        try InspectionQueries.rescueExpiredLeases(session, businessNow: businessNow, actor: actor, leaseSeconds: leaseSeconds, routing: routing)
    }

    func nextDue(tenantIds: [Int64]?, owner: String) throws -> NextDue {
        try InspectionQueries.nextDue(session, tenantIds: tenantIds, owner: owner)
    }

    func finishRun(runId: Int64, status: String, claimed: Int, byStateJSON: String,
                   perTenant: [(tenantId: Int64, claimed: Int, byStateJSON: String)]) throws {
        try RunQueries.finishRun(session, runId: runId, status: status, claimed: claimed, byStateJSON: byStateJSON,
                                 perTenant: perTenant)
    }
}
