// Fuzz target `identifiers`: `nianjian check`'s identifier checks (IdentifierCheck, Identifiers.swift) and
// the NameText rule. Every kind is checked on the same input.
import Foundation
import NianjianDomain

private let checkDate = CivilDate(year: 2026, month: 6, day: 1)
private let uscc = IdentifierCheck.Kind.uscc

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIdentifiers(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let value = String(decoding: bytes(data, size), as: UTF8.self)
    for kind in IdentifierCheck.Kind.allCases { checkVerdict(kind, value) }
    checkCheckCharacters(value)
    checkNameText(value)
    return 0
}

/// Total and deterministic; blind to surrounding spaces and, once valid, to letter case; a valid value's
/// normalized form is valid and normalizes to itself; the JSON form says the same.
private func checkVerdict(_ kind: IdentifierCheck.Kind, _ value: String) {
    let verdict = IdentifierCheck.check(kind, value: value, on: checkDate)
    require(IdentifierCheck.check(kind: kind.rawValue, value: value, on: checkDate) == verdict, "\(kind): by name differs")
    require(IdentifierCheck.check(kind, value: value, on: checkDate) == verdict, "\(kind): not deterministic")
    require(verdict.valid == verdict.findings.allSatisfy { $0.severity == .warning }, "\(kind): valid disagrees with findings")
    require(verdict.valid || !verdict.findings.isEmpty, "\(kind): invalid without a finding")
    for finding in verdict.findings {
        require(!finding.code.isEmpty && !finding.messageEn.isEmpty && !finding.messageZh.isEmpty, "\(kind): empty finding")
    }
    let padded = IdentifierCheck.check(kind, value: " \t" + value + " ", on: checkDate)
    require(padded == verdict, "\(kind): surrounding spaces change the verdict: \(shown(verdict)) vs \(shown(padded))")
    checkJSON(verdict, kind: kind)
    guard verdict.valid else { return }
    let lower = IdentifierCheck.check(kind, value: asciiLowercased(value), on: checkDate)
    require(lower.valid && lower.normalized == verdict.normalized, "\(kind): lower case changes a valid verdict")
    let again = IdentifierCheck.check(kind, value: verdict.normalized, on: checkDate)
    require(again.valid && again.normalized == verdict.normalized,
            "\(kind): normalized \(shown(verdict.normalized)) does not check as itself: \(shown(again))")
    switch kind {
    case .id:
        let birth = ResidentIdentityNumber.birthDate(in: verdict.normalized)
        require(birth != nil && birth.map { $0 <= (checkDate ?? $0) } == true, "id: valid without a plausible birth date")
    case .passport:
        require((5...17).contains(verdict.normalized.utf8.count), "passport: valid with \(verdict.normalized.utf8.count) characters")
    case .mobile:
        require(MobileNumber.isValid(value) && verdict.normalized.utf8.count == 11, "mobile: isValid disagrees")
    case .uscc, .orgCode, .registrationNumber, .taxNumber:
        break
    }
    if kind == .mobile { return }
    require(!verdict.normalized.utf8.contains { $0 == 0x20 || ($0 >= 0x61 && $0 <= 0x7A) }, "\(kind): normalized has spaces or lower case")
}

/// The `--json` output is JSON, and carries the verdict.
private func checkJSON(_ verdict: CheckVerdict, kind: IdentifierCheck.Kind) {
    for language in Language.allCases {
        let text = verdict.json(language)
        let object = try? JSONSerialization.jsonObject(with: Data(text.utf8))
        guard let object = object as? [String: Any] else { require(false, "\(kind): --json is not JSON: \(shown(text))"); return }
        require(object["valid"] as? Bool == verdict.valid, "\(kind): JSON valid differs")
        require(object["normalized"] as? String == verdict.normalized, "\(kind): JSON normalized differs: \(shown(text))")
        let findings = object["findings"] as? [[String: Any]]
        require(findings?.map { $0["code"] as? String } == verdict.findings.map(\.code), "\(kind): JSON findings differ")
    }
}

/// The check characters the generators compute are the ones the validators expect.
private func checkCheckCharacters(_ value: String) {
    let body = asciiUppercased(value.filter { $0 != " " && $0 != "\t" && $0 != "\n" && $0 != "\r" })
    if let check = UnifiedSocialCreditCode.checkCharacter(for: body) {
        let codes = UnifiedSocialCreditCode.validate(body + String(check)).findings.map(\.code)
        require(!codes.contains("uscc.check_character"), "uscc: computed check character refused for \(shown(body))")
        for other in UnifiedSocialCreditCode.alphabet where other != check {
            require(!UnifiedSocialCreditCode.validate(body + String(other)).isValid, "uscc: two check characters accepted")
        }
    }
    if let check = OrganizationCode.checkCharacter(for: body) {
        require(OrganizationCode.validate(body + String(check)).isValid, "org-code: computed check character refused")
        require(OrganizationCode.validate(body + "-" + String(check)).isValid, "org-code: hyphenated form refused")
        for other in "0123456789X" where other != check {
            require(!OrganizationCode.validate(body + String(other)).isValid, "org-code: two check characters accepted")
        }
    }
    if let check = RegistrationNumber.checkDigit(for: body) {
        require(RegistrationNumber.validate(body + String(check)).isValid, "registration-number: computed digit refused")
        for other in "0123456789" where other != check {
            require(!RegistrationNumber.validate(body + String(other)).isValid, "registration-number: two check digits accepted")
        }
    }
    if let check = ResidentIdentityNumber.checkCharacter(for: body) {
        let codes = ResidentIdentityNumber.validate(body + String(check), on: checkDate).findings.map(\.code)
        require(!codes.contains("id_card.check_character"), "id: computed check character refused: \(codes)")
    }
    if let converted = ResidentIdentityNumber.convertFifteenDigit(value) {
        require(converted.utf8.count == 18, "id: a converted number of \(converted.utf8.count) characters")
        let codes = ResidentIdentityNumber.validate(converted, on: nil).findings.map(\.code)
        require(!codes.contains("id_card.check_character") && !codes.contains("id_card.shape"),
                "id: a converted 15-digit number is refused: \(codes)")
    }
    // Since 2015 a well-formed unified code is also the tax number.
    let code = UnifiedSocialCreditCode.validate(value)
    if !value.contains("-"), !code.findings.contains(where: { $0.code == "uscc.shape" }) {
        require(TaxRegistrationNumber.validate(value).isValid, "tax-number: a well-formed unified code is refused")
        require(UnifiedSocialCreditCode.organizationCode(in: value)?.utf8.count == 10, "uscc: embedded organization code")
    }
}

/// A name is refused exactly when it holds a forbidden scalar, and its escaped form never holds one.
private func checkNameText(_ value: String) {
    let forbidden = NameText.forbiddenScalar(in: value)
    require((NameText.problem(in: value, what: "name") == nil) == (forbidden == nil), "NameText: problem disagrees")
    let escaped = NameText.escaped(value)
    require(NameText.forbiddenScalar(in: escaped) == nil, "NameText: escaped form holds a forbidden scalar")
    require(forbidden != nil || escaped == value, "NameText: an acceptable name was escaped")
    if let forbidden {
        let described = NameText.describe(forbidden)
        require(described.en.hasPrefix("U+") && described.zh.hasPrefix("U+"), "NameText: description")
    }
}

private func asciiLowercased(_ text: String) -> String {
    String(decoding: text.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }, as: UTF8.self)
}

private func asciiUppercased(_ text: String) -> String {
    String(decoding: text.utf8.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 }, as: UTF8.self)
}
