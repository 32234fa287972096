import Testing
@testable import NianjianDomain

private let today = CivilDate(year: 2026, month: 6, day: 1)!

private func day(_ year: Int, _ month: Int, _ day: Int) -> CivilDate { CivilDate(year: year, month: month, day: day)! }

/// A clean unified-license company, by hand: the DOMAIN.md codes.
private func cleanUnified() -> CompanyFile {
    let name = "北京星辰科技有限公司"
    let company = Company(ref: "C00001", name: name, legalRepresentative: "张伟", contactName: "李娜",
                          contactPhone: "13800138000", contactEmail: "ops@example.com")
    let contract = Contract(number: "HT2026-000001", amount: Money(fen: 1_200_000), startsOn: day(2025, 7, 1), endsOn: day(2027, 7, 31))
    let service = Service(ref: "S00001", consoleInstanceId: "i-bp1abcdefghijklmno", serviceType: "ECS", region: "cn-beijing",
                          expiresOn: day(2026, 7, 1), renewalAmount: Money(fen: 1_200_000), renewalMethod: .auto,
                          contractNumber: "HT2026-000001", termMonths: 12)
    return CompanyFile(company: company, materials: [
        Material(kind: .businessLicense, number: "91110000600037341L", holderName: name, validFrom: day(2016, 1, 1)),
        Material(kind: .idCard, number: "11010519491231002X", holderName: "张伟", validFrom: day(2016, 1, 1), validUntil: day(2036, 1, 1)),
        Material(kind: .serviceContract, number: "HT2026-000001", holderName: name, validFrom: day(2025, 7, 1)),
    ], contracts: [contract], service: service)
}

/// A clean legacy company: registration number + organization code + tax registration.
private func cleanLegacy() -> CompanyFile {
    var file = cleanUnified()
    let name = file.company.name
    file.materials[0] = Material(kind: .businessLicense, number: "110108000000016", holderName: name)
    file.materials.append(Material(kind: .organizationCode, number: "60003734-1", holderName: name))
    file.materials.append(Material(kind: .taxRegistration, number: "110108600037341", holderName: name))
    return file
}

private func codes(_ file: CompanyFile, on date: CivilDate = today) -> [String] {
    MaterialsValidator.validate(file, on: date).codes
}

/// Legacy certificates without the post-2017 transition warning, to see the other rules alone.
private func legacyCodes(_ file: CompanyFile) -> [String] {
    MaterialsValidator(options: .init(legacyLicenseCutoff: nil)).validate(file, on: today).codes
}

@Suite("Materials validator")
struct MaterialsValidatorTests {
    @Test func cleanCompaniesHaveNoFindings() {
        #expect(codes(cleanUnified()).isEmpty)
        #expect(legacyCodes(cleanLegacy()).isEmpty)
        // After the 2017 transition a legacy set is still accepted, with a warning.
        let findings = MaterialsValidator.validate(cleanLegacy(), on: today)
        #expect(findings.codes == ["business_license.legacy_after_transition"])
        #expect(!findings.hasBlocking)
    }

    @Test func missingDocuments() {
        var file = cleanUnified()
        file.materials.removeAll { $0.kind == .businessLicense }
        #expect(codes(file) == ["business_license.missing"])
        let finding = MaterialsValidator.validate(file, on: today)[0]
        #expect(finding.document == .businessLicense && finding.wouldCause == .incompleteMaterials && finding.severity == .error)

        file = cleanUnified()
        file.materials.removeAll { $0.kind == .idCard }
        #expect(codes(file) == ["identity_proof.missing"])

        file = cleanUnified()
        file.materials.removeAll { $0.kind == .serviceContract }
        #expect(codes(file) == ["service_contract.missing"])

        file = cleanLegacy()
        file.materials.removeAll { $0.kind == .taxRegistration || $0.kind == .organizationCode }
        #expect(legacyCodes(file) == ["organization_code.missing", "tax_registration.missing"])
    }

    @Test func passportServesAsIdentityProof() {
        var file = cleanUnified()
        file.materials[1] = Material(kind: .passport, number: "E12345678", holderName: "张伟", validUntil: day(2030, 1, 1))
        #expect(codes(file).isEmpty)
        file.materials[1].number = "张伟护照"
        #expect(codes(file) == ["passport.shape"])
    }

    @Test func identifierChecksOnMaterialNumbers() {
        var file = cleanUnified()
        file.materials[0].number = "91110000600037341N"
        let findings = MaterialsValidator.validate(file, on: today)
        #expect(findings.codes == ["uscc.check_character"])
        #expect(!findings.hasBlocking)  // review: a person looks, submission is not blocked

        file.materials[0].number = "9111000060003734OL"
        #expect(codes(file) == ["uscc.shape"])
        file.materials[0].number = "ABC"
        #expect(codes(file) == ["business_license.number_shape"])

        file = cleanUnified()
        file.materials[1].number = "11010519491231002"
        #expect(codes(file) == ["id_card.shape"])
        file.materials[1].number = "110105194912310021"
        #expect(codes(file) == ["id_card.check_character"])

        file = cleanLegacy()
        file.materials[0].number = "110108000000017"
        #expect(legacyCodes(file) == ["registration_number.check_digit"])
        file = cleanLegacy()
        file.materials[3].number = "60003734-2"
        #expect(legacyCodes(file) == ["organization_code.check_character"])
        file = cleanLegacy()
        file.materials[4].number = "11010860003734"
        #expect(legacyCodes(file) == ["tax_registration.shape"])
    }

