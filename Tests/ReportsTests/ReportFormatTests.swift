import Foundation
import NianjianDomain
@testable import NianjianReports
import Testing

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
