import CLibPQ

/// The rows of one statement, decoded lazily from libpq's result (text format).
public final class PostgresResult: @unchecked Sendable {
    // PGresult is immutable once returned; reading it from any thread is safe.
    private let handle: OpaquePointer?
    public let rowCount: Int
    public let columnCount: Int
    /// Rows changed by INSERT/UPDATE/DELETE/COPY (PQcmdTuples).
    public let affectedRows: Int
    private let columnIndex: [String: Int]

    init(handle: OpaquePointer?) {
        self.handle = handle
        self.rowCount = handle.map { Int(PQntuples($0)) } ?? 0
        self.columnCount = handle.map { Int(PQnfields($0)) } ?? 0
        if let handle, let tuples = PQcmdTuples(handle) {
            affectedRows = Int(String(cString: tuples)) ?? 0
        } else {
            affectedRows = 0
        }
        var names: [String: Int] = [:]
        if let handle {
            for column in 0..<Int(PQnfields(handle)) {
                if let name = PQfname(handle, Int32(column)) { names[String(cString: name)] = column }
            }
        }
        self.columnIndex = names
    }

    deinit { if let handle { PQclear(handle) } }

    public func column(named name: String) throws -> Int {
        guard let index = columnIndex[name] else {
            throw PostgresError(kind: .usage, message: "no column named \(name) in the result")
        }
        return index
    }

    public subscript(row: Int) -> PostgresRow { PostgresRow(result: self, row: row) }

    public var rows: [PostgresRow] { (0..<rowCount).map { PostgresRow(result: self, row: $0) } }

    func isNull(_ row: Int, _ column: Int) -> Bool {
        guard let handle else { return true }
        return PQgetisnull(handle, Int32(row), Int32(column)) == 1
    }

    /// Calls `body` with the raw bytes of a non-NULL value, without copying.
    func withBytes<T>(_ row: Int, _ column: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T? {
        guard let handle, row < rowCount, column < columnCount, PQgetisnull(handle, Int32(row), Int32(column)) == 0,
              let pointer = PQgetvalue(handle, Int32(row), Int32(column)) else { return nil }
        let length = Int(PQgetlength(handle, Int32(row), Int32(column)))
        return try pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
            try body(UnsafeBufferPointer(start: $0, count: length))
        }
    }
}

/// One row of a result. Accessors take a column position (fast) or a name.
public struct PostgresRow: Sendable {
    let result: PostgresResult
    public let row: Int

    public func isNull(_ column: Int) -> Bool { result.isNull(row, column) }

    public func string(_ column: Int) -> String? {
        result.withBytes(row, column) { String(decoding: $0, as: UTF8.self) }
    }

    public func string(_ name: String) throws -> String? { string(try result.column(named: name)) }

    public func requireString(_ column: Int) throws -> String {
        guard let value = string(column) else { throw decodeError(column, "text", "NULL") }
        return value
    }

