// `--format html`: ONE self-contained file a manager can open, print and forward. No network at all:
// no external CSS, JavaScript, fonts or images; a Content-Security-Policy forbids loading anything even if
// a future change slipped. Charts are inline SVG with text labels. All user data goes through
// `HTMLText.escape` (the `Cell.text`/`Cell.number` paths and `e(_:)`); only renderer-built markup is raw.

import NianjianDomain

extension ReportRenderer {
    public static func html(_ report: TenantReport, language: Language) -> String {
        let l = ReportLabels.forLanguage(language)
        var body = ""

        body += "<header>\n<h1>\(e(l.title)) — \(e(report.tenantName))</h1>\n"
        body += "<p class=\"meta\">\(e(l.tenant)): \(e(report.tenantSlug)) · \(e(l.asOf)) \(report.asOf) · "
        body += "\(e(l.cycle)) \(report.cycle)</p>\n"
        if let replayed = report.replicaReplayAt { body += "<p class=\"meta\">\(e(replicaLine(replayed, language)))</p>\n" }
        body += "</header>\n"

        // Summary cards.
        body += "<section class=\"cards\">\n"
        let cards: [(String, String)] = [
            (l.total, String(report.totalCount)),
            (l.stateName(.approved), String(report.count(of: .approved))),
            (l.stateName(.inReview), String(report.count(of: .inReview))),
            (l.stateName(.needsMaterials), String(report.count(of: .needsMaterials))),
            (l.stateName(.rejected), String(report.count(of: .rejected))),
            (l.stateName(.failed), String(report.count(of: .failed))),
            (l.renewalTotal, report.renewalTotal.yuanString),
        ]
        for (label, value) in cards {
            body += "<div class=\"card\"><div class=\"n\">\(e(value))</div><div class=\"k\">\(e(label))</div></div>\n"
        }
        body += "</section>\n"

        // Charts.
        body += "<section class=\"charts\">\n"
        body += "<figure>\n<figcaption>\(e(l.stateChartTitle))</figcaption>\n\(stateChart(report, labels: l))</figure>\n"
        body += "<figure>\n<figcaption>\(e(l.progressSection))</figcaption>\n"
        body += "\(progressChart(report.nightlyProgress, labels: l))</figure>\n"
        body += "</section>\n"

        // Counts.
        body += section(l.countsSection, count: nil)
        body += htmlTable(
            headers: [.text(l.state), .number(l.count)],
            rows: InspectionState.allCases.map { state in
                [.html("<span class=\"swatch\" style=\"background:\(stateColor(state))\"></span>\(e(l.stateName(state)))"),
                 .number(String(report.count(of: state)))]
            },
            footer: [.text(l.total), .number(String(report.totalCount))], labels: l)

        // Approved.
        body += section(l.approvedSection, count: report.approved.count)
        body += htmlTable(
            headers: [.text(l.companyRef), .text(l.companyName), .text(l.serviceRef), .text(l.renewedUntil), .number(l.amount)],
            rows: report.approved.map { item in
                [.text(item.companyRef), .text(item.companyName), .text(item.serviceRef),
                 .text(item.renewedUntil.description), .number(item.amount.yuanString)]
            },
            footer: [.text(l.renewalTotal), .text(""), .text(""), .text(""), .number(report.renewalTotal.yuanString)],
            labels: l)

        // Companies needing attention: each once, its services' states, its distinct findings with remedies
        // and the services each holds back.
        body += section(l.companiesSection, count: report.companies.count)
        body += htmlTable(
            headers: [.text(l.companyRef), .text(l.companyName), .text(l.services), .text(l.finding)],
            rows: report.companies.map { company in
                var states = "<ul class=\"services\">"
                for service in company.services {
                    states += "<li><span class=\"swatch\" style=\"background:\(stateColor(service.state))\"></span>"
                    states += "\(e(service.serviceRef)) \(e(l.stateName(service.state)))"
                    if let contract = service.contractNumber, !contract.isEmpty { states += " <small>\(e(l.contract)) \(e(contract))</small>" }
                    states += "</li>"
                }
                states += "</ul>"
                var list = "<ul class=\"findings\">"
                for entry in company.findings {
                    let finding = entry.finding
                    let severityClass = ["error", "warning", "review"].contains(finding.severity) ? finding.severity : "other"
                    list += "<li><span class=\"sev sev-\(severityClass)\">\(e(l.severityName(finding.severity)))</span> "
                    list += "<code>\(e(finding.code))</code> \(e(finding.message(language)))"
                    list += " <small>\(e(l.appliesTo)): \(e(entry.appliesTo(company, labels: l)))</small>"
                    list += "<br><span class=\"remedy\">\(e(l.remedy)): \(e(finding.remedy(language)))</span></li>"
                }
                list += "</ul>"
                return [.text(company.companyRef), .text(company.companyName), .html(states), .html(list)]
            },
            footer: nil, labels: l)

        // Rejected.
        body += section(l.rejectedSection, count: report.rejected.count)
        body += htmlTable(
            headers: [.text(l.companyRef), .text(l.companyName), .text(l.serviceRef), .text(l.reason), .text(l.remedy),
                      .text(l.rejectedAt)],
            rows: report.rejected.map { item in
                [.text(item.companyRef), .text(item.companyName), .text(item.serviceRef), .text(item.reason.message(language)),
                 .text(item.reason.remedy(language)), .text(item.rejectedAt?.description ?? "—")]
            },
            footer: nil, labels: l)

        // Failed.
        body += section(l.failedSection, count: report.failed.count)
        body += htmlTable(
            headers: [.text(l.companyRef), .text(l.companyName), .text(l.serviceRef), .number(l.attempts), .text(l.lastError)],
            rows: report.failed.map { item in
                [.text(item.companyRef), .text(item.companyName), .text(item.serviceRef), .number(String(item.attempts)),
                 .text(Redaction.scrub(item.lastError))]
            },
            footer: nil, labels: l)

        // In review.
        body += section(l.inReviewSection, count: report.inReview.count)
        body += htmlTable(
            headers: [.text(l.companyRef), .text(l.companyName), .text(l.serviceRef), .text(l.ticket), .text(l.submittedOn),
                      .number(l.businessDaysWaiting)],
            rows: report.inReview.map { item in
                [.text(item.companyRef), .text(item.companyName), .text(item.serviceRef), .text(item.ticket),
                 .text(item.submittedOn.description), .number(String(item.businessDaysWaiting))]
            },
            footer: nil, labels: l)

        // Expiring without an inspection, in two windows.
        body += section(l.expiringSection, count: report.expiringWithoutInspection.count)
        for (title, items) in [(l.expiring30, report.expiringWithin30), (l.expiring60, report.expiringWithin60)] {
            body += "<h3>\(e(title)) (\(items.count))</h3>\n"
            body += htmlTable(
                headers: [.text(l.companyRef), .text(l.companyName), .text(l.serviceRef), .text(l.expiresOn), .number(l.daysLeft)],
                rows: items.map { item in
                    [.text(item.companyRef), .text(item.companyName), .text(item.serviceRef), .text(item.expiresOn.description),
                     .number(item.daysLeft < 0 ? "\(item.daysLeft) (\(l.lapsed))" : String(item.daysLeft))]
                },
                footer: nil, labels: l)
        }

        // Review time.
        body += section(l.reviewTimeSection, count: nil)
        body += htmlTable(
            headers: [.number(l.reviews), .number(l.median), .number(l.p90)],
            rows: [[.number(String(report.reviewDays.count)),
                    .number(report.reviewDays.medianBusinessDays.map { NumberText.fixed($0) } ?? "—"),
                    .number(report.reviewDays.p90BusinessDays.map { NumberText.fixed($0) } ?? "—")]],
            footer: nil, labels: l)

        // Runs.
        body += section(l.runsSection, count: report.recentRuns.count)
        body += htmlTable(
            headers: [.number(l.runId), .text(l.asOf), .text(l.startedAt), .text(l.finishedAt), .number(l.claimed), .text(l.outcomes)],
            rows: report.recentRuns.map { run in
                [.number(String(run.runId)), .text(run.asOf.description), .text(run.startedAt), .text(run.finishedAt ?? l.running),
                 .number(String(run.claimed)), .text(outcomeText(run.byState, labels: l))]
            },
            footer: nil, labels: l)

        return document(title: "\(l.title) — \(report.tenantName) (\(report.asOf))", labels: l, body: body)
    }

