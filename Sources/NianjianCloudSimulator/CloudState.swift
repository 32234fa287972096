import Foundation
import NianjianDomain

/// What the simulated cloud remembers: instances, orders, ClientTokens, the business date. With a state
/// folder every change is journaled (fsync) before it is answered, and replayed at start, so a `kill -9`
/// loses nothing that was acknowledged; without one it lives in memory.
public actor CloudState {
    public let settings: SimulatorSettings
    let calendar: BusinessCalendar
    private let journal: Journal?
    private var memory: Memory
    private let realToday: @Sendable () -> CivilDate

    /// The file inside the state folder.
    public static let journalName = "journal.jsonl"

    public init(settings: SimulatorSettings, stateDirectory: String?, calendar: BusinessCalendar = .china,
                realToday: @escaping @Sendable () -> CivilDate = { RealClock.now().chinaDate }) throws {
        self.settings = settings
        self.calendar = calendar
        self.realToday = realToday
        var memory = Memory()
        if let stateDirectory {
            try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
            let journal = try Journal(path: stateDirectory + "/" + Self.journalName)
            self.journal = journal
            let decoder = JSONDecoder()
            for (number, line) in journal.replayed.enumerated() {
                let record: JournalRecord
                do {
                    record = try decoder.decode(JournalRecord.self, from: Data(line))
                } catch {
                    throw Journal.Failure(description: "\(journal.path): record \(number + 1) is unreadable: \(error)")
                }
                memory.apply(record)
            }
            journal.dropReplayed()
        } else {
            journal = nil
        }
        self.memory = memory
    }

    // MARK: Business date

    public func businessDate() -> CivilDate { memory.clockDate ?? realToday() }

    public func setBusinessDate(_ date: CivilDate) throws {
        try record(JournalRecord(businessDate: date))
        try settleDue()
    }

    // MARK: Instances

    /// Adds instances; an instance already known is replaced only when `replace` is true (a restart with
    /// `--instances` keeps what renewals did). Returns how many were added and replaced.
    public func load(_ loaded: [CloudInstance], replace: Bool) throws -> (added: Int, replaced: Int) {
        var batch: [CloudInstance] = []
        var added = 0, replaced = 0
        for instance in loaded {
            if let existing = memory.instances[instance.instanceId] {
                guard replace, existing != instance else { continue }
                replaced += 1
            } else {
                added += 1
            }
            batch.append(instance)
        }
        if !batch.isEmpty { try record(JournalRecord(instances: batch)) }
        return (added, replaced)
    }

    public func instance(_ id: String) throws -> CloudInstance? {
        try settleDue()
        return memory.instances[id]
    }

    public func allInstances() throws -> [CloudInstance] {
        try settleDue()
        return memory.instances.values.sorted { $0.instanceId < $1.instanceId }
    }

    public func condition(of instance: CloudInstance) -> InstanceCondition {
        InstanceCondition(expiresOn: instance.expiresOn, on: businessDate(), warningDays: settings.waitForExpireDays)
    }

    // MARK: Orders

    public struct RenewCommand: Sendable {
        public var accessKeyId: String
        public var clientToken: String
        public var fingerprint: String
        /// The product the call is for (nil: any), the region it names (nil: any).
        public var product: String?
        public var region: String?
        public var instanceId: String
        public var periodMonths: Int
        public var now: Int64

        public init(accessKeyId: String, clientToken: String, fingerprint: String, product: String?, region: String?,
                    instanceId: String, periodMonths: Int, now: Int64) {
            self.accessKeyId = accessKeyId; self.clientToken = clientToken; self.fingerprint = fingerprint
            self.product = product; self.region = region; self.instanceId = instanceId; self.periodMonths = periodMonths
            self.now = now
        }
    }

    public enum RenewOutcome: Sendable {
        case created(CloudOrder)
        /// The ClientToken was seen with the same parameters: the first order, nothing new.
        case duplicate(CloudOrder)
    }

    public func renew(_ command: RenewCommand) throws -> RenewOutcome {
        try settleDue()
        let tokenKey = command.accessKeyId + "\n" + command.clientToken
        if let first = memory.tokens[tokenKey].flatMap({ memory.orders[$0] }) {
            guard first.fingerprint == command.fingerprint else { throw CloudError.idempotentMismatch }
            return .duplicate(first)
        }
        guard let instance = memory.instances[command.instanceId],
              command.product.map({ $0 == instance.product }) ?? true,
              command.region.map({ $0 == instance.region }) ?? true else {
            throw CloudError.instanceNotFound(command.instanceId)
        }
        let today = businessDate()
        let condition = condition(of: instance)
        if condition == .expired { throw CloudError.instanceStatus(instance.instanceId, condition.bss) }
        let ordinal = memory.ordersPerInstance[instance.instanceId, default: 0]
        let order = CloudOrder(
            orderId: Self.orderId(memory.orderSequence + 1), accessKeyId: command.accessKeyId, clientToken: command.clientToken,
            fingerprint: command.fingerprint, product: instance.product, instanceId: instance.instanceId,
            periodMonths: command.periodMonths, createdAt: command.now, orderedOn: today,
            decidedOn: settings.reviewBusinessDays > 0 ? calendar.adding(businessDays: settings.reviewBusinessDays, to: today) : today,
            rejection: decide(instance: instance, periodMonths: command.periodMonths, ordinal: ordinal,
                              accessKeyId: command.accessKeyId),
            status: .unpaid, settledOn: nil)
        try record(JournalRecord(order: order))
        try settleDue()
        return .created(memory.orders[order.orderId] ?? order)
    }

    /// The order if it is this account's.
    public func order(_ id: String, accessKeyId: String) throws -> CloudOrder? {
        try settleDue()
        guard let order = memory.orders[id], order.accessKeyId == accessKeyId else { return nil }
        return order
    }

    /// Every order, oldest first (the control plane's and the tests' view: which account made which order).
    public func allOrders() throws -> [CloudOrder] {
        try settleDue()
        return memory.orders.values.sorted { $0.orderId < $1.orderId }
    }

    public struct Totals: Sendable {
        public var instances: Int
        public var orders: Int
        public var unpaid: Int
        public var paid: Int
        public var cancelled: Int
    }

    public func totals() throws -> Totals {
        try settleDue()
        var paid = 0, cancelled = 0
        for order in memory.orders.values {
            if order.status == .paid { paid += 1 } else if order.status == .cancelled { cancelled += 1 }
        }
        return Totals(instances: memory.instances.count, orders: memory.orders.count, unpaid: memory.unpaid.count, paid: paid, cancelled: cancelled)
    }

    /// Decided by the seed and what is ordered (account, product, instance, its expiry, period, and how many
    /// orders the instance had before), so the same run gets the same decisions.
    private func decide(instance: CloudInstance, periodMonths: Int, ordinal: Int, accessKeyId: String) -> RejectionReason? {
        let text = "\(accessKeyId)/\(instance.product)/\(instance.instanceId)/\(instance.expiresOn)/\(periodMonths)/\(ordinal)"
        var random = SeededRandom(seed: settings.seed ^ fnv1a(text) ^ 0x0DE7_C1DE)
        let roll = random.unit()
        var cumulative = 0.0
        for reason in RejectionReason.allCases {
            cumulative += settings.rejectionRates[reason] ?? 0
            if roll < cumulative { return reason }
        }
        return nil
    }

    /// Orders whose review ended by the business date are paid (the instance's expiry moves by the period,
    /// once: the settlement is journaled with the new expiry) or cancelled.
    private func settleDue() throws {
        // Every request comes through here: nothing to do until the earliest decision date is reached (the
        // soak found a sort of every unpaid order per request: 40 requests/s with 50,000 orders in review).
        let today = businessDate()
        guard let earliest = memory.earliestDecision, earliest <= today else { return }
        for id in memory.unpaid.sorted() {
            guard let order = memory.orders[id], order.decidedOn <= today else { continue }
            var settlement = Settlement(orderId: id, status: order.rejection == nil ? .paid : .cancelled, on: today)
            if settlement.status == .paid, let instance = memory.instances[order.instanceId] {
                settlement.expiresOn = instance.expiresOn.adding(months: order.periodMonths)
            }
            try record(JournalRecord(settlement: settlement))
        }
        memory.earliestDecision = memory.unpaid.compactMap { memory.orders[$0]?.decidedOn }.min()
    }

    static func orderId(_ sequence: Int) -> String {
        let digits = String(sequence)
        return "21" + String(repeating: "0", count: max(0, 13 - digits.count)) + digits
    }

    // MARK: Journal

    /// Durable first, then applied.
    private func record(_ record: JournalRecord) throws {
        if let journal {
            let line: Data
            do {
                line = try JSONEncoder().encode(record)
                try journal.append([UInt8](line))
            } catch {
                throw CloudError(status: 500, code: "InternalError", message: "the simulator could not write its state: \(error)")
            }
        }
        memory.apply(record)
    }
}

