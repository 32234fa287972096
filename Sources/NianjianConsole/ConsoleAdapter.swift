import NianjianDomain

/// A submission of one service's annual inspection to the cloud console.
public struct SubmitRequest: Sendable, Hashable {
    /// The console account (the tenant's main account).
    public var account: String
    /// Same key, same request → same ticket (Alibaba Cloud `ClientToken`, ≤ 64 ASCII characters).
    public var idempotencyKey: String
    public var instanceId: String
    public var serviceType: String
    public var termMonths: Int
    public var amount: Money
    public var contactName: String
    public var contactPhone: String
    /// The service's region (region-specific APIs such as ECS; empty: the adapter's default region).
    public var region: String
    /// Whose inspection (tenant and company ids): a company with its own cloud account is called with it.
    public var owner: AccountOwner?

    public init(account: String, idempotencyKey: String, instanceId: String, serviceType: String, termMonths: Int,
                amount: Money, contactName: String, contactPhone: String, region: String = "", owner: AccountOwner? = nil) {
        self.region = region; self.owner = owner
        self.account = account; self.idempotencyKey = idempotencyKey; self.instanceId = instanceId
        self.serviceType = serviceType; self.termMonths = termMonths; self.amount = amount
        self.contactName = contactName; self.contactPhone = contactPhone
    }

    /// The request's parameters without the key: a console compares them to detect a key reused for
    /// another request (`IdempotentParameterMismatch`).
    public var fingerprint: String {
        "\(instanceId)|\(serviceType)|\(termMonths)|\(amount.yuanString)|\(contactName)|\(contactPhone)"
    }
}

public struct SubmitReceipt: Sendable, Hashable {
    public var ticket: String
    public init(ticket: String) { self.ticket = ticket }
}

public struct PollRequest: Sendable, Hashable {
    public var account: String
    public var ticket: String
    /// Whose inspection: an order made with a company's own account is polled with it.
    public var owner: AccountOwner?
    public init(account: String, ticket: String, owner: AccountOwner? = nil) {
        self.account = account; self.ticket = ticket; self.owner = owner
    }
}

/// The tenant and company an inspection belongs to (database ids), for per-company cloud accounts.
public struct AccountOwner: Sendable, Hashable {
    public var tenantId: Int64
    public var companyId: Int64
    public init(tenantId: Int64, companyId: Int64) { self.tenantId = tenantId; self.companyId = companyId }
}

public enum ReviewStatus: Sendable, Hashable {
    case reviewing
    case approved
    /// `message`: what the console said about it (a cloud's order remark), kept in the event for the operator.
    case rejected(RejectionReason, message: String? = nil)
}

/// A console failure, classed so the runner knows what to do with it.
public struct ConsoleError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// Technical trouble (login, button, progress, network): retried, never shown as a rejection.
        case transient(TransientErrorKind)
        /// Too many requests: pause this account's calls, spend no attempt.
        case throttled(retryAfterSeconds: Double)
        /// Will not succeed by retrying (bad request, key reused with other parameters).
        case permanent(code: String)
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) { self.kind = kind; self.message = message }

    public var description: String {
        switch kind {
        case .transient(let transient): return "transient \(transient.rawValue): \(message)"
        case .throttled(let after): return "throttled (retry after \(after)s): \(message)"
        case .permanent(let code): return "\(code): \(message)"
        }
    }
}

/// One instance whose status the runner asks before submitting (BSS `QueryAvailableInstances` and its
/// ECS/RDS twins). The adapter batches queries by account and product, up to 100 instances a call.
public struct StatusQuery: Sendable, Hashable {
    /// The console account (the tenant's main account).
    public var account: String
    /// Whose service: a company with its own cloud account is asked with it.
    public var owner: AccountOwner?
    public var instanceId: String
    public var serviceType: String
    /// The service's region (empty: the adapter's default region).
    public var region: String
    /// What the agency's records say: a console with no instances of its own (the mock) answers from them.
    public var recordedExpiry: CivilDate
    public var recordedRenewal: RenewalMethod?

    public init(account: String, owner: AccountOwner?, instanceId: String, serviceType: String, region: String,
                recordedExpiry: CivilDate, recordedRenewal: RenewalMethod?) {
        self.account = account; self.owner = owner; self.instanceId = instanceId; self.serviceType = serviceType
        self.region = region; self.recordedExpiry = recordedExpiry; self.recordedRenewal = recordedRenewal
    }
}

/// The console's answer for one queried instance: its status, `nil` when the account has no such instance,
/// or the error the query failed with.
public typealias StatusAnswer = Result<CloudInstanceStatus?, ConsoleError>

/// What the runner needs from a cloud console. Calls complete through a callback so that a call in
/// flight holds no thread: thousands can wait on two cores. A real adapter (HTTP to the cloud's API)
/// implements the same three calls.
public protocol ConsoleAdapter: Sendable {
    /// The status of each queried instance, answered in the order asked (the check before a submission).
    func queryStatus(_ queries: [StatusQuery], completion: @escaping @Sendable ([StatusAnswer]) -> Void)
    func submit(_ request: SubmitRequest, completion: @escaping @Sendable (Result<SubmitReceipt, ConsoleError>) -> Void)
    func poll(_ request: PollRequest, completion: @escaping @Sendable (Result<ReviewStatus, ConsoleError>) -> Void)
}
