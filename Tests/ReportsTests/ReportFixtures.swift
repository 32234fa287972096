import Foundation
import NianjianDomain
@testable import NianjianReports
import Testing

// MARK: - Fixtures

func date(_ text: String) -> CivilDate {
    guard let value = CivilDate(iso: text) else { fatalError("bad fixture date \(text)") }
    return value
}

func money(_ text: String) -> Money {
    guard let value = Money(yuan: text) else { fatalError("bad fixture amount \(text)") }
    return value
}

let missingLicense = ReportFinding(code: "business_license.missing", severity: "error",
                                   messageZh: "缺少营业执照副本", messageEn: "business license missing",
                                   remedyZh: "补交营业执照副本", remedyEn: "provide the business license copy")
let badMobile = ReportFinding(code: "mobile.shape", severity: "warning",
                              messageZh: "联系电话格式不正确", messageEn: "contact phone is not a mobile number",
                              remedyZh: "更正联系电话", remedyEn: "correct the contact phone")

/// A known report: 2 approved (1234.50 + 800.00), 1 needs materials (2 findings), 1 rejected, 1 failed,
/// 1 in review, 2 expiring (20 and 46 days), review days [2, 3, 3, 4, 10].
func knownReport() -> TenantReport {
    TenantReport(
        tenantSlug: "acme", tenantName: "示例代理", asOf: date("2026-11-30"), cycle: 2026,
        counts: [.pending: 2, .needsMaterials: 1, .inReview: 1, .approved: 2, .rejected: 1, .failed: 1],
        approved: [
            ApprovedItem(companyRef: "C001", companyName: "北京星辰科技有限公司", serviceRef: "S001",
                         renewedUntil: date("2027-12-01"), amount: money("1234.50")),
            ApprovedItem(companyRef: "C002", companyName: "Acme, \"Quoted\" Ltd", serviceRef: "S002",
                         renewedUntil: date("2027-11-15"), amount: money("800")),
        ],
        needsMaterials: [
            NeedsMaterialsItem(companyRef: "C003", companyName: "上海云帆贸易有限公司", serviceRef: "S003",
                               findings: [missingLicense, badMobile]),
        ],
        rejected: [
            RejectedItem(companyRef: "C004", companyName: "深圳蓝海", serviceRef: "S004",
                         reason: .inaccurateInformation, rejectedAt: date("2026-11-28")),
        ],
        failed: [
            FailedItem(companyRef: "C005", companyName: "杭州西湖", serviceRef: "S005",
                       lastError: "console login failed: timeout", attempts: 5),
        ],
        inReview: [
            InReviewItem(companyRef: "C006", companyName: "广州", serviceRef: "S006", ticket: "T-123",
                         submittedOn: date("2026-11-25"), businessDaysWaiting: 3),
        ],
        expiringWithoutInspection: [
            ExpiringItem(companyRef: "C007", companyName: "成都", serviceRef: "S007", expiresOn: date("2026-12-20"), daysLeft: 20),
            ExpiringItem(companyRef: "C008", companyName: "Wuhan Ltd", serviceRef: "S008", expiresOn: date("2027-01-15"), daysLeft: 46),
        ],
        reviewDays: ReviewTimeStats(businessDays: [2, 3, 3, 4, 10]),
        recentRuns: [
            RunSummary(runId: 42, startedAt: "2026-11-29T18:00:00.000000Z", finishedAt: "2026-11-29T18:03:12.000000Z",
                       asOf: date("2026-11-30"), claimed: 9, byState: ["approved": 2, "rejected": 1, "in_review": 1]),
            RunSummary(runId: 43, startedAt: "2026-11-30T18:00:00.000000Z", finishedAt: nil,
                       asOf: date("2026-12-01"), claimed: 0, byState: [:]),
        ],
        nightlyProgress: [
            NightProgress(date: date("2026-11-28"), approved: 0, rejected: 0, needsMaterials: 1, failed: 0, inReview: 4),
            NightProgress(date: date("2026-11-29"), approved: 1, rejected: 1, needsMaterials: 0, failed: 1, inReview: 2),
            NightProgress(date: date("2026-11-30"), approved: 1, rejected: 0, needsMaterials: 0, failed: 0, inReview: 1),
        ]
    )
}

func emptyReport() -> TenantReport {
    TenantReport(tenantSlug: "empty", tenantName: "Empty", asOf: date("2026-01-05"), cycle: 2026)
}

/// A report whose every user-supplied string is hostile.
func hostileReport(_ text: String) -> TenantReport {
    TenantReport(
        tenantSlug: "evil", tenantName: text, asOf: date("2026-11-30"), cycle: 2026,
        counts: [.approved: 1, .failed: 1],
        approved: [ApprovedItem(companyRef: text, companyName: text, serviceRef: text,
                                renewedUntil: date("2027-01-01"), amount: money("1.00"))],
        needsMaterials: [NeedsMaterialsItem(companyRef: text, companyName: text, serviceRef: text,
                                            findings: [ReportFinding(code: text, severity: text, messageZh: text,
                                                                     messageEn: text, remedyZh: text, remedyEn: text)])],
        rejected: [RejectedItem(companyRef: text, companyName: text, serviceRef: text, reason: .violation)],
        failed: [FailedItem(companyRef: text, companyName: text, serviceRef: text, lastError: text, attempts: 1)],
        inReview: [InReviewItem(companyRef: text, companyName: text, serviceRef: text, ticket: text,
                                submittedOn: date("2026-11-20"), businessDaysWaiting: 1)],
        expiringWithoutInspection: [ExpiringItem(companyRef: text, companyName: text, serviceRef: text,
                                                 expiresOn: date("2026-12-01"), daysLeft: 1)],
        recentRuns: [RunSummary(runId: 1, startedAt: text, finishedAt: text, asOf: date("2026-11-30"), claimed: 1,
                                byState: [text: 1])]
    )
}

func parseJSON(_ text: String) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
    guard let dictionary = object as? [String: Any] else { throw ParseError.notAnObject }
    return dictionary
}

enum ParseError: Error { case notAnObject, badCSV }

/// A small RFC 4180 reader for checking the CSV output.
func parseCSV(_ text: String) throws -> [[String]] {
    var records: [[String]] = []
    var record: [String] = []
    var field = ""
    var inQuotes = false
    var scalars = Array(text.unicodeScalars)[...]
    while let scalar = scalars.first {
        scalars = scalars.dropFirst()
        if inQuotes {
            if scalar == "\"" {
                if scalars.first == "\"" { field.unicodeScalars.append("\""); scalars = scalars.dropFirst() } else { inQuotes = false }
            } else {
                field.unicodeScalars.append(scalar)
            }
        } else {
            switch scalar {
            case "\"":
                guard field.isEmpty else { throw ParseError.badCSV }
                inQuotes = true
            case ",": record.append(field); field = ""
            case "\r":
                guard scalars.first == "\n" else { throw ParseError.badCSV }
                scalars = scalars.dropFirst()
                record.append(field); records.append(record); record = []; field = ""
            case "\n": throw ParseError.badCSV // records end with CRLF
            default: field.unicodeScalars.append(scalar)
            }
        }
    }
    guard !inQuotes, field.isEmpty, record.isEmpty else { throw ParseError.badCSV }
    return records
}
