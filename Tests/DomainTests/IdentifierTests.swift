import Testing
@testable import NianjianDomain

private let checkDate = CivilDate(year: 2026, month: 6, day: 1)

@Suite("Unified social credit code")
struct UnifiedSocialCreditCodeTests {
    @Test("valid examples from DOMAIN.md", arguments: ["91110000600037341L", "91340600MA2PBM9HXD"])
    func validExamples(code: String) {
        let result = UnifiedSocialCreditCode.validate(code)
        #expect(result.isValid)
        #expect(result.findings.isEmpty)
        #expect(result.normalized == code)
    }

    @Test func wrongCheckCharacterAsksForReviewNotError() {
        let result = UnifiedSocialCreditCode.validate("91110000600037341N")
        #expect(!result.isValid)
        #expect(result.findings.codes == ["uscc.check_character"])
        #expect(result.findings.first?.severity == .review)
        #expect(result.findings.first?.wouldCause == .inaccurateInformation)
    }

    @Test func lowerCaseAndSpacesAreNormalized() {
        let result = UnifiedSocialCreditCode.validate("  91340600ma2pbm9hxd ")
        #expect(result.isValid)
        #expect(result.normalized == "91340600MA2PBM9HXD")
    }

    @Test("malformed codes are shape errors", arguments: [
        "", "91110000600037341", "91110000600037341LL", "9111000060003734IL", "91110000600037341O",
        "911100Z0600037341L", "9111000060003734SL", "9111000060003734VL", "91110000６00037341L", "91-10000600037341L",
    ])
    func shapeErrors(code: String) {
        let result = UnifiedSocialCreditCode.validate(code)
        #expect(result.findings.codes == ["uscc.shape"])
        #expect(result.findings.first?.severity == .error)
    }

    @Test func checkCharacterGeneration() {
        #expect(UnifiedSocialCreditCode.checkCharacter(for: "91110000600037341") == "L")
        #expect(UnifiedSocialCreditCode.checkCharacter(for: "91340600MA2PBM9HX") == "D")
        #expect(UnifiedSocialCreditCode.checkCharacter(for: "9134060OMA2PBM9HX") == nil)
        #expect(UnifiedSocialCreditCode.organizationCode(in: "91340600MA2PBM9HXD") == "MA2PBM9H-X")
    }

    @Test func everySingleSubstitutionIsCaught() {
        // GB 32100 is MOD 31 with weights 3^k mod 31 (never 0) over a 31-character alphabet: two
        // characters differ by 1…30, never a multiple of 31, so every substitution changes the check.
        var random = SeededRandom(seed: 32100)
        let alphabet = Array(UnifiedSocialCreditCode.alphabet)
        for _ in 0..<200 {
            var first17 = "9" + String(random.pick(["1", "2", "3"])) + SyntheticCompanies.digits(&random, 6)
            for _ in 0..<9 { first17.append(random.pick(alphabet)) }
            let check = UnifiedSocialCreditCode.checkCharacter(for: first17)
            #expect(check != nil)
            let code = first17 + String(check ?? "0")
            #expect(UnifiedSocialCreditCode.validate(code).isValid)
            for (position, replacement) in substitutions(of: code) {
                let mutated = replacing(code, at: position, with: replacement)
                #expect(!UnifiedSocialCreditCode.validate(mutated).isValid, "\(mutated) from \(code)")
            }
        }
    }
}

@Suite("Organization code")
struct OrganizationCodeTests {
    @Test("valid examples in both spellings", arguments: [
        ("60003734-1", "60003734-1"), ("600037341", "60003734-1"), ("MA1K3BTP-2", "MA1K3BTP-2"), ("ma1k3btp2", "MA1K3BTP-2"),
    ])
    func valid(input: String, normalized: String) {
        let result = OrganizationCode.validate(input)
        #expect(result.isValid)
        #expect(result.normalized == normalized)
    }

    @Test func embeddedInUnifiedCodes() {
        #expect(UnifiedSocialCreditCode.organizationCode(in: "91110000600037341L") == "60003734-1")
        #expect(OrganizationCode.validate("MA2PBM9H-X").isValid)
    }

