// Escaping for the CSV and HTML outputs. Private to this target.

enum CSVText {
    /// A user-supplied text cell: neutralised against spreadsheet formula injection (a cell beginning
    /// with `=`, `+`, `-`, `@`, tab or CR gets a leading `'`), then quoted when needed.
    static func text(_ value: String) -> String {
        quote(neutralise(value))
    }

    /// A cell the renderer produced itself from a number or a date (never user data): only quoted.
    static func generated(_ value: String) -> String {
        quote(value)
    }

    static func neutralise(_ value: String) -> String {
        guard let first = value.unicodeScalars.first else { return value }
        switch first {
        case "=", "+", "-", "@", "\t", "\r": return "'" + value
        default: return value
        }
    }

    /// RFC 4180: a cell containing a comma, a double quote, CR or LF is wrapped in double quotes, inner
    /// quotes doubled.
    static func quote(_ value: String) -> String {
        let needsQuotes = value.unicodeScalars.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }
        guard needsQuotes else { return value }
        var out = "\""
        for scalar in value.unicodeScalars {
            if scalar == "\"" { out.append("\"\"") } else { out.unicodeScalars.append(scalar) }
        }
        return out + "\""
    }

    /// One record with CRLF (RFC 4180; what Excel writes).
    static func record(_ cells: [String]) -> String { cells.joined(separator: ",") + "\r\n" }
}

enum HTMLText {
    /// Escapes text for HTML element content and quoted attribute values: & < > " ' become entities;
    /// NUL and other C0 controls (except tab/LF/CR) become U+FFFD.
    static func escape(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "&": out.append("&amp;")
            case "<": out.append("&lt;")
            case ">": out.append("&gt;")
            case "\"": out.append("&quot;")
            case "'": out.append("&#39;")
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out.append("\u{FFFD}")
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
