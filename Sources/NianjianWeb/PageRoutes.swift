import Foundation
import Hummingbird
import NianjianDomain
import NianjianOperations
import NianjianReports
import NianjianStore

/// The pages (GET): overview, inspections, one inspection, a company, import form, reports, platform.
struct PageRoutes: Sendable {
    let console: WebConsole

    func register(_ router: Router<WebContext>) {
        router.get("/t/:slug") { _, context in try await overview(context) }
        router.get("/t/:slug/inspections") { request, context in try await inspections(request, context) }
        router.get("/t/:slug/inspections/:id") { request, context in try await inspection(request, context) }
        router.get("/t/:slug/companies/:ref") { _, context in
            let (principal, scope) = try await console.readScope(context)
            let ref = try context.parameters.require("ref")
            guard let company = try await console.asTenant(scope, { try WebQueries.selectCompany($0, ref: ref) }) else {
                throw WebError.notFound
            }
            return Page.response(CompanyPage.render(company, scope: scope, principal: principal, language: context.language))
        }
        router.get("/t/:slug/import") { _, context in
            let (principal, scope) = try await console.readScope(context)
            guard principal.role.canAct else { throw WebError.forbidden }
            return Page.response(ImportPage.form(scope: scope, principal: principal, language: context.language))
        }
        router.get("/t/:slug/reports") { _, context in
            let (principal, scope) = try await console.readScope(context)
            return Page.response(ReportsPage.render(scope: scope, principal: principal, language: context.language))
        }
        router.get("/t/:slug/reports/:format") { _, context in
            let (_, scope) = try await console.readScope(context)
            let format = try context.parameters.require("format")
            guard ["html", "csv", "json"].contains(format) else { throw WebError.notFound }
            let report = try await console.report(scope)
            guard let text = ReportOutput.render(report, format: format, language: context.language, toFile: true) else {
                throw WebError.notFound
            }
            return download(text, format: format, name: "\(scope.slug)-\(report.asOf.description)")
        }
        router.get("/platform") { request, context in
            let principal = try context.requirePrincipal()
            guard principal.isPlatform else { throw WebError.notFound }
            let asOf = console.asOf
            let database = console.readDatabase, marked = console.readsElsewhere
            let (summary, tenants) = try await offThePool {
                (try ReportBuilder.platformSummary(database: database, asOf: asOf, replicaMark: marked), try TenantAdmin.list(database: database))
            }
            let saved = FormFields(urlEncoded: request.uri.query ?? "").text("saved")
            let notice = saved.map { t(context.language, "已保存租户 \($0) 的设置。", "Saved the settings of tenant \($0).") }
            return Page.response(PlatformPage.render(summary, tenants: tenants, principal: principal, language: context.language,
                                                     notice: notice))
        }
        router.get("/platform/report.:format") { _, context in
            let principal = try context.requirePrincipal()
            guard principal.isPlatform else { throw WebError.notFound }
            let format = try context.parameters.require("format")
            let asOf = console.asOf
            let database = console.readDatabase, marked = console.readsElsewhere
            let summary = try await offThePool { try ReportBuilder.platformSummary(database: database, asOf: asOf, replicaMark: marked) }
            guard ["html", "csv", "json"].contains(format),
                  let text = ReportOutput.render(summary, format: format, language: context.language, toFile: true) else {
                throw WebError.notFound
            }
            return download(text, format: format, name: "platform-\(asOf.description)")
        }
    }

    func download(_ text: String, format: String, name: String) -> Response {
        let type = ["html": "text/html; charset=utf-8", "csv": "text/csv; charset=utf-8", "json": "application/json; charset=utf-8"][format]
            ?? "application/octet-stream"
        let safeName = String(name.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_") }
            .map(Character.init))
        var headers: HTTPFields = [.contentType: type]
        headers[.contentDisposition] = "attachment; filename=\"\(safeName).\(format)\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    func overview(_ context: WebContext) async throws -> Response {
        let (principal, scope) = try await console.readScope(context)
        let (report, going) = try await console.overview(scope)
        return Page.response(OverviewPage.render(report, scope: scope, principal: principal, language: context.language,
                                                 runGoing: going, refreshSeconds: console.options.refreshSeconds))
    }

