// Chinese identifier checks (DOMAIN.md), organisations': unified social credit code, organization code, business
// registration number, tax registration number. People's (resident identity number, passport, mobile number) are
// in PersonalIdentifiers.swift.
//
// The checks run in the hot path of validation (≥ 200,000 companies a second), so the cores work on
// UTF-8 bytes copied into a fixed-size inline buffer: no regex, no Foundation, no heap allocation.
// The public `validate` functions wrap the cores and build the normalized string and findings.

/// The outcome of checking one identifier.
public struct IdentifierResult: Sendable, Hashable {
    /// The canonical spelling (upper case, spaces removed, organization code as `XXXXXXXX-X`, a 15-digit
    /// identity number converted to 18, a mobile number without +86). The trimmed input when malformed.
    public var normalized: String
    public var findings: [Finding]

    public init(normalized: String, findings: [Finding]) {
        self.normalized = normalized; self.findings = findings
    }

    /// Valid when nothing but warnings was found: an error or a `review` (a check character a person
    /// should look at) is not a confirmed valid identifier.
    public var isValid: Bool { findings.allSatisfy { $0.severity == .warning } }
}

// MARK: - Byte buffer

/// Up to 32 ASCII bytes of an identifier: ASCII whitespace removed, letters upper-cased.
/// `malformed` when the input held a non-ASCII byte or more than 32 significant bytes.
@usableFromInline
struct CodeBuffer: Sendable {
    @usableFromInline var bytes = SIMD32<UInt8>(repeating: 0)
    @usableFromInline var count = 0
    @usableFromInline var malformed = false

    @inlinable
    init(_ text: String, droppingHyphens: Bool = false) {
        for byte in text.utf8 {
            if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { continue }
            if droppingHyphens && byte == 0x2D { continue }
            if byte >= 0x80 || count == 32 { malformed = true; return }
            bytes[count] = (byte >= 0x61 && byte <= 0x7A) ? byte - 0x20 : byte
            count += 1
        }
    }

    init(bytes source: [UInt8]) {
        for byte in source.prefix(32) { bytes[count] = byte; count += 1 }
        malformed = source.count > 32
    }

    @inlinable subscript(index: Int) -> UInt8 {
        get { bytes[index] }
        set { bytes[index] = newValue }
    }

    var string: String {
        var array = [UInt8]()
        array.reserveCapacity(count)
        for index in 0..<count { array.append(bytes[index]) }
        return String(decoding: array, as: UTF8.self)
    }

    /// Equal bytes over `count` bytes starting at the given offsets.
    @inlinable
    func matches(_ other: CodeBuffer, at offset: Int, otherOffset: Int, count length: Int) -> Bool {
        guard offset + length <= count, otherOffset + length <= other.count else { return false }
        for index in 0..<length where bytes[offset + index] != other.bytes[otherOffset + index] { return false }
        return true
    }
}

@inlinable func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
@inlinable func isUpperAlnum(_ byte: UInt8) -> Bool { isDigit(byte) || (byte >= 0x41 && byte <= 0x5A) }

/// The trimmed input, for `normalized` when the value is malformed.
func trimmedForDisplay(_ text: String) -> String {
    let scalars = text.unicodeScalars
    guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
          let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
    return String(scalars[first...last])
}

// MARK: - Unified social credit code (GB 32100-2015)

public enum UnifiedSocialCreditCode {
    /// The 31 characters of the code; a character's value is its index.
    public static let alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    static let alphabetBytes: [UInt8] = Array(alphabet.utf8)
    /// 3^(i−1) mod 31 for positions 1…17.
    static let weights: [Int] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

    /// The value of a byte in the alphabet, or -1.
    @inlinable
    static func value(_ byte: UInt8) -> Int {
        switch byte {
        case 0x30...0x39: return Int(byte) - 0x30
        case 0x41...0x48: return Int(byte) - 0x41 + 10  // A–H: 10–17
        case 0x4A...0x4E: return Int(byte) - 0x4A + 18  // J–N: 18–22
        case 0x50: return 23  // P
        case 0x51: return 24  // Q
        case 0x52: return 25  // R
        case 0x54: return 26  // T
        case 0x55: return 27  // U
        case 0x57: return 28  // W
        case 0x58: return 29  // X
        case 0x59: return 30  // Y
        default: return -1
        }
    }

