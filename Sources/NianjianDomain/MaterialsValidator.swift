// Validation of one company's file before its inspection is submitted (issue 3). Every failed check is a
// `Finding` from the catalog in Finding.swift, mapped to the console rejection it would otherwise cause.
//
// This runs once per company per night over tens of thousands of companies, and the bench target is
// ≥ 200,000 companies a second on one core: one pass over the materials, identifiers checked on bytes in
// inline buffers, static message strings, no allocation for a clean file beyond the empty result.

/// Everything validation needs about one inspection: the company's documents and contracts, every service
/// of the company (its portfolio), and the one service being inspected.
public struct CompanyFile: Sendable, Hashable, Codable {
    public var company: Company
    public var materials: [Material]
    public var contracts: [Contract]
    /// Every service of the company, the inspected one included (an empty list means just `service`).
    public var services: [Service]
    /// The service this inspection renews.
    public var service: Service

    public init(company: Company, materials: [Material], contracts: [Contract], service: Service, services: [Service] = []) {
        self.company = company; self.materials = materials; self.contracts = contracts; self.service = service
        self.services = services.isEmpty ? [service] : services
    }

    /// The same company's file for another of its services.
    public func inspecting(_ other: Service) -> CompanyFile {
        var file = self
        file.service = other
        return file
    }

    /// One file per service of the company, each inspecting that service.
    public var filePerService: [CompanyFile] { services.map(inspecting) }

    /// The contract the service names, if on file.
    public var serviceContract: Contract? {
        contracts.first { $0.number.utf8.elementsEqual(service.contractNumber.utf8) }
    }

    /// The services renewing under the contract the inspected service names (the inspected one included,
    /// even when the caller left it out of `services`), in portfolio order.
    public var servicesUnderContract: [Service] {
        // The inspected service counts as given (a caller may have edited it after building the portfolio).
        var covered: [Service] = []
        var seen = false
        for other in services {
            if other.ref == service.ref {
                covered.append(service); seen = true
            } else if other.contractNumber.utf8.elementsEqual(service.contractNumber.utf8) {
                covered.append(other)
            }
        }
        if !seen { covered.append(service) }
        return covered
    }
}

public struct MaterialsValidator: Sendable, Hashable {
    public struct Options: Sendable, Hashable, Codable {
        /// A document expiring within this many days of the check date is a warning.
        public var expiryWarningDays: Int
        /// Legacy licenses stopped being valid after this date (三证合一 transition); nil: do not warn.
        public var legacyLicenseCutoff: CivilDate?
        /// Whether to check the contact phone (warnings only).
        public var checkContactPhone: Bool

        public init(expiryWarningDays: Int = 30, legacyLicenseCutoff: CivilDate? = CivilDate(year: 2017, month: 12, day: 31),
                    checkContactPhone: Bool = true) {
            self.expiryWarningDays = expiryWarningDays
            self.legacyLicenseCutoff = legacyLicenseCutoff
            self.checkContactPhone = checkContactPhone
        }
    }

    public var options: Options

    public init(options: Options = Options()) { self.options = options }

    /// Validates with the default options.
    public static func validate(_ file: CompanyFile, on date: CivilDate) -> [Finding] {
        MaterialsValidator().validate(file, on: date)
    }

    /// Every finding for the inspected service: the company-wide ones (which every service of the company
    /// shares) followed by the service's own (its contract, its amount, its status), without repeats.
    public func validate(_ file: CompanyFile, on date: CivilDate) -> [Finding] {
        var findings = companyFindings(file, on: date)
        serviceFindings(file, on: date, into: &findings)
        return findings.count > 1 ? findings.distinct : findings
    }

