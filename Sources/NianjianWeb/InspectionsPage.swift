import NianjianDomain
import NianjianStore

/// The inspections list: filters, pages, and requeue of the selected ones or of all that match.
enum InspectionsPage {
    struct Query: Sendable {
        var filter: InspectionListFilter
        var page: Int

        init(_ fields: FormFields) {
            let cycle = fields.text("cycle").flatMap { Int($0) }
            filter = InspectionListFilter(state: fields.text("state"), company: fields.text("company"),
                                          reason: fields.text("reason"), cycle: cycle)
            page = max(1, fields.text("page").flatMap { Int($0) } ?? 1)
        }

        func pairs(page: Int? = nil) -> [(String, String?)] {
            [("state", filter.state), ("company", filter.company), ("reason", filter.reason), ("cycle", filter.cycle.map(String.init)),
             ("page", page.map(String.init))]
        }
    }

    static func render(rows: [InspectionListRow], total: Int, query: Query, pageSize: Int, scope: TenantScope,
                       principal: Principal, language: Language, notice: String?) -> HTML {
        let base = "/t/" + percentEncode(scope.slug)
        let stateOptions = ([""] + InspectionState.allCases.map(\.rawValue)).map { state -> HTML in
            let selected: HTML = state == (query.filter.state ?? "") ? " selected" : .empty
            return "<option value=\"\(state)\"\(selected)>\(state.isEmpty ? t(language, "全部状态", "every state") : Page.stateName(state, language))</option>"
        }
        let reasons = [""] + RejectionReason.allCases.map(\.rawValue)
        let reasonOptions = reasons.map { reason -> HTML in
            let selected: HTML = reason == (query.filter.reason ?? "") ? " selected" : .empty
            return "<option value=\"\(reason)\"\(selected)>\(reason.isEmpty ? t(language, "任意原因", "any reason") : reason)</option>"
        }
        let canAct = principal.role.canAct
        let lines = rows.map { row -> HTML in
            let box: HTML = canAct ? "<td><input type=\"checkbox\" name=\"inspection_ids\" value=\"\(row.id)\"></td>" : .empty
            return """
                <tr>\(box)<td class="num"><a href="\(base + "/inspections/" + String(row.id))">\(row.id)</a></td><td><a href="\(base + "/companies/" + percentEncode(row.companyRef))">\(row.companyRef)</a></td><td>\(row.companyName)</td><td>\(row.serviceRef)</td><td class="num">\(row.cycle)</td><td>\(Page.stateBadge(row.state, language))</td><td>\(row.rejectionReason ?? "")</td><td>\(row.dueOn)</td><td>\(row.updatedAt)</td></tr>
                """
        }
        let pages = max(1, (total + pageSize - 1) / pageSize)
        let previous: HTML = query.page > 1
            ? "<a rel=\"prev\" href=\"\(base + "/inspections" + queryString(query.pairs(page: query.page - 1)))\">← \(t(language, "上一页", "previous"))</a>" : .empty
        let next: HTML = query.page < pages
            ? "<a rel=\"next\" href=\"\(base + "/inspections" + queryString(query.pairs(page: query.page + 1)))\">\(t(language, "下一页", "next")) →</a>" : .empty
        let headBox: HTML = canAct ? "<th><input type=\"checkbox\" id=\"select-all\" aria-label=\"all\"></th>" : .empty
        let hidden = query.pairs().compactMap { name, value -> HTML? in
            guard let value, !value.isEmpty, name != "page" else { return nil }
            return "<input type=\"hidden\" name=\"filter_\(name)\" value=\"\(value)\">"
        }
        let actions: HTML = canAct ? """
            <div class="actions">
            \(Page.csrfField(principal))\(hidden)
            <div><label for="note">\(t(language, "备注（必填）", "Note (required)"))</label><input id="note" name="note" size="40" required></div>
            <button type="submit" name="scope" value="selected" id="requeue-selected">\(t(language, "重新排队所选（先预演）", "Requeue the selected (dry run first)"))</button>
            <button type="submit" name="scope" value="filter" class="secondary" id="requeue-filter">\(t(language, "重新排队全部符合条件的（先预演）", "Requeue all that match (dry run first)"))</button>
            </div>
            """ : .empty
        let body: HTML = """
            <h1>\(t(language, "年检", "Inspections")) <span class="muted">(\(total))</span></h1>
            \(Page.notice(notice))
            <form class="filters" method="get" action="\(base + "/inspections")">
            <div><label for="f-state">\(t(language, "状态", "State"))</label><select id="f-state" name="state">\(stateOptions)</select></div>
            <div><label for="f-company">\(t(language, "公司（编号或名称）", "Company (ref or name)"))</label><input id="f-company" name="company" value="\(query.filter.company)"></div>
            <div><label for="f-reason">\(t(language, "驳回原因或检查代码", "Rejection reason or finding code"))</label><input id="f-reason" name="reason" list="reasons" value="\(query.filter.reason)"><datalist id="reasons">\(reasonOptions)</datalist></div>
            <div><label for="f-cycle">\(t(language, "周期", "Cycle"))</label><input id="f-cycle" name="cycle" size="6" value="\(query.filter.cycle.map(String.init))"></div>
            <button type="submit">\(t(language, "筛选", "Filter"))</button>
            </form>
            <form method="post" action="\(base + "/requeue")">
            \(actions)
            <table id="inspections"><thead><tr>\(headBox)<th class="num">#</th><th>\(t(language, "公司编号", "Company"))</th><th>\(t(language, "名称", "Name"))</th><th>\(t(language, "服务", "Service"))</th><th class="num">\(t(language, "周期", "Cycle"))</th><th>\(t(language, "状态", "State"))</th><th>\(t(language, "驳回原因", "Rejection"))</th><th>\(t(language, "到期日", "Due"))</th><th>\(t(language, "更新时间", "Updated"))</th></tr></thead>
            <tbody>\(lines)</tbody></table>
            </form>
            <div class="pager">\(previous)<span>\(t(language, "第 \(query.page) / \(pages) 页", "page \(query.page) of \(pages)"))</span>\(next)</div>
            """
        return Page.layout(title: t(language, "年检", "Inspections"), language: language, principal: principal, tenant: scope, body: body)
    }