    public static func platformHTML(_ summary: PlatformSummary, language: Language) -> String {
        let l = ReportLabels.forLanguage(language)
        var body = "<header>\n<h1>\(e(l.platformTitle))</h1>\n"
        if let asOf = summary.asOf { body += "<p class=\"meta\">\(e(l.asOf)) \(asOf)</p>\n" }
        if let replayed = summary.replicaReplayAt { body += "<p class=\"meta\">\(e(replicaLine(replayed, language)))</p>\n" }
        body += "</header>\n"
        let totals = summary.totalCounts
        body += htmlTable(
            headers: [.text(l.tenant), .text(l.tenantName)] + InspectionState.allCases.map { .number(l.stateName($0)) }
                + [.number(l.total), .number(l.renewalTotal), .text(l.lastRun)],
            rows: summary.rows.map { row in
                [.text(row.tenantSlug), .text(row.tenantName)] + InspectionState.allCases.map { .number(String(row.count(of: $0))) }
                    + [.number(String(row.totalCount)), .number(row.renewalTotal.yuanString), .text(row.lastRunAt ?? l.never)]
            },
            footer: [.text(l.total), .text("")] + InspectionState.allCases.map { .number(String(totals[$0] ?? 0)) }
                + [.number(String(totals.values.reduce(0, +))), .number(summary.totalRenewal.yuanString), .text("")],
            labels: l)
        return document(title: l.platformTitle, labels: l, body: body)
    }

