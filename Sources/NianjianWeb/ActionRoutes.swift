import Foundation
import Hummingbird
import NianjianDomain
import NianjianOperations
import NianjianSpreadsheet
import NianjianStore

/// The forms' POSTs: requeue (dry run, then confirm), requeue or cancel one, import (dry run, then apply),
/// a tenant's settings. Every one checks the CSRF token, the tenant (404) and the role (403).
struct ActionRoutes: Sendable {
    let console: WebConsole

    func register(_ router: Router<WebContext>) {
        router.post("/t/:slug/requeue") { request, context in try await requeue(request, context) }
        router.post("/t/:slug/inspections/:id/requeue") { request, context in
            let form = try await formFields(request)
            let (principal, scope) = try await console.actScope(request, context, formToken: form["csrf_token"])
            guard let id = Int64(context.parameters.get("id") ?? "") else { throw WebError.notFound }
            _ = try await console.requireInspection(scope, id: id)
            let result = try await console.requeue(scope, principal, states: nil, company: nil, reason: nil, ids: [id],
                                                   note: form["note"] ?? "", dryRun: false)
            guard !result.moved.isEmpty else {
                throw WebError(.conflict, code: "not_requeueable", en: "Inspection \(id) cannot be requeued in its state.",
                               zh: "年检 \(id) 当前状态不能重新排队。")
            }
            return Page.redirect("/t/\(percentEncode(scope.slug))/inspections/\(id)?done=requeued")
        }
        router.post("/t/:slug/inspections/:id/cancel") { request, context in
            let form = try await formFields(request)
            let (principal, scope) = try await console.actScope(request, context, formToken: form["csrf_token"])
            guard let id = Int64(context.parameters.get("id") ?? "") else { throw WebError.notFound }
            try await console.cancel(scope, principal, id: id, note: form["note"] ?? "")
            return Page.redirect("/t/\(percentEncode(scope.slug))/inspections/\(id)?done=cancelled")
        }
        router.post("/t/:slug/import") { request, context in try await importDryRun(request, context) }
        router.post("/t/:slug/import/apply") { request, context in
            let form = try await formFields(request)
            let (principal, scope) = try await console.actScope(request, context, formToken: form["csrf_token"])
            guard let upload = await console.staging.take(form["upload"] ?? "", owner: principal.name, tenantId: scope.id) else {
                throw WebError.badRequest("This upload has expired or was already applied: upload the files again.",
                                          "该上传已过期或已应用：请重新上传文件。", code: "upload_expired")
            }
            return try await runImport(upload.files, source: upload.source, dryRun: false, principal: principal, scope: scope,
                                       language: context.language)
        }
        router.post("/platform/tenants/:slug") { request, context in
            let form = try await formFields(request)
            let principal = try context.requirePrincipal()
            try context.requireCSRF(request, principal: principal, formToken: form["csrf_token"])
            guard principal.isPlatform else { throw WebError.notFound }
            let slug = try context.parameters.require("slug")
            var changes = TenantChanges()
            func number(_ name: String) throws -> Int? {
                guard let text = form.text(name) else { return nil }
                guard let value = Int(text) else {
                    throw WebError.badRequest("\(name) must be a whole number.", "\(name) 应为整数。", code: "bad_number")
                }
                return value
            }
            changes.weight = try number("weight")
            if let value = try number("max_concurrency") { changes.maxConcurrency = value } else { changes.clearMaxConcurrency = true }
            if let rate = form.text("submit_rate") { changes.submitRate = rate } else { changes.clearSubmitRate = true }
            if let rate = form.text("poll_rate") { changes.pollRate = rate } else { changes.clearPollRate = true }
            let database = console.database
            let checked = changes
            do {
                _ = try await offThePool { try TenantAdmin.set(database: database, slug: slug, changes: checked) }
            } catch let error as OperationsError {
                throw WebError(error.code == "unknown_tenant" ? .notFound : .badRequest, code: error.code,
                               en: error.messageEn, zh: error.messageZh)
            }
            try await console.audit(nil, principal, action: "tenant_settings", detail: .object([
                ("tenant", .string(slug)), ("weight", form.text("weight").map(JSONValue.string) ?? .null),
                ("max_concurrency", .optional(form.text("max_concurrency"))), ("submit_rate", .optional(form.text("submit_rate"))),
                ("poll_rate", .optional(form.text("poll_rate"))),
            ]))
            return Page.redirect("/platform?saved=\(percentEncode(slug))")
        }
    }