    /// The dry run's count and the confirmation form that applies the same request.
    static func confirm(matched: [(id: Int64, company: String, service: String, from: String)], fields: [(String, String)],
                        scope: TenantScope, principal: Principal, language: Language) -> HTML {
        let base = "/t/" + percentEncode(scope.slug)
        let hidden = fields.map { name, value -> HTML in "<input type=\"hidden\" name=\"\(name)\" value=\"\(value)\">" }
        let list = matched.prefix(200).map { item -> HTML in
            "<tr><td class=\"num\"><a href=\"\(base + "/inspections/" + String(item.id))\">\(item.id)</a></td><td>\(item.company)</td><td>\(item.service)</td><td>\(Page.stateBadge(item.from, language))</td></tr>"
        }
        let apply: HTML = matched.isEmpty ? "<p><a href=\"\(base + "/inspections")\">\(t(language, "返回", "Back"))</a></p>" : """
            <form method="post" action="\(base + "/requeue")">\(Page.csrfField(principal))\(hidden)<input type="hidden" name="confirm" value="yes">
            <button type="submit" id="confirm-requeue">\(t(language, "确认重新排队 \(matched.count) 项", "Confirm: requeue \(matched.count)"))</button>
            <a href="\(base + "/inspections")">\(t(language, "取消", "Cancel"))</a></form>
            """
        let body: HTML = """
            <h1>\(t(language, "预演：重新排队", "Dry run: requeue"))</h1>
            <p class="notice" id="dry-run-count">\(t(language, "将重新排队 \(matched.count) 项（尚未更改任何内容）。", "\(matched.count) would be requeued (nothing has changed yet)."))</p>
            \(apply)
            <table><thead><tr><th class="num">#</th><th>\(t(language, "公司", "Company"))</th><th>\(t(language, "服务", "Service"))</th><th>\(t(language, "当前状态", "Now"))</th></tr></thead><tbody>\(list)</tbody></table>
            """
        return Page.layout(title: t(language, "预演", "Dry run"), language: language, principal: principal, tenant: scope, body: body)
    }
}
