import PropertyBased
import Testing
@testable import NianjianDomain

// One company, many services (issue 10): company-wide documents count for every service; a service is judged
// only on the contract it names; a contract covering several services is checked against their sum.

private let today = CivilDate(year: 2026, month: 6, day: 1)!
private func day(_ year: Int, _ month: Int, _ day: Int) -> CivilDate { CivilDate(year: year, month: month, day: day)! }

private let companyName = "杭州云帆科技有限公司"

private func service(_ ref: String, contract: String, amount: Int64, expires: CivilDate = day(2026, 7, 1)) -> Service {
    Service(ref: ref, consoleInstanceId: "i-bp1" + String(repeating: "a", count: 15), serviceType: "ECS", region: "cn-hangzhou",
            expiresOn: expires, renewalAmount: Money(fen: amount), renewalMethod: .manual, contractNumber: contract, termMonths: 12)
}

private func contract(_ number: String, amount: Int64, ends: CivilDate = day(2027, 8, 31)) -> Contract {
    Contract(number: number, amount: Money(fen: amount), startsOn: day(2025, 7, 1), endsOn: ends)
}

private func contractDocument(_ number: String, until: CivilDate? = nil) -> Material {
    Material(kind: .serviceContract, number: number, holderName: companyName, validFrom: day(2025, 7, 1), validUntil: until)
}

/// An ECS under one contract and an OSS bucket under another: the common case that used to fail.
private func twoContracts() -> CompanyFile {
    let company = Company(ref: "C1", name: companyName, legalRepresentative: "张伟", contactName: "李娜",
                          contactPhone: "13800138000", contactEmail: "ops@example.com")
    let ecs = service("S-ECS", contract: "HT-A", amount: 1_200_000)
    let oss = service("S-OSS", contract: "HT-B", amount: 300_000, expires: day(2026, 8, 15))
    return CompanyFile(company: company, materials: [
        Material(kind: .businessLicense, number: "91110000600037341L", holderName: companyName, validFrom: day(2016, 1, 1)),
        Material(kind: .idCard, number: "11010519491231002X", holderName: "张伟", validFrom: day(2016, 1, 1), validUntil: day(2036, 1, 1)),
        contractDocument("HT-A"), contractDocument("HT-B"),
    ], contracts: [contract("HT-A", amount: 1_200_000), contract("HT-B", amount: 300_000, ends: day(2027, 9, 30))],
       service: ecs, services: [ecs, oss])
}

@Suite("One company, many services")
struct PortfolioRulesTests {
    @Test func twoServicesUnderTwoContractsAreBothClean() {
        let file = twoContracts()
        for each in file.filePerService {
            #expect(MaterialsValidator.validate(each, on: today).isEmpty, "\(each.service.ref)")
        }
    }

