import NianjianDomain

/// HTML built from trusted literals: every interpolated `String` goes through `HTML.escape`, the one escape
/// function of the console; only other `HTML` values are inserted as they are.
public struct HTML: Sendable, ExpressibleByStringInterpolation, ExpressibleByStringLiteral {
    public private(set) var text: String

    public init(stringLiteral value: String) { text = value }
    public init(stringInterpolation: StringInterpolation) { text = stringInterpolation.out }
    init(trusted: String) { text = trusted }

    public static let empty = HTML(trusted: "")

    /// & < > " ' become entities: safe in element content and in quoted attribute values.
    public static func escape(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\u{0}": out += "\u{FFFD}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    public struct StringInterpolation: StringInterpolationProtocol {
        var out = ""
        public init(literalCapacity: Int, interpolationCount: Int) { out.reserveCapacity(literalCapacity * 2) }
        public mutating func appendLiteral(_ literal: String) { out += literal }
        public mutating func appendInterpolation(_ value: String) { out += HTML.escape(value) }
        public mutating func appendInterpolation(_ value: String?) { out += HTML.escape(value ?? "") }
        public mutating func appendInterpolation(_ value: HTML) { out += value.text }
        public mutating func appendInterpolation(_ value: Int) { out += String(value) }
        public mutating func appendInterpolation(_ value: Int64) { out += String(value) }
        public mutating func appendInterpolation(_ values: [HTML]) { for value in values { out += value.text } }
    }

    public static func + (lhs: HTML, rhs: HTML) -> HTML { HTML(trusted: lhs.text + rhs.text) }

    public static func join(_ parts: [HTML]) -> HTML { HTML(trusted: parts.map(\.text).joined()) }
}

/// A query string built from name/value pairs, percent-encoded (then escaped when put into an attribute).
func queryString(_ pairs: [(String, String?)]) -> String {
    let allowed = CharacterSetASCII.unreserved
    let parts = pairs.compactMap { name, value -> String? in
        guard let value, !value.isEmpty else { return nil }
        return name + "=" + percentEncode(value, allowed: allowed)
    }
    return parts.isEmpty ? "" : "?" + parts.joined(separator: "&")
}

enum CharacterSetASCII {
    static let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)
}

/// Percent-encodes every byte outside `allowed` (a path segment or a query value).
func percentEncode(_ value: String, allowed: Set<UInt8> = CharacterSetASCII.unreserved) -> String {
    var out = ""
    for byte in value.utf8 {
        if allowed.contains(byte) {
            out.unicodeScalars.append(Unicode.Scalar(byte))
        } else {
            let hex = String(byte, radix: 16, uppercase: true)
            out += "%" + (hex.count == 1 ? "0" + hex : hex)
        }
    }
    return out
}

/// Chinese or English, by the page's language.
func t(_ language: Language, _ zh: String, _ en: String) -> String { language == .zh ? zh : en }
