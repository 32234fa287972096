import NianjianDomain
import NianjianOperations
import NianjianReports
import NianjianSpreadsheet
import NianjianStore

/// Upload the four spreadsheets, see the dry run (problems as file:line:column, or what would change), apply.
enum ImportPage {
    static func form(scope: TenantScope, principal: Principal, language: Language, error: HTML = .empty) -> HTML {
        let base = "/t/" + percentEncode(scope.slug)
        let body: HTML = """
            <h1>\(t(language, "导入客户表格", "Import the client spreadsheets"))</h1>
            \(error)
            <p class="muted">\(t(language, "上传 companies.csv、contracts.csv、services.csv、materials.csv（UTF-8、带 BOM 的 UTF-8 或 GB18030）。先预演，确认无误后再应用：全部成功或全部不变。",
                                 "Upload companies.csv, contracts.csv, services.csv, materials.csv (UTF-8, UTF-8 with BOM or GB18030). A dry run first, then apply: all or nothing."))</p>
            <form method="post" action="\(base + "/import")" enctype="multipart/form-data" class="actions">
            \(Page.csrfField(principal))
            <input type="file" name="files" id="files" multiple accept=".csv,text/csv">
            <button type="submit" id="dry-run">\(t(language, "预演", "Dry run"))</button>
            </form>
            """
        return Page.layout(title: t(language, "导入", "Import"), language: language, principal: principal, tenant: scope, body: body)
    }

    static func refused(_ failure: ImportFailure, scope: TenantScope, principal: Principal, language: Language) -> HTML {
        let problems = failure.problems.map { problem -> HTML in "<li>\(problem.description(in: language))</li>" }
        return form(scope: scope, principal: principal, language: language, error: """
            <div class="error" id="import-problems"><p>\(t(language, "导入被拒绝：共 \(failure.problems.count) 个问题，数据库未更改。", "Import refused: \(failure.problems.count) problem(s); the database is unchanged."))</p><ul>\(problems)</ul></div>
            """)
    }

    static func summary(_ summary: ImportSummary, stagedKey: String?, scope: TenantScope, principal: Principal,
                        language: Language) -> HTML {
        let base = "/t/" + percentEncode(scope.slug)
        let files = summary.files.sorted { $0.key < $1.key }.map { name, counts -> HTML in
            "<tr><td>\(name)</td><td>\(summary.encodings[name] ?? "")</td><td class=\"num\">\(counts.created)</td><td class=\"num\">\(counts.updated)</td><td class=\"num\">\(counts.unchanged)</td></tr>"
        }
        let changes = summary.changes.prefix(500).map { change -> HTML in
            "<tr><td>\(change.file):\(change.line)</td><td>\(change.key)</td><td>\(change.action)</td><td>\(change.fields.joined(separator: ", "))</td></tr>"
        }
        let notes = (summary.notes + summary.sheetBehind.map { $0.message(language) }).map { note -> HTML in "<li>\(note)</li>" }
        let apply: HTML = stagedKey.map { key in
            """
            <form method="post" action="\(base + "/import/apply")" class="actions">\(Page.csrfField(principal))<input type="hidden" name="upload" value="\(key)">
            <button type="submit" id="apply-import">\(t(language, "应用导入", "Apply the import"))</button></form>
            """
        } ?? "<p class=\"notice\" id=\"import-applied\">\(t(language, "已导入（批次 \(summary.batchId.map(String.init) ?? "—")）。", "Imported (batch \(summary.batchId.map(String.init) ?? "—"))."))</p>"
        let body: HTML = """
            <h1>\(summary.dryRun ? t(language, "预演结果", "Dry run") : t(language, "导入完成", "Imported"))</h1>
            \(apply)
            <table><thead><tr><th>\(t(language, "文件", "File"))</th><th>\(t(language, "编码", "Encoding"))</th><th class="num">\(t(language, "新增", "Created"))</th><th class="num">\(t(language, "更新", "Updated"))</th><th class="num">\(t(language, "不变", "Unchanged"))</th></tr></thead><tbody>\(files)</tbody></table>
            <ul>\(notes)</ul>
            <h2>\(t(language, "变更", "Changes")) (\(summary.changes.count))</h2>
            <table><thead><tr><th>\(t(language, "位置", "Where"))</th><th>\(t(language, "键", "Key"))</th><th>\(t(language, "动作", "Action"))</th><th>\(t(language, "字段", "Fields"))</th></tr></thead><tbody>\(changes)</tbody></table>
            """
        return Page.layout(title: t(language, "导入", "Import"), language: language, principal: principal, tenant: scope, body: body)
    }
}

