import Foundation
import NianjianDomain
import NianjianPostgres
import NianjianStore

/// What to re-queue.
public struct RequeueRequest: Sendable, Hashable {
    public var states: [InspectionState]
    /// A rejection reason (`incomplete_materials`…) or a finding code (`uscc.check_character`…).
    public var reasonCode: String?
    public var companyRef: String?
    /// One service (service_ref): its inspections only.
    public var serviceRef: String?
    public var inspectionIds: [Int64]?
    public var note: String
    /// Who asks (recorded as the event's actor).
    public var operatorName: String
    /// The business clock's now: when the re-queued work is due.
    public var now: Timestamp
    public var dryRun: Bool

    public init(states: [InspectionState] = [.needsMaterials, .rejected, .failed], reasonCode: String? = nil,
                companyRef: String? = nil, serviceRef: String? = nil, inspectionIds: [Int64]? = nil, note: String,
                operatorName: String, now: Timestamp, dryRun: Bool = false) {
        self.states = states; self.reasonCode = reasonCode; self.companyRef = companyRef; self.serviceRef = serviceRef
        self.inspectionIds = inspectionIds; self.note = note; self.operatorName = operatorName; self.now = now
        self.dryRun = dryRun
    }
}

/// One inspection moved back to pending.
public struct RequeuedItem: Sendable, Hashable, Codable {
    public var inspectionId: Int64
    public var companyRef: String
    public var serviceRef: String
    public var fromState: String
    /// The rejection reason, the finding codes, or the last error: why it was where it was.
    public var reason: String

    enum CodingKeys: String, CodingKey {
        case reason
        case inspectionId = "inspection_id"
        case companyRef = "company_ref"
        case serviceRef = "service_ref"
        case fromState = "from_state"
    }
}

public struct RequeueResult: Sendable, Hashable, Codable {
    public var tenant: String
    public var dryRun: Bool
    public var moved: [RequeuedItem]

    enum CodingKeys: String, CodingKey {
        case tenant, moved
        case dryRun = "dry_run"
    }
}

/// `nianjian requeue`: needs_materials / rejected / failed back to pending, with the operator's note.
public enum Requeuer {
    public static func requeue(database: Database, tenant: TenantRecord, _ request: RequeueRequest) throws -> RequeueResult {
        if let bad = request.states.first(where: { !$0.isRequeueable }) {
            throw OperationsError(code: "bad_state",
                                  en: "--state \(bad.rawValue) cannot be re-queued: only needs_materials, rejected and failed can",
                                  zh: "--state \(bad.rawValue) 不能重新排队：只有 needs_materials、rejected、failed 可以")
        }
        let note = request.note.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !note.isEmpty, note.count <= 2000 else {
            throw OperationsError(code: "bad_note", en: "--note must say why (1 to 2000 characters)",
                                  zh: "--note 必须说明原因（1 到 2000 个字符）")
        }
        let states = request.states.isEmpty ? [.needsMaterials, .rejected, .failed] : request.states
        let filter = RequeueFilter(states: states, reasonCode: request.reasonCode, companyRef: request.companyRef,
                                   serviceRef: request.serviceRef, inspectionIds: request.inspectionIds)
        let machine = InspectionStateMachine()
        let moved: [RequeuedItem] = try database.runBlocking { session in
            try session.asTenant(tenant.id) {
                try checkNamedRefs(session, request)
                let candidates = try RequeueQueries.selectRequeueCandidates(session, filter, lock: !request.dryRun)
                var writes: [RequeueWrite] = []
                var items: [Int64: RequeuedItem] = [:]
                for candidate in candidates {
                    let snapshot = InspectionSnapshot(state: candidate.state, attempts: candidate.attempts,
                                                      idempotencyKey: candidate.idempotencyKey, ticket: candidate.ticket,
                                                      renewed: false, generation: candidate.generation,
                                                      rejectionReason: candidate.rejectionReason, lastError: candidate.lastError)
                    let identity = InspectionIdentity(tenantId: String(tenant.id), inspectionId: String(candidate.id),
                                                      cycle: candidate.cycle)
                    guard case .success(let transition) = machine.transition(snapshot, on: .requeued(note: note),
                                                                             identity: identity, now: request.now, jitter: 0)
                    else { continue }
                    let reason = candidate.rejectionReason?.rawValue
                        ?? (candidate.findingCodes.isEmpty ? nil : candidate.findingCodes.joined(separator: ","))
                        ?? candidate.lastError ?? ""
                    let detail: [String: Any] = [
                        "note": note, "operator": request.operatorName, "reason": reason,
                        "previous_generation": candidate.generation, "generation": transition.snapshot.generation,
                        "previous_attempts": candidate.attempts,
                    ]
                    let detailJSON = String(decoding: try JSONSerialization.data(withJSONObject: detail, options: [.sortedKeys]),
                                            as: UTF8.self)
                    writes.append(RequeueWrite(id: candidate.id, from: candidate.state, snapshot: transition.snapshot,
                                               eventDetailJSON: detailJSON))
                    items[candidate.id] = RequeuedItem(inspectionId: candidate.id, companyRef: candidate.companyRef,
                                                       serviceRef: candidate.serviceRef, fromState: candidate.state.rawValue,
                                                       reason: reason)
                }
                if request.dryRun { return writes.compactMap { items[$0.id] } }
                let written = try RequeueQueries.writeRequeues(session, tenantId: tenant.id, writes, nextAttemptAt: request.now,
                                                               actor: request.operatorName)
                return writes.filter { written.contains($0.id) }.compactMap { items[$0.id] }
            }
        }
        return RequeueResult(tenant: tenant.slug, dryRun: request.dryRun, moved: moved)
    }