    func inspections(_ request: Request, _ context: WebContext) async throws -> Response {
        let (principal, scope) = try await console.readScope(context)
        let fields = FormFields(urlEncoded: request.uri.query ?? "")
        let query = InspectionsPage.Query(fields)
        let size = console.options.pageSize
        let filter = query.filter
        let offset = (query.page - 1) * size
        let page = try await console.asTenant(scope) { try WebQueries.selectInspections($0, filter, limit: size, offset: offset) }
        let notice = fields.text("requeued").flatMap(Int.init).map {
            t(context.language, "已重新排队 \($0) 项。", "Requeued \($0).")
        }
        return Page.response(InspectionsPage.render(rows: page.rows, total: page.total, query: query, pageSize: size, scope: scope,
                                                    principal: principal, language: context.language, notice: notice))
    }

    func inspection(_ request: Request, _ context: WebContext) async throws -> Response {
        let (principal, scope) = try await console.readScope(context)
        guard let id = Int64(context.parameters.get("id") ?? "") else { throw WebError.notFound }
        let found = try await console.asTenant(scope) { session -> (InspectionDetailRow, [InspectionEventRow])? in
            guard let detail = try WebQueries.selectInspection(session, id: id) else { return nil }
            return (detail, try WebQueries.selectEvents(session, inspectionId: id))
        }
        guard let (detail, events) = found else { throw WebError.notFound }
        let done = FormFields(urlEncoded: request.uri.query ?? "").text("done")
        let notice: String? = switch done {
        case "requeued": t(context.language, "已重新排队。", "Requeued.")
        case "cancelled": t(context.language, "已取消。", "Cancelled.")
        default: nil
        }
        return Page.response(InspectionPage.render(detail, events: events, scope: scope, principal: principal,
                                                   language: context.language, notice: notice))
    }
}

extension WebConsole {
    /// The overview's figures without reading every inspection: counts and the renewal total by aggregate
    /// (the same "current inspection per service" as the report), nights, expiring services and runs.
    func overview(_ scope: TenantScope) async throws -> (report: TenantReport, runGoing: Bool) {
        let asOf = self.asOf
        let window = ReportBuilder.expiringWindowDays
        let (data, replayedAt) = try await readAsTenant(scope) { session in
            (totals: try ReportQueries.selectPlatformRow(session),
             expiring: try ReportQueries.selectExpiringWithoutInspection(session, through: asOf.adding(days: window)),
             runs: try ReportQueries.selectRecentRuns(session, limit: 10),
             nights: try ReportQueries.selectNightlyProgress(session, from: asOf.adding(days: -13), through: asOf),
             going: try WebQueries.selectRunGoing(session))
        }
        var report = ReportBuilder.build(slug: scope.slug, name: scope.name, asOf: asOf, calendar: .china, current: [],
                                         expiring: data.expiring, runs: data.runs, nights: data.nights)
        report.counts = data.totals.counts
        report.renewalTotal = data.totals.renewalTotal
        report.replicaReplayAt = replayedAt
        return (report, data.going)
    }


    /// The tenant's report, read through its row-level security (the builder blocks: off the pool).
    func report(_ scope: TenantScope) async throws -> TenantReport {
        let database = readDatabase, marked = readsElsewhere
        let record = scope.record
        let asOf = self.asOf
        return try await offThePool {
            var report = try ReportBuilder.tenantReport(database: database, tenant: record, asOf: asOf)
            if marked { report.replicaReplayAt = try database.runBlocking { try ReplicaQueries.replayMark($0) } }
            return report
        }
    }
}
