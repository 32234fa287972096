// A plain-text table for terminals, aligned by display width (CJK counts 2).

struct TextTable {
    enum Alignment { case left, right }

    struct Column {
        var header: String
        var alignment: Alignment = .left
        /// Cells wider than this are wrapped onto several lines (nothing is cut).
        var maxWidth: Int = 48
    }

    var columns: [Column]
    var rows: [[String]] = []
    /// Rows drawn below a rule after the body (totals).
    var footer: [[String]] = []

    init(_ columns: [Column]) { self.columns = columns }

    mutating func add(_ row: [String]) { rows.append(row) }

    /// The lines of the table, each indented by `indent`, without trailing spaces. A cell wider than its
    /// column's `maxWidth` is wrapped onto as many lines as it needs; the other cells of its row are left
    /// blank on those lines, so every column keeps its alignment.
    func render(indent: String = "  ") -> [String] {
        func cells(_ row: [String]) -> [[String]] {
            columns.indices.map { index in
                let raw = index < row.count ? row[index] : ""
                return TerminalText.wrap(TerminalText.sanitize(raw), toWidth: columns[index].maxWidth)
            }
        }
        let header = cells(columns.map(\.header))
        let body = rows.map(cells)
        let foot = footer.map(cells)
        var widths = columns.map { _ in 0 }
        for row in [header] + body + foot {
            for (index, cell) in row.enumerated() {
                widths[index] = max(widths[index], cell.map(DisplayWidth.of).max() ?? 0)
            }
        }
        func lines(_ row: [[String]]) -> [String] {
            let height = row.map(\.count).max() ?? 1
            return (0..<height).map { lineIndex in
                let padded = row.enumerated().map { index, cell in
                    TerminalText.pad(lineIndex < cell.count ? cell[lineIndex] : "", toWidth: widths[index],
                                     right: columns[index].alignment == .right)
                }
                return trimTrailing(indent + padded.joined(separator: "  "))
            }
        }
        let rule = trimTrailing(indent + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
        var output = lines(header) + [rule]
        output += body.flatMap(lines)
        if !foot.isEmpty {
            output.append(rule)
            output += foot.flatMap(lines)
        }
        return output
    }

    private func trimTrailing(_ text: String) -> String {
        var result = Substring(text)
        while result.last == " " { result = result.dropLast() }
        return String(result)
    }
}