    @Test func crossChecks() {
        // A legacy organization code certificate beside a unified license must carry the same code.
        var file = cleanUnified()
        file.materials.append(Material(kind: .organizationCode, number: "MA1K3BTP-2", holderName: file.company.name))
        #expect(codes(file) == ["uscc.organization_code_mismatch"])
        file.materials[3].number = "600037341"
        #expect(codes(file).isEmpty)

        // The tax number contains the organization code.
        file = cleanLegacy()
        file.materials[4].number = "110108MA1K3BTP2"
        #expect(legacyCodes(file) == ["tax_registration.organization_code_mismatch"])
        file = cleanUnified()
        file.materials.append(Material(kind: .taxRegistration, number: "110000600037341", holderName: file.company.name))
        #expect(codes(file).isEmpty)

        // The identity proof belongs to the legal representative.
        file = cleanUnified()
        file.materials[1].holderName = "王芳"
        let findings = MaterialsValidator.validate(file, on: today)
        #expect(findings.codes == ["identity_proof.holder_mismatch"])
        #expect(findings[0].wouldCause == .inaccurateInformation)

        // Company documents are in the company's name; full-width parentheses and spaces do not matter.
        file = cleanUnified()
        file.materials[0].holderName = "北京星辰科技股份有限公司"
        let holder = MaterialsValidator.validate(file, on: today)
        #expect(holder.codes == ["material.holder_mismatch"])
        #expect(holder[0].document == .businessLicense)
        file.company.name = "北京星辰科技（北京）有限公司"
        file.materials[0].holderName = "北京星辰科技(北京) 有限公司"
        file.materials[2].holderName = "北京星辰科技（北京）有限公司"
        #expect(codes(file).isEmpty)

        // The contract document is the one the service names; another contract's document is not its concern.
        file = cleanUnified()
        file.materials[2].number = "HT2025-000009"
        let missing = MaterialsValidator.validate(file, on: today)
        #expect(missing.codes == ["service_contract.missing"])
        #expect(missing[0].contractNumber == "HT2026-000001" && missing[0].messageZh.contains("HT2026-000001"))
        #expect(missing[0].serviceRef == "S00001")
    }

    @Test func validityDates() {
        var file = cleanUnified()
        file.materials[1].validUntil = day(2026, 5, 31)
        let expired = MaterialsValidator.validate(file, on: today)
        #expect(expired.codes == ["material.expired"])
        #expect(expired[0].document == .idCard && expired[0].severity == .error)

        file.materials[1].validUntil = today  // valid through the check date
        #expect(codes(file) == ["material.expiring_soon"])
        file.materials[1].validUntil = day(2026, 7, 1)  // 30 days
        let soon = MaterialsValidator.validate(file, on: today)
        #expect(soon.codes == ["material.expiring_soon"] && soon[0].severity == .warning)
        file.materials[1].validUntil = day(2026, 7, 2)  // 31 days
        #expect(codes(file).isEmpty)
        #expect(MaterialsValidator(options: .init(expiryWarningDays: 60)).validate(file, on: today).codes == ["material.expiring_soon"])

        file = cleanUnified()
        file.materials[0].validFrom = day(2026, 6, 2)
        #expect(codes(file) == ["material.not_yet_valid"])
    }

    @Test func serviceAndRenewal() {
        var file = cleanUnified()
        file.service.expiresOn = day(2026, 5, 31)
        file.contracts[0].endsOn = day(2027, 6, 1)
        let lapsed = MaterialsValidator.validate(file, on: today)
        #expect(lapsed.codes == ["service.lapsed"])
        #expect(lapsed[0].wouldCause == .abnormalServiceStatus)
        file.service.expiresOn = today  // expires today: not lapsed yet
        #expect(codes(file).isEmpty)

        file = cleanUnified()
        file.service.renewalAmount = Money(fen: 1_200_001)
        #expect(codes(file) == ["contract.amount_mismatch"])

        file = cleanUnified()
        file.contracts[0].endsOn = day(2027, 6, 30)  // next term runs to 2027-07-01
        #expect(codes(file) == ["contract.term_not_covered"])
        file.contracts[0].endsOn = day(2027, 7, 1)
        #expect(codes(file).isEmpty)

        file = cleanUnified()
        file.service.renewalMethod = nil
        #expect(codes(file) == ["service.renewal_method_unknown"])

        file = cleanUnified()
        file.service.termMonths = 0
        #expect(codes(file) == ["service.term_invalid"])

        file = cleanUnified()
        file.service.contractNumber = "HT-NOPE"
        file.materials[2].number = "HT-NOPE"
        #expect(codes(file) == ["contract.not_found"])
    }

