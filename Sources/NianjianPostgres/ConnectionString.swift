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
        // Byte by byte: String's own matching is by grapheme, so a password next to a combining mark
        // ("pw" in "pw\u{301}") would be left in place.
        var result = Array(text.utf8)
        for secret in secrets where !secret.isEmpty {
            result = Self.replacing(Array(secret.utf8), in: result)
        }
        return String(decoding: result, as: UTF8.self)
    }

    /// `bytes` with every occurrence of `secret` replaced by `***`. A valid UTF-8 secret in valid UTF-8 text
    /// can only match whole scalars, so the result is valid UTF-8 too.
    static func replacing(_ secret: [UInt8], in bytes: [UInt8]) -> [UInt8] {
        guard !secret.isEmpty, bytes.count >= secret.count else { return bytes }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == secret[0], index + secret.count <= bytes.count,
               bytes[index..<(index + secret.count)].elementsEqual(secret) {
                output += "***".utf8
                index += secret.count
            } else {
                output.append(bytes[index])
                index += 1
            }
        }
        return output
    }

    /// Every password the string may hold, found as libpq reads it: on UTF-8 bytes, since libpq's delimiters
    /// are ASCII bytes (a Character view would fuse "=" or ":" with a combining mark after it and miss them).
    static func findSecrets(in raw: String) -> [String] {
        var found: [String] = []
        let bytes = Array(raw.trimmingSpaces().utf8)
        if bytes.starts(with: "postgres://".utf8) || bytes.starts(with: "postgresql://".utf8) {
            found += uriSecrets(bytes)
        } else {
            found += keywordSecrets(bytes)
        }
        // A URI with a typo (a stray character in the scheme, a space) is read by libpq as key=value text and
        // echoed whole in its error: whatever sits between a ':' and an '@' in one word may be a password.
        found += userinfoLikeSecrets(in: bytes)
        if let environment = getenvString("PGPASSWORD") { found.append(environment) }
        // Longest first so that a secret containing another is scrubbed whole.
        return Array(Set(found.filter { !$0.isEmpty })).sorted { ($0.utf8.count, $0) > ($1.utf8.count, $1) }
    }

    /// The text of `bytes[range]` and its percent-decoded form.
    private static func asWrittenAndDecoded(_ bytes: ArraySlice<UInt8>) -> [String] {
        let written = String(decoding: bytes, as: UTF8.self)
        guard let decoded = written.removingPercentEncodingSimple(), decoded != written else { return [written] }
        return [written, decoded]
    }

    /// `postgresql://user:password@host…?password=…`: the userinfo's password, as libpq cuts it (at the first
    /// '@') and generously (at the last, for a password with an unencoded '@', '/' or '?'); every
    /// `password=` parameter after any '?' (the key may be percent-encoded, as libpq decodes it).
    static func uriSecrets(_ bytes: [UInt8]) -> [String] {
        var found: [String] = []
        guard let schemeEnd = firstIndex(of: Array("://".utf8), in: bytes) else { return [] }
        let rest = bytes[(schemeEnd + 3)...]
        for at in [rest.firstIndex(of: UInt8(ascii: "@")), rest.lastIndex(of: UInt8(ascii: "@"))].compactMap({ $0 }) {
            let userinfo = rest[..<at]
            if let colon = userinfo.firstIndex(of: UInt8(ascii: ":")) {
                found += asWrittenAndDecoded(userinfo[(colon + 1)...])
            }
        }
        for question in rest.indices where rest[question] == UInt8(ascii: "?") {
            for pair in rest[(question + 1)...].split(separator: UInt8(ascii: "&")) {
                guard let equals = pair.firstIndex(of: UInt8(ascii: "=")) else { continue }
                let key = String(decoding: pair[..<equals], as: UTF8.self)
                guard (key.removingPercentEncodingSimple() ?? key) == "password" else { continue }
                found += asWrittenAndDecoded(pair[(equals + 1)...])
            }
        }
        return found
    }

    /// `key=value` text read as libpq's conninfo_parse reads it: ASCII white space separates, spaces may
    /// surround '=', a value may be single-quoted, and a backslash escapes the next byte in quoted and
    /// unquoted values alike. Each password is returned as libpq sees it and as written.
    static func keywordSecrets(_ bytes: [UInt8]) -> [String] {
        let equals = UInt8(ascii: "="), quote = UInt8(ascii: "'"), backslash = UInt8(ascii: "\\")
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }
        var found: [String] = []
        var index = 0
        while index < bytes.count {
            if isSpace(bytes[index]) { index += 1; continue }
            let keyStart = index
            while index < bytes.count, bytes[index] != equals, !isSpace(bytes[index]) { index += 1 }
            let key = bytes[keyStart..<index]
            while index < bytes.count, isSpace(bytes[index]) { index += 1 }
            // libpq refuses the rest (missing "="): its message quotes the word, userinfoLikeSecrets covers that.
            guard index < bytes.count, bytes[index] == equals else { break }
            index += 1
            while index < bytes.count, isSpace(bytes[index]) { index += 1 }
            let quoted = index < bytes.count && bytes[index] == quote
            if quoted { index += 1 }
            let writtenStart = index
            var value: [UInt8] = []
            while index < bytes.count, quoted ? bytes[index] != quote : !isSpace(bytes[index]) {
                if bytes[index] == backslash {
                    index += 1
                    if index == bytes.count { break }
                }
                value.append(bytes[index])
                index += 1
            }
            let written = bytes[writtenStart..<index]
            if quoted, index < bytes.count { index += 1 }
            if key.elementsEqual("password".utf8) {
                found.append(String(decoding: value, as: UTF8.self))
                found.append(String(decoding: written, as: UTF8.self))
            }
        }
        return found
    }

    /// For each '@': the text after the first ':' of the word before it (a word ends at ASCII white space or
    /// '/'), as written and percent-decoded.
    static func userinfoLikeSecrets(in bytes: [UInt8]) -> [String] {
        var found: [String] = []
        for index in bytes.indices where bytes[index] == UInt8(ascii: "@") {
            var start = index
            while start > 0, bytes[start - 1] != UInt8(ascii: "/"), !(bytes[start - 1] == 0x20 || (0x09...0x0D).contains(bytes[start - 1])) {
                start -= 1
            }
            guard let colon = bytes[start..<index].firstIndex(of: UInt8(ascii: ":")) else { continue }
            found += asWrittenAndDecoded(bytes[(colon + 1)..<index])
        }
        return found
    }

    private static func firstIndex(of needle: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= needle.count else { return nil }
        return (0...(bytes.count - needle.count)).first { bytes[$0..<($0 + needle.count)].elementsEqual(needle) }
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

