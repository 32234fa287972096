// Plain text for a terminal: sections with headings, columns aligned by display width.

import NianjianDomain

extension ReportRenderer {
    public static func table(_ report: TenantReport, language: Language) -> String {
        let l = ReportLabels.forLanguage(language)
        var lines: [String] = []
        func heading(_ title: String, count: Int? = nil) {
            lines.append("")
            lines.append("== " + title + (count.map { " (\($0))" } ?? "") + " ==")
        }
        func emit(_ table: TextTable, empty: Bool) {
            if empty { lines.append("  " + l.none) } else { lines += table.render() }
        }

        lines.append(TerminalText.sanitize("\(l.title) — \(report.tenantName) (\(report.tenantSlug))"))
        lines.append("\(l.asOf) \(report.asOf) · \(l.cycle) \(report.cycle)")
        if let replayed = report.replicaReplayAt { lines.append(replicaLine(replayed, language)) }

        heading(l.countsSection)
        var counts = TextTable([.init(header: l.state), .init(header: l.count, alignment: .right)])
        for state in InspectionState.allCases { counts.add([l.stateName(state), String(report.count(of: state))]) }
        counts.footer = [[l.total, String(report.totalCount)]]
        emit(counts, empty: false)

        heading(l.approvedSection, count: report.approved.count)
        var approved = TextTable([.init(header: l.companyRef), .init(header: l.companyName), .init(header: l.serviceRef),
                                  .init(header: l.renewedUntil), .init(header: l.amount, alignment: .right)])
        for item in report.approved {
            approved.add([item.companyRef, item.companyName, item.serviceRef, item.renewedUntil.description, item.amount.yuanString])
        }
        approved.footer = [[l.renewalTotal, "", "", "", report.renewalTotal.yuanString]]
        emit(approved, empty: report.approved.isEmpty)
        if report.approved.isEmpty { lines.append("  \(l.renewalTotal): \(report.renewalTotal.yuanString)") }

        // Companies needing attention, each once: its services' states, then its distinct findings.
        heading(l.companiesSection, count: report.companies.count)
        if report.companies.isEmpty { lines.append("  " + l.none) }
        for company in report.companies {
            lines.append(TerminalText.sanitize("  \(company.companyRef) \(company.companyName)"))
            lines.append(TerminalText.sanitize("    \(l.services): \(l.serviceStates(company))"))
            guard !company.findings.isEmpty else { continue }
            var findings = TextTable([.init(header: l.appliesTo, maxWidth: 24), .init(header: l.code), .init(header: l.severity),
                                      .init(header: l.finding, maxWidth: 48), .init(header: l.remedy, maxWidth: 40)])
            for entry in company.findings {
                findings.add([entry.appliesTo(company, labels: l), entry.finding.code, l.severityName(entry.finding.severity),
                              entry.finding.message(language), entry.finding.remedy(language)])
            }
            lines += findings.render(indent: "    ")
        }

        heading(l.rejectedSection, count: report.rejected.count)
        var rejected = TextTable([.init(header: l.companyRef), .init(header: l.companyName, maxWidth: 24),
                                  .init(header: l.serviceRef), .init(header: l.reason), .init(header: l.remedy),
                                  .init(header: l.rejectedAt)])
        for item in report.rejected {
            rejected.add([item.companyRef, item.companyName, item.serviceRef, item.reason.message(language),
                          item.reason.remedy(language), item.rejectedAt?.description ?? "-"])
        }
        emit(rejected, empty: report.rejected.isEmpty)

        heading(l.failedSection, count: report.failed.count)
        var failed = TextTable([.init(header: l.companyRef), .init(header: l.companyName, maxWidth: 24),
                                .init(header: l.serviceRef), .init(header: l.attempts, alignment: .right),
                                .init(header: l.lastError, maxWidth: 60)])
        for item in report.failed {
            failed.add([item.companyRef, item.companyName, item.serviceRef, String(item.attempts), Redaction.scrub(item.lastError)])
        }
        emit(failed, empty: report.failed.isEmpty)

        heading(l.inReviewSection, count: report.inReview.count)
        var review = TextTable([.init(header: l.companyRef), .init(header: l.companyName, maxWidth: 24),
                                .init(header: l.serviceRef), .init(header: l.ticket), .init(header: l.submittedOn),
                                .init(header: l.businessDaysWaiting, alignment: .right)])
        for item in report.inReview {
            review.add([item.companyRef, item.companyName, item.serviceRef, item.ticket, item.submittedOn.description,
                        String(item.businessDaysWaiting)])
        }
        emit(review, empty: report.inReview.isEmpty)

        heading(l.expiringSection, count: report.expiringWithoutInspection.count)
        for (title, items) in [(l.expiring30, report.expiringWithin30), (l.expiring60, report.expiringWithin60)] {
            lines.append("-- \(title) (\(items.count))")
            var expiring = TextTable([.init(header: l.companyRef), .init(header: l.companyName, maxWidth: 24),
                                      .init(header: l.serviceRef), .init(header: l.expiresOn),
                                      .init(header: l.daysLeft, alignment: .right)])
            for item in items {
                let days = item.daysLeft < 0 ? "\(item.daysLeft) (\(l.lapsed))" : String(item.daysLeft)
                expiring.add([item.companyRef, item.companyName, item.serviceRef, item.expiresOn.description, days])
            }
            emit(expiring, empty: items.isEmpty)
        }

        heading(l.reviewTimeSection)
        lines.append("  \(l.reviews): \(report.reviewDays.count)")
        lines.append("  \(l.median): \(report.reviewDays.medianBusinessDays.map { NumberText.fixed($0) } ?? "-")")
        lines.append("  \(l.p90): \(report.reviewDays.p90BusinessDays.map { NumberText.fixed($0) } ?? "-")")

        heading(l.runsSection, count: report.recentRuns.count)
        var runs = TextTable([.init(header: l.runId, alignment: .right), .init(header: l.asOf), .init(header: l.startedAt),
                              .init(header: l.finishedAt), .init(header: l.claimed, alignment: .right),
                              .init(header: l.outcomes, maxWidth: 80)])
        for run in report.recentRuns {
            runs.add([String(run.runId), run.asOf.description, run.startedAt, run.finishedAt ?? l.running,
                      String(run.claimed), outcomeText(run.byState, labels: l)])
        }
        emit(runs, empty: report.recentRuns.isEmpty)

        return lines.joined(separator: "\n") + "\n"
    }

