/// JSON text written by hand, so pure code needs no Foundation: one escaper for every module.
public enum JSONLiteral {
    /// A JSON string literal (RFC 8259 escapes; non-ASCII kept as UTF-8, except line separators and bidi
    /// controls, escaped too so a JSON line stays one line and shows what it holds). `htmlSafe` escapes
    /// `<`, `>` and `&` as well, so the JSON stays inert even if someone serves it as HTML (the web console).
    public static func string(_ text: String, htmlSafe: Bool = false) -> String {
        // Most texts (states, kinds, runner ids, tickets) are printable ASCII with nothing to escape: one scan.
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C
                                  && !(htmlSafe && ($0 == 0x3C || $0 == 0x3E || $0 == 0x26)) }) {
            return "\"" + text + "\""
        }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<" where htmlSafe: out += "\\u003c"
            case ">" where htmlSafe: out += "\\u003e"
            case "&" where htmlSafe: out += "\\u0026"
            default:
                if scalar.value < 0x20 || NameText.isForbidden(scalar) {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