    // MARK: - Building blocks

    enum Cell {
        /// User or label text: escaped, left aligned.
        case text(String)
        /// Escaped, right aligned.
        case number(String)
        /// Markup built by the renderer (its user parts already escaped).
        case html(String)
    }

    static func e(_ text: String) -> String { HTMLText.escape(text) }

    static func section(_ title: String, count: Int?) -> String {
        "<h2>\(e(title))\(count.map { " <span class=\"count\">(\($0))</span>" } ?? "")</h2>\n"
    }

    static func htmlTable(headers: [Cell], rows: [[Cell]], footer: [Cell]?, labels: ReportLabels) -> String {
        guard !rows.isEmpty else { return "<p class=\"none\">\(e(labels.none))</p>\n" }
        func cell(_ tag: String, _ value: Cell) -> String {
            switch value {
            case .text(let text): return "<\(tag)>\(e(text))</\(tag)>"
            case .number(let text): return "<\(tag) class=\"num\">\(e(text))</\(tag)>"
            case .html(let markup): return "<\(tag)>\(markup)</\(tag)>"
            }
        }
        var out = "<table>\n<thead><tr>" + headers.map { cell("th", $0) }.joined() + "</tr></thead>\n<tbody>\n"
        for row in rows { out += "<tr>" + row.map { cell("td", $0) }.joined() + "</tr>\n" }
        out += "</tbody>\n"
        if let footer { out += "<tfoot><tr>" + footer.map { cell("td", $0) }.joined() + "</tr></tfoot>\n" }
        return out + "</table>\n"
    }

    static func stateColor(_ state: InspectionState) -> String {
        switch state {
        case .pending: return "#8c959f"
        case .needsMaterials: return "#e39a2d"
        case .submitting: return "#80a9e0"
        case .inReview: return "#2f6fd0"
        case .approved: return "#2e9d52"
        case .rejected: return "#d64545"
        case .failed: return "#7a1f1f"
        case .cancelled: return "#c4c9cf"
        }
    }

    static func f(_ value: Double) -> String { NumberText.fixed(value, places: 1) }

    /// Horizontal bars, one per state, with the state's name, the count and its share.
    static func stateChart(_ report: TenantReport, labels l: ReportLabels) -> String {
        let states = InspectionState.allCases
        let width = 680.0, labelWidth = 150.0, barSpace = 420.0, rowHeight = 26.0
        let height = rowHeight * Double(states.count) + 12
        let total = report.totalCount
        let maxCount = states.map(report.count(of:)).max() ?? 0
        var svg = "<svg class=\"chart\" viewBox=\"0 0 \(f(width)) \(f(height))\" width=\"\(f(width))\" height=\"\(f(height))\" "
        svg += "role=\"img\" aria-label=\"\(e(l.stateChartTitle))\">\n"
        for (index, state) in states.enumerated() {
            let count = report.count(of: state)
            let y = 6 + Double(index) * rowHeight
            let barWidth = maxCount > 0 ? barSpace * Double(count) / Double(maxCount) : 0
            let share = total > 0 ? Int((Double(count) * 100 / Double(total)).rounded()) : 0
            let name = e(l.stateName(state))
            svg += "<text x=\"\(f(labelWidth - 8))\" y=\"\(f(y + 17))\" text-anchor=\"end\">\(name)</text>"
            svg += "<rect x=\"\(f(labelWidth))\" y=\"\(f(y + 4))\" width=\"\(f(barWidth))\" height=\"18\" rx=\"2\" "
            svg += "fill=\"\(stateColor(state))\"><title>\(name): \(count)</title></rect>"
            svg += "<text x=\"\(f(labelWidth + barWidth + 6))\" y=\"\(f(y + 17))\">\(count) (\(share)%)</text>\n"
        }
        return svg + "</svg>\n"
    }

    /// Stacked bars per night (the last 14 given), with the night's total above each bar and a legend.
    static func progressChart(_ nights: [NightProgress], labels l: ReportLabels) -> String {
        let shown = Array(nights.suffix(14))
        let maxTotal = shown.map(\.total).max() ?? 0
        guard !shown.isEmpty, maxTotal > 0 else {
            return "<p class=\"none\">\(e(l.noData))</p>\n"
        }
        let series: [(InspectionState, KeyPath<NightProgress, Int>)] = [
            (.approved, \.approved), (.inReview, \.inReview), (.needsMaterials, \.needsMaterials),
            (.rejected, \.rejected), (.failed, \.failed),
        ]
        let width = 680.0, left = 44.0, right = 12.0, top = 22.0, plotHeight = 180.0
        let axisBottom = top + plotHeight
        let legendY = axisBottom + 42
        let height = legendY + 18
        let slot = (width - left - right) / Double(shown.count)
        let barWidth = min(44, slot * 0.6)
        var svg = "<svg class=\"chart\" viewBox=\"0 0 \(f(width)) \(f(height))\" width=\"\(f(width))\" height=\"\(f(height))\" "
        svg += "role=\"img\" aria-label=\"\(e(l.progressSection))\">\n"
        // Axis and grid at round steps (1, 2, 5 × 10^k), the top of the axis a whole number of steps.
        let step = axisStep(for: maxTotal)
        let axisMax = (maxTotal + step - 1) / step * step
        for value in stride(from: 0, through: axisMax, by: step) {
            let y = axisBottom - plotHeight * Double(value) / Double(axisMax)
            svg += "<line x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(width - right))\" y2=\"\(f(y))\" class=\"grid\"/>"
            svg += "<text x=\"\(f(left - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\" class=\"axis\">\(value)</text>\n"
        }
        for (index, night) in shown.enumerated() {
            let x = left + slot * Double(index) + (slot - barWidth) / 2
            var y = axisBottom
            for (state, path) in series {
                let value = night[keyPath: path]
                guard value > 0 else { continue }
                let segment = plotHeight * Double(value) / Double(axisMax)
                y -= segment
                svg += "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(barWidth))\" height=\"\(f(segment))\" "
                svg += "fill=\"\(stateColor(state))\"><title>\(night.date) \(e(l.stateName(state))): \(value)</title></rect>"
                if segment >= 14 {
                    svg += "<text x=\"\(f(x + barWidth / 2))\" y=\"\(f(y + segment / 2 + 4))\" text-anchor=\"middle\" "
                    svg += "class=\"inbar\">\(value)</text>"
                }
                svg += "\n"
            }
            svg += "<text x=\"\(f(x + barWidth / 2))\" y=\"\(f(y - 5))\" text-anchor=\"middle\" class=\"total\">\(night.total)</text>"
            let day = String(night.date.description.dropFirst(5))
            svg += "<text x=\"\(f(x + barWidth / 2))\" y=\"\(f(axisBottom + 16))\" text-anchor=\"middle\" class=\"axis\">\(day)</text>\n"
        }
        // Legend.
        var legendX = left
        for (state, _) in series {
            let name = e(l.stateName(state))
            svg += "<rect x=\"\(f(legendX))\" y=\"\(f(legendY - 10))\" width=\"12\" height=\"12\" fill=\"\(stateColor(state))\"/>"
            svg += "<text x=\"\(f(legendX + 16))\" y=\"\(f(legendY))\">\(name)</text>\n"
            legendX += 16 + Double(DisplayWidth.of(l.stateName(state))) * 7 + 18
        }
        return svg + "</svg>\n"
    }

    /// A round grid step giving at most about five lines up to `maxValue` (> 0).
    static func axisStep(for maxValue: Int) -> Int {
        var magnitude = 1
        while true {
            for multiplier in [1, 2, 5] where maxValue <= multiplier * magnitude * 5 {
                return multiplier * magnitude
            }
            guard magnitude < Int.max / 100 else { return max(1, maxValue) }
            magnitude *= 10
        }
    }

    static func document(title: String, labels l: ReportLabels, body: String) -> String {
        let lang = l.language == .zh ? "zh-CN" : "en"
        return """
        <!DOCTYPE html>
        <html lang="\(lang)">
        <head>
        <meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(e(title))</title>
        <style>
        body { font-family: -apple-system, "Segoe UI", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif;
               color: #1f2328; background: #ffffff; margin: 24px auto; max-width: 1040px; padding: 0 16px; line-height: 1.5; }
        h1 { font-size: 22px; margin: 0 0 4px; }
        h2 { font-size: 17px; border-bottom: 2px solid #d0d7de; padding-bottom: 4px; margin: 28px 0 8px; }
        h3 { font-size: 14px; margin: 12px 0 4px; }
        .meta { color: #57606a; margin: 0; }
        .count { color: #57606a; font-weight: normal; }
        .cards { display: flex; flex-wrap: wrap; gap: 8px; margin: 16px 0; }
        .card { border: 1px solid #d0d7de; border-radius: 6px; padding: 8px 12px; min-width: 110px; }
        .card .n { font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; }
        .card .k { font-size: 12px; color: #57606a; }
        table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 6px 0 12px; }
        th, td { border: 1px solid #d0d7de; padding: 4px 8px; text-align: left; vertical-align: top; word-break: break-word; }
        th { background: #f6f8fa; }
        .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        tfoot td { font-weight: 600; background: #f6f8fa; }
        .none { color: #57606a; font-style: italic; }
        .swatch { display: inline-block; width: 10px; height: 10px; margin-right: 6px; border-radius: 2px; }
        ul.findings { margin: 0; padding-left: 18px; }
        .sev { font-size: 12px; font-weight: 600; }
        .sev-error { color: #b42318; } .sev-warning { color: #b54708; } .sev-review { color: #175cd3; } .sev-other { color: #57606a; }
        .remedy { color: #57606a; }
        figure { margin: 12px 0 20px; }
        figcaption { font-weight: 600; margin-bottom: 4px; }
        svg.chart { max-width: 100%; height: auto; font-family: inherit; }
        svg.chart text { font-size: 12px; fill: #1f2328; }
        svg.chart text.axis { fill: #57606a; font-size: 11px; }
        svg.chart text.inbar { fill: #ffffff; font-size: 11px; }
        svg.chart text.total { font-weight: 600; }
        svg.chart line.grid { stroke: #d0d7de; stroke-width: 1; }
        footer { margin-top: 32px; color: #57606a; font-size: 12px; border-top: 1px solid #d0d7de; padding-top: 8px; }
        @media print {
          body { margin: 0; max-width: none; }
          h2, h3 { break-after: avoid; }
          tr, figure, .card { break-inside: avoid; }
          * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
        }
        </style>
        </head>
        <body>
        \(body)<footer>\(e(l.footer))</footer>
        </body>
        </html>

        """
    }
}
