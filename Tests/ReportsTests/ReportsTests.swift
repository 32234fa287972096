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

// MARK: - JSON

@Suite struct JSONReportTests {
    @Test func contractFieldsAndNumbers() throws {
        let json = try parseJSON(ReportRenderer.json(knownReport(), language: .en))
        for key in ["tenant", "as_of", "counts", "approved", "needs_materials", "rejected", "failed",
                    "expiring_without_inspection", "renewal_total"] {
            #expect(json[key] != nil, "missing \(key)")
        }
        #expect(json["tenant"] as? String == "acme")
        #expect(json["as_of"] as? String == "2026-11-30")
        #expect(json["renewal_total"] as? String == "2034.50")

        let counts = try #require(json["counts"] as? [String: Int])
        #expect(Set(counts.keys) == Set(InspectionState.allCases.map(\.rawValue)))
        #expect(counts["pending"] == 2)
        #expect(counts["needs_materials"] == 1)
        #expect(counts["in_review"] == 1)
        #expect(counts["approved"] == 2)
        #expect(counts["rejected"] == 1)
        #expect(counts["failed"] == 1)
        #expect(counts["submitting"] == 0)
        #expect(counts["cancelled"] == 0)
        #expect(json["total"] as? Int == 8)

        let approved = try #require(json["approved"] as? [[String: Any]])
        #expect(approved.count == 2)
        for key in ["company_ref", "service_ref", "renewed_until", "amount"] { #expect(approved[0][key] != nil) }
        #expect(approved[0]["company_ref"] as? String == "C001")
        #expect(approved[0]["service_ref"] as? String == "S001")
        #expect(approved[0]["renewed_until"] as? String == "2027-12-01")
        #expect(approved[0]["amount"] as? String == "1234.50")
        #expect(approved[1]["amount"] as? String == "800.00")
        #expect(approved[1]["company_name"] as? String == "Acme, \"Quoted\" Ltd")

        let needs = try #require(json["needs_materials"] as? [[String: Any]])
        #expect(needs.count == 1)
        #expect(needs[0]["company_ref"] as? String == "C003")
        #expect(needs[0]["service_ref"] as? String == "S003")
        let findings = try #require(needs[0]["findings"] as? [[String: Any]])
        #expect(findings.count == 2)
        #expect(findings[0]["code"] as? String == "business_license.missing")
        #expect(findings[0]["severity"] as? String == "error")
        #expect(findings[0]["message"] as? String == "business license missing")
        #expect(findings[1]["severity"] as? String == "warning")

        let rejected = try #require(json["rejected"] as? [[String: Any]])
        #expect(rejected.count == 1)
        #expect(rejected[0]["company_ref"] as? String == "C004")
        #expect(rejected[0]["service_ref"] as? String == "S004")
        #expect(rejected[0]["reason"] as? String == "inaccurate_information")
        #expect(rejected[0]["rejected_at"] as? String == "2026-11-28")

        let failed = try #require(json["failed"] as? [[String: Any]])
        #expect(failed.count == 1)
        #expect(failed[0]["last_error"] as? String == "console login failed: timeout")
        #expect(failed[0]["attempts"] as? Int == 5)

        let expiring = try #require(json["expiring_without_inspection"] as? [[String: Any]])
        #expect(expiring.map { $0["service_ref"] as? String } == ["S007", "S008"])
        #expect(expiring.map { $0["window_days"] as? Int } == [30, 60])
        #expect(expiring[0]["expires_on"] as? String == "2026-12-20")
        #expect(expiring[1]["days_left"] as? Int == 46)

        let inReview = try #require(json["in_review"] as? [[String: Any]])
        #expect(inReview.first?["business_days_waiting"] as? Int == 3)
        #expect(inReview.first?["ticket"] as? String == "T-123")

        let review = try #require(json["review_days"] as? [String: Any])
        #expect(review["count"] as? Int == 5)
        #expect((review["median"] as? NSNumber)?.doubleValue == 3.0)
        #expect((review["p90"] as? NSNumber)?.doubleValue == 7.6)

        let runs = try #require(json["runs"] as? [[String: Any]])
        #expect(runs.count == 2)
        #expect(runs[0]["run_id"] as? Int == 42)
        #expect((runs[0]["by_state"] as? [String: Int])?["approved"] == 2)
        #expect(runs[1]["finished_at"] is NSNull)
        #expect((json["nightly_progress"] as? [Any])?.count == 3)
    }

    @Test func messagesFollowTheLanguage() throws {
        let zh = try parseJSON(ReportRenderer.json(knownReport(), language: .zh))
        let needs = try #require(zh["needs_materials"] as? [[String: Any]])
        let findings = try #require(needs.first?["findings"] as? [[String: Any]])
        #expect(findings.first?["message"] as? String == "缺少营业执照副本")
        #expect(findings.first?["remedy"] as? String == "补交营业执照副本")
        let rejected = try #require(zh["rejected"] as? [[String: Any]])
        #expect(rejected.first?["message"] as? String == RejectionReason.inaccurateInformation.messageZh)
        #expect(rejected.first?["reason"] as? String == "inaccurate_information")
        #expect(zh["language"] as? String == "zh")
    }

    @Test func keyOrderIsStableAndDocumented() {
        let text = ReportRenderer.json(knownReport(), language: .en)
        #expect(text == ReportRenderer.json(knownReport(), language: .en))
        // Top-level keys (two-space indent) in the documented order.
        let keys = ["tenant", "as_of", "counts", "approved", "renewal_total", "needs_materials", "rejected", "failed",
                    "in_review", "expiring_without_inspection", "review_days", "runs", "nightly_progress"]
        let positions = keys.compactMap { text.range(of: "\n  \"\($0)\": ")?.lowerBound }
        #expect(positions.count == keys.count)
        #expect(positions == positions.sorted())
    }

    @Test func stringsAreEscapedAndRoundTrip() throws {
        let nasty = "quote \" backslash \\ newline \n tab \t bell \u{07} nul \u{00} ls \u{2028} 中文 </script>"
        let text = ReportRenderer.json(hostileReport(nasty), language: .en)
        let json = try parseJSON(text)
        #expect(json["tenant_name"] as? String == nasty)
        let failed = try #require(json["failed"] as? [[String: Any]])
        #expect(failed.first?["last_error"] as? String == nasty)
        #expect(!text.contains("\u{07}"))
        #expect(!text.contains("\u{2028}"))
    }
}

// MARK: - HTML

@Suite struct HTMLReportTests {
    @Test func escapesScriptEverywhere() {
        for language in Language.allCases {
            let html = ReportRenderer.html(hostileReport("<script>alert(1)</script>"), language: language)
            #expect(!html.lowercased().contains("<script"))
            #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        }
        let attribute = ReportRenderer.html(hostileReport("x\" onmouseover='alert(1)' & <b>"), language: .en)
        #expect(!attribute.contains("\" onmouseover"))
        #expect(!attribute.contains("'alert(1)'"))
        #expect(!attribute.contains("<b>"))
        #expect(attribute.contains("x&quot; onmouseover=&#39;alert(1)&#39; &amp; &lt;b&gt;"))
    }

    @Test func selfContainedWithoutNetwork() {
        for report in [knownReport(), emptyReport()] {
            for language in Language.allCases {
                let html = ReportRenderer.html(report, language: language).lowercased()
                #expect(html.hasPrefix("<!doctype html>"))
                #expect(html.contains("<meta charset=\"utf-8\">"))
                for forbidden in ["http://", "https://", "src=", "href=", "<script", "<link", "<img", "<iframe",
                                  "@import", "url(", "//cdn", "<object", "<embed"] {
                    #expect(!html.contains(forbidden), "found \(forbidden)")
                }
                #expect(html.contains("content-security-policy"))
            }
        }
    }

    @Test func chartsTablesAndLanguage() {
        let zh = ReportRenderer.html(knownReport(), language: .zh)
        #expect(zh.contains("<html lang=\"zh-CN\">"))
        #expect(zh.components(separatedBy: "<svg").count - 1 == 2)
        #expect(zh.contains("年检报告"))
        #expect(zh.contains("状态分布"))
        #expect(zh.contains("最近几晚进度"))
        #expect(zh.contains("北京星辰科技有限公司"))
        #expect(zh.contains("2034.50"))
        #expect(zh.contains(">待补材料<"))
        #expect(zh.contains("缺少营业执照副本"))
        #expect(zh.contains(RejectionReason.inaccurateInformation.remedyZh))
        // State chart labels carry counts and shares; the progress chart shows each night's total.
        #expect(zh.contains(">2 (25%)</text>"))
        #expect(zh.contains("class=\"total\">5</text>"))
        #expect(zh.contains(">11-29</text>"))

        let en = ReportRenderer.html(knownReport(), language: .en)
        #expect(en.contains("<html lang=\"en\">"))
        #expect(en.contains("Annual inspection report"))
        #expect(en.contains("State breakdown"))
        #expect(en.contains("Progress over the last nights"))
        #expect(en.contains("business license missing"))
        #expect(!en.contains("年检报告"))
    }

    @Test func emptyProgressSaysNoData() {
        let html = ReportRenderer.html(emptyReport(), language: .en)
        #expect(html.contains("No data yet"))
        #expect(html.contains("<svg")) // the state chart still draws (all zero)
    }
}

// MARK: - CSV

@Suite struct CSVReportTests {
    @Test func rowsAndHeader() throws {
        let records = try parseCSV(ReportRenderer.csv(knownReport(), language: .en))
        #expect(records.first == ["section", "company_ref", "company_name", "service_ref", "state", "code", "detail",
                                  "remedy", "amount", "date", "days", "attempts", "ticket"])
        #expect(records.allSatisfy { $0.count == 13 })
        let sections = records.dropFirst().map { $0[0] }
        #expect(sections == ["approved", "approved", "needs_materials", "rejected", "failed", "in_review",
                             "expiring_30", "expiring_60", "total"])
        #expect(records[1][8] == "1234.50")
        #expect(records[1][9] == "2027-12-01")
        #expect(records[2][2] == "Acme, \"Quoted\" Ltd") // quoted cell round-trips
        #expect(records[3][5] == "business_license.missing;mobile.shape")
        #expect(records[4][5] == "inaccurate_information")
        #expect(records[5][11] == "5")
        #expect(records.last?[8] == "2034.50")
    }

    @Test func neutralisesFormulaCells() throws {
        for payload in ["=HYPERLINK(\"x\",\"y\")", "+1+1", "-2+3", "@SUM(A1:A2)", "\tTAB", "\rCR"] {
            let text = ReportRenderer.csv(hostileReport(payload), language: .en)
            let records = try parseCSV(text)
            for record in records.dropFirst() {
                for (index, cell) in record.enumerated() where !cell.isEmpty {
                    let first = cell.unicodeScalars.first
                    #expect(!["=", "+", "-", "@", "\t", "\r"].contains(first), "cell \(index) of \(record[0]) not neutralised: \(cell)")
                }
            }
            #expect(records[1][1] == "'" + payload)
            #expect(records[1][2] == "'" + payload)
        }
    }

    @Test func quotesCommasQuotesAndNewlines() throws {
        let payload = "a,b \"c\"\nd\r\ne"
        let text = ReportRenderer.csv(hostileReport(payload), language: .en)
        #expect(text.contains("\"a,b \"\"c\"\"\nd\r\ne\""))
        let records = try parseCSV(text)
        #expect(records[1][2] == payload)
        #expect(CSVText.text("plain") == "plain")
        #expect(CSVText.text("=1,2") == "\"'=1,2\"")
        #expect(CSVText.text("") == "")
    }

    @Test func excelBOMIsOptional() {
        #expect(ReportRenderer.csv(emptyReport(), language: .zh, excelBOM: true).hasPrefix("\u{FEFF}section,"))
        #expect(ReportRenderer.csv(emptyReport(), language: .zh).hasPrefix("section,"))
    }
}