    /// `approved 3, rejected 1` in sorted key order; known state names translated.
    static func outcomeText(_ byState: [String: Int], labels: ReportLabels) -> String {
        byState.keys.sorted().map { key in
            let name = InspectionState(rawValue: key).map(labels.stateName) ?? key
            return "\(name) \(byState[key] ?? 0)"
        }.joined(separator: ", ")
    }

    public static func platformTable(_ summary: PlatformSummary, language: Language) -> String {
        let l = ReportLabels.forLanguage(language)
        var lines = [l.platformTitle + (summary.asOf.map { " · \(l.asOf) \($0)" } ?? "")]
        if let replayed = summary.replicaReplayAt { lines.append(replicaLine(replayed, language)) }
        var columns: [TextTable.Column] = [.init(header: l.tenant), .init(header: l.tenantName, maxWidth: 24)]
        columns += InspectionState.allCases.map { .init(header: l.stateName($0), alignment: .right) }
        columns += [.init(header: l.total, alignment: .right), .init(header: l.renewalTotal, alignment: .right),
                    .init(header: l.lastRun)]
        var table = TextTable(columns)
        for row in summary.rows {
            table.add([row.tenantSlug, row.tenantName] + InspectionState.allCases.map { String(row.count(of: $0)) }
                      + [String(row.totalCount), row.renewalTotal.yuanString, row.lastRunAt ?? l.never])
        }
        let totals = summary.totalCounts
        table.footer = [[l.total, ""] + InspectionState.allCases.map { String(totals[$0] ?? 0) }
                        + [String(totals.values.reduce(0, +)), summary.totalRenewal.yuanString, ""]]
        lines += summary.rows.isEmpty ? ["  " + l.none] : table.render()
        return lines.joined(separator: "\n") + "\n"
    }

    /// The staleness mark of a report read from a standby.
    public static func replicaLine(_ replayed: String, _ language: Language) -> String {
        language == .zh ? "只读副本：数据截至 \(TerminalText.sanitize(replayed))（副本最后回放的事务时间），可能落后于主库"
                        : "read replica: data as of \(TerminalText.sanitize(replayed)) (the replica's last replayed transaction); the primary may be ahead"
    }
}
