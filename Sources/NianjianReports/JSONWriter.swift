// A minimal JSON writer: objects keep the key order they were built with (a documented, stable order),
// strings are escaped per RFC 8259 (plus U+2028/U+2029 so the output is also safe inside JavaScript).

enum JSONValue: Sendable {
    case string(String)
    case int(Int)
    case int64(Int64)
    /// Written with a fixed number of decimals (`NumberText.fixed`).
    case decimal(Double, places: Int)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([(String, JSONValue)])

    static func optional(_ text: String?) -> JSONValue { text.map(JSONValue.string) ?? .null }

    /// Pretty printed with two-space indentation and a trailing newline.
    func serialized() -> String {
        var out = ""
        write(into: &out, indent: 0)
        out.append("\n")
        return out
    }

    private func write(into out: inout String, indent: Int) {
        switch self {
        case .string(let text): JSONValue.writeString(text, into: &out)
        case .int(let value): out.append(String(value))
        case .int64(let value): out.append(String(value))
        case .decimal(let value, let places): out.append(NumberText.fixed(value, places: places))
        case .bool(let value): out.append(value ? "true" : "false")
        case .null: out.append("null")
        case .array(let values):
            guard !values.isEmpty else { out.append("[]"); return }
            out.append("[\n")
            for (index, value) in values.enumerated() {
                out.append(String(repeating: "  ", count: indent + 1))
                value.write(into: &out, indent: indent + 1)
                out.append(index == values.count - 1 ? "\n" : ",\n")
            }
            out.append(String(repeating: "  ", count: indent) + "]")
        case .object(let members):
            guard !members.isEmpty else { out.append("{}"); return }
            out.append("{\n")
            for (index, member) in members.enumerated() {
                out.append(String(repeating: "  ", count: indent + 1))
                JSONValue.writeString(member.0, into: &out)
                out.append(": ")
                member.1.write(into: &out, indent: indent + 1)
                out.append(index == members.count - 1 ? "\n" : ",\n")
            }
            out.append(String(repeating: "  ", count: indent) + "}")
        }
    }

    static func writeString(_ text: String, into out: inout String) {
        out.append("\"")
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            case "\u{08}": out.append("\\b")
            case "\u{0C}": out.append("\\f")
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    let hex = String(scalar.value, radix: 16)
                    out.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out.append("\"")
    }
}
