import NianjianDomain
import NianjianReports

/// A tenant's landing page: counts by state, the nights' progress, renewal total, expiring services without
/// an inspection, the last runs. Refreshes itself while a run is going.
enum OverviewPage {
    static func render(_ report: TenantReport, scope: TenantScope, principal: Principal, language: Language,
                       runGoing: Bool, refreshSeconds: Int) -> HTML {
        let base = "/t/" + percentEncode(scope.slug)
        let states: [InspectionState] = [.pending, .submitting, .inReview, .approved, .needsMaterials, .rejected, .failed, .cancelled]
        let cards = states.map { state -> HTML in
            """
            <a class="card" id="count-\(state.rawValue)" href="\(base + "/inspections" + queryString([("state", state.rawValue)]))"><div class="value">\(report.count(of: state))</div><div class="label">\(Page.stateName(state.rawValue, language))</div></a>
            """
        }
        let going: HTML = runGoing
            ? "<p class=\"notice\" id=\"run-going\">\(t(language, "批次运行中：本页每 \(refreshSeconds) 秒刷新。", "A run is going: this page refreshes every \(refreshSeconds) seconds."))</p>"
            : .empty
        let expiring = report.expiringWithoutInspection.prefix(50).map { item -> HTML in
            """
            <tr><td><a href="\(base + "/companies/" + percentEncode(item.companyRef))">\(item.companyRef)</a></td><td>\(item.companyName)</td><td>\(item.serviceRef)</td><td>\(item.expiresOn.description)</td><td class="num">\(item.daysLeft)</td></tr>
            """
        }
        let runs = report.recentRuns.map { run -> HTML in
            let states = run.byState.sorted { $0.key < $1.key }.map { "\(Page.stateName($0.key, language)) \($0.value)" }.joined(separator: " · ")
            return """
                <tr><td class="num">\(run.runId)</td><td>\(run.asOf.description)</td><td>\(run.startedAt)</td><td>\(run.finishedAt ?? t(language, "运行中", "running"))</td><td class="num">\(run.claimed)</td><td>\(states)</td></tr>
                """
        }
        let none: HTML = "<p class=\"muted\">\(t(language, "没有。", "None."))</p>"
        let expiringTable: HTML = expiring.isEmpty ? none : """
            <table><thead><tr><th>\(t(language, "公司编号", "Company"))</th><th>\(t(language, "名称", "Name"))</th><th>\(t(language, "服务", "Service"))</th><th>\(t(language, "到期日", "Expires"))</th><th class="num">\(t(language, "剩余天数", "Days left"))</th></tr></thead><tbody>\(expiring)</tbody></table>
            """
        let runsTable: HTML = runs.isEmpty ? "<p class=\"muted\">\(t(language, "还没有运行过。", "No run yet."))</p>" : """
            <table><thead><tr><th class="num">#</th><th>\(t(language, "业务日期", "Night"))</th><th>\(t(language, "开始", "Started"))</th><th>\(t(language, "结束", "Finished"))</th><th class="num">\(t(language, "处理", "Claimed"))</th><th>\(t(language, "结果", "Outcomes"))</th></tr></thead><tbody>\(runs)</tbody></table>
            """
        // Read from a standby: say how old the figures may be.
        let replicaMark: HTML = report.replicaReplayAt.map { replayed -> HTML in
            "<p class=\"notice\" id=\"replica-mark\">\(ReportRenderer.replicaLine(replayed, language))</p>"
        } ?? .empty
        let body: HTML = """
            <h1>\(scope.name) <span class="muted">\(scope.slug)</span></h1>
            \(going)
            \(replicaMark)
            <p class="muted">\(t(language, "截至 \(report.asOf.description)，本周期 \(report.cycle)", "As of \(report.asOf.description), cycle \(report.cycle)"))</p>
            <div class="cards">
            <div class="card" id="count-total"><div class="value">\(report.totalCount)</div><div class="label">\(t(language, "年检总数", "inspections in total"))</div></div>
            \(cards)
            <div class="card" id="renewal-total"><div class="value">¥\(report.renewalTotal.yuanString)</div><div class="label">\(t(language, "已续费金额", "renewed amount"))</div></div>
            </div>
            <h2>\(t(language, "各夜进度", "Progress by night"))</h2>
            \(chart(report.nightlyProgress, language: language))
            <h2>\(t(language, "即将到期但尚无年检的服务", "Services expiring without an inspection")) (\(report.expiringWithoutInspection.count))</h2>
            \(expiringTable)
            <h2>\(t(language, "最近的批次", "Last runs"))</h2>
            \(runsTable)
            """
        return Page.layout(title: t(language, "概览", "Overview"), language: language, principal: principal, tenant: scope,
                           refreshSeconds: runGoing ? refreshSeconds : 0, body: body)
    }

    /// Stacked bars per night (SVG with presentation attributes and classes: no inline style).
    static func chart(_ nights: [NightProgress], language: Language) -> HTML {
        guard !nights.isEmpty else { return "<p class=\"muted\">\(t(language, "还没有数据。", "No data yet."))</p>" }
        let series: [(String, KeyPath<NightProgress, Int>)] = [
            ("approved", \.approved), ("in_review", \.inReview), ("needs_materials", \.needsMaterials),
            ("rejected", \.rejected), ("failed", \.failed),
        ]
        let width = 720, height = 200, left = 40, bottom = 24
        let peak = max(1, nights.map(\.total).max() ?? 1)
        let slot = (width - left) / max(1, nights.count)
        let barWidth = max(4, slot * 6 / 10)
        var bars: [HTML] = []
        for (index, night) in nights.enumerated() {
            var y = height - bottom
            let x = left + index * slot + (slot - barWidth) / 2
            for (name, path) in series {
                let value = night[keyPath: path]
                guard value > 0 else { continue }
                let h = max(1, value * (height - bottom - 10) / peak)
                y -= h
                bars.append("<rect class=\"bar-\(name)\" x=\"\(x)\" y=\"\(y)\" width=\"\(barWidth)\" height=\"\(h)\"><title>\(night.date.description) \(Page.stateName(name, language)): \(value)</title></rect>")
            }
            bars.append("<text x=\"\(x + barWidth / 2)\" y=\"\(height - 8)\" font-size=\"10\" text-anchor=\"middle\">\(String(night.date.description.suffix(5)))</text>")
        }
        let legend = series.map { name, _ -> HTML in "<span><i class=\"sw sw-\(name)\"></i>\(Page.stateName(name, language))</span>" }
        return """
            <svg class="chart" id="progress-chart" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" role="img" aria-label="\(t(language, "各夜进度", "Progress by night"))">
            <text x="4" y="14" font-size="10">\(peak)</text><line x1="\(left)" y1="\(height - bottom)" x2="\(width)" y2="\(height - bottom)" stroke="#9aa5b1"/>
            \(bars)</svg>
            <div class="legend">\(legend)</div>
            """
    }
}
