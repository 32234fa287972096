import Foundation
import NianjianDomain
@testable import NianjianReports
import Testing

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