    public func int64(_ column: Int) throws -> Int64? {
        try result.withBytes(row, column) { bytes -> Int64 in
            var value: Int64 = 0
            var negative = false
            var index = 0
            if bytes.first == UInt8(ascii: "-") { negative = true; index = 1 }
            guard index < bytes.count else { throw decodeError(column, "integer", String(decoding: bytes, as: UTF8.self)) }
            while index < bytes.count {
                let byte = bytes[index]
                guard byte >= 48, byte <= 57 else { throw decodeError(column, "integer", String(decoding: bytes, as: UTF8.self)) }
                let (multiplied, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (added, overflow2) = multiplied.addingReportingOverflow(Int64(byte - 48))
                guard !overflow1, !overflow2 else { throw decodeError(column, "integer", String(decoding: bytes, as: UTF8.self)) }
                value = added
                index += 1
            }
            return negative ? -value : value
        }
    }

    public func int(_ column: Int) throws -> Int? { try int64(column).map { Int($0) } }

    public func requireInt64(_ column: Int) throws -> Int64 {
        guard let value = try int64(column) else { throw decodeError(column, "integer", "NULL") }
        return value
    }

    public func requireInt(_ column: Int) throws -> Int { Int(try requireInt64(column)) }

    public func bool(_ column: Int) throws -> Bool? {
        try result.withBytes(row, column) { bytes -> Bool in
            guard bytes.count == 1 else { throw decodeError(column, "bool", String(decoding: bytes, as: UTF8.self)) }
            switch bytes[0] {
            case UInt8(ascii: "t"): return true
            case UInt8(ascii: "f"): return false
            default: throw decodeError(column, "bool", String(decoding: bytes, as: UTF8.self))
            }
        }
    }

    public func double(_ column: Int) throws -> Double? {
        guard let text = string(column) else { return nil }
        guard let value = Double(text) else { throw decodeError(column, "double", text) }
        return value
    }

    /// An exact decimal (numeric) value.
    public func numeric(_ column: Int) throws -> PostgresNumeric? {
        guard let text = string(column) else { return nil }
        guard let value = PostgresNumeric(text) else { throw decodeError(column, "numeric", text) }
        return value
    }

    /// A `date` as (year, month, day).
    public func date(_ column: Int) throws -> PostgresDate? {
        try result.withBytes(row, column) { bytes -> PostgresDate in
            guard let value = PostgresDate(bytes: bytes) else { throw decodeError(column, "date", String(decoding: bytes, as: UTF8.self)) }
            return value
        }
    }

    /// A `timestamptz` as microseconds since the Unix epoch. Sessions run with TimeZone UTC.
    public func timestampMicroseconds(_ column: Int) throws -> Int64? {
        guard let text = string(column) else { return nil }
        guard let value = PostgresTimestampParser.microseconds(text) else { throw decodeError(column, "timestamptz", text) }
        return value
    }

    /// A one-dimensional text[] (or any array printed as text), NULL elements as nil.
    public func textArray(_ column: Int) throws -> [String?]? {
        guard let text = string(column) else { return nil }
        guard let value = PostgresArrayParser.parse(text) else { throw decodeError(column, "array", text) }
        return value
    }

    public func int64Array(_ column: Int) throws -> [Int64?]? {
        guard let elements = try textArray(column) else { return nil }
        return try elements.map { element in
            guard let element else { return nil }
            guard let value = Int64(element) else { throw decodeError(column, "bigint[]", element) }
            return value
        }
    }

    /// A bytea (hex output format).
    public func bytes(_ column: Int) throws -> [UInt8]? {
        try result.withBytes(row, column) { raw -> [UInt8] in
            guard raw.count >= 2, raw[0] == UInt8(ascii: "\\"), raw[1] == UInt8(ascii: "x"), raw.count % 2 == 0 else {
                throw decodeError(column, "bytea", "unexpected format")
            }
            var output: [UInt8] = []
            output.reserveCapacity((raw.count - 2) / 2)
            var index = 2
            while index < raw.count {
                guard let high = hexValue(raw[index]), let low = hexValue(raw[index + 1]) else {
                    throw decodeError(column, "bytea", "bad hex digit")
                }
                output.append(high << 4 | low)
                index += 2
            }
            return output
        }
    }

    /// jsonb/json as its text.
    public func json(_ column: Int) -> String? { string(column) }

    private func decodeError(_ column: Int, _ type: String, _ value: String) -> PostgresError {
        // The value may be personal data: it goes to the detail (logs), not the description.
        PostgresError(kind: .decoding, message: "column \(column) of row \(row) is not a valid \(type)",
                      detail: "value: \(value.prefix(64))")
    }
}

/// An exact decimal from a `numeric` column, kept as its canonical text.
public struct PostgresNumeric: Sendable, Hashable, CustomStringConvertible {
    public let text: String

    public init?(_ text: String) {
        var seenDigit = false
        var seenPoint = false
        for (offset, byte) in text.utf8.enumerated() {
            switch byte {
            case UInt8(ascii: "-") where offset == 0: continue
            case UInt8(ascii: "."): if seenPoint { return nil }; seenPoint = true
            case 48...57: seenDigit = true
            default: return nil
            }
        }
        guard seenDigit else { return nil }
        self.text = text
    }