    @Test func errors() {
        #expect(OrganizationCode.validate("60003734-2").findings.codes == ["organization_code.check_character"])
        #expect(OrganizationCode.validate("6000373-41").findings.codes == ["organization_code.shape"])
        #expect(OrganizationCode.validate("60003734-").findings.codes == ["organization_code.shape"])
        #expect(OrganizationCode.validate("6000373#-1").findings.codes == ["organization_code.shape"])
        #expect(OrganizationCode.validate("60003734-A").findings.codes == ["organization_code.shape"])
    }

    @Test func checkCharacterSpellings() {
        // 10 is written X, 11 is written 0.
        #expect(OrganizationCode.checkCharacter(for: "60003734") == "1")
        #expect(OrganizationCode.checkCharacter(for: "MA2PBM9H") == "X")
        var sawZero = false
        var random = SeededRandom(seed: 7)
        for _ in 0..<500 {
            let body = SyntheticCompanies.digits(&random, 8)
            if OrganizationCode.checkCharacter(for: body) == "0" { sawZero = true; #expect(OrganizationCode.validate(body + "0").isValid) }
        }
        #expect(sawZero)
    }

    @Test func singleSubstitutionsCaughtExceptValueDifferencesOfEleven() {
        // GB 11714 is MOD 11 over values 0–35: a body substitution whose values differ by 11, 22 or 33
        // (0↔B, 1↔C, A↔L, …) leaves the check unchanged. That is a property of the standard, not a bug:
        // every other substitution, including every digit-for-digit one, is caught.
        var random = SeededRandom(seed: 11714)
        var collisions = 0
        for _ in 0..<200 {
            let body = SyntheticCompanies.organizationBody(&random)
            let code = body + String(OrganizationCode.checkCharacter(for: body) ?? "?")
            #expect(OrganizationCode.validate(code).isValid)
            for (position, replacement) in substitutions(of: code) {
                let mutated = replacing(code, at: position, with: replacement)
                if OrganizationCode.validate(mutated).isValid {
                    let original = Array(code)[position]
                    let difference = OrganizationCode.value(UInt8(ascii: original.unicodeScalars.first ?? "0"))
                        - OrganizationCode.value(UInt8(ascii: replacement.unicodeScalars.first ?? "0"))
                    #expect(position < 8 && difference % 11 == 0, "\(mutated) from \(code)")
                    #expect(!(original.isNumber && replacement.isNumber))
                    collisions += 1
                }
            }
        }
        #expect(collisions > 0)
    }
}

@Suite("Registration number")
struct RegistrationNumberTests {
    @Test("valid numbers (check digits computed independently)", arguments: ["110108000000016", "310115001234562", "440305000000093"])
    func valid(number: String) {
        #expect(RegistrationNumber.validate(number).isValid)
    }

    @Test func errors() {
        #expect(RegistrationNumber.validate("110108000000017").findings.codes == ["registration_number.check_digit"])
        #expect(RegistrationNumber.validate("11010800000001").findings.codes == ["registration_number.shape"])
        #expect(RegistrationNumber.validate("11010800000001A").findings.codes == ["registration_number.shape"])
        #expect(RegistrationNumber.checkDigit(for: "11010800000001") == "6")
    }

    @Test func everySingleSubstitutionIsCaught() {
        // ISO 7064 MOD 11,10 detects every single-digit substitution; letters fail the shape.
        var random = SeededRandom(seed: 15)
        for _ in 0..<300 {
            let first14 = SyntheticCompanies.digits(&random, 14)
            let number = first14 + String(RegistrationNumber.checkDigit(for: first14) ?? "?")
            #expect(RegistrationNumber.validate(number).isValid)
            for (position, replacement) in substitutions(of: number) {
                #expect(!RegistrationNumber.validate(replacing(number, at: position, with: replacement)).isValid)
            }
        }
    }
}

@Suite("Resident identity number")
struct ResidentIdentityTests {
    @Test("valid examples from DOMAIN.md", arguments: ["11010519491231002X", "360426199101010071", "44011320141005001X"])
    func valid(number: String) {
        let result = ResidentIdentityNumber.validate(number, on: checkDate)
        #expect(result.isValid)
        #expect(result.findings.isEmpty)
    }