// MARK: - Table

@Suite struct TableReportTests {
    @Test func displayWidth() {
        #expect(DisplayWidth.of("abc") == 3)
        #expect(DisplayWidth.of("年检") == 4)
        #expect(DisplayWidth.of("ＡＢ") == 4)        // fullwidth
        #expect(DisplayWidth.of("（元）") == 6)      // fullwidth punctuation
        #expect(DisplayWidth.of("e\u{301}") == 1)   // combining accent
        #expect(DisplayWidth.of("한국") == 4)
        #expect(DisplayWidth.of("𠀀") == 2)          // CJK extension B
    }

    @Test func columnsAlignWithCJK() {
        var table = TextTable([.init(header: "名称"), .init(header: "Amount", alignment: .right), .init(header: "X")])
        table.add(["北京星辰科技有限公司", "1.00", "a"])
        table.add(["abc", "1234.50", "b"])
        table.add(["ｆｕｌｌ", "12.00", "c"])
        let lines = table.render(indent: "")
        #expect(lines.count == 5)
        // Every line's last column starts at the same display column.
        let starts = lines.enumerated().filter { $0.offset != 1 }.map { DisplayWidth.of(String($0.element.dropLast())) }
        #expect(Set(starts).count == 1)
        // Right aligned amounts end at the same column.
        let amountEnds = lines.dropFirst(2).map { line -> Int in
            let upTo = line.range(of: ".00") ?? line.range(of: ".50")
            return upTo.map { DisplayWidth.of(String(line[..<$0.upperBound])) } ?? -1
        }
        #expect(Set(amountEnds).count == 1)
        #expect(lines.allSatisfy { !$0.hasSuffix(" ") })
    }