    @Test func contactPhone() {
        var file = cleanUnified()
        file.company.contactPhone = "+86 138 0013 8000"
        #expect(codes(file).isEmpty)
        file.company.contactPhone = "010-12345678"
        #expect(codes(file) == ["contact.phone_not_mobile"])
        file.company.contactPhone = ""
        #expect(codes(file) == ["contact.phone_missing"])
    }

    @Test func everyFindingMapsToARejectionWhenItBlocks() {
        for code in FindingCode.allCases where code.severity == .error {
            let cause = code.rule.wouldCause
            #expect(cause == .incompleteMaterials || cause == .inaccurateInformation || cause == .abnormalServiceStatus)
        }
    }
}

@Suite("Synthetic companies")
struct SyntheticCompaniesTests {
    @Test func cleanPortfoliosHaveNoErrors() {
        let generator = SyntheticCompanies(seed: 42)
        var unified = 0
        var passports = 0
        var sizes: [Int: Int] = [:]
        var sharedContracts = 0
        var oldContracts = 0
        for index in 1...2000 {
            let portfolio = generator.portfolio(index: index, referenceDate: today)
            sizes[portfolio.services.count, default: 0] += 1
            for file in portfolio.files {
                let findings = MaterialsValidator.validate(file, on: today)
                #expect(!findings.hasBlocking, "\(file.service.ref): \(findings.codes)")
                #expect(!findings.contains { $0.severity == .review })
            }
            let file = portfolio.file
            if Dictionary(grouping: file.services, by: \.contractNumber).values.contains(where: { $0.count > 1 }) { sharedContracts += 1 }
            if file.contracts.contains(where: { $0.endsOn < today }) { oldContracts += 1 }
            if file.materials.contains(where: { $0.kind == .businessLicense && $0.number.utf8.count == 18 }) { unified += 1 }
            if file.materials.contains(where: { $0.kind == .passport }) { passports += 1 }
            // Each service expires on its own day; every service names a contract on file.
            #expect(file.services.allSatisfy { service in file.contracts.contains { $0.number == service.contractNumber } })
        }
        #expect((1450...1750).contains(unified))  // ~80%
        #expect(passports > 0)
        #expect(Set(sizes.keys) == [1, 2, 3, 4], "\(sizes)")
        #expect((sizes[1] ?? 0) < 1000)  // most companies have several services
        #expect(sharedContracts > 200, "companies with a contract shared by several services: \(sharedContracts)")
        #expect(oldContracts > 300, "companies with an expired, renewed contract on file: \(oldContracts)")
    }

    @Test("each defect shows exactly where it was planted", arguments: SyntheticCompanies.Defect.allCases)
    func defects(defect: SyntheticCompanies.Defect) {
        let generator = SyntheticCompanies(seed: 7)
        var siblingsClean = 0
        for index in 1...300 {
            let portfolio = generator.portfolio(index: index, defect: defect, referenceDate: today)
            #expect(portfolio.expectedCodes.values.contains { !$0.isEmpty })
            for file in portfolio.files {
                let findings = MaterialsValidator.validate(file, on: today)
                let found = Set(findings.filter { $0.severity.blocksSubmission }.compactMap(\.catalogCode))
                let expected = portfolio.expectedCodes[file.service.ref, default: []]
                #expect(found == expected, "\(defect) \(file.service.ref): \(findings.codes), expected \(expected)")
                if expected.isEmpty { siblingsClean += 1 }
            }
            if defect.isCompanyWide { #expect(portfolio.cleanServiceRefs.isEmpty) }
        }
        // Service-level defects leave the company's other services clean.
        if !defect.isCompanyWide { #expect(siblingsClean > 100, "\(defect): \(siblingsClean) clean siblings") }
    }

    @Test func deterministicAndRealistic() {
        let a = SyntheticCompanies(seed: 99).portfolio(index: 1, referenceDate: today)
        let b = SyntheticCompanies(seed: 99).portfolio(index: 1, referenceDate: today)
        #expect(a == b)
        #expect(SyntheticCompanies(seed: 99).portfolio(index: 2, referenceDate: today).company.ref == "C00002")
        #expect(a.company.ref == "C00001" && a.services[0].ref == "S00001-1")
        #expect(a.services.allSatisfy { $0.consoleInstanceId.hasPrefix("i-bp1") && $0.consoleInstanceId.utf8.count == 20 })
        #expect(a.company.name.hasSuffix("公司"))
        #expect(MobileNumber.isValid(a.company.contactPhone))
        #expect(SyntheticCompanies(seed: 100).portfolio(index: 1, referenceDate: today) != a)
        #expect(SyntheticCompanies(seed: 5, servicesPerCompany: 1...1).portfolio(index: 3, referenceDate: today).services.count == 1)
        let planned = (1...1000).compactMap { SyntheticCompanies(seed: 1).plannedDefect(index: $0, rate: 0.1) }
        #expect((60...140).contains(planned.count))
        #expect(Set(planned).count == SyntheticCompanies.Defect.allCases.count)
    }
}