/// Download links: the same renderings as `nianjian report`.
enum ReportsPage {
    static func render(scope: TenantScope, principal: Principal, language: Language) -> HTML {
        let base = "/t/" + percentEncode(scope.slug) + "/reports/"
        let links = ["html", "csv", "json"].map { format -> HTML in
            "<li><a id=\"report-\(format)\" href=\"\(base + format + queryString([("lang", language.rawValue)]))\">\(format.uppercased())</a></li>"
        }
        let body: HTML = """
            <h1>\(t(language, "报告", "Reports"))</h1>
            <p class="muted">\(t(language, "与 nianjian report 相同的报告。", "The same reports as nianjian report."))</p>
            <ul>\(links)</ul>
            """
        return Page.layout(title: t(language, "报告", "Reports"), language: language, principal: principal, tenant: scope, body: body)
    }
}

/// The platform operator's page: one line per tenant, with its weight and limits to edit.
enum PlatformPage {
    static func render(_ summary: PlatformSummary, tenants: [TenantRecord], principal: Principal, language: Language,
                       notice: String?) -> HTML {
        let states: [InspectionState] = [.pending, .inReview, .approved, .needsMaterials, .rejected, .failed]
        let head = states.map { state -> HTML in "<th class=\"num\">\(Page.stateName(state.rawValue, language))</th>" }
        let lines = summary.rows.map { row -> HTML in
            let record = tenants.first { $0.slug == row.tenantSlug }
            let counts = states.map { state -> HTML in "<td class=\"num\">\(row.count(of: state))</td>" }
            let slug = row.tenantSlug
            return """
                <tr id="tenant-\(slug)"><td><a href="\("/t/" + percentEncode(slug))">\(slug)</a></td><td>\(row.tenantName)</td><td class="num">\(row.totalCount)</td>\(counts)<td class="num">¥\(row.renewalTotal.yuanString)</td><td>\(row.lastRunAt ?? "—")</td>
                <td><form method="post" action="\("/platform/tenants/" + percentEncode(slug))" class="actions">\(Page.csrfField(principal))
                <input name="weight" size="4" value="\(record.map { String($0.weight) })" aria-label="weight">
                <input name="max_concurrency" size="5" value="\(record?.maxConcurrency.map(String.init))" placeholder="\(t(language, "默认", "default"))" aria-label="max concurrency">
                <input name="submit_rate" size="5" value="\(record?.submitRate)" placeholder="\(t(language, "默认", "default"))" aria-label="submit rate">
                <input name="poll_rate" size="5" value="\(record?.pollRate)" placeholder="\(t(language, "默认", "default"))" aria-label="poll rate">
                <button type="submit">\(t(language, "保存", "Save"))</button></form></td></tr>
                """
        }
        let body: HTML = """
            <h1>\(t(language, "平台", "Platform"))</h1>
            \(Page.notice(notice))
            <p class="muted">\(t(language, "每个租户一行（与 report --all 相同）。权重、并发上限、提交/轮询速率（留空为作业文件默认值）。", "One line per tenant (as report --all). Weight, max concurrency, submit/poll rates (empty: the job file's default)."))</p>
            <table id="tenants"><thead><tr><th>\(t(language, "租户", "Tenant"))</th><th>\(t(language, "名称", "Name"))</th><th class="num">\(t(language, "总数", "Total"))</th>\(head)<th class="num">\(t(language, "续费金额", "Renewed"))</th><th>\(t(language, "最近批次", "Last run"))</th><th>\(t(language, "权重 · 并发 · 提交/秒 · 轮询/秒", "weight · concurrency · submits/s · polls/s"))</th></tr></thead><tbody>\(lines)</tbody></table>
            <p><a href="/platform/report.html">HTML</a> · <a href="/platform/report.csv">CSV</a> · <a href="/platform/report.json">JSON</a></p>
            """
        return Page.layout(title: t(language, "平台", "Platform"), language: language, principal: principal, body: body)
    }
}
