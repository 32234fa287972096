// `--format csv`: one record per inspection-level item, RFC 4180 (CRLF, quotes when needed), UTF-8.
// The header is a machine contract (English, never translated); `detail` and `remedy` are in the requested
// language. Every user-supplied cell is neutralised against formula injection (see CSVText).
//
// Columns: section,company_ref,company_name,service_ref,state,code,detail,remedy,amount,date,days,attempts,ticket
//   section approved:        state approved, amount, date = renewed_until
//   section needs_materials: codes joined by ";", messages and remedies joined by "; "
//   section rejected:        code = reason, date = rejected_at
//   section failed:          detail = last error, attempts
//   section in_review:       ticket, date = submitted_on, days = business days waiting
//   section expiring_30 / expiring_60: state empty (no inspection), date = expires_on, days = days left
// A final `total` record carries the renewal total in `amount`.

import NianjianDomain

extension ReportRenderer {
    static let csvHeader = ["section", "company_ref", "company_name", "service_ref", "state", "code", "detail",
                            "remedy", "amount", "date", "days", "attempts", "ticket"]

    /// - Parameter excelBOM: start with a UTF-8 byte order mark, so Excel opens the Chinese text correctly
    ///   (leave it off for scripts).
    public static func csv(_ report: TenantReport, language: Language, excelBOM: Bool = false) -> String {
        var out = excelBOM ? "\u{FEFF}" : ""
        out += CSVText.record(csvHeader.map(CSVText.generated))

        struct Row {
            var section: String
            var companyRef = "", companyName = "", serviceRef = ""
            var state = "", code = "", detail = "", remedy = ""
            var amount = "", date = "", days = "", attempts = "", ticket = ""
        }
        func write(_ row: Row) {
            out += CSVText.record([
                CSVText.generated(row.section),
                CSVText.text(row.companyRef), CSVText.text(row.companyName), CSVText.text(row.serviceRef),
                CSVText.generated(row.state),
                CSVText.text(row.code), CSVText.text(row.detail), CSVText.text(row.remedy),
                CSVText.generated(row.amount), CSVText.generated(row.date), CSVText.generated(row.days),
                CSVText.generated(row.attempts), CSVText.text(row.ticket),
            ])
        }

        for item in report.approved {
            write(Row(section: "approved", companyRef: item.companyRef, companyName: item.companyName,
                      serviceRef: item.serviceRef, state: InspectionState.approved.rawValue,
                      amount: item.amount.yuanString, date: item.renewedUntil.description))
        }
        for item in report.needsMaterials {
            write(Row(section: "needs_materials", companyRef: item.companyRef, companyName: item.companyName,
                      serviceRef: item.serviceRef, state: InspectionState.needsMaterials.rawValue,
                      code: item.findings.map(\.code).joined(separator: ";"),
                      detail: item.findings.map { $0.message(language) }.joined(separator: "; "),
                      remedy: item.findings.map { $0.remedy(language) }.joined(separator: "; ")))
        }
        for item in report.rejected {
            write(Row(section: "rejected", companyRef: item.companyRef, companyName: item.companyName,
                      serviceRef: item.serviceRef, state: InspectionState.rejected.rawValue,
                      code: item.reason.rawValue, detail: item.reason.message(language),
                      remedy: item.reason.remedy(language), date: item.rejectedAt?.description ?? ""))
        }
        for item in report.failed {
            write(Row(section: "failed", companyRef: item.companyRef, companyName: item.companyName,
                      serviceRef: item.serviceRef, state: InspectionState.failed.rawValue,
                      detail: Redaction.scrub(item.lastError), attempts: String(item.attempts)))
        }
        for item in report.inReview {
            write(Row(section: "in_review", companyRef: item.companyRef, companyName: item.companyName,
                      serviceRef: item.serviceRef, state: InspectionState.inReview.rawValue,
                      date: item.submittedOn.description, days: String(item.businessDaysWaiting), ticket: item.ticket))
        }
        for item in report.expiringWithoutInspection {
            write(Row(section: item.windowDays == 30 ? "expiring_30" : "expiring_60", companyRef: item.companyRef,
                      companyName: item.companyName, serviceRef: item.serviceRef,
                      date: item.expiresOn.description, days: String(item.daysLeft)))
        }
        write(Row(section: "total", amount: report.renewalTotal.yuanString))
        return out
    }

    /// `report --all --format csv`: tenant,tenant_name,<every state rawValue>,total,renewal_total,last_run_at
    public static func platformCSV(_ summary: PlatformSummary, language: Language, excelBOM: Bool = false) -> String {
        var out = excelBOM ? "\u{FEFF}" : ""
        let header = ["tenant", "tenant_name"] + InspectionState.allCases.map(\.rawValue)
            + ["total", "renewal_total", "last_run_at"]
        out += CSVText.record(header.map(CSVText.generated))
        for row in summary.rows {
            out += CSVText.record([CSVText.text(row.tenantSlug), CSVText.text(row.tenantName)]
                + InspectionState.allCases.map { CSVText.generated(String(row.count(of: $0))) }
                + [CSVText.generated(String(row.totalCount)), CSVText.generated(row.renewalTotal.yuanString),
                   CSVText.text(row.lastRunAt ?? "")])
        }
        return out
    }
}