    /// The company-wide checks: licence or the three legacy certificates, the legal representative's identity
    /// proof, the contact. Contract documents are not looked at here: each service is judged only on its own
    /// contract (`serviceFindings`).
    // The function is long on purpose: one pass, every rule visible in order.
    public func companyFindings(_ file: CompanyFile, on date: CivilDate) -> [Finding] {
        var findings: [Finding] = []
        let company = file.company

        var hasLicense = false
        var isLegacyLicense = false
        var uscc: CodeBuffer?  // a well-formed unified code on the license
        var organizationCode: CodeBuffer?  // a well-formed organization code certificate number
        var hasOrganizationCertificate = false
        var tax: (code: CodeBuffer, offset: Int)?
        var hasTaxCertificate = false
        var firstIdentityKind: MaterialKind?
        var identityHolderMatches = false

        for material in file.materials where material.kind != .serviceContract {
            checkValidity(material, on: date, shownNumber: Self.publicNumber(material), contract: nil, service: nil,
                          into: &findings)

            switch material.kind {
            case .businessLicense:
                hasLicense = true
                let code = CodeBuffer(material.number)
                if code.count == 15 {
                    isLegacyLicense = true
                    switch RegistrationNumber.status(code) {
                    case .valid: break
                    case .shape: findings.append(Finding(.registrationNumberShape, number: material.number))
                    case .checkDigit: findings.append(Finding(.registrationNumberCheckDigit, number: material.number))
                    }
                } else {
                    switch UnifiedSocialCreditCode.status(code) {
                    case .valid: uscc = code
                    case .checkCharacter: uscc = code; findings.append(Finding(.usccCheckCharacter, number: material.number))
                    case .shape:
                        findings.append(Finding(code.count == 18 ? .usccShape : .businessLicenseNumberShape, number: material.number))
                    }
                }
                if !Self.sameName(material.holderName, company.name) {
                    findings.append(Self.holderMismatch(material, expected: company.name))
                }

            case .organizationCode:
                hasOrganizationCertificate = true
                let (code, status) = OrganizationCode.canonical(material.number)
                switch status {
                case .valid: organizationCode = code
                case .checkCharacter: findings.append(Finding(.organizationCodeCheckCharacter, number: material.number))
                case .shape: findings.append(Finding(.organizationCodeShape, number: material.number))
                }
                if !Self.sameName(material.holderName, company.name) {
                    findings.append(Self.holderMismatch(material, expected: company.name))
                }

            case .taxRegistration:
                hasTaxCertificate = true
                let code = CodeBuffer(material.number, droppingHyphens: true)
                if let offset = TaxRegistrationNumber.organizationCodeOffset(code) {
                    tax = (code, offset)
                } else {
                    findings.append(Finding(.taxRegistrationShape, number: material.number))
                }
                if !Self.sameName(material.holderName, company.name) {
                    findings.append(Self.holderMismatch(material, expected: company.name))
                }

            case .idCard:
                if firstIdentityKind == nil { firstIdentityKind = .idCard }
                var code = CodeBuffer(material.number)
                let (status, converted) = ResidentIdentityNumber.status(&code, on: date)
                switch status {
                case .valid: break
                case .shape: findings.append(Finding(.idCardShape))
                case .checkCharacter: findings.append(Finding(.idCardCheckCharacter))
                case .birthDate: findings.append(Finding(.idCardBirthDate))
                }
                if converted { findings.append(Finding(.idCardConverted)) }
                if Self.sameName(material.holderName, company.legalRepresentative) { identityHolderMatches = true }

            case .passport:
                if firstIdentityKind == nil { firstIdentityKind = .passport }
                if !PassportNumber.isWellFormed(CodeBuffer(material.number)) {
                    findings.append(Finding(.passportShape))
                }
                if Self.sameName(material.holderName, company.legalRepresentative) { identityHolderMatches = true }

            case .serviceContract:
                break
            }
        }

        // Completeness: one unified license, or the three legacy certificates.
        if !hasLicense {
            findings.append(Finding(.businessLicenseMissing))
        } else if isLegacyLicense {
            if !hasOrganizationCertificate { findings.append(Finding(.organizationCodeMissing)) }
            if !hasTaxCertificate { findings.append(Finding(.taxRegistrationMissing)) }
            if let cutoff = options.legacyLicenseCutoff, date > cutoff {
                findings.append(Finding(.businessLicenseLegacy))
            }
        }
        if let kind = firstIdentityKind {
            if !identityHolderMatches {
                findings.append(Finding(.identityHolderMismatch, document: kind,
                                        detailZh: "法定代表人：\(company.legalRepresentative)",
                                        detailEn: "legal representative: \(company.legalRepresentative)"))
            }
        } else {
            findings.append(Finding(.identityProofMissing))
        }

        // Cross-checks: one organization code across the license, its certificate and the tax number.
        if let uscc, let organizationCode, !uscc.matches(organizationCode, at: 8, otherOffset: 0, count: 9) {
            findings.append(Finding(.usccOrganizationCodeMismatch))
        }
        if let tax {
            let reference: (code: CodeBuffer, offset: Int)? =
                organizationCode.map { ($0, 0) } ?? uscc.map { ($0, 8) }
            if let reference, !tax.code.matches(reference.code, at: tax.offset, otherOffset: reference.offset, count: 9) {
                findings.append(Finding(.taxRegistrationOrganizationCodeMismatch))
            }
        }

        // Contact for the inspection form.
        if options.checkContactPhone {
            if company.contactPhone.isEmpty {
                findings.append(Finding(.contactPhoneMissing))
            } else if !MobileNumber.isValid(company.contactPhone) {
                findings.append(Finding(.contactPhoneNotMobile))
            }
        }
        return findings
    }

