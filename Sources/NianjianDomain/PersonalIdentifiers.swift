// Chinese identifiers of people (DOMAIN.md): resident identity number, passport shape, mainland mobile number.
// Organisations' identifiers are in Identifiers.swift; both share its byte buffer (`CodeBuffer`) and results.

// MARK: - Resident identity number (GB 11643-1999, ISO 7064 MOD 11-2)

/// Mainland resident ID cards, and the documents that share their checksum: Hong Kong/Macau/Taiwan
/// residence permits (region 81/82/83) and the 2023 foreigner permanent-residence card (first digit 9).
/// All carry the birth date at positions 7–14.
public enum ResidentIdentityNumber {
    static let weights: [Int] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    static let checkBytes: [UInt8] = Array("10X98765432".utf8)

    enum Status: Equatable { case valid, shape, checkCharacter, birthDate }

    static func checkByte(_ code: CodeBuffer) -> UInt8? {
        guard code.count >= 17 else { return nil }
        var sum = 0
        for index in 0..<17 {
            let byte = code[index]
            guard isDigit(byte) else { return nil }
            sum += Int(byte - 0x30) * weights[index]
        }
        return checkBytes[sum % 11]
    }

    /// Checks an 18-character number in place, converting a 15-digit one first (inserting "19" and
    /// appending the check character). `converted` tells the caller the number was an old one.
    static func status(_ code: inout CodeBuffer, on date: CivilDate?) -> (status: Status, converted: Bool) {
        guard !code.malformed else { return (.shape, false) }
        var converted = false
        if code.count == 15 {
            for index in 0..<15 where !isDigit(code[index]) { return (.shape, false) }
            var long = CodeBuffer(bytes: [])
            for index in 0..<6 { long[index] = code[index] }
            long[6] = 0x31; long[7] = 0x39
            for index in 6..<15 { long[index + 2] = code[index] }
            long.count = 17
            guard let check = checkByte(long) else { return (.shape, false) }
            long[17] = check
            long.count = 18
            code = long
            converted = true
        }
        guard code.count == 18, code[0] != 0x30 else { return (.shape, converted) }
        for index in 0..<17 where !isDigit(code[index]) { return (.shape, converted) }
        let last = code[17]
        guard isDigit(last) || last == 0x58 else { return (.shape, converted) }
        guard let expected = checkByte(code), expected == last else { return (.checkCharacter, converted) }
        guard birthDateIsPlausible(code, on: date) else { return (.birthDate, converted) }
        return (.valid, converted)
    }

    /// A real date, from 1900, not after the check date.
    static func birthDateIsPlausible(_ code: CodeBuffer, on date: CivilDate?) -> Bool {
        func number(_ range: Range<Int>) -> Int {
            var value = 0
            for index in range { value = value * 10 + Int(code[index] - 0x30) }
            return value
        }
        let year = number(6..<10)
        guard year >= 1900, let birth = CivilDate(year: year, month: number(10..<12), day: number(12..<14)) else {
            return false
        }
        if let date, birth > date { return false }
        return true
    }

    /// The birth date in a well-formed 18-character number.
    public static func birthDate(in value: String) -> CivilDate? {
        var code = CodeBuffer(value)
        let (status, _) = status(&code, on: nil)
        guard status == .valid || status == .checkCharacter, code.count == 18 else { return nil }
        func number(_ range: Range<Int>) -> Int {
            var value = 0
            for index in range { value = value * 10 + Int(code[index] - 0x30) }
            return value
        }
        return CivilDate(year: number(6..<10), month: number(10..<12), day: number(12..<14))
    }

    /// The check character for the first 17 digits (for generating valid numbers).
    public static func checkCharacter(for first17: String) -> Character? {
        let code = CodeBuffer(first17)
        guard !code.malformed, code.count == 17, let byte = checkByte(code) else { return nil }
        return Character(Unicode.Scalar(byte))
    }

    /// An old 15-digit number as 18 characters; nil when it is not 15 digits.
    public static func convertFifteenDigit(_ value: String) -> String? {
        var code = CodeBuffer(value)
        guard code.count == 15 else { return nil }
        let (status, converted) = status(&code, on: nil)
        guard converted, status != .shape else { return nil }
        return code.string
    }

    /// `date`: the date of the check; a birth date after it is a finding. nil skips that comparison.
    public static func validate(_ value: String, on date: CivilDate?) -> IdentifierResult {
        var code = CodeBuffer(value)
        let (status, converted) = status(&code, on: date)
        var findings: [Finding] = []
        switch status {
        case .valid: break
        case .shape: return IdentifierResult(normalized: trimmedForDisplay(value), findings: [Finding(.idCardShape)])
        case .checkCharacter: findings.append(Finding(.idCardCheckCharacter))
        case .birthDate: findings.append(Finding(.idCardBirthDate))
        }
        if converted { findings.append(Finding(.idCardConverted)) }
        return IdentifierResult(normalized: code.string, findings: findings)
    }
}

// MARK: - Passport

/// Passports carry no check digit. Accepted shape: 5 to 17 letters and digits with at least one digit,
/// after removing spaces and upper-casing. This admits Chinese passports (E12345678, EA1234567,
/// G12345678) and most foreign ones (ICAO 9303 allows up to 9 characters in the MRZ, national
/// numbering varies, so the bound is generous), and rejects names, dates and punctuation typed by mistake.
public enum PassportNumber {
    static func isWellFormed(_ code: CodeBuffer) -> Bool {
        guard !code.malformed, (5...17).contains(code.count) else { return false }
        var digits = 0
        for index in 0..<code.count {
            let byte = code[index]
            guard isUpperAlnum(byte) else { return false }
            if isDigit(byte) { digits += 1 }
        }
        return digits > 0
    }

    public static func validate(_ value: String) -> IdentifierResult {
        let code = CodeBuffer(value)
        guard isWellFormed(code) else {
            return IdentifierResult(normalized: trimmedForDisplay(value), findings: [Finding(.passportShape)])
        }
        return IdentifierResult(normalized: code.string, findings: [])
    }
}

// MARK: - Mainland mobile number

/// `^1[3-9]\d{9}$`, optionally prefixed `+86` or `86`; spaces and hyphens ignored. Carrier prefix lists
/// go out of date, so they are not used.
public enum MobileNumber {
    /// The offset of the 11 national digits, or nil.
    static func nationalOffset(_ code: CodeBuffer) -> Int? {
        guard !code.malformed else { return nil }
        var offset = 0
        if code.count == 14, code[0] == 0x2B, code[1] == 0x38, code[2] == 0x36 { offset = 3 }  // +86
        else if code.count == 13, code[0] == 0x38, code[1] == 0x36 { offset = 2 }  // 86
        else if code.count != 11 { return nil }
        guard code[offset] == 0x31, code[offset + 1] >= 0x33, code[offset + 1] <= 0x39 else { return nil }
        for index in offset..<(offset + 11) where !isDigit(code[index]) { return nil }
        return offset
    }

    public static func isValid(_ value: String) -> Bool {
        nationalOffset(CodeBuffer(value, droppingHyphens: true)) != nil
    }

    public static func validate(_ value: String) -> IdentifierResult {
        let code = CodeBuffer(value, droppingHyphens: true)
        guard let offset = nationalOffset(code) else {
            return IdentifierResult(normalized: trimmedForDisplay(value), findings: [Finding(.mobileShape)])
        }
        var bytes = [UInt8]()
        for index in offset..<(offset + 11) { bytes.append(code[index]) }
        return IdentifierResult(normalized: String(decoding: bytes, as: UTF8.self), findings: [])
    }
}
