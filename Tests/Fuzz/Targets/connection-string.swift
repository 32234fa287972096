// Fuzz target `connection-string`: ConnectionString (NianjianPostgres), checked against libpq's own parser
// (PQconninfoParse): the product rule is that a password never appears in anything shown.
import CLibPQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NianjianPostgres

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConnectionString(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = bytes(data, size)
    // libpq reads a C string: stop at a NUL as it would.
    let raw = String(decoding: input.prefix { $0 != 0 }, as: UTF8.self)
    let connection = ConnectionString(raw)
    require(connection.description == connection.redacted, "description differs from redacted")
    require(ConnectionString(raw).redacted == connection.redacted, "redaction is not deterministic")
    require(connection.database("other").redacted == connection.redacted + " (database other)", "database override")
    require(connection.with(SessionSettings(preparedStatements: false)).settings.preparedStatements == false,
            "a job file cannot turn prepared statements off")

    // What libpq is given must mean to libpq what the whole string means (only our own keys are taken out).
    let given = libpqOptions(connection.libpq)
    if let whole = libpqOptions(raw) {
        require(given == whole, "removing Nianjian's keys changed libpq's options: \(shown(whole)) became \(shown(given))")
    }
    guard let given, let password = given["password"], !password.isEmpty else { return 0 }
    // The mask itself could spell a password of stars; anything else must be gone from what is shown.
    guard !password.contains(0x2A) else { return 0 }
    require(!contains(Array(connection.redacted.utf8), password),
            "the password libpq reads (\(shown(String(decoding: password, as: UTF8.self)))) shows in \(shown(connection.redacted))")
    // An error text quoting the password (libpq's, a server's) is scrubbed too.
    if let text = String(validating: password, as: UTF8.self) {
        let message = "connection to server failed: password \"" + text + "\" refused"
        require(!contains(Array(connection.redact(message).utf8), password),
                "redact(_:) leaves the password libpq reads (\(shown(text))) in \(shown(connection.redact(message)))")
    }
    return 0
}

/// libpq's reading of a connection string, keyword → value bytes (only the keys set), or nil when refused.
private func libpqOptions(_ text: String) -> [String: [UInt8]]? {
    var error: UnsafeMutablePointer<CChar>?
    guard let options = PQconninfoParse(text, &error) else {
        if let error { PQfreemem(error) }
        return nil
    }
    defer { PQconninfoFree(options) }
    var result: [String: [UInt8]] = [:]
    var option = options
    while let keyword = option.pointee.keyword {
        if let value = option.pointee.val {
            result[String(cString: keyword)] = Array(UnsafeBufferPointer(start: value, count: strlen(value))).map { UInt8(bitPattern: $0) }
        }
        option += 1
    }
    return result
}

private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard !needle.isEmpty, haystack.count >= needle.count else { return needle.isEmpty }
    for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
        if haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
    }
    return false
}