    /// The inspected service's own checks: its status and renewal, and only ITS contract: on file, its
    /// document uploaded and valid, the holder the company, the amount equal to the renewal amounts of every
    /// service under it, the term covering the renewal. Other contracts of the company (an expired one since
    /// renewed, another service's) are not this service's concern.
    public func serviceFindings(_ file: CompanyFile, on date: CivilDate, into findings: inout [Finding]) {
        let service = file.service
        let number = service.contractNumber
        let ref = service.ref
        if service.expiresOn < date {
            findings.append(Finding(.serviceLapsed, service: ref, detailZh: "服务 \(ref) 到期日 \(service.expiresOn)",
                                    detailEn: "service \(ref) expired on \(service.expiresOn)"))
        }
        if service.renewalMethod == nil { findings.append(Finding(.renewalMethodUnknown, service: ref)) }
        if service.termMonths <= 0 { findings.append(Finding(.serviceTermInvalid, service: ref)) }

        var hasDocument = false
        for material in file.materials where material.kind == .serviceContract && material.number.utf8.elementsEqual(number.utf8) {
            hasDocument = true
            checkValidity(material, on: date, shownNumber: nil, contract: number, service: ref, into: &findings)
            if !Self.sameName(material.holderName, file.company.name) {
                var finding = Self.holderMismatch(material, expected: file.company.name, contract: number)
                finding.serviceRef = ref
                findings.append(finding)
            }
        }

        guard let contract = file.serviceContract else {
            findings.append(Finding(.contractNotFound, contract: number.isEmpty ? "—" : number, service: ref,
                                    detailZh: "服务 \(ref) 引用的合同编号为“\(number)”", detailEn: "service \(ref) names contract \"\(number)\""))
            return
        }
        if !hasDocument {
            findings.append(Finding(.serviceContractMissing, contract: number, service: ref))
        }
        let covered = file.servicesUnderContract
        let expected = covered.reduce(Money.zero) { $0 + $1.renewalAmount }
        if contract.amount != expected {
            if covered.count == 1 {
                findings.append(Finding(.contractAmountMismatch, contract: number, service: ref,
                    detailZh: "合同金额 ¥\(contract.amount)，服务 \(ref) 续费金额 ¥\(service.renewalAmount)",
                    detailEn: "contract amount ¥\(contract.amount), renewal amount of service \(ref) ¥\(service.renewalAmount)"))
            } else {
                let refs = covered.map(\.ref)
                findings.append(Finding(.contractAmountMismatch, contract: number, service: ref,
                    detailZh: "合同金额 ¥\(contract.amount)，其覆盖的 \(covered.count) 项服务（\(refs.joined(separator: "、"))）续费金额合计 ¥\(expected)",
                    detailEn: "contract amount ¥\(contract.amount), sum of the renewal amounts of the \(covered.count) services it covers (\(refs.joined(separator: ", "))) ¥\(expected)"))
            }
        }
        // The contract must run at least through the expiry the renewal would give the service.
        if service.termMonths > 0 {
            let renewedUntil = service.expiresOn.adding(months: service.termMonths)
            if contract.endsOn < renewedUntil {
                findings.append(Finding(.contractTermNotCovered, contract: number, service: ref,
                    detailZh: "合同至 \(contract.endsOn)，服务 \(ref) 续费后至 \(renewedUntil)",
                    detailEn: "contract ends \(contract.endsOn), service \(ref) would run until \(renewedUntil)"))
            }
        }
    }

