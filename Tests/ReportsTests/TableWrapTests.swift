import NianjianDomain
@testable import NianjianReports
import Testing

/// Issue 10, item 1: long Finding and Remedy cells are wrapped onto several lines, never cut to "...".
@Suite struct TableWrapTests {
    static let longZh = "营业执照副本已过有效期，或统一社会信用代码的校验位与登记机关公示的信息不一致，请重新上传清晰完整的证件扫描件"
    static let longEn = "The business license copy has expired or its unified social credit code does not match the registry; upload a clear, complete scan"

    @Test func wrapKeepsEveryCharacterWithinTheWidth() {
        for (text, width) in [(Self.longZh, 40), (Self.longEn, 40), (Self.longZh, 7), (Self.longEn, 10), ("abc", 1)] {
            let lines = TerminalText.wrap(text, toWidth: width)
            #expect(lines.count > 1, "\(text) at \(width)")
            #expect(lines.allSatisfy { DisplayWidth.of($0) <= max(width, 2) }, "\(lines)")
            // Nothing is lost: only the spaces lines were broken at.
            #expect(lines.joined().filter { $0 != " " } == text.filter { $0 != " " })
            #expect(!lines.joined().contains("..."))
        }
        // English breaks between words.
        let english = TerminalText.wrap("alpha beta gamma delta", toWidth: 11)
        #expect(english == ["alpha beta", "gamma delta"])
        #expect(TerminalText.wrap("short", toWidth: 20) == ["short"])
        // An over-long word is broken between characters.
        #expect(TerminalText.wrap("abcdefghij", toWidth: 4) == ["abcd", "efgh", "ij"])
        // CJK (2 columns) breaks between ideographs and never exceeds the width.
        #expect(TerminalText.wrap("年检材料齐全", toWidth: 5) == ["年检", "材料", "齐全"])
    }

    @Test func longCellsWrapInsteadOfBeingCut() {
        for language in [Language.zh, .en] {
            let finding = language == .zh ? Self.longZh : Self.longEn
            var table = TextTable([.init(header: "company"), .init(header: "名称", maxWidth: 24),
                                   .init(header: "finding", maxWidth: 40), .init(header: "remedy", maxWidth: 40),
                                   .init(header: "n", alignment: .right)])
            table.add(["C001", "北京星辰科技有限公司北京星辰科技有限公司", finding, finding, "1"])
            table.add(["C002", "short", "ok", "ok", "22"])
            let lines = table.render(indent: "")
            let text = lines.joined(separator: "\n")
            #expect(!text.contains("..."), "\(text)")
            #expect(lines.count > 5, "the long row takes several lines")
            // Every piece of the long texts is in the table (joined back without the breaks).
            let findingColumn = lines.compactMap { line -> String? in
                guard let start = Self.column(of: "finding", in: lines[0]) else { return nil }
                return Self.slice(line, fromColumn: start, width: 40)
            }
            let joined = findingColumn.dropFirst(2).joined().filter { $0 != " " }
            #expect(joined.contains(finding.filter { $0 != " " }), "\(findingColumn)")
            // Alignment: the finding column starts at the same display column on every line that has text there,
            // and the right-aligned last column ends at the same column on the rows' first lines.
            let starts = Self.column(of: "finding", in: lines[0])
            for line in lines.dropFirst(2) {
                let width = DisplayWidth.of(line)
                if let starts, width > starts {
                    let before = Self.prefix(line, width: starts)
                    #expect(DisplayWidth.of(before) == starts, "\(line)")
                    #expect(before.hasSuffix("  ") || before.hasSuffix(" "), "cell content crosses into the finding column: \(line)")
                }
            }
            #expect(lines.allSatisfy { !$0.hasSuffix(" ") })
            #expect(lines.contains { $0.hasPrefix("C002") && $0.hasSuffix("22") })
        }
    }

    @Test func reportTableDoesNotCutFindings() {
        let text = ReportRenderer.table(knownReport(), language: .en)
        #expect(!text.contains("..."))
    }

    // Display-column helpers.
    static func column(of header: String, in line: String) -> Int? {
        guard let range = line.range(of: header) else { return nil }
        return DisplayWidth.of(String(line[..<range.lowerBound]))
    }

    static func prefix(_ line: String, width: Int) -> String {
        var used = 0
        var out = ""
        for character in line {
            let w = DisplayWidth.of(String(character))
            if used + w > width { break }
            used += w
            out.append(character)
        }
        return out
    }

    static func slice(_ line: String, fromColumn start: Int, width: Int) -> String {
        var used = 0
        var out = ""
        for character in line {
            let w = DisplayWidth.of(String(character))
            if used >= start && used + w <= start + width { out.append(character) }
            used += w
        }
        return out
    }
}
