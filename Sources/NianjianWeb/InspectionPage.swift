import NianjianDomain
import NianjianOperations
import NianjianStore

/// One inspection: company, service, contract, findings with remedies, ticket, last error, its whole history,
/// and requeue or cancel with a note.
enum InspectionPage {
    static func render(_ detail: InspectionDetailRow, events: [InspectionEventRow], scope: TenantScope, principal: Principal,
                       language: Language, notice: String?) -> HTML {
        let base = "/t/" + percentEncode(scope.slug)
        let row = detail.inspection
        let findings = ReportBuilder.findings(detail.findingsJSON).map { finding -> HTML in
            """
            <tr><td>\(finding.code)</td><td>\(language == .zh ? finding.messageZh : finding.messageEn)</td><td>\(language == .zh ? finding.remedyZh : finding.remedyEn)</td></tr>
            """
        }
        let history = events.map { event -> HTML in
            let from = event.fromState.map { Page.stateName($0, language) } ?? "—"
            return """
                <tr class="event"><td>\(event.at)</td><td>\(event.businessAt)</td><td class="actor">\(event.actor)</td><td>\(event.kind)</td><td>\(from) → \(Page.stateName(event.toState, language))</td><td><pre>\(event.detailJSON)</pre></td></tr>
                """
        }
        let contract: String = detail.contractAmount.map { amount in
            "\(detail.contractNumber) · ¥\(amount) · \(detail.contractPeriod ?? "")"
        } ?? (detail.contractNumber.isEmpty ? "—" : t(language, "\(detail.contractNumber)（未登记）", "\(detail.contractNumber) (not on file)"))
        let requeueable = ["needs_materials", "rejected", "failed"].contains(row.state) && !detail.leased
        let cancellable = ["pending", "needs_materials", "rejected", "failed", "in_review"].contains(row.state) && !detail.leased
        var actions: [HTML] = []
        if principal.role.canAct && (requeueable || cancellable) {
            let requeue: HTML = requeueable
                ? "<button type=\"submit\" formaction=\"\(base + "/inspections/" + String(row.id) + "/requeue")\" id=\"requeue\">\(t(language, "重新排队", "Requeue"))</button>" : .empty
            let cancel: HTML = cancellable
                ? "<button type=\"submit\" class=\"danger\" formaction=\"\(base + "/inspections/" + String(row.id) + "/cancel")\" id=\"cancel\" data-confirm=\"\(t(language, "确定取消这项年检？", "Cancel this inspection?"))\">\(t(language, "取消年检", "Cancel the inspection"))</button>" : .empty
            actions.append("""
                <form method="post" action="\(base + "/inspections/" + String(row.id) + "/requeue")" class="actions">
                \(Page.csrfField(principal))
                <div><label for="note">\(t(language, "备注（必填）", "Note (required)"))</label><input id="note" name="note" size="40" required></div>
                \(requeue)\(cancel)
                </form>
                """)
        }
        let findingsTable: HTML = findings.isEmpty ? "<p class=\"muted\">\(t(language, "没有。", "None."))</p>" : """
            <table id="findings"><thead><tr><th>\(t(language, "代码", "Code"))</th><th>\(t(language, "问题", "Finding"))</th><th>\(t(language, "处理办法", "Remedy"))</th></tr></thead><tbody>\(findings)</tbody></table>
            """
        let body: HTML = """
            <h1>\(t(language, "年检", "Inspection")) #\(row.id) \(Page.stateBadge(row.state, language))</h1>
            \(Page.notice(notice))
            <dl class="facts">
            <dt>\(t(language, "公司", "Company"))</dt><dd><a href="\(base + "/companies/" + percentEncode(row.companyRef))">\(row.companyRef)</a> \(detail.companyName) · \(t(language, "法定代表人", "legal representative")) \(detail.legalRepresentative)</dd>
            <dt>\(t(language, "服务", "Service"))</dt><dd>\(row.serviceRef) · \(detail.serviceType) · \(detail.consoleInstanceId) · \(detail.region)</dd>
            <dt>\(t(language, "到期 / 续费", "Expiry / renewal"))</dt><dd>\(detail.expiresOn) · ¥\(detail.renewalAmount) · \(detail.renewalMethod ?? "?")\(detail.renewedUntil.map { " → " + $0 } ?? "")</dd>
            <dt>\(t(language, "合同", "Contract"))</dt><dd>\(contract)</dd>
            <dt>\(t(language, "周期 / 尝试", "Cycle / attempts"))</dt><dd>\(row.cycle) · \(row.attempts)</dd>
            <dt>\(t(language, "控制台工单", "Console ticket"))</dt><dd id="ticket">\(detail.ticket ?? "—")</dd>
            <dt>\(t(language, "驳回原因", "Rejection reason"))</dt><dd>\(row.rejectionReason ?? "—")</dd>
            <dt>\(t(language, "最后错误", "Last error"))</dt><dd>\(row.lastError ?? "—")</dd>
            </dl>
            \(actions)
            <h2>\(t(language, "检查结果与处理办法", "Findings and remedies"))</h2>
            \(findingsTable)
            <h2>\(t(language, "历史", "History")) (\(events.count))</h2>
            <table id="events"><thead><tr><th>\(t(language, "时间", "When"))</th><th>\(t(language, "业务时间", "Business time"))</th><th>\(t(language, "执行者", "Who"))</th><th>\(t(language, "事件", "Event"))</th><th>\(t(language, "状态", "From → to"))</th><th>\(t(language, "详情", "Detail"))</th></tr></thead><tbody>\(history)</tbody></table>
            """
        return Page.layout(title: t(language, "年检 #\(row.id)", "Inspection #\(row.id)"), language: language, principal: principal,
                           tenant: scope, body: body)
    }
}