    /// A company, service or reason the tenant does not have is an error naming it, not "re-queued 0".
    static func checkNamedRefs(_ session: PostgresSession, _ request: RequeueRequest) throws {
        guard request.companyRef != nil || request.serviceRef != nil || request.reasonCode != nil else { return }
        let known = try RequeueQueries.selectNamedRefs(session, companyRef: request.companyRef, serviceRef: request.serviceRef,
                                                       reasonCode: request.reasonCode)
        if let company = request.companyRef, !known.company {
            throw OperationsError(code: "unknown_company",
                                  en: "--company \(quoted(company)): this tenant has no such company_ref; check the spelling (see the report) and try again",
                                  zh: "--company \(quoted(company))：该租户没有这个 company_ref；请核对拼写（见报告）后重试")
        }
        if let service = request.serviceRef {
            guard let owner = known.serviceOwner else {
                throw OperationsError(code: "unknown_service",
                                      en: "--service \(quoted(service)): this tenant has no such service_ref; check the spelling (see the report) and try again",
                                      zh: "--service \(quoted(service))：该租户没有这个 service_ref；请核对拼写（见报告）后重试")
            }
            if let company = request.companyRef, owner != company {
                throw OperationsError(code: "service_not_of_company",
                                      en: "--service \(quoted(service)) belongs to company \(quoted(owner)), not \(quoted(company)): drop --company or correct it",
                                      zh: "--service \(quoted(service)) 属于公司 \(quoted(owner))，而不是 \(quoted(company))：请去掉或更正 --company")
            }
        }
        if let reason = request.reasonCode, RejectionReason(rawValue: reason) == nil, FindingCode(rawValue: reason) == nil,
           !known.reasonSeen {
            throw OperationsError(code: "unknown_reason",
                                  en: "--reason-code \(quoted(reason)) is neither a rejection reason (\(RejectionReason.allCases.map(\.rawValue).joined(separator: ", "))) nor a finding code (see `nianjian check --help` or the report)",
                                  zh: "--reason-code \(quoted(reason)) 既不是驳回原因（\(RejectionReason.allCases.map(\.rawValue).joined(separator: "、"))），也不是检查结果代码（见报告）")
        }
    }

    /// The operator's name from the environment (`$USER`, `$LOGNAME`), for the event's actor.
    public static func operatorName(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let name = environment["USER"] ?? environment["LOGNAME"] ?? ""
        let clean = String(name.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.prefix(64).map(Character.init))
        return clean.isEmpty ? "operator" : clean
    }
}
