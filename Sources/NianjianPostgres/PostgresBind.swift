/// A parameter bound to `$n`. Values are always sent apart from the SQL text, never spliced into it.
public enum PostgresBind: Sendable, Hashable {
    case null
    /// Sent in PostgreSQL's text format; the server parses it as the parameter's type.
    case text(String)
    /// Sent in binary format: for bytea.
    case bytes([UInt8])

    public init(_ value: String?) { self = value.map(PostgresBind.text) ?? .null }
    public init(_ value: Int?) { self = value.map { .text(String($0)) } ?? .null }
    public init(_ value: Int64?) { self = value.map { .text(String($0)) } ?? .null }
    public init(_ value: Int32?) { self = value.map { .text(String($0)) } ?? .null }
    public init(_ value: Bool?) { self = value.map { .text($0 ? "t" : "f") } ?? .null }
    public init(_ value: Double?) { self = value.map { .text(String($0)) } ?? .null }

    /// A one-dimensional array literal (`{"a","b",NULL}`), for `unnest($1::text[])` batch statements.
    /// Built byte by byte: the write-back binds twenty of these per batch, and string appends per character
    /// were a fifth of the runner's CPU.
    public static func textArray(_ values: [String?]) -> PostgresBind {
        var literal = ArrayLiteral(capacity: values.count * 16)
        for value in values {
            if let value { literal.appendQuoted(value) } else { literal.appendNull() }
        }
        return .text(literal.finish())
    }

    public static func textArray(_ values: [String]) -> PostgresBind {
        var literal = ArrayLiteral(capacity: values.count * 16)
        for value in values { literal.appendQuoted(value) }
        return .text(literal.finish())
    }

    /// An integer array literal (`{1,2,NULL}`).
    public static func intArray<I: BinaryInteger>(_ values: [I?]) -> PostgresBind {
        var literal = ArrayLiteral(capacity: values.count * 8)
        for value in values {
            if let value { literal.appendInteger(Int64(value)) } else { literal.appendNull() }
        }
        return .text(literal.finish())
    }

    public static func intArray<I: BinaryInteger>(_ values: [I]) -> PostgresBind {
        var literal = ArrayLiteral(capacity: values.count * 8)
        for value in values { literal.appendInteger(Int64(value)) }
        return .text(literal.finish())
    }
}

/// The bytes of an array literal in PostgreSQL's text format. `"` and `\` are escaped byte by byte, which
/// is right for UTF-8: both are ASCII and never occur inside a multibyte sequence.
struct ArrayLiteral {
    private var bytes: [UInt8]
    private var count = 0

    init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity + 2)
        bytes.append(UInt8(ascii: "{"))
    }

    private mutating func separate() {
        if count > 0 { bytes.append(UInt8(ascii: ",")) }
        count += 1
    }

    mutating func appendNull() {
        separate()
        bytes.append(contentsOf: [UInt8(ascii: "N"), UInt8(ascii: "U"), UInt8(ascii: "L"), UInt8(ascii: "L")])
    }

    mutating func appendQuoted(_ value: String) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            // Most values have nothing to escape: one scan, then one copy.
            guard utf8.contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
                bytes.append(contentsOf: utf8)
                return
            }
            for byte in utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { bytes.append(UInt8(ascii: "\\")) }
                bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func appendInteger(_ value: Int64) {
        separate()
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var length = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[length] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                length += 1
            } while magnitude > 0
            for index in stride(from: length - 1, through: 0, by: -1) { bytes.append(buffer[index]) }
        }
    }

    mutating func finish() -> String {
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }
}