    @Test func wrongCheckCharacter() {
        #expect(ResidentIdentityNumber.validate("36042619910102009X", on: checkDate).findings.codes == ["id_card.check_character"])
    }

    @Test func lowerCaseX() {
        let result = ResidentIdentityNumber.validate("11010519491231002x", on: checkDate)
        #expect(result.isValid)
        #expect(result.normalized == "11010519491231002X")
    }

    @Test func fifteenDigitNumbersConvert() {
        #expect(ResidentIdentityNumber.convertFifteenDigit("360426910101007") == "360426199101010071")
        let result = ResidentIdentityNumber.validate("360426910101007", on: checkDate)
        #expect(result.normalized == "360426199101010071")
        #expect(result.isValid)  // only a warning
        #expect(result.findings.codes == ["id_card.fifteen_digit"])
        #expect(ResidentIdentityNumber.validate("360426911301007", on: checkDate).findings.codes
            == ["id_card.birth_date", "id_card.fifteen_digit"])
    }

    @Test func birthDateMustBeRealAndNotInTheFuture() {
        // 1980-02-30 does not exist; 2030-01-01 is after the check date. Both have correct check characters.
        #expect(ResidentIdentityNumber.validate("330106198002300012", on: checkDate).findings.codes == ["id_card.birth_date"])
        #expect(ResidentIdentityNumber.validate("11010520300101001X", on: checkDate).findings.codes == ["id_card.birth_date"])
        #expect(ResidentIdentityNumber.validate("11010520300101001X", on: nil).isValid)
        #expect(ResidentIdentityNumber.birthDate(in: "11010519491231002X") == CivilDate(year: 1949, month: 12, day: 31))
    }

    @Test("permits sharing the checksum", arguments: ["810000199001010019", "911011198506151238"])
    func permits(number: String) {
        #expect(ResidentIdentityNumber.validate(number, on: checkDate).isValid)
    }

    @Test("malformed numbers", arguments: ["", "11010519491231002", "1101051949123100XX", "01010519491231002X", "11010519491231002Y", "1101051949123１002X"])
    func shape(number: String) {
        #expect(ResidentIdentityNumber.validate(number, on: checkDate).findings.codes == ["id_card.shape"])
    }

    @Test func everySingleSubstitutionIsCaught() {
        // ISO 7064 MOD 11-2: weights 2^k mod 11 are never 0 and digits differ by 1…9, so every digit
        // substitution changes the sum mod 11; the check position has one right character.
        var random = SeededRandom(seed: 11643)
        for _ in 0..<300 {
            let birth = "19" + SyntheticCompanies.padded(random.int(in: 50...99), 2)
                + SyntheticCompanies.padded(random.int(in: 1...12), 2) + SyntheticCompanies.padded(random.int(in: 1...28), 2)
            let first17 = random.pick(["110105", "440305", "810000", "910111"]) + birth + SyntheticCompanies.digits(&random, 3)
            let number = first17 + String(ResidentIdentityNumber.checkCharacter(for: first17) ?? "?")
            #expect(ResidentIdentityNumber.validate(number, on: checkDate).isValid)
            for (position, replacement) in substitutions(of: number) {
                let mutated = replacing(number, at: position, with: replacement)
                #expect(!ResidentIdentityNumber.validate(mutated, on: checkDate).isValid, "\(mutated) from \(number)")
            }
        }
    }
}

@Suite("Passport and mobile")
struct PassportAndMobileTests {
    @Test("passport shapes", arguments: [("E12345678", true), ("ea1234567", true), ("G12345678", true), ("X1234", true),
                                         ("张三", false), ("ABCDEFGH", false), ("1234", false), ("E1234-5678", false),
                                         ("E123456789012345678", false)])
    func passport(number: String, valid: Bool) {
        #expect(PassportNumber.validate(number).isValid == valid)
    }