    /// The value times 10^scale as an integer, when exact (e.g. yuan → fen with scale 2); nil when it would
    /// need rounding or overflow.
    public func scaledInteger(scale: Int) -> Int64? {
        let negative = text.hasPrefix("-")
        let body = negative ? text.dropFirst() : Substring(text)
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        let whole = parts.first.map(String.init) ?? "0"
        var fraction = parts.count > 1 ? String(parts[1]) : ""
        while fraction.count > scale, fraction.hasSuffix("0") { fraction.removeLast() }
        guard fraction.count <= scale else { return nil }
        fraction += String(repeating: "0", count: scale - fraction.count)
        guard let value = Int64((whole.isEmpty ? "0" : whole) + fraction) else { return nil }
        return negative ? -value : value
    }

    public var description: String { text }
}

public struct PostgresDate: Sendable, Hashable {
    public let year: Int
    public let month: Int
    public let day: Int

    init?(_ text: String) {
        var text = text
        guard let parsed = text.withUTF8({ PostgresDate(bytes: $0) }) else { return nil }
        self = parsed
    }

    /// `YYYY-MM-DD` (ISO DateStyle), read from the bytes without making a string (the runner reads several
    /// dates per inspection).
    init?(bytes: UnsafeBufferPointer<UInt8>) {
        var parsed = (year: 0, month: 0, day: 0)
        var field = 0
        var digits = 0
        for byte in bytes {
            if byte == UInt8(ascii: "-") {
                guard digits > 0, field < 2 else { return nil }
                field += 1
                digits = 0
                continue
            }
            guard byte >= 48, byte <= 57, digits < 9 else { return nil }
            let digit = Int(byte - 48)
            switch field {
            case 0: parsed.year = parsed.year * 10 + digit
            case 1: parsed.month = parsed.month * 10 + digit
            default: parsed.day = parsed.day * 10 + digit
            }
            digits += 1
        }
        guard field == 2, digits > 0 else { return nil }
        (year, month, day) = parsed
    }
}

enum PostgresTimestampParser {
    /// Parses `YYYY-MM-DD HH:MM:SS[.ffffff]+00[:MM]` (ISO DateStyle) to microseconds since the epoch.
    static func microseconds(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 19 else { return nil }
        func number(_ start: Int, _ count: Int) -> Int64? {
            guard start + count <= bytes.count else { return nil }
            var value: Int64 = 0
            for index in start..<(start + count) {
                let byte = bytes[index]
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            return value
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2) else { return nil }
        var index = 19
        var micros: Int64 = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                if digits < 6 { micros = micros * 10 + Int64(bytes[index] - 48); digits += 1 }
                index += 1
            }
            while digits < 6 { micros *= 10; digits += 1 }
        }
        var offsetSeconds: Int64 = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            let sign: Int64 = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            guard let offsetHours = number(index + 1, 2) else { return nil }
            var offsetMinutes: Int64 = 0
            if index + 3 < bytes.count, bytes[index + 3] == UInt8(ascii: ":") { offsetMinutes = number(index + 4, 2) ?? 0 }
            offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
        }
        // days_from_civil
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return seconds * 1_000_000 + micros
    }
}

enum PostgresArrayParser {
    /// Parses a one-dimensional array in PostgreSQL's text output format.
    static func parse(_ text: String) -> [String?]? {
        let scalars = Array(text.unicodeScalars)
        guard scalars.first == "{", scalars.last == "}" else { return nil }
        var elements: [String?] = []
        var index = 1
        let end = scalars.count - 1
        if end == 1 { return [] }
        while index <= end {
            var element = String.UnicodeScalarView()
            var quoted = false
            if index < end, scalars[index] == "\"" {
                quoted = true
                index += 1
                while index < end, scalars[index] != "\"" {
                    if scalars[index] == "\\" { index += 1 }
                    guard index < end else { return nil }
                    element.append(scalars[index])
                    index += 1
                }
                index += 1 // closing quote
            } else {
                while index < end, scalars[index] != "," {
                    element.append(scalars[index])
                    index += 1
                }
            }
            let value = String(element)
            elements.append(!quoted && value == "NULL" ? nil : value)
            guard index <= end else { break }
            if index == end { break }
            guard scalars[index] == "," else { return nil }
            index += 1
        }
        return elements
    }
}
