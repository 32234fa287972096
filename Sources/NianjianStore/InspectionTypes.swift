import NianjianDomain
import NianjianPostgres

/// An inspection a runner holds a lease on.
public struct ClaimedInspection: Sendable, Hashable {
    public var tenantId: Int64
    public var tenantSlug: String
    public var id: Int64
    public var serviceId: Int64
    public var companyId: Int64
    public var cycle: Int
    public var dueOn: CivilDate
    public var state: InspectionState
    public var attempts: Int
    public var generation: Int
    public var idempotencyKey: String?
    public var ticket: String?
    /// The fencing token every write-back for this claim presents.
    public var leaseToken: Int64

    public init(tenantId: Int64, tenantSlug: String, id: Int64, serviceId: Int64, companyId: Int64, cycle: Int,
                dueOn: CivilDate, state: InspectionState, attempts: Int, generation: Int, idempotencyKey: String?,
                ticket: String?, leaseToken: Int64) {
        self.tenantId = tenantId; self.tenantSlug = tenantSlug; self.id = id; self.serviceId = serviceId
        self.companyId = companyId; self.cycle = cycle; self.dueOn = dueOn; self.state = state; self.attempts = attempts
        self.generation = generation; self.idempotencyKey = idempotencyKey; self.ticket = ticket; self.leaseToken = leaseToken
    }

    public var key: InspectionKey { InspectionKey(tenantId: tenantId, id: id) }
}

public struct InspectionKey: Sendable, Hashable, Comparable {
    public var tenantId: Int64
    public var id: Int64
    public init(tenantId: Int64, id: Int64) { self.tenantId = tenantId; self.id = id }
    public static func < (lhs: InspectionKey, rhs: InspectionKey) -> Bool { (lhs.tenantId, lhs.id) < (rhs.tenantId, rhs.id) }
}

/// Everything validation and submission need about one inspection's company and service.
public struct InspectionFile: Sendable, Hashable {
    public var file: CompanyFile
    public var companyId: Int64

    public init(file: CompanyFile, companyId: Int64) { self.file = file; self.companyId = companyId }
}

/// One outcome to write back: the inspection's new state and the event that records it.
public struct InspectionUpdate: Sendable, Hashable {
    public var key: InspectionKey
    public var leaseToken: Int64
    public var from: InspectionState
    public var to: InspectionState
    public var attempts: Int
    public var generation: Int
    public var idempotencyKey: String?
    public var ticket: String?
    public var nextAttemptAt: Timestamp?
    public var nextPollAt: Timestamp?
    /// JSON array of findings, when validation ran.
    public var findingsJSON: String?
    public var rejectionReason: RejectionReason?
    public var lastError: String?
    /// Give the lease back (false while the runner goes on with the inspection, e.g. after validation).
    public var releaseLease: Bool
    public var eventKind: String
    /// JSON object for the event's detail.
    public var eventDetailJSON: String
    public var businessAt: Timestamp
    public var markSubmitted: Bool = false
    public var markDecided: Bool = false
    /// The events of transitions made in hand before this one and written with it, oldest first (a poll due
    /// at once follows its submission without the `in_review` write between: see `folded(after:)`).
    public var earlierEvents: [EarlierEvent] = []
    /// When it was submitted (`markSubmitted`), if that was before `businessAt`.
    public var submittedAt: Timestamp?

    public init(key: InspectionKey, leaseToken: Int64, from: InspectionState, to: InspectionState, attempts: Int,
                generation: Int, idempotencyKey: String?, ticket: String?, nextAttemptAt: Timestamp?, nextPollAt: Timestamp?,
                findingsJSON: String?, rejectionReason: RejectionReason?, lastError: String?, releaseLease: Bool,
                eventKind: String, eventDetailJSON: String, businessAt: Timestamp, markSubmitted: Bool = false,
                markDecided: Bool = false) {
        self.key = key; self.leaseToken = leaseToken; self.from = from; self.to = to; self.attempts = attempts
        self.generation = generation; self.idempotencyKey = idempotencyKey; self.ticket = ticket
        self.nextAttemptAt = nextAttemptAt; self.nextPollAt = nextPollAt; self.findingsJSON = findingsJSON
        self.rejectionReason = rejectionReason; self.lastError = lastError; self.releaseLease = releaseLease
        self.eventKind = eventKind; self.eventDetailJSON = eventDetailJSON; self.businessAt = businessAt
        self.markSubmitted = markSubmitted; self.markDecided = markDecided
    }

    /// The state the last transition started from, which its event records: `from` unless earlier transitions
    /// were folded in.
    public var eventFrom: InspectionState { earlierEvents.last?.to ?? from }

    /// This update written together with `earlier`, a transition of the same claim made before it and not
    /// written: the row goes from `earlier.from` straight to this state, with `earlier`'s events first.
    public func folded(after earlier: InspectionUpdate) -> InspectionUpdate {
        var merged = self
        merged.from = earlier.from
        merged.earlierEvents = earlier.earlierEvents
            + [EarlierEvent(kind: earlier.eventKind, from: earlier.eventFrom, to: earlier.to,
                            detailJSON: earlier.eventDetailJSON, businessAt: earlier.businessAt)]
            + earlierEvents
        merged.findingsJSON = findingsJSON ?? earlier.findingsJSON
        if earlier.markSubmitted {
            merged.markSubmitted = true
            merged.submittedAt = earlier.submittedAt ?? earlier.businessAt
        }
        merged.markDecided = markDecided || earlier.markDecided
        return merged
    }
}

/// The event of a transition folded into a later write-back (`InspectionUpdate.folded(after:)`).
public struct EarlierEvent: Sendable, Hashable {
    public var kind: String
    public var from: InspectionState
    public var to: InspectionState
    public var detailJSON: String
    public var businessAt: Timestamp

    public init(kind: String, from: InspectionState, to: InspectionState, detailJSON: String, businessAt: Timestamp) {
        self.kind = kind; self.from = from; self.to = to; self.detailJSON = detailJSON; self.businessAt = businessAt
    }
}

public struct ClaimRequest: Sendable {
    public var owner: String
    public var leaseSeconds: Double
    /// At most this many inspections in one claim, shared among tenants with due work by weight.
    public var batchSize: Int
    /// The business clock's now: what is due.
    public var now: Timestamp
    /// nil: every tenant.
    public var tenantIds: [Int64]?

    public init(owner: String, leaseSeconds: Double, batchSize: Int, now: Timestamp, tenantIds: [Int64]?) {
        self.owner = owner; self.leaseSeconds = leaseSeconds; self.batchSize = batchSize; self.now = now; self.tenantIds = tenantIds
    }
}

/// When the next work becomes claimable.
public struct NextDue: Sendable, Hashable {
    /// The earliest due time (business clock) of unleased work; nil when none.
    public var businessDue: Timestamp?
    /// Seconds (real time) until the first lease held elsewhere expires; nil when none.
    public var secondsUntilLeaseExpiry: Double?

    public init(businessDue: Timestamp?, secondsUntilLeaseExpiry: Double?) {
        self.businessDue = businessDue; self.secondsUntilLeaseExpiry = secondsUntilLeaseExpiry
    }
}