    @Test func sharedContractAmountIsTheSumOfItsServices() {
        var file = twoContracts()
        file.services[1].contractNumber = "HT-A"
        file.materials.removeAll { $0.number == "HT-B" }
        file.contracts = [contract("HT-A", amount: 1_500_000, ends: day(2027, 9, 30))]
        for each in file.filePerService { #expect(MaterialsValidator.validate(each, on: today).isEmpty, "\(each.service.ref)") }

        // Off by one fen: both services are flagged, and the message gives the sum and the contract amount.
        file.contracts[0] = contract("HT-A", amount: 1_499_999, ends: day(2027, 9, 30))
        for each in file.filePerService {
            let findings = MaterialsValidator.validate(each, on: today)
            #expect(findings.codes == ["contract.amount_mismatch"], "\(each.service.ref)")
            let finding = findings[0]
            #expect(finding.contractNumber == "HT-A" && finding.serviceRef == each.service.ref)
            #expect(finding.messageEn.contains("14999.99") && finding.messageEn.contains("15000.00"), "\(finding.messageEn)")
            #expect(finding.messageEn.contains("S-ECS, S-OSS") && finding.messageEn.contains("contract HT-A"))
            #expect(finding.messageZh.contains("合同 HT-A") && finding.messageZh.contains("合计 ¥15000.00"), "\(finding.messageZh)")
        }
    }

    @Test func aServiceIsJudgedOnItsOwnContractOnly() {
        // The OSS contract's amount is wrong and its document expired: only the OSS service hears of it.
        var file = twoContracts()
        file.contracts[1].amount = Money(fen: 299_999)
        file.materials[3].validUntil = day(2026, 5, 1)
        let ecs = MaterialsValidator.validate(file, on: today)
        let oss = MaterialsValidator.validate(file.inspecting(file.services[1]), on: today)
        #expect(ecs.isEmpty)
        #expect(Set(oss.codes) == ["contract.amount_mismatch", "material.expired"])
        #expect(oss.allSatisfy { $0.contractNumber == "HT-B" && $0.serviceRef == "S-OSS" })
    }

    @Test func companyWideFindingsApplyToEveryService() {
        var file = twoContracts()
        file.materials.removeAll { $0.kind == .idCard }
        for each in file.filePerService {
            let findings = MaterialsValidator.validate(each, on: today)
            #expect(findings.codes == ["identity_proof.missing"])
            #expect(findings[0].serviceRef == nil)  // company-wide
        }
    }

    @Test func aContractNotOnFileNamesTheContract() {
        var file = twoContracts()
        file.services[1].contractNumber = "HT-C"
        let findings = MaterialsValidator.validate(file.inspecting(file.services[1]), on: today)
        #expect(findings.codes == ["contract.not_found"])
        #expect(findings[0].contractNumber == "HT-C" && findings[0].messageEn.contains("HT-C") && findings[0].messageZh.contains("HT-C"))
        // The sibling still renews under HT-A, cleanly.
        #expect(MaterialsValidator.validate(file, on: today).isEmpty)
    }

    @Test func findingsNameTheirDocumentAndDoNotRepeat() {
        var file = twoContracts()
        file.materials[0].holderName = "别的公司"
        file.materials.append(Material(kind: .taxRegistration, number: "110000600037341", holderName: "别的公司"))
        let findings = MaterialsValidator.validate(file, on: today)
        #expect(findings.codes == ["material.holder_mismatch", "material.holder_mismatch"])
        #expect(findings[0].messageZh.hasPrefix("营业执照 91110000600037341L：") && findings[1].messageZh.hasPrefix("税务登记证 110000600037341："))
        #expect(findings[0].messageEn.contains("\"别的公司\"") && findings[0].messageEn.contains(companyName))
        #expect(Set(findings).count == findings.count)
        // Personal identity numbers are never repeated in a message.
        file = twoContracts()
        file.materials[1].validUntil = day(2026, 5, 1)
        let expired = MaterialsValidator.validate(file, on: today)
        #expect(expired.codes == ["material.expired"] && !expired[0].messageZh.contains("11010519491231002X"))
        #expect(expired[0].messageZh.hasPrefix("身份证：") && expired[0].messageZh.contains("2026-05-01"))
    }

    /// Findings of the inspected service, in a comparable form.
    private func verdict(_ file: CompanyFile) -> [Finding] { MaterialsValidator.validate(file, on: today) }

    @Test func addingACleanSiblingNeverChangesAnotherServicesFindings() async {
        // Any portfolio the generator makes (with or without defects), plus a new service under its own new,
        // clean contract: every existing service's findings are exactly what they were.
        await propertyCheck(count: 300, input: Gen.int(in: 1...5000), Gen.int(in: 0...7), Gen.int(in: 1...999)) { index, defectIndex, amount in
            let defects = SyntheticCompanies.Defect.allCases
            let defect = defectIndex < defects.count ? defects[defectIndex] : nil
            let portfolio = SyntheticCompanies(seed: 11).portfolio(index: index, defect: defect, referenceDate: today)
            var extended = portfolio.file
            let sibling = service("S-NEW", contract: "HT-NEW", amount: Int64(amount) * 10_000, expires: day(2026, 7, 20))
            extended.services.append(sibling)
            extended.contracts.append(contract("HT-NEW", amount: Int64(amount) * 10_000))
            extended.materials.append(Material(kind: .serviceContract, number: "HT-NEW", holderName: extended.company.name,
                                               validFrom: day(2025, 7, 1)))
            for original in portfolio.files {
                #expect(verdict(extended.inspecting(original.service)) == verdict(original), "\(original.service.ref)")
            }
        }
    }

    @Test func anExpiredRenewedContractOnFileNeverChangesFindings() async {
        await propertyCheck(count: 300, input: Gen.int(in: 1...5000), Gen.int(in: 0...7), Gen.int(in: 1...400)) { index, defectIndex, ago in
            let defects = SyntheticCompanies.Defect.allCases
            let defect = defectIndex < defects.count ? defects[defectIndex] : nil
            let portfolio = SyntheticCompanies(seed: 13).portfolio(index: index, defect: defect, referenceDate: today)
            var withOld = portfolio.file
            // Last year's contract, expired `ago` days ago and renewed by the current one: its document and row.
            let ended = today.adding(days: -ago)
            withOld.contracts.append(Contract(number: "HT-OLD-\(index)", amount: Money(fen: 1), startsOn: ended.adding(months: -12),
                                              endsOn: ended))
            withOld.materials.append(Material(kind: .serviceContract, number: "HT-OLD-\(index)", holderName: "前身公司",
                                              validFrom: ended.adding(months: -12), validUntil: ended))
            for original in portfolio.files {
                #expect(verdict(withOld.inspecting(original.service)) == verdict(original), "\(original.service.ref)")
            }
        }
    }
}
