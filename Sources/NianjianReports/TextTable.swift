// A plain-text table for terminals, aligned by display width (CJK counts 2).

struct TextTable {
    enum Alignment { case left, right }

    struct Column {
        var header: String
        var alignment: Alignment = .left
        /// Cells wider than this are cut with "...".
        var maxWidth: Int = 48
    }

    var columns: [Column]
    var rows: [[String]] = []
    /// Rows drawn below a rule after the body (totals).
    var footer: [[String]] = []

    init(_ columns: [Column]) { self.columns = columns }

    mutating func add(_ row: [String]) { rows.append(row) }

    /// The lines of the table, each indented by `indent`, without trailing spaces.
    func render(indent: String = "  ") -> [String] {
        func cells(_ row: [String]) -> [String] {
            columns.indices.map { index in
                let raw = index < row.count ? row[index] : ""
                return TerminalText.truncate(TerminalText.sanitize(raw), toWidth: columns[index].maxWidth)
            }
        }
        let header = cells(columns.map(\.header))
        let body = rows.map(cells)
        let foot = footer.map(cells)
        var widths = header.map(DisplayWidth.of)
        for row in body + foot {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], DisplayWidth.of(cell)) }
        }
        func line(_ row: [String]) -> String {
            let padded = row.enumerated().map { index, cell in
                TerminalText.pad(cell, toWidth: widths[index], right: columns[index].alignment == .right)
            }
            return trimTrailing(indent + padded.joined(separator: "  "))
        }
        let rule = trimTrailing(indent + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
        var lines = [line(header), rule]
        lines += body.map(line)
        if !foot.isEmpty {
            lines.append(rule)
            lines += foot.map(line)
        }
        return lines
    }

    private func trimTrailing(_ text: String) -> String {
        var result = Substring(text)
        while result.last == " " { result = result.dropLast() }
        return String(result)
    }
}
