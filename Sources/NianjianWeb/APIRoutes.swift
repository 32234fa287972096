import Foundation
import Hummingbird
import NianjianDomain
import NianjianOperations
import NianjianStore

/// `/api/v1`: the report, inspections, one inspection with its events, requeue and cancel. JSON in and out;
/// browser sessions send `X-CSRF-Token` on POST, bearer tokens need none.
struct APIRoutes: Sendable {
    let console: WebConsole

    struct RequeueBody: Decodable {
        var state: String?
        var company: String?
        var inspectionIds: [Int64]?
        var note: String?
        var dryRun: Bool?

        enum CodingKeys: String, CodingKey {
            case state, company, note
            case inspectionIds = "inspection_ids"
            case dryRun = "dry_run"
        }
    }

    func register(_ router: Router<WebContext>) {
        let api = router.group("api/v1/tenants/:slug")
        api.get("report") { _, context in
            let (_, scope) = try await console.readScope(context)
            let report = try await console.report(scope)
            return JSONOut.raw(ReportOutput.render(report, format: "json", language: context.language, toFile: false) ?? "{}")
        }
        api.get("inspections") { request, context in
            let (_, scope) = try await console.readScope(context)
            let query = InspectionsPage.Query(FormFields(urlEncoded: request.uri.query ?? ""))
            let size = console.options.pageSize
            let filter = query.filter
            let offset = (query.page - 1) * size
            let page = try await console.asTenant(scope) { try WebQueries.selectInspections($0, filter, limit: size, offset: offset) }
            return JSONOut.response([
                "tenant": .string(scope.slug), "total": .int(page.total), "page": .int(query.page), "page_size": .int(size),
                "inspections": .array(page.rows.map(Self.json)),
            ])
        }
        api.get("inspections/:id") { _, context in
            let (_, scope) = try await console.readScope(context)
            guard let id = Int64(context.parameters.get("id") ?? "") else { throw WebError.notFound }
            let found = try await console.asTenant(scope) { session -> (InspectionDetailRow, [InspectionEventRow])? in
                guard let detail = try WebQueries.selectInspection(session, id: id) else { return nil }
                return (detail, try WebQueries.selectEvents(session, inspectionId: id))
            }
            guard let (detail, events) = found else { throw WebError.notFound }
            guard case .object(var fields) = Self.json(detail.inspection) else { throw WebError.notFound }
            fields += [
                ("legal_representative", .string(detail.legalRepresentative)), ("service_type", .string(detail.serviceType)),
                ("console_instance_id", .string(detail.consoleInstanceId)), ("region", .string(detail.region)),
                ("expires_on", .string(detail.expiresOn)), ("renewal_amount", .string(detail.renewalAmount)),
                ("renewal_method", .optional(detail.renewalMethod)), ("contract_number", .string(detail.contractNumber)),
                ("contract_amount", .optional(detail.contractAmount)), ("console_ticket", .optional(detail.ticket)),
                ("renewed_until", .optional(detail.renewedUntil)), ("findings", .raw(Self.validJSON(detail.findingsJSON, fallback: "[]"))),
                ("events", .array(events.map { event in
                    .object([("id", .int(Int(event.id))), ("at", .string(event.at)), ("business_at", .string(event.businessAt)),
                             ("actor", .string(event.actor)), ("kind", .string(event.kind)), ("from", .optional(event.fromState)),
                             ("to", .string(event.toState)), ("detail", .raw(Self.validJSON(event.detailJSON, fallback: "{}")))])
                })),
            ]
            return JSONOut.response(.object(fields))
        }
        api.post("requeue") { request, context in
            let (principal, scope) = try await console.actScope(request, context, formToken: nil)
            let data = try await request.body.collect(upTo: 1024 * 1024)
            let body: RequeueBody
            do {
                body = try JSONDecoder().decode(RequeueBody.self, from: Data(buffer: data))
            } catch {
                throw WebError.badRequest("The body must be JSON: {\"state\", \"company\", \"inspection_ids\", \"note\", \"dry_run\"}.",
                                          "请求体应为 JSON：{\"state\", \"company\", \"inspection_ids\", \"note\", \"dry_run\"}。", code: "bad_json")
            }
            let states = try WebConsole.parseStates(body.state)
            let company = body.company.flatMap { $0.isEmpty ? nil : $0 }
            let dry = try await console.requeue(scope, principal, states: states, company: company, reason: nil, ids: body.inspectionIds,
                                                note: body.note ?? "", dryRun: true)
            var requeued = 0
            if !(body.dryRun ?? false) && !dry.moved.isEmpty {
                requeued = try await console.requeue(scope, principal, states: states, company: company, reason: nil,
                                                     ids: body.inspectionIds, note: body.note ?? "", dryRun: false).moved.count
            }
            return JSONOut.response(["matched": .int(dry.moved.count), "requeued": .int(requeued)])
        }
        api.post("inspections/:id/cancel") { request, context in
            let (principal, scope) = try await console.actScope(request, context, formToken: nil)
            guard let id = Int64(context.parameters.get("id") ?? "") else { throw WebError.notFound }
            let data = try await request.body.collect(upTo: 64 * 1024)
            let note = (try? JSONDecoder().decode(RequeueBody.self, from: Data(buffer: data)))?.note ?? ""
            try await console.cancel(scope, principal, id: id, note: note)
            return JSONOut.response(["cancelled": .bool(true)])
        }
    }

    static func json(_ row: InspectionListRow) -> JSONValue {
        .object([
            ("id", .int(Int(row.id))), ("company_ref", .string(row.companyRef)), ("company_name", .string(row.companyName)),
            ("service_ref", .string(row.serviceRef)), ("cycle", .int(row.cycle)), ("state", .string(row.state)),
            ("attempts", .int(row.attempts)), ("rejection_reason", .optional(row.rejectionReason)),
            ("last_error", .optional(row.lastError)), ("due_on", .string(row.dueOn)), ("updated_at", .string(row.updatedAt)),
        ])
    }

    /// Stored JSON passed through only when it parses (it came from our own writers).
    static func validJSON(_ text: String, fallback: String) -> String {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) != nil ? text : fallback
    }
}