    func formFields(_ request: Request) async throws -> FormFields {
        let body = try await request.body.collect(upTo: 1024 * 1024)
        return FormFields(urlEncoded: String(buffer: body))
    }

    func requeue(_ request: Request, _ context: WebContext) async throws -> Response {
        let form = try await formFields(request)
        let (principal, scope) = try await console.actScope(request, context, formToken: form["csrf_token"])
        let note = form["note"] ?? ""
        let byFilter = form["scope"] == "filter"
        var ids: [Int64]?
        var states: [InspectionState]?
        var company: String?
        var reason: String?
        if byFilter {
            states = try WebConsole.parseStates(form.text("filter_state"))
            company = form.text("filter_company")
            reason = form.text("filter_reason")
        } else {
            let selected = form.all("inspection_ids").compactMap { Int64($0) }
            guard !selected.isEmpty else {
                throw WebError.badRequest("Select at least one inspection, or requeue all that match the filter.",
                                          "请至少选择一项年检，或重新排队全部符合条件的年检。", code: "nothing_selected")
            }
            ids = selected
        }
        let confirmed = form["confirm"] == "yes"
        let result = try await console.requeue(scope, principal, states: states, company: company, reason: reason, ids: ids,
                                               note: note, dryRun: !confirmed)
        if confirmed {
            return Page.redirect("/t/\(percentEncode(scope.slug))/inspections?requeued=\(result.moved.count)")
        }
        var carried: [(String, String)] = [("note", note), ("scope", byFilter ? "filter" : "selected")]
        for name in ["filter_state", "filter_company", "filter_reason"] { if let value = form.text(name) { carried.append((name, value)) } }
        for id in ids ?? [] { carried.append(("inspection_ids", String(id))) }
        let matched = result.moved.map { (id: $0.inspectionId, company: $0.companyRef, service: $0.serviceRef, from: $0.fromState) }
        return Page.response(InspectionsPage.confirm(matched: matched, fields: carried, scope: scope, principal: principal,
                                                     language: context.language))
    }

    func importDryRun(_ request: Request, _ context: WebContext) async throws -> Response {
        let contentType = request.headers[.contentType] ?? ""
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        guard let boundary = Multipart.boundary(contentType: contentType),
              let parts = Multipart.parse(Array(buffer: body), boundary: boundary) else {
            throw WebError.badRequest("Send the spreadsheets as a multipart/form-data upload.", "请以 multipart/form-data 上传表格。",
                                      code: "bad_upload")
        }
        let csrf = parts.first { $0.name == "csrf_token" }.map { String(decoding: $0.body, as: UTF8.self) }
        let (principal, scope) = try await console.actScope(request, context, formToken: csrf)
        var files: [String: [UInt8]] = [:]
        for part in parts where part.filename != nil && !(part.filename ?? "").isEmpty {
            let name = ((part.filename ?? "") as NSString).lastPathComponent.lowercased()
            files[name] = part.body
        }
        guard !files.isEmpty else {
            return Page.response(ImportPage.form(scope: scope, principal: principal, language: context.language,
                                                 error: "<p class=\"error\">\(t(context.language, "请选择要上传的文件。", "Choose the files to upload."))</p>"),
                                 status: .badRequest)
        }
        let source = "web:" + files.keys.sorted().joined(separator: ",")
        return try await runImport(files, source: source, dryRun: true, principal: principal, scope: scope, language: context.language)
    }

    func runImport(_ files: [String: [UInt8]], source: String, dryRun: Bool, principal: Principal, scope: TenantScope,
                   language: Language) async throws -> Response {
        let database = console.database
        let record = scope.record
        let sourceName = source + " by " + principal.actor
        let result = try await offThePool {
            try Importer.importFiles(database: database, tenant: record, files: files, source: sourceName, dryRun: dryRun)
        }
        switch result {
        case .failure(let failure):
            return Page.response(ImportPage.refused(failure, scope: scope, principal: principal, language: language),
                                 status: .unprocessableContent)
        case .success(let summary):
            var key: String?
            if dryRun {
                key = await console.staging.put(ImportStaging.Upload(owner: principal.name, tenantId: scope.id, files: files,
                                                                     source: source, at: Date()))
            } else {
                try await console.audit(scope, principal, action: "import", detail: .object([
                    ("source", .string(source)), ("batch_id", summary.batchId.map { .string(String($0)) } ?? .null),
                    ("changed", .int(summary.totalChanged)),
                ]))
            }
            return Page.response(ImportPage.summary(summary, stagedKey: key, scope: scope, principal: principal, language: language))
        }
    }
}
