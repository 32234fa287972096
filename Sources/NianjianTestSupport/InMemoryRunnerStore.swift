import Dispatch
import Foundation
import NianjianDomain
import NianjianStore

/// The runner store's in-memory twin: the same contract as `PostgresRunnerStore` (the conformance suite
/// runs against both), every call atomic under one lock, as if each were one statement. Real time (leases)
/// comes from `realNow`, seconds.
public final class InMemoryRunnerStore: RunnerStore, @unchecked Sendable {
    public struct Row: Sendable, Hashable {
        public var tenantId: Int64
        public var id: Int64
        public var serviceId: Int64 = 0
        public var companyId: Int64 = 0
        public var cycle: Int = 1
        public var dueOn: CivilDate
        public var state: InspectionState = .pending
        public var attempts: Int = 0
        public var generation: Int = 0
        public var idempotencyKey: String?
        public var ticket: String?
        public var nextAttemptAt: Timestamp?
        public var nextPollAt: Timestamp?
        public var leaseOwner: String?
        public var leaseExpiresAt: Double?
        public var leaseToken: Int64?
        public var findingsJSON: String?
        public var rejectionReason: RejectionReason?
        public var lastError: String?
        public var renewed = false

        public init(tenantId: Int64, id: Int64, serviceId: Int64 = 0, companyId: Int64 = 0, cycle: Int = 1, dueOn: CivilDate,
                    state: InspectionState = .pending, nextAttemptAt: Timestamp? = nil, nextPollAt: Timestamp? = nil) {
            self.tenantId = tenantId; self.id = id; self.serviceId = serviceId; self.companyId = companyId
            self.cycle = cycle; self.dueOn = dueOn; self.state = state; self.nextAttemptAt = nextAttemptAt
            self.nextPollAt = nextPollAt
        }

        public var key: InspectionKey { InspectionKey(tenantId: tenantId, id: id) }
    }

    public struct Event: Sendable, Hashable {
        public var key: InspectionKey
        public var kind: String
        public var from: InspectionState
        public var to: InspectionState
        public var actor: String
        public var runId: Int64?
    }

    struct Run {
        var runnerId: String
        var status: String
        var heartbeatAt: Double
    }

    struct State {
        var tenants: [Int64: TenantRunSettings] = [:]
        var rows: [InspectionKey: Row] = [:]
        var files: [InspectionKey: InspectionFile] = [:]
        var events: [Event] = []
        var runs: [Int64: Run] = [:]
        var nextRunId: Int64 = 1
        var nextToken: Int64 = 1
        var renewals: [InspectionKey] = []
    }

    private let lock = NSLock()
    private var state = State()
    private let realNow: @Sendable () -> Double
    private let queue = DispatchQueue(label: "nianjian.in-memory-store", attributes: .concurrent)

    public init(realNow: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.realNow = realNow
    }

    // MARK: seeding and inspection (tests)

    public func addTenant(_ settings: TenantRunSettings) {
        locked { $0.tenants[settings.id] = settings }
    }

    public func addInspection(_ row: Row, file: InspectionFile? = nil) {
        locked { state in
            state.rows[row.key] = row
            if let file { state.files[row.key] = file }
        }
    }

    public func row(_ key: InspectionKey) -> Row? { locked { $0.rows[key] } }
    public var rows: [Row] { locked { Array($0.rows.values) } }
    public var events: [Event] { locked { $0.events } }
    /// A run's status (running, interrupted, completed …).
    public func runStatus(_ id: Int64) -> String? { locked { $0.runs[id]?.status } }
    /// Makes a run's heartbeat `seconds` older (tests of the rescuer without waiting).
    public func ageRunHeartbeat(_ id: Int64, by seconds: Double) { locked { $0.runs[id]?.heartbeatAt -= seconds } }
    /// Service renewals written (one per approved inspection).
    public var renewals: [InspectionKey] { locked { $0.renewals } }