    enum Status { case valid, shape, checkCharacter }

    /// Shape `^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$`, then the check character.
    static func status(_ code: CodeBuffer) -> Status {
        guard !code.malformed, code.count == 18 else { return .shape }
        var sum = 0
        for index in 0..<17 {
            let byte = code[index]
            let value = value(byte)
            guard value >= 0 else { return .shape }
            if index >= 2 && index < 8 && !isDigit(byte) { return .shape }
            sum += value * weights[index]
        }
        let check = value(code[17])
        guard check >= 0 else { return .shape }
        return check == (31 - sum % 31) % 31 ? .valid : .checkCharacter
    }

    /// The check character for the first 17 characters, as a byte; nil when they are not in the alphabet.
    static func checkByte(_ code: CodeBuffer) -> UInt8? {
        guard code.count >= 17 else { return nil }
        var sum = 0
        for index in 0..<17 {
            let value = value(code[index])
            guard value >= 0 else { return nil }
            sum += value * weights[index]
        }
        return alphabetBytes[(31 - sum % 31) % 31]
    }

    /// The check character for 17 characters of a code (for generating valid codes).
    public static func checkCharacter(for first17: String) -> Character? {
        let code = CodeBuffer(first17)
        guard !code.malformed, code.count == 17, let byte = checkByte(code) else { return nil }
        return Character(Unicode.Scalar(byte))
    }

    public static func validate(_ value: String) -> IdentifierResult {
        let code = CodeBuffer(value)
        switch status(code) {
        case .valid: return IdentifierResult(normalized: code.string, findings: [])
        case .checkCharacter: return IdentifierResult(normalized: code.string, findings: [Finding(.usccCheckCharacter)])
        case .shape: return IdentifierResult(normalized: trimmedForDisplay(value), findings: [Finding(.usccShape)])
        }
    }

    /// The embedded organization code (positions 9–17) as `XXXXXXXX-X`, when the code is well formed.
    public static func organizationCode(in value: String) -> String? {
        let code = CodeBuffer(value)
        guard status(code) != .shape else { return nil }
        var bytes = [UInt8]()
        for index in 8..<16 { bytes.append(code[index]) }
        bytes.append(0x2D)
        bytes.append(code[16])
        return String(decoding: bytes, as: UTF8.self)
    }
}

// MARK: - Organization code (GB 11714-1997)

public enum OrganizationCode {
    static let weights: [Int] = [3, 7, 9, 10, 5, 8, 4, 2]

    /// 0–9 → 0–9, A–Z → 10–35, else -1.
    @inlinable
    static func value(_ byte: UInt8) -> Int {
        switch byte {
        case 0x30...0x39: return Int(byte) - 0x30
        case 0x41...0x5A: return Int(byte) - 0x41 + 10
        default: return -1
        }
    }

    enum Status { case valid, shape, checkCharacter }

    /// The check byte for 8 body characters starting at `offset`; nil when one is not 0–9/A–Z.
    static func checkByte(_ code: CodeBuffer, offset: Int) -> UInt8? {
        guard code.count >= offset + 8 else { return nil }
        var sum = 0
        for index in 0..<8 {
            let value = value(code[offset + index])
            guard value >= 0 else { return nil }
            sum += value * weights[index]
        }
        let check = 11 - sum % 11
        switch check {
        case 10: return 0x58  // X
        case 11: return 0x30  // 0
        default: return UInt8(0x30 + check)
        }
    }

    /// Nine characters at `offset` (body + check, no hyphen).
    static func status(_ code: CodeBuffer, offset: Int) -> Status {
        guard code.count >= offset + 9 else { return .shape }
        guard let expected = checkByte(code, offset: offset) else { return .shape }
        let actual = code[offset + 8]
        guard isDigit(actual) || actual == 0x58 else { return .shape }
        return actual == expected ? .valid : .checkCharacter
    }

