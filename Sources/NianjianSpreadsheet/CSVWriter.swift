/// Writes CSV that Excel opens safely and `CSVReader` reads back.
public enum CSVWriter {
    /// The byte order mark Excel needs to read a UTF-8 CSV file as UTF-8 rather than the local code page.
    public static let byteOrderMark = "\u{FEFF}"

    /// Record separator (RFC 4180).
    public static let lineEnd = "\r\n"

    /// One record, without its line end. Every cell is neutralised (`neutralizeFormula`) unless
    /// `neutralize` is false, then quoted when it holds a comma, a quote, a line end, or leading or
    /// trailing spaces or tabs (which the reader would otherwise trim).
    public static func row(_ fields: [String], neutralize: Bool = true) -> String {
        var out = ""
        for (index, field) in fields.enumerated() {
            if index > 0 { out += "," }
            out += escape(neutralize ? neutralizeFormula(field) : field)
        }
        return out
    }

    /// A whole file: each row followed by CRLF, with a leading byte order mark when `byteOrderMark` is true.
    public static func document(_ rows: [[String]], byteOrderMark bom: Bool = true, neutralize: Bool = true) -> String {
        var out = bom ? byteOrderMark : ""
        for fields in rows { out += row(fields, neutralize: neutralize) + lineEnd }
        return out
    }

    /// Prefixes a single quote `'` to a cell that a spreadsheet would run as a formula: one that begins
    /// with `=`, `+`, `-`, `@`, a tab or a carriage return (OWASP "CSV injection"). Other cells are
    /// returned unchanged. (A negative number such as `-3.20` is neutralised too: OWASP's rule.)
    public static func neutralizeFormula(_ cell: String) -> String {
        guard let first = cell.utf8.first else { return cell }
        switch first {
        case UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"), 0x09, 0x0D:
            return "'" + cell
        default:
            // Full-width forms (＝＋－＠) that some input methods produce are treated the same way.
            if let scalar = cell.unicodeScalars.first, ["\u{FF1D}", "\u{FF0B}", "\u{FF0D}", "\u{FF20}"].contains(scalar) {
                return "'" + cell
            }
            return cell
        }
    }

    /// A single cell, quoted when needed.
    public static func escape(_ field: String) -> String {
        var needsQuotes = false
        for byte in field.utf8 where byte == 0x2C || byte == 0x22 || byte == 0x0A || byte == 0x0D {
            needsQuotes = true
            break
        }
        if !needsQuotes, let first = field.utf8.first, let last = field.utf8.last {
            needsQuotes = first == 0x20 || first == 0x09 || last == 0x20 || last == 0x09
        }
        guard needsQuotes else { return field }
        var out = "\""
        for scalar in field.unicodeScalars {
            if scalar == "\"" { out += "\"\"" } else { out.unicodeScalars.append(scalar) }
        }
        return out + "\""
    }
}
