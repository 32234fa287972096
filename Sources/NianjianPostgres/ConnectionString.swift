/// A libpq connection string (URI `postgresql://…` or `key=value …`), kept with the knowledge of its
/// password so that nothing printed can leak it.
public struct ConnectionString: Sendable, CustomStringConvertible {
    /// The string as given; pass it to libpq only.
    public let raw: String
    /// Every secret found in it, to scrub from any text before it is shown.
    let secrets: [String]

    /// A database name that replaces the one in `raw` (to reach another database of the same server).
    public let databaseOverride: String?
    /// `raw` without Nianjian's own parameters (`nianjian_prepare`): what libpq is given.
    public let libpq: String
    /// What every session of this string sets, and whether it may keep session state.
    public let settings: SessionSettings

    public init(_ raw: String, database: String? = nil) {
        let split = NianjianParameters.split(raw)
        self.init(raw: raw, libpq: split.libpq, settings: split.settings, database: database)
    }

    private init(raw: String, libpq: String, settings: SessionSettings, database: String?) {
        self.raw = raw
        self.libpq = libpq
        self.settings = settings
        self.databaseOverride = database
        self.secrets = ConnectionString.findSecrets(in: raw)
    }

    /// The same server and credentials, another database.
    public func database(_ name: String) -> ConnectionString {
        ConnectionString(raw: raw, libpq: libpq, settings: settings, database: name)
    }

    /// The same string with `extra`'s explicit settings on top (a job file's timeouts, its `prepared_statements`).
    public func with(_ extra: SessionSettings) -> ConnectionString {
        ConnectionString(raw: raw, libpq: libpq, settings: settings.merged(with: extra), database: databaseOverride)
    }

    /// The same string with the password replaced by `***`, fit for logs and errors.
    public var redacted: String {
        redact(raw) + (databaseOverride.map { " (database \($0))" } ?? "")
    }

    public var description: String { redacted }

    /// Removes every secret of this connection string (and `PGPASSWORD`) from `text`.
    public func redact(_ text: String) -> String {
        var result = text
        for secret in secrets where !secret.isEmpty {
            result = result.replacing(secret, with: "***")
        }
        return result
    }

    static func findSecrets(in raw: String) -> [String] {
        var found: [String] = []
        let trimmed = raw.trimmingSpaces()
        if trimmed.hasPrefix("postgres://") || trimmed.hasPrefix("postgresql://") {
            if let schemeEnd = trimmed.firstRange(of: "://") {
                let rest = trimmed[schemeEnd.upperBound...]
                // Userinfo runs to the last "@": a password with an unencoded "/" or "?" is still all of it.
                if let at = rest.lastIndex(of: "@") {
                    let userinfo = rest[..<at]
                    if let colon = userinfo.firstIndex(of: ":") {
                        let password = String(userinfo[userinfo.index(after: colon)...])
                        found.append(password)
                        if let decoded = password.removingPercentEncodingSimple(), decoded != password {
                            found.append(decoded)
                        }
                    }
                }
                // password=… in the query part.
                if let query = rest.firstIndex(of: "?") {
                    for pair in rest[rest.index(after: query)...].split(separator: "&") {
                        let parts = pair.split(separator: "=", maxSplits: 1)
                        if parts.count == 2, parts[0] == "password" {
                            found.append(String(parts[1]))
                            if let decoded = String(parts[1]).removingPercentEncodingSimple() { found.append(decoded) }
                        }
                    }
                }
            }
        } else {
            // key=value pairs; values may be quoted with single quotes and backslash escapes.
            var index = trimmed.startIndex
            while index < trimmed.endIndex {
                guard let equals = trimmed[index...].firstIndex(of: "=") else { break }
                let key = trimmed[index..<equals].trimmingSpaces()
                var valueStart = trimmed.index(after: equals)
                while valueStart < trimmed.endIndex, trimmed[valueStart] == " " { valueStart = trimmed.index(after: valueStart) }
                var value = ""
                var cursor = valueStart
                var rawValue = ""
                if cursor < trimmed.endIndex, trimmed[cursor] == "'" {
                    cursor = trimmed.index(after: cursor)
                    let rawStart = cursor
                    while cursor < trimmed.endIndex, trimmed[cursor] != "'" {
                        if trimmed[cursor] == "\\" { cursor = trimmed.index(after: cursor); if cursor == trimmed.endIndex { break } }
                        value.append(trimmed[cursor])
                        cursor = trimmed.index(after: cursor)
                    }
                    // The escaped form as written is a secret too.
                    rawValue = String(trimmed[rawStart..<min(cursor, trimmed.endIndex)])
                    if cursor < trimmed.endIndex { cursor = trimmed.index(after: cursor) }
                } else {
                    while cursor < trimmed.endIndex, trimmed[cursor] != " " {
                        value.append(trimmed[cursor]); cursor = trimmed.index(after: cursor)
                    }
                }
                if key == "password" { found.append(value); found.append(rawValue) }
                index = cursor
            }
        }
        // A URI with a typo (a stray character in the scheme, a space) is read by libpq as key=value text and
        // echoed whole in its error: whatever sits between a ':' and an '@' in one word may be a password.
        found.append(contentsOf: userinfoLikeSecrets(in: trimmed))
        if let environment = getenvString("PGPASSWORD") { found.append(environment) }
        // Longest first so that a secret containing another is scrubbed whole.
        return found.filter { !$0.isEmpty }.sorted { $0.count > $1.count }
    }

    /// For each '@': the text after the first ':' of the word before it (a word ends at whitespace or '/'),
    /// as written and percent-decoded.
    static func userinfoLikeSecrets(in text: String) -> [String] {
        let characters = Array(text)
        var found: [String] = []
        for (index, character) in characters.enumerated() where character == "@" {
            var start = index
            while start > 0, !characters[start - 1].isWhitespace, characters[start - 1] != "/" { start -= 1 }
            guard let colon = characters[start..<index].firstIndex(of: ":") else { continue }
            let secret = String(characters[(colon + 1)..<index])
            found.append(secret)
            if let decoded = secret.removingPercentEncodingSimple(), decoded != secret { found.append(decoded) }
        }
        return found
    }
}

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func getenvString(_ name: String) -> String? {
    guard let value = getenv(name) else { return nil }
    return String(cString: value)
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        let scalars = unicodeScalars
        var start = scalars.startIndex
        var end = scalars.endIndex
        while start < end, scalars[start].properties.isWhitespace { start = scalars.index(after: start) }
        while end > start, scalars[scalars.index(before: end)].properties.isWhitespace { end = scalars.index(before: end) }
        var result = String.UnicodeScalarView()
        result.append(contentsOf: scalars[start..<end])
        return String(result)
    }
}

extension String {
    /// Decodes %XX escapes; nil when malformed.
    func removingPercentEncodingSimple() -> String? {
        var bytes: [UInt8] = []
        var iterator = utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next(), let low = iterator.next(),
                      let h = hexValue(high), let l = hexValue(low) else { return nil }
                bytes.append(h << 4 | l)
            } else {
                bytes.append(byte)
            }
        }
        return String(bytes: bytes, encoding: .utf8)
    }
}

func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case 48...57: return byte - 48
    case 65...70: return byte - 55
    case 97...102: return byte - 87
    default: return nil
    }
}