    /// Accepts `XXXXXXXX-X` and `XXXXXXXXX`. Returns the buffer without its hyphen.
    static func canonical(_ value: String) -> (code: CodeBuffer, status: Status) {
        var code = CodeBuffer(value)
        guard !code.malformed else { return (code, .shape) }
        if code.count == 10 {
            guard code[8] == 0x2D else { return (code, .shape) }
            code[8] = code[9]
            code[9] = 0
            code.count = 9
        }
        guard code.count == 9 else { return (code, .shape) }
        return (code, status(code, offset: 0))
    }

    /// The check character for 8 body characters (for generating valid codes).
    public static func checkCharacter(for body: String) -> Character? {
        let code = CodeBuffer(body)
        guard !code.malformed, code.count == 8, let byte = checkByte(code, offset: 0) else { return nil }
        return Character(Unicode.Scalar(byte))
    }

    static func printed(_ code: CodeBuffer, offset: Int) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(10)
        for index in 0..<8 { bytes.append(code[offset + index]) }
        bytes.append(0x2D)
        bytes.append(code[offset + 8])
        return String(decoding: bytes, as: UTF8.self)
    }

    public static func validate(_ value: String) -> IdentifierResult {
        let (code, status) = canonical(value)
        switch status {
        case .valid: return IdentifierResult(normalized: printed(code, offset: 0), findings: [])
        case .checkCharacter:
            return IdentifierResult(normalized: printed(code, offset: 0), findings: [Finding(.organizationCodeCheckCharacter)])
        case .shape: return IdentifierResult(normalized: trimmedForDisplay(value), findings: [Finding(.organizationCodeShape)])
        }
    }
}

// MARK: - Business registration number (GS 15-2006, ISO 7064 MOD 11,10)

public enum RegistrationNumber {
    enum Status { case valid, shape, checkDigit }

    /// ISO 7064 MOD 11,10 over the first 14 digits; nil when one is not a digit.
    static func checkDigit(_ code: CodeBuffer) -> UInt8? {
        guard code.count >= 14 else { return nil }
        var product = 10
        for index in 0..<14 {
            let byte = code[index]
            guard isDigit(byte) else { return nil }
            var sum = (product + Int(byte - 0x30)) % 10
            if sum == 0 { sum = 10 }
            product = (2 * sum) % 11
        }
        return UInt8(0x30 + (11 - product) % 10)
    }

    static func status(_ code: CodeBuffer) -> Status {
        guard !code.malformed, code.count == 15, isDigit(code[14]), let expected = checkDigit(code) else { return .shape }
        return code[14] == expected ? .valid : .checkDigit
    }

    /// The check digit for 14 digits (for generating valid numbers).
    public static func checkDigit(for first14: String) -> Character? {
        let code = CodeBuffer(first14)
        guard !code.malformed, code.count == 14, let byte = checkDigit(code) else { return nil }
        return Character(Unicode.Scalar(byte))
    }

    public static func validate(_ value: String) -> IdentifierResult {
        let code = CodeBuffer(value)
        switch status(code) {
        case .valid: return IdentifierResult(normalized: code.string, findings: [])
        case .checkDigit: return IdentifierResult(normalized: code.string, findings: [Finding(.registrationNumberCheckDigit)])
        case .shape: return IdentifierResult(normalized: trimmedForDisplay(value), findings: [Finding(.registrationNumberShape)])
        }
    }
}

// MARK: - Tax registration number (organisations)

public enum TaxRegistrationNumber {
    enum Status { case valid, shape }

    /// Where the organization code sits: 15 characters = 6-digit division + 9-character organization code;
    /// since the 2015 reform the unified code itself (18) serves as the tax number (positions 9–17).
    static func organizationCodeOffset(_ code: CodeBuffer) -> Int? {
        guard !code.malformed else { return nil }
        if code.count == 15 {
            for index in 0..<6 where !isDigit(code[index]) { return nil }
            return OrganizationCode.status(code, offset: 6) == .valid ? 6 : nil
        }
        if code.count == 18, UnifiedSocialCreditCode.status(code) != .shape { return 8 }
        return nil
    }

    public static func validate(_ value: String) -> IdentifierResult {
        let code = CodeBuffer(value, droppingHyphens: true)
        guard organizationCodeOffset(code) != nil else {
            return IdentifierResult(normalized: trimmedForDisplay(value), findings: [Finding(.taxRegistrationShape)])
        }
        return IdentifierResult(normalized: code.string, findings: [])
    }
}