    @Test func reportTableAlignsCJKRows() {
        let text = ReportRenderer.table(knownReport(), language: .zh)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // In the approved section the service column starts at the same display column for both rows.
        let serviceStarts = ["S001", "S002"].compactMap { ref -> Int? in
            guard let line = lines.first(where: { $0.contains(ref) && $0.contains("2027-") }),
                  let range = line.range(of: ref) else { return nil }
            return DisplayWidth.of(String(line[..<range.lowerBound]))
        }
        #expect(serviceStarts.count == 2)
        #expect(serviceStarts.first == serviceStarts.last)
        let amountEnds = ["1234.50", "800.00", "2034.50"].compactMap { amount -> Int? in
            guard let line = lines.first(where: { $0.hasSuffix(amount) }) else { return nil }
            return DisplayWidth.of(line)
        }
        #expect(amountEnds.count == 3)
        #expect(Set(amountEnds).count == 1)
    }

    @Test func labelsInBothLanguages() {
        let zh = ReportRenderer.table(knownReport(), language: .zh)
        for label in ["年检报告", "截至 2026-11-30", "== 已通过 (2) ==", "== 需要处理的公司 (1) ==", "== 已驳回 (1) ==",
                      "== 失败 (1) ==", "== 审核中 (1) ==", "30 天内到期", "中位数: 3.0", "90 分位: 7.6",
                      "缺少营业执照副本", "续费合计（元）", "2034.50", RejectionReason.inaccurateInformation.messageZh] {
            #expect(zh.contains(label), "zh table lacks \(label)")
        }
        let en = ReportRenderer.table(knownReport(), language: .en)
        for label in ["Annual inspection report", "As of 2026-11-30", "== Approved (2) ==", "== Companies needing attention (1) ==",
                      "== Rejected (1) ==", "== Failed (1) ==", "== In review (1) ==", "Expiring within 30 days",
                      "Median: 3.0", "business license missing", "running", "approved 2, in review 1, rejected 1"] {
            #expect(en.contains(label), "en table lacks \(label)")
        }
        #expect(!en.contains("年检报告"))
    }