    private func locked<T>(_ body: (inout State) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&state)
    }

    // MARK: RunnerStore

    public func perform<T>(_ body: @escaping @Sendable (any RunnerStoreSession) throws -> T,
                           completion: @escaping @Sendable (Result<T, any Error>) -> Void) {
        let session = Session(store: self)
        queue.async { completion(Result { try body(session) }) }
    }

    public func performBlocking<T>(_ body: @escaping @Sendable (any RunnerStoreSession) throws -> T) throws -> T {
        try body(Session(store: self))
    }

    struct Session: RunnerStoreSession {
        let store: InMemoryRunnerStore

        func loadTenants(slugs: [String]?) throws -> (found: [TenantRunSettings], unknown: [String]) {
            store.locked { state in
                let found = state.tenants.values.filter { slugs?.contains($0.slug) ?? true }.sorted { $0.id < $1.id }
                let known = Set(found.map(\.slug))
                return (found, (slugs ?? []).filter { !known.contains($0) })
            }
        }

        func startRun(runnerId: String, jobName: String, asOf: CivilDate, tenantIds: [Int64]) throws -> Int64 {
            let now = store.realNow()
            return store.locked { state in
                let id = state.nextRunId
                state.nextRunId += 1
                state.runs[id] = Run(runnerId: runnerId, status: "running", heartbeatAt: now)
                return id
            }
        }

        func countDue(tenantIds: [Int64]?, now: Timestamp) throws -> Int {
            store.locked { state in
                state.rows.values.filter { row in
                    (tenantIds?.contains(row.tenantId) ?? true) && InMemoryRunnerStore.isDue(row, now: now, ignoringLease: true)
                }.count
            }
        }

        func claim(_ request: ClaimRequest) throws -> [ClaimedInspection] {
            let realNow = store.realNow()
            return store.locked { state in
                var dueByTenant: [Int64: [Row]] = [:]
                for row in state.rows.values where request.tenantIds?.contains(row.tenantId) ?? true {
                    if state.tenants[row.tenantId] != nil, InMemoryRunnerStore.isDue(row, now: request.now, ignoringLease: false) {
                        dueByTenant[row.tenantId, default: []].append(row)
                    }
                }
                let totalWeight = dueByTenant.keys.reduce(0) { $0 + (state.tenants[$1]?.weight ?? 0) }
                var ranked: [(rank: Int, tie: UInt64, row: Row)] = []
                for (tenantId, rows) in dueByTenant {
                    let weight = state.tenants[tenantId]?.weight ?? 0
                    let share = max(1, Int((Double(request.batchSize) * Double(weight) / Double(max(1, totalWeight))).rounded(.up)))
                    // Each kind of work up to the share, in the statement's orders; then the share by id.
                    let attempt = rows.filter { $0.state == .pending || $0.state == .submitting }
                        .sorted { ($0.nextAttemptAt ?? .init(microseconds: 0), $0.id) < ($1.nextAttemptAt ?? .init(microseconds: 0), $1.id) }
                        .prefix(share)
                    let poll = rows.filter { $0.state == .inReview }
                        .sorted { ($0.nextPollAt ?? .init(microseconds: 0), $0.id) < ($1.nextPollAt ?? .init(microseconds: 0), $1.id) }
                        .prefix(share)
                    let every = (Array(attempt) + Array(poll)).sorted { $0.id < $1.id }
                    for (index, row) in every.prefix(share).enumerated() {
                        ranked.append((index + 1, UInt64.random(in: 0...UInt64.max), row))
                    }
                }
                ranked.sort { ($0.rank, $0.tie) < ($1.rank, $1.tie) }
                let token = state.nextToken
                state.nextToken += 1
                // Every claim is the run's heartbeat, one that finds nothing too (the rescuer closes a run whose
                // heartbeat is old and which holds no lease).
                for (id, run) in state.runs where run.runnerId == request.owner && run.status == "running" {
                    state.runs[id]?.heartbeatAt = realNow
                }
                var claimed: [ClaimedInspection] = []
                for entry in ranked.prefix(request.batchSize) {
                    var row = entry.row
                    row.leaseOwner = request.owner
                    row.leaseExpiresAt = realNow + request.leaseSeconds
                    row.leaseToken = token
                    state.rows[row.key] = row
                    claimed.append(ClaimedInspection(
                        tenantId: row.tenantId, tenantSlug: state.tenants[row.tenantId]?.slug ?? "", id: row.id,
                        serviceId: row.serviceId, companyId: row.companyId, cycle: row.cycle, dueOn: row.dueOn,
                        state: row.state, attempts: row.attempts, generation: row.generation,
                        idempotencyKey: row.idempotencyKey, ticket: row.ticket, leaseToken: token))
                }
                return claimed
            }
        }

        func adoptLeases(owner: String, knownTokens: [Int64], leaseSeconds: Double) throws -> [ClaimedInspection] {
            let now = store.realNow()
            let known = Set(knownTokens)
            return store.locked { state in
                var adopted: [ClaimedInspection] = []
                for (key, row) in state.rows.sorted(by: { $0.key < $1.key }) where row.leaseOwner == owner {
                    guard let token = row.leaseToken, !known.contains(token) else { continue }
                    state.rows[key]?.leaseExpiresAt = now + leaseSeconds
                    adopted.append(ClaimedInspection(
                        tenantId: row.tenantId, tenantSlug: state.tenants[row.tenantId]?.slug ?? "", id: row.id,
                        serviceId: row.serviceId, companyId: row.companyId, cycle: row.cycle, dueOn: row.dueOn,
                        state: row.state, attempts: row.attempts, generation: row.generation,
                        idempotencyKey: row.idempotencyKey, ticket: row.ticket, leaseToken: token))
                }
                return adopted
            }
        }

        func loadFiles(for inspections: [ClaimedInspection]) throws -> [InspectionKey: InspectionFile] {
            store.locked { state in
                var files: [InspectionKey: InspectionFile] = [:]
                for item in inspections { files[item.key] = state.files[item.key] }
                return files
            }
        }

        func writeBack(_ updates: [InspectionUpdate], actor: String, runId: Int64?) throws -> Set<InspectionKey> {
            store.locked { state in
                var written = Set<InspectionKey>()
                for update in updates.sorted(by: { $0.key < $1.key }) {
                    guard var row = state.rows[update.key] else { continue }
                    if row.leaseToken == update.leaseToken, row.state == update.from {
                        row.state = update.to
                        row.attempts = update.attempts
                        row.generation = update.generation
                        row.idempotencyKey = update.idempotencyKey
                        row.ticket = update.ticket
                        // A submission keeps the due time it was claimed at (the statement's rule).
                        row.nextAttemptAt = update.to == .submitting ? (row.nextAttemptAt ?? update.businessAt) : update.nextAttemptAt
                        row.nextPollAt = update.nextPollAt
                        row.findingsJSON = update.findingsJSON ?? row.findingsJSON
                        row.rejectionReason = update.rejectionReason
                        row.lastError = update.lastError
                        if update.to == .approved, !row.renewed {
                            row.renewed = true
                            state.renewals.append(row.key)
                        }
                        if update.releaseLease {
                            row.leaseOwner = nil
                            row.leaseExpiresAt = nil
                            row.leaseToken = nil
                        }
                        state.rows[row.key] = row
                        for earlier in update.earlierEvents {
                            state.events.append(Event(key: row.key, kind: earlier.kind, from: earlier.from, to: earlier.to,
                                                      actor: actor, runId: runId))
                        }
                        state.events.append(Event(key: row.key, kind: update.eventKind, from: update.eventFrom, to: update.to,
                                                  actor: actor, runId: runId))
                        written.insert(row.key)
                    } else if update.from != update.to, row.state == update.to,
                              (!update.releaseLease && row.leaseToken == update.leaseToken)
                                || (update.releaseLease && row.leaseToken != update.leaseToken) {
                        // A retry of a batch that was written: counts as written, no second event.
                        written.insert(row.key)
                    }
                }
                return written
            }
        }

        func extendLeases(owner: String, leaseSeconds: Double) throws -> Int {
            let now = store.realNow()
            return store.locked { state in
                var count = 0
                for (key, row) in state.rows where row.leaseOwner == owner {
                    state.rows[key]?.leaseExpiresAt = now + leaseSeconds
                    count += 1
                }
                return count
            }
        }

        func releaseLeases(owner: String) throws -> Int {
            store.locked { state in
                var count = 0
                for (key, row) in state.rows where row.leaseOwner == owner {
                    InMemoryRunnerStore.release(&state, key)
                    count += 1
                }
                return count
            }
        }

        func releaseLeases(_ claims: [(key: InspectionKey, token: Int64)]) throws -> Int {
            store.locked { state in
                var count = 0
                for claim in claims where state.rows[claim.key]?.leaseToken == claim.token {
                    InMemoryRunnerStore.release(&state, claim.key)
                    count += 1
                }
                return count
            }
        }

        func rescueExpiredLeases(businessNow: Timestamp, actor: String, leaseSeconds: Double) throws -> Int {
            let now = store.realNow()
            return store.locked { state in
                let holders = Set(state.rows.values.compactMap(\.leaseOwner))
                for (id, run) in state.runs where run.status == "running" && run.heartbeatAt < now - leaseSeconds * 10
                    && !holders.contains(run.runnerId) {
                    state.runs[id]?.status = "interrupted"
                }
                var count = 0
                for (key, row) in state.rows where row.leaseOwner != nil && (row.leaseExpiresAt ?? now) < now {
                    InMemoryRunnerStore.release(&state, key)
                    state.events.append(Event(key: key, kind: "lease_expired", from: row.state, to: row.state, actor: actor, runId: nil))
                    count += 1
                }
                return count
            }
        }

        func nextDue(tenantIds: [Int64]?, owner: String) throws -> NextDue {
            let now = store.realNow()
            return store.locked { state in
                var due: Timestamp?
                var expiry: Double?
                for row in state.rows.values where tenantIds?.contains(row.tenantId) ?? true {
                    if row.leaseOwner == nil {
                        let at: Timestamp? = switch row.state {
                        case .pending, .submitting: row.nextAttemptAt
                        case .inReview: row.nextPollAt
                        default: nil
                        }
                        if let at { due = min(due ?? at, at) }
                    } else if row.leaseOwner != owner, let expires = row.leaseExpiresAt {
                        expiry = min(expiry ?? (expires - now), expires - now)
                    }
                }
                return NextDue(businessDue: due, secondsUntilLeaseExpiry: expiry)
            }
        }

        func finishRun(runId: Int64, status: String, claimed: Int, byStateJSON: String,
                       perTenant: [(tenantId: Int64, claimed: Int, byStateJSON: String)]) throws {
            store.locked { $0.runs[runId]?.status = status }
        }
    }

    static func release(_ state: inout State, _ key: InspectionKey) {
        state.rows[key]?.leaseOwner = nil
        state.rows[key]?.leaseExpiresAt = nil
        state.rows[key]?.leaseToken = nil
    }

    /// Due now: an attempt or a submission to resume (by the due time it was claimed at), or a poll, whose time
    /// has come (unleased unless told).
    static func isDue(_ row: Row, now: Timestamp, ignoringLease: Bool) -> Bool {
        guard ignoringLease || row.leaseOwner == nil else { return false }
        switch row.state {
        case .pending, .submitting: return row.nextAttemptAt.map { $0 <= now } ?? false
        case .inReview: return row.nextPollAt.map { $0 <= now } ?? false
        default: return false
        }
    }
}