    /// Validity dates, whatever the kind.
    private func checkValidity(_ material: Material, on date: CivilDate, shownNumber: String?, contract: String?,
                               service: String?, into findings: inout [Finding]) {
        if let until = material.validUntil {
            if until < date {
                findings.append(Finding(.materialExpired, document: material.kind, number: shownNumber, contract: contract,
                                        service: service, detailZh: "有效期至 \(until)", detailEn: "valid until \(until)"))
            } else if until <= date.adding(days: options.expiryWarningDays) {
                findings.append(Finding(.materialExpiringSoon, document: material.kind, number: shownNumber, contract: contract,
                                        service: service, detailZh: "有效期至 \(until)", detailEn: "valid until \(until)"))
            }
        }
        if let from = material.validFrom, from > date || (material.validUntil.map { $0 < from } ?? false) {
            let untilText = material.validUntil.map(\.description) ?? "—"
            findings.append(Finding(.materialNotYetValid, document: material.kind, number: shownNumber, contract: contract,
                                    service: service, detailZh: "有效期 \(from) 至 \(untilText)",
                                    detailEn: "valid from \(from) until \(untilText)"))
        }
    }

    private static func holderMismatch(_ material: Material, expected: String, contract: String? = nil) -> Finding {
        Finding(.holderNameMismatch, document: material.kind, number: contract == nil ? publicNumber(material) : nil,
                contract: contract, detailZh: "证件上为“\(material.holderName)”，公司名称为“\(expected)”",
                detailEn: "the document says \"\(material.holderName)\", the company is \"\(expected)\"")
    }

    /// The number shown in a message: licences and certificates are public registrations; personal identity
    /// numbers are never repeated in a report.
    private static func publicNumber(_ material: Material) -> String? {
        switch material.kind {
        case .businessLicense, .organizationCode, .taxRegistration: return material.number
        case .idCard, .passport, .serviceContract: return nil
        }
    }

    /// Names match when byte-equal, or equal after ignoring whitespace (ASCII and U+3000) and treating
    /// full-width parentheses as half-width: 北京星辰科技（集团）有限公司 is the same company written either way.
    static func sameName(_ lhs: String, _ rhs: String) -> Bool {
        if lhs.utf8.elementsEqual(rhs.utf8) { return true }
        func key(_ text: String) -> some Sequence<Unicode.Scalar> {
            text.unicodeScalars.lazy
                .filter { !$0.properties.isWhitespace }
                .map { scalar -> Unicode.Scalar in
                    switch scalar.value {
                    case 0xFF08: return "("
                    case 0xFF09: return ")"
                    default: return scalar
                    }
                }
        }
        let left = key(lhs)
        return !lhs.isEmpty && left.elementsEqual(key(rhs))
    }
}