    @Test func terminalEscapesAreRemoved() {
        let text = ReportRenderer.table(hostileReport("\u{1B}[31mred\u{1B}[0m\nnext"), language: .en)
        #expect(!text.contains("\u{1B}"))
        #expect(!text.contains("red\u{1B}"))
        #expect(text.contains("\u{FFFD}[31mred"))
    }

    @Test func longCellsAreCut() {
        let long = String(repeating: "错", count: 100)
        let cut = TerminalText.truncate(long, toWidth: 20)
        #expect(DisplayWidth.of(cut) <= 20)
        #expect(cut.hasSuffix("..."))
        #expect(TerminalText.truncate("short", toWidth: 20) == "short")
    }
}

// MARK: - Statistics and numbers

@Suite struct StatisticsTests {
    @Test func medianAndP90ByLinearInterpolation() {
        let empty = ReviewTimeStats(businessDays: [])
        #expect(empty.count == 0 && empty.medianBusinessDays == nil && empty.p90BusinessDays == nil)
        let one = ReviewTimeStats(businessDays: [5])
        #expect(one.medianBusinessDays == 5 && one.p90BusinessDays == 5)
        let four = ReviewTimeStats(businessDays: [4, 1, 3, 2])
        #expect(four.medianBusinessDays == 2.5)
        #expect(abs((four.p90BusinessDays ?? 0) - 3.7) < 1e-9)
        let ten = ReviewTimeStats(businessDays: Array((1...10).reversed()))
        #expect(ten.count == 10)
        #expect(ten.medianBusinessDays == 5.5)
        #expect(abs((ten.p90BusinessDays ?? 0) - 9.1) < 1e-9)
        let odd = ReviewTimeStats(businessDays: [10, 2, 3, 3, 4])
        #expect(odd.medianBusinessDays == 3)
        #expect(abs((odd.p90BusinessDays ?? 0) - 7.6) < 1e-9)
    }

