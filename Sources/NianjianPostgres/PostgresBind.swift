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
    public static func textArray(_ values: [String?]) -> PostgresBind {
        var literal = "{"
        literal.reserveCapacity(values.count * 12 + 2)
        var first = true
        for value in values {
            if !first { literal += "," }
            first = false
            guard let value else { literal += "NULL"; continue }
            literal += "\""
            for scalar in value.unicodeScalars {
                if scalar == "\"" || scalar == "\\" { literal += "\\" }
                literal.unicodeScalars.append(scalar)
            }
            literal += "\""
        }
        literal += "}"
        return .text(literal)
    }

    public static func textArray(_ values: [String]) -> PostgresBind {
        textArray(values.map { Optional($0) })
    }

    /// An integer array literal (`{1,2,NULL}`).
    public static func intArray<I: BinaryInteger>(_ values: [I?]) -> PostgresBind {
        var literal = "{"
        literal.reserveCapacity(values.count * 8 + 2)
        var first = true
        for value in values {
            if !first { literal += "," }
            first = false
            if let value { literal += String(value) } else { literal += "NULL" }
        }
        literal += "}"
        return .text(literal)
    }

    public static func intArray<I: BinaryInteger>(_ values: [I]) -> PostgresBind {
        intArray(values.map { Optional($0) })
    }
}
