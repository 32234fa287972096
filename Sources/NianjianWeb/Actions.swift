import Foundation
import NianjianDomain
import NianjianOperations
import NianjianStore

/// The state changes shared by the pages and the API. Each names the user in its event or audit row.
extension WebConsole {
    /// `Requeuer.requeue` (the CLI's) as this user; an unknown company or service is a 404, a bad note or
    /// state a 400, both bilingual.
    func requeue(_ scope: TenantScope, _ principal: Principal, states: [InspectionState]?, company: String?, reason: String?,
                 ids: [Int64]?, note: String, dryRun: Bool) async throws -> RequeueResult {
        let request = RequeueRequest(states: states ?? [.needsMaterials, .rejected, .failed], reasonCode: reason, companyRef: company,
                                     inspectionIds: ids, note: note, operatorName: principal.actor, now: businessNow, dryRun: dryRun)
        if let ids, !ids.isEmpty {
            // Ids the tenant does not have (another tenant's, or none) are a 404, not "requeued 0".
            let distinct = Array(Set(ids))
            let visible = try await asTenant(scope) { try WebQueries.countVisibleInspections($0, ids: distinct) }
            guard visible == distinct.count else { throw WebError.notFound }
        }
        let database = self.database
        let record = scope.record
        do {
            return try await offThePool { try Requeuer.requeue(database: database, tenant: record, request) }
        } catch let error as OperationsError {
            let notFound = ["unknown_company", "unknown_service", "unknown_reason"].contains(error.code)
            throw WebError(notFound ? .notFound : .badRequest, code: error.code,
                           en: error.messageEn.replacingOccurrences(of: "--company ", with: "company ")
                               .replacingOccurrences(of: "--note ", with: "the note ").replacingOccurrences(of: "--state ", with: "state "),
                           zh: error.messageZh.replacingOccurrences(of: "--company ", with: "公司 ")
                               .replacingOccurrences(of: "--note ", with: "备注 ").replacingOccurrences(of: "--state ", with: "状态 "))
        }
    }

    static func parseStates(_ text: String?) throws -> [InspectionState]? {
        guard let text, !text.isEmpty else { return nil }
        var states: [InspectionState] = []
        for name in text.split(separator: ",") {
            guard let state = InspectionState(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                throw WebError.badRequest("unknown state \"\(name)\": use needs_materials, rejected or failed",
                                          "未知状态「\(name)」：请使用 needs_materials、rejected 或 failed", code: "bad_state")
            }
            states.append(state)
        }
        return states
    }

    /// Whether the inspection is the tenant's (another tenant's id finds nothing: 404).
    func requireInspection(_ scope: TenantScope, id: Int64) async throws -> InspectionDetailRow {
        guard let detail = try await asTenant(scope, { try WebQueries.selectInspection($0, id: id) }) else { throw WebError.notFound }
        return detail
    }

    /// Cancels one inspection with the user's note; 409 when its state cannot be cancelled.
    func cancel(_ scope: TenantScope, _ principal: Principal, id: Int64, note: String) async throws {
        let trimmed = note.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.count <= 2000 else {
            throw WebError.badRequest("The note must say why (1 to 2000 characters).", "备注必须说明原因（1 到 2000 个字符）。", code: "bad_note")
        }
        let detail = try await requireInspection(scope, id: id)
        let detailJSON = JSONValue.object([("note", .string(trimmed)), ("operator", .string(principal.actor))]).text
        let tenantId = scope.id
        let actor = principal.actor
        let at = businessNow.description
        let cancelled = try await asTenant(scope) {
            try WebQueries.cancelInspection($0, tenantId: tenantId, id: id, actor: actor, detailJSON: detailJSON, businessAt: at)
        }
        guard cancelled != nil else {
            throw WebError(.conflict, code: "not_cancellable",
                           en: "Inspection \(id) is \(detail.inspection.state)\(detail.leased ? " and being worked on by a runner" : ""): it cannot be cancelled now.",
                           zh: "年检 \(id) 当前为 \(detail.inspection.state)\(detail.leased ? "且正由批次处理" : "")：现在不能取消。")
        }
    }

    /// A web action that is not an inspection event (imports, tenant settings), inside the tenant's RLS.
    func audit(_ scope: TenantScope?, _ principal: Principal, action: String, detail: JSONValue) async throws {
        let actor = principal.actor
        let json = detail.text
        if let scope {
            let id = scope.id
            try await asTenant(scope) { try WebQueries.insertAudit($0, tenantId: id, actor: actor, action: action, detailJSON: json) }
        } else {
            try await database.run { try WebQueries.insertAudit($0, tenantId: nil, actor: actor, action: action, detailJSON: json) }
        }
    }
}