    @Test("mobile numbers", arguments: [("13800138000", "13800138000"), ("+8613800138000", "13800138000"),
                                        ("86 138-0013-8000", "13800138000"), ("19912345678", "19912345678")])
    func validMobile(number: String, normalized: String) {
        let result = MobileNumber.validate(number)
        #expect(result.isValid)
        #expect(result.normalized == normalized)
    }

    @Test("invalid mobile numbers", arguments: ["12800138000", "1380013800", "138001380001", "+8512800138000",
                                                "010-12345678", "1380013800a", ""])
    func invalidMobile(number: String) {
        #expect(MobileNumber.validate(number).findings.codes == ["mobile.shape"])
    }
}

@Suite("Check command core")
struct IdentifierCheckTests {
    @Test func verdicts() {
        #expect(IdentifierCheck.check(kind: "uscc", value: "91110000600037341L", on: nil)?.valid == true)
        let review = IdentifierCheck.check(kind: "uscc", value: "91110000600037341N", on: nil)
        #expect(review?.valid == false)
        #expect(review?.findings.first?.severity == .review)
        #expect(IdentifierCheck.check(kind: "org-code", value: "600037341", on: nil)?.normalized == "60003734-1")
        #expect(IdentifierCheck.check(kind: "registration-number", value: "110108000000016", on: nil)?.valid == true)
        #expect(IdentifierCheck.check(kind: "id", value: "11010520300101001X", on: checkDate)?.valid == false)
        #expect(IdentifierCheck.check(kind: "mobile", value: "+86 13800138000", on: nil)?.normalized == "13800138000")
        #expect(IdentifierCheck.check(kind: "tax-number", value: "110000600037341", on: nil)?.valid == true)
        #expect(IdentifierCheck.check(kind: "bogus", value: "x", on: nil) == nil)
        #expect(IdentifierCheck.kinds.contains("registration-number"))
    }

    @Test func jsonForm() {
        let verdict = IdentifierCheck.check(kind: "uscc", value: "91110000600037341N", on: nil)
        #expect(verdict?.json(.en) == #"{"valid":false,"normalized":"91110000600037341N","findings":[{"code":"uscc.check_character","severity":"review","message":"the unified social credit code's check character does not match (some early pilot codes do not; a person should check)"}]}"#)
        #expect(IdentifierCheck.check(kind: "mobile", value: "13800138000", on: nil)?.json(.zh)
            == #"{"valid":true,"normalized":"13800138000","findings":[]}"#)
        #expect(CheckVerdict.quoted("a\"b\\\n\u{1}") == #""a\"b\\\n\u0001""#)
    }

    @Test func messagesInBothLanguages() {
        let finding = Finding(.usccCheckCharacter)
        #expect(finding.message(.zh).contains("校验位"))
        #expect(finding.message(.en).contains("check character"))
        #expect(!finding.remedy(.zh).isEmpty && !finding.remedy(.en).isEmpty)
    }

    @Test func catalogCodesAreUniqueAndWellFormed() {
        let codes = FindingCode.allCases.map(\.rawValue)
        #expect(Set(codes).count == codes.count)
        for code in FindingCode.allCases {
            #expect(code.rawValue.contains("."))
            #expect(!code.rule.messageZh.isEmpty && !code.rule.messageEn.isEmpty)
            #expect(!code.rule.remedyZh.isEmpty && !code.rule.remedyEn.isEmpty)
            if code.severity == .error { #expect(code.rule.wouldCause != nil, "\(code.rawValue)") }
        }
    }
}

// MARK: - Helpers

let substitutionAlphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")

/// Every (position, other character) pair for a code.
func substitutions(of code: String) -> [(Int, Character)] {
    let characters = Array(code)
    var result: [(Int, Character)] = []
    for position in characters.indices {
        for replacement in substitutionAlphabet where replacement != characters[position] {
            result.append((position, replacement))
        }
    }
    return result
}

func replacing(_ code: String, at position: Int, with replacement: Character) -> String {
    var characters = Array(code)
    characters[position] = replacement
    return String(characters)
}