    @Test func fixedDecimals() {
        #expect(NumberText.fixed(2.5) == "2.5")
        #expect(NumberText.fixed(3) == "3.0")
        #expect(NumberText.fixed(9.149, places: 2) == "9.15")
        #expect(NumberText.fixed(-0.25) == "-0.3")
        #expect(NumberText.fixed(7.6) == "7.6")
        #expect(NumberText.fixed(.nan) == "0")
    }

    @Test func renewalTotalDefaultsToTheSumOfApproved() {
        #expect(knownReport().renewalTotal == money("2034.50"))
        #expect(emptyReport().renewalTotal == .zero)
        #expect(emptyReport().counts.count == InspectionState.allCases.count)
    }
}

// MARK: - Empty report and platform summary

@Suite struct EmptyAndPlatformTests {
    @Test func emptyReportRendersInEveryFormat() throws {
        for language in Language.allCases {
            for format in ReportFormat.allCases {
                let text = ReportRenderer.render(emptyReport(), format: format, language: language)
                // Each format is its own renderer's output, and even empty it says whose report it is and as of when
                // (CSV rows carry no heading: its total row is checked below).
                let own: String
                switch format {
                case .table: own = ReportRenderer.table(emptyReport(), language: language)
                case .json: own = ReportRenderer.json(emptyReport(), language: language)
                case .csv: own = ReportRenderer.csv(emptyReport(), language: language)
                case .html: own = ReportRenderer.html(emptyReport(), language: language)
                }
                #expect(text == own, "\(format) renders another format")
                if format != .csv {
                    #expect(text.contains("empty") || text.contains("Empty"), "\(format) \(language): no tenant in \(text.prefix(300))")
                    #expect(text.contains("2026-01-05"), "\(format) \(language): no as-of date in \(text.prefix(300))")
                }
            }
            let json = try parseJSON(ReportRenderer.json(emptyReport(), language: language))
            #expect(json["renewal_total"] as? String == "0.00")
            #expect((json["approved"] as? [Any])?.isEmpty == true)
            #expect((json["counts"] as? [String: Int])?.values.allSatisfy { $0 == 0 } == true)
            #expect((json["review_days"] as? [String: Any])?["median"] is NSNull)
            let records = try parseCSV(ReportRenderer.csv(emptyReport(), language: language))
            #expect(records.count == 2)
            #expect(records.last?.first == "total")
        }
        #expect(ReportRenderer.table(emptyReport(), language: .zh).contains("  无"))
        #expect(ReportRenderer.table(emptyReport(), language: .en).contains("  None"))
    }

    func summary() -> PlatformSummary {
        PlatformSummary(asOf: date("2026-11-30"), rows: [
            PlatformRow(tenantSlug: "acme", tenantName: "示例代理", counts: [.approved: 3, .pending: 1],
                        renewalTotal: money("3000.00"), lastRunAt: "2026-11-29T18:00:00.000000Z"),
            PlatformRow(tenantSlug: "small", tenantName: "=cmd|' /C calc'!A0", counts: [.failed: 2],
                        renewalTotal: money("0.50"), lastRunAt: nil),
        ])
    }