/// A company: its materials, contracts, services and their inspections.
enum CompanyPage {
    static func render(_ company: CompanyDetailRow, scope: TenantScope, principal: Principal, language: Language) -> HTML {
        let base = "/t/" + percentEncode(scope.slug)
        func table(_ id: String, _ headers: [String], _ rows: [[String]]) -> HTML {
            let head = headers.map { header -> HTML in "<th>\(header)</th>" }
            let body = rows.map { cells -> HTML in "<tr>\(cells.map { cell -> HTML in "<td>\(cell)</td>" })</tr>" }
            return "<table id=\"\(id)\"><thead><tr>\(head)</tr></thead><tbody>\(body)</tbody></table>"
        }
        let inspections = company.inspections.map { row -> HTML in
            """
            <tr><td class="num"><a href="\(base + "/inspections/" + String(row.id))">\(row.id)</a></td><td>\(row.serviceRef)</td><td class="num">\(row.cycle)</td><td>\(Page.stateBadge(row.state, language))</td><td>\(row.rejectionReason ?? "")</td><td>\(row.updatedAt)</td></tr>
            """
        }
        let body: HTML = """
            <h1>\(company.name) <span class="muted">\(company.companyRef)</span></h1>
            <dl class="facts"><dt>\(t(language, "法定代表人", "Legal representative"))</dt><dd>\(company.legalRepresentative)</dd>
            <dt>\(t(language, "联系人", "Contact"))</dt><dd>\(company.contact)</dd></dl>
            <h2>\(t(language, "材料", "Materials"))</h2>
            \(table("materials", [t(language, "种类", "Kind"), t(language, "编号", "Number"), t(language, "持有人", "Holder"), t(language, "生效", "From"), t(language, "有效至", "Until")], company.materials))
            <h2>\(t(language, "合同", "Contracts"))</h2>
            \(table("contracts", [t(language, "合同号", "Number"), t(language, "金额", "Amount"), t(language, "开始", "Starts"), t(language, "结束", "Ends")], company.contracts))
            <h2>\(t(language, "服务", "Services"))</h2>
            \(table("services", [t(language, "服务", "Service"), t(language, "类型", "Type"), t(language, "地域", "Region"), t(language, "到期", "Expires"), t(language, "续费金额", "Renewal"), t(language, "合同号", "Contract")], company.services))
            <h2>\(t(language, "年检", "Inspections"))</h2>
            <table><thead><tr><th class="num">#</th><th>\(t(language, "服务", "Service"))</th><th class="num">\(t(language, "周期", "Cycle"))</th><th>\(t(language, "状态", "State"))</th><th>\(t(language, "驳回原因", "Rejection"))</th><th>\(t(language, "更新时间", "Updated"))</th></tr></thead><tbody>\(inspections)</tbody></table>
            """
        return Page.layout(title: company.name, language: language, principal: principal, tenant: scope, body: body)
    }
}
