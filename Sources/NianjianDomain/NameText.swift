/// The rule for names a person types (tenant and company names, representatives, holders): names are shown
/// on terminals, in reports and in e-mails, so a name may not carry anything that acts on a terminal or
/// reorders the text around it.
///
/// Refused: C0 controls (U+0000–U+001F: ESC, line breaks, tabs…), DEL and C1 controls (U+007F–U+009F), the
/// line and paragraph separators (U+2028, U+2029), and the bidirectional embeddings, overrides and isolates
/// (U+202A–U+202E, U+2066–U+2069: "Trojan Source"). Everything else (CJK, accents, emoji, ordinary
/// punctuation) is allowed. Pure: no I/O.
public enum NameText {
    /// True for a scalar a name may not contain.
    public static func isForbidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    /// The first forbidden scalar of `name`, or nil when the name is acceptable.
    public static func forbiddenScalar(in name: String) -> Unicode.Scalar? {
        name.unicodeScalars.first(where: isForbidden)
    }

    /// `U+001B (escape)`: a forbidden scalar as a user can read it.
    public static func describe(_ scalar: Unicode.Scalar) -> (en: String, zh: String) {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        let code = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        let (en, zh): (String, String)
        switch scalar.value {
        case 0x1B: (en, zh) = ("escape", "转义符")
        case 0x0A, 0x0D, 0x2028, 0x2029: (en, zh) = ("line break", "换行符")
        case 0x09: (en, zh) = ("tab", "制表符")
        case 0x202A...0x202E, 0x2066...0x2069: (en, zh) = ("bidirectional override", "双向文本控制符")
        default: (en, zh) = ("control character", "控制字符")
        }
        return ("\(code) (\(en))", "\(code)（\(zh)）")
    }

    /// Why `name` is refused, in English and Chinese (what is wrong and what to do), or nil when it is fine.
    /// `what` names the field, e.g. `--name` or `name`.
    public static func problem(in name: String, what: String) -> (en: String, zh: String)? {
        guard let scalar = forbiddenScalar(in: name) else { return nil }
        let described = describe(scalar)
        return ("\(what) contains \(described.en), which could change how a terminal shows the text: remove it and try again",
                "\(what) 含有\(described.zh)，可能改变终端的显示：请删除后重试")
    }

    /// `name` with every forbidden scalar written as a visible escape (`\u{1B}`), for showing names stored
    /// before this rule existed.
    public static func escaped(_ name: String) -> String {
        guard forbiddenScalar(in: name) != nil else { return name }
        var out = ""
        for scalar in name.unicodeScalars {
            if isForbidden(scalar) {
                out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