    @Test func platformJSON() throws {
        let json = try parseJSON(ReportRenderer.render(summary(), format: .json, language: .en))
        let tenants = try #require(json["tenants"] as? [[String: Any]])
        #expect(tenants.map { $0["tenant"] as? String } == ["acme", "small"])
        #expect((tenants[0]["counts"] as? [String: Int])?["approved"] == 3)
        #expect((tenants[0]["counts"] as? [String: Int])?.count == InspectionState.allCases.count)
        #expect(tenants[1]["last_run_at"] is NSNull)
        let totals = try #require(json["totals"] as? [String: Any])
        #expect(totals["renewal_total"] as? String == "3000.50")
        #expect(totals["total"] as? Int == 6)
    }

    @Test func platformTableAndCSV() throws {
        let table = ReportRenderer.render(summary(), format: .table, language: .zh)
        #expect(table.contains("平台汇总"))
        #expect(table.contains("3000.50"))
        #expect(table.contains("从未运行"))
        let records = try parseCSV(ReportRenderer.render(summary(), format: .csv, language: .en))
        #expect(records.count == 3)
        #expect(records[0].first == "tenant")
        #expect(records[2][1] == "'=cmd|' /C calc'!A0")
        let html = ReportRenderer.render(summary(), format: .html, language: .en)
        #expect(html.contains("Platform summary"))
        #expect(!html.contains("http://") && !html.contains("https://"))
        let empty = ReportRenderer.render(PlatformSummary(rows: []), format: .table, language: .en)
        #expect(empty.contains("None"))
    }
}

// MARK: - Secrets and chart scale

@Suite struct RedactionAndChartTests {
    @Test func secretsInErrorsAreMasked() throws {
        let error = "connect postgres://nianjian:Sup3rS3cret@db:5432/x failed; PGPASSWORD=hunter2 token: \"abc def\" api_key=K1&x=1"
        let scrubbed = Redaction.scrub(error)
        #expect(scrubbed == "connect postgres://nianjian:***@db:5432/x failed; PGPASSWORD=*** token: \"***\" api_key=***&x=1")
        #expect(Redaction.scrub("console login failed: timeout") == "console login failed: timeout")
        #expect(Redaction.scrub("https://example.com/path") == "https://example.com/path")
        #expect(Redaction.scrub("Password = 'a b'") == "Password = '***'")

        var report = emptyReport()
        report.failed = [FailedItem(companyRef: "C1", companyName: "n", serviceRef: "S1", lastError: error, attempts: 3)]
        for format in ReportFormat.allCases {
            for language in Language.allCases {
                let text = ReportRenderer.render(report, format: format, language: language)
                for secret in ["Sup3rS3cret", "hunter2", "abc def", "K1"] {
                    #expect(!text.contains(secret), "\(format) leaks \(secret)")
                }
            }
        }
    }

    @Test func progressAxisUsesRoundSteps() {
        #expect(ReportRenderer.axisStep(for: 1) == 1)
        #expect(ReportRenderer.axisStep(for: 5) == 1)
        #expect(ReportRenderer.axisStep(for: 8) == 2)
        #expect(ReportRenderer.axisStep(for: 12) == 5)
        #expect(ReportRenderer.axisStep(for: 300) == 100)
        #expect(ReportRenderer.axisStep(for: 49_999) == 10_000)
        var report = knownReport()
        report.nightlyProgress = (1...14).map { NightProgress(date: date("2026-11-01").adding(days: $0), approved: $0 * 10) }
        let html = ReportRenderer.html(report, language: .en)
        #expect(html.contains("class=\"axis\">150</text>"))
        #expect(!html.contains("11-01</text>"))   // the 14 given nights start on 11-02
        #expect(html.contains(">11-15</text>"))
    }
}

@Suite struct ModelTests {
    @Test func codableRoundTrip() throws {
        let report = knownReport()
        let data = try JSONEncoder().encode(report)
        #expect(try JSONDecoder().decode(TenantReport.self, from: data) == report)
    }

    @Test func findingFromDomain() {
        let finding = ReportFinding(Finding(.businessLicenseMissing))
        #expect(finding.code == "business_license.missing")
        #expect(finding.severity == Finding(.businessLicenseMissing).severity.rawValue)
        #expect(!finding.messageZh.isEmpty && !finding.remedyEn.isEmpty)
    }

    @Test func bidiOverridesAreNeutralisedInTables() {
        let text = ReportRenderer.table(hostileReport("abc\u{202E}fed"), language: .en)
        #expect(!text.unicodeScalars.contains("\u{202E}"))
    }
}