/// The state itself, as the journal's records build it.
struct Memory {
    var instances: [String: CloudInstance] = [:]
    var orders: [String: CloudOrder] = [:]
    var orderSequence = 0
    /// accessKeyId + "\n" + ClientToken → order id.
    var tokens: [String: String] = [:]
    var unpaid: Set<String> = []
    /// No unpaid order is decided before this (a lower bound; nil: none unpaid): settling is skipped until then.
    var earliestDecision: CivilDate?
    var ordersPerInstance: [String: Int] = [:]
    var clockDate: CivilDate?

    mutating func apply(_ record: JournalRecord) {
        for instance in record.instances ?? [] { instances[instance.instanceId] = instance }
        if let order = record.order {
            orders[order.orderId] = order
            tokens[order.accessKeyId + "\n" + order.clientToken] = order.orderId
            unpaid.insert(order.orderId)
            earliestDecision = min(earliestDecision ?? order.decidedOn, order.decidedOn)
            ordersPerInstance[order.instanceId, default: 0] += 1
            orderSequence += 1
        }
        if let settlement = record.settlement, var order = orders[settlement.orderId], order.status == .unpaid {
            order.status = settlement.status
            order.settledOn = settlement.on
            orders[order.orderId] = order
            unpaid.remove(order.orderId)
            if let expiresOn = settlement.expiresOn { instances[order.instanceId]?.expiresOn = expiresOn }
        }
        if let date = record.businessDate { clockDate = date }
    }
}

struct Settlement: Codable, Sendable {
    var orderId: String
    var status: PaymentStatus
    var on: CivilDate
    /// The instance's expiry after a payment.
    var expiresOn: CivilDate?
}

/// One journal line: one of its fields is set.
struct JournalRecord: Codable, Sendable {
    var instances: [CloudInstance]?
    var order: CloudOrder?
    var settlement: Settlement?
    var businessDate: CivilDate?

    init(instances: [CloudInstance]? = nil, order: CloudOrder? = nil, settlement: Settlement? = nil, businessDate: CivilDate? = nil) {
        self.instances = instances; self.order = order; self.settlement = settlement; self.businessDate = businessDate
    }
}

/// FNV-1a 64.
func fnv1a(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash = hash &* 0x100_0000_01b3
    }
    return hash
}

/// The real time (never the business clock): signatures' date window, order times.
public enum RealClock {
    public static func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(microseconds: Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1000)
    }

    public static func seconds() -> Int64 { now().microseconds / 1_000_000 }
}
