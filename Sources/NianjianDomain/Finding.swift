// Findings: what validation tells an operator. Every rule's code, severity, wording and remedy lives in
// `FindingCode` below, so a newcomer finds every rule in one hop and codes stay stable across releases.

/// How much a finding matters.
public enum Severity: String, Sendable, Hashable, Codable, CaseIterable {
    /// Blocks submission: the console would reject it.
    case error
    /// Submits, and is reported.
    case warning
    /// Asks a person to look (e.g. a pilot-region code that fails the check character).
    case review

    /// Only errors keep an inspection from being submitted.
    public var blocksSubmission: Bool { self == .error }

    public func label(_ language: Language) -> String {
        switch (self, language) {
        case (.error, .zh): return "错误"
        case (.warning, .zh): return "警告"
        case (.review, .zh): return "待复核"
        case (.error, .en): return "error"
        case (.warning, .en): return "warning"
        case (.review, .en): return "review"
        }
    }
}

/// One thing validation found about a company's file.
public struct Finding: Sendable, Hashable, Codable {
    /// Stable machine code, e.g. `uscc.check_character`. See `FindingCode` for the catalog.
    public var code: String
    public var severity: Severity
    /// The document it concerns, when there is one.
    public var document: MaterialKind?
    /// The contract it concerns (the number the service names), for contract rules.
    public var contractNumber: String?
    /// The service it concerns; nil: a company-wide finding (licence, identity proof, contact), which applies
    /// to every service of the company.
    public var serviceRef: String?
    /// The full message, naming the document or contract and the values involved.
    public var messageZh: String
    public var messageEn: String
    public var remedyZh: String
    public var remedyEn: String
    /// The console rejection this would cause if submitted as is.
    public var wouldCause: RejectionReason?

    public init(code: String, severity: Severity, document: MaterialKind?, contractNumber: String? = nil,
                serviceRef: String? = nil, messageZh: String, messageEn: String,
                remedyZh: String, remedyEn: String, wouldCause: RejectionReason?) {
        self.code = code; self.severity = severity; self.document = document
        self.contractNumber = contractNumber; self.serviceRef = serviceRef
        self.messageZh = messageZh; self.messageEn = messageEn
        self.remedyZh = remedyZh; self.remedyEn = remedyEn; self.wouldCause = wouldCause
    }

    /// A finding from the catalog. `document` overrides the catalog's document for generic rules
    /// (e.g. `material.expired` names the document that expired). The message leads with what the finding
    /// is about (the document and its number, or the contract) and ends with `detail` (dates, amounts), so
    /// two findings of one rule on two documents read differently.
    public init(_ code: FindingCode, document: MaterialKind? = nil, number: String? = nil, contract: String? = nil,
                service: String? = nil, detailZh: String? = nil, detailEn: String? = nil) {
        let rule = code.rule
        let kind = document ?? rule.document
        var subjectZh = "", subjectEn = ""
        // The subject leads only when the caller names one: catalog messages already say which document
        // their own rule is about (`nianjian check` prints them as they are).
        if let contract {
            subjectZh = "合同 \(contract)："; subjectEn = "contract \(contract): "
        } else if let kind, document != nil || number != nil {
            let shown = number.map { " \($0)" } ?? ""
            subjectZh = kind.label(.zh) + shown + "："; subjectEn = kind.label(.en) + shown + ": "
        }
        self.init(code: code.rawValue, severity: rule.severity, document: kind, contractNumber: contract, serviceRef: service,
                  messageZh: subjectZh + rule.messageZh + (detailZh.map { "（\($0)）" } ?? ""),
                  messageEn: subjectEn + rule.messageEn + (detailEn.map { " (\($0))" } ?? ""),
                  remedyZh: rule.remedyZh, remedyEn: rule.remedyEn, wouldCause: rule.wouldCause)
    }

    /// The catalog entry, when the code is one of ours.
    public var catalogCode: FindingCode? { FindingCode(rawValue: code) }

    public func message(_ language: Language) -> String { language == .zh ? messageZh : messageEn }
    public func remedy(_ language: Language) -> String { language == .zh ? remedyZh : remedyEn }
}

extension Array where Element == Finding {
    /// The findings without repeats, first occurrence kept (one line per distinct finding).
    public var distinct: [Finding] {
        var seen = Set<Finding>()
        return filter { seen.insert($0).inserted }
    }

    /// True when any finding blocks submission.
    public var hasBlocking: Bool { contains { $0.severity.blocksSubmission } }
    /// The codes, in order: handy for events and tests.
    public var codes: [String] { map(\.code) }
}

/// The static description of one rule.
public struct FindingRule: Sendable, Hashable {
    public let severity: Severity
    public let document: MaterialKind?
    public let wouldCause: RejectionReason?
    public let messageZh: String
    public let messageEn: String
    public let remedyZh: String
    public let remedyEn: String
}

/// Every finding code Nianjian produces. Raw values are the stable codes stored in the database, shown in
/// reports and printed by `nianjian check`. Add a rule here first, then where it is checked.
public enum FindingCode: String, CaseIterable, Sendable, Codable {
    // Completeness
    case businessLicenseMissing = "business_license.missing"
    case businessLicenseNumberShape = "business_license.number_shape"
    case businessLicenseLegacy = "business_license.legacy_after_transition"
    case taxRegistrationMissing = "tax_registration.missing"
    case organizationCodeMissing = "organization_code.missing"
    case identityProofMissing = "identity_proof.missing"
    case serviceContractMissing = "service_contract.missing"
    case contractNotFound = "contract.not_found"

    // Identifiers
    case usccShape = "uscc.shape"
    case usccCheckCharacter = "uscc.check_character"
    case organizationCodeShape = "organization_code.shape"
    case organizationCodeCheckCharacter = "organization_code.check_character"
    case registrationNumberShape = "registration_number.shape"
    case registrationNumberCheckDigit = "registration_number.check_digit"
    case taxRegistrationShape = "tax_registration.shape"
    case idCardShape = "id_card.shape"
    case idCardCheckCharacter = "id_card.check_character"
    case idCardBirthDate = "id_card.birth_date"
    case idCardConverted = "id_card.fifteen_digit"
    case passportShape = "passport.shape"
    case mobileShape = "mobile.shape"
    case contactPhoneMissing = "contact.phone_missing"
    case contactPhoneNotMobile = "contact.phone_not_mobile"

    // Cross-checks
    case usccOrganizationCodeMismatch = "uscc.organization_code_mismatch"
    case taxRegistrationOrganizationCodeMismatch = "tax_registration.organization_code_mismatch"
    case identityHolderMismatch = "identity_proof.holder_mismatch"
    case holderNameMismatch = "material.holder_mismatch"

    // Validity
    case materialExpired = "material.expired"
    case materialExpiringSoon = "material.expiring_soon"
    case materialNotYetValid = "material.not_yet_valid"

    // Service and renewal
    case serviceLapsed = "service.lapsed"
    case serviceTermInvalid = "service.term_invalid"
    case renewalMethodUnknown = "service.renewal_method_unknown"
    case contractAmountMismatch = "contract.amount_mismatch"
    case contractTermNotCovered = "contract.term_not_covered"

    // The console's view of the service (ServiceStatusCheck)
    case consoleInstanceNotFound = "console.instance_not_found"
    case consoleStatusAbnormal = "console.status_abnormal"
    case consoleExpiryMismatch = "console.expiry_mismatch"
    case consoleRenewalMethodMismatch = "console.renewal_method_mismatch"

    public var severity: Severity { rule.severity }

    public var rule: FindingRule {
        switch self {
        case .businessLicenseMissing:
            return FindingRule(severity: .error, document: .businessLicense, wouldCause: .incompleteMaterials,
                messageZh: "缺少营业执照副本", messageEn: "the business license copy is missing",
                remedyZh: "向客户索取营业执照副本并上传", remedyEn: "obtain the business license copy from the client and upload it")
        case .businessLicenseNumberShape:
            return FindingRule(severity: .error, document: .businessLicense, wouldCause: .inaccurateInformation,
                messageZh: "营业执照号码既不是18位统一社会信用代码，也不是15位注册号",
                messageEn: "the business license number is neither an 18-character unified social credit code nor a 15-digit registration number",
                remedyZh: "按执照原件核对并更正号码", remedyEn: "check the number against the original license and correct it")
        case .businessLicenseLegacy:
            return FindingRule(severity: .warning, document: .businessLicense, wouldCause: nil,
                messageZh: "使用旧版三证（三证合一后旧执照已于2017-12-31停止有效）",
                messageEn: "legacy three certificates in use (old licenses ceased to be valid after 2017-12-31)",
                remedyZh: "提醒客户换领载有统一社会信用代码的营业执照", remedyEn: "ask the client to obtain the unified-code license")
        case .taxRegistrationMissing:
            return FindingRule(severity: .error, document: .taxRegistration, wouldCause: .incompleteMaterials,
                messageZh: "旧版三证缺少税务登记证副本", messageEn: "legacy certificates: the tax registration certificate is missing",
                remedyZh: "索取税务登记证副本，或改交三证合一营业执照", remedyEn: "obtain the tax registration certificate, or the unified license instead")
        case .organizationCodeMissing:
            return FindingRule(severity: .error, document: .organizationCode, wouldCause: .incompleteMaterials,
                messageZh: "旧版三证缺少组织机构代码证副本", messageEn: "legacy certificates: the organization code certificate is missing",
                remedyZh: "索取组织机构代码证副本，或改交三证合一营业执照", remedyEn: "obtain the organization code certificate, or the unified license instead")
        case .identityProofMissing:
            return FindingRule(severity: .error, document: .idCard, wouldCause: .incompleteMaterials,
                messageZh: "缺少法定代表人身份证明（身份证或护照）", messageEn: "the legal representative's identity proof (ID card or passport) is missing",
                remedyZh: "索取法定代表人身份证或护照复印件", remedyEn: "obtain a copy of the legal representative's ID card or passport")
        case .serviceContractMissing:
            return FindingRule(severity: .error, document: .serviceContract, wouldCause: .incompleteMaterials,
                messageZh: "缺少服务合同", messageEn: "the service contract document is missing",
                remedyZh: "上传已签署的服务合同", remedyEn: "upload the signed service contract")
        case .contractNotFound:
            return FindingRule(severity: .error, document: .serviceContract, wouldCause: .incompleteMaterials,
                messageZh: "找不到服务所引用的合同", messageEn: "the contract the service refers to is not on file",
                remedyZh: "录入该合同，或更正服务的合同编号", remedyEn: "enter the contract, or correct the service's contract number")
        case .usccShape:
            return FindingRule(severity: .error, document: .businessLicense, wouldCause: .inaccurateInformation,
                messageZh: "统一社会信用代码格式错误（应为18位，且不含I、O、Z、S、V）",
                messageEn: "malformed unified social credit code (18 characters, no I, O, Z, S, V)",
                remedyZh: "按执照原件更正统一社会信用代码", remedyEn: "correct the code from the original license")
        case .usccCheckCharacter:
            return FindingRule(severity: .review, document: .businessLicense, wouldCause: .inaccurateInformation,
                messageZh: "统一社会信用代码校验位不符（个别试点地区早期代码如此，需人工核对）",
                messageEn: "the unified social credit code's check character does not match (some early pilot codes do not; a person should check)",
                remedyZh: "对照执照原件或国家企业信用信息公示系统核对", remedyEn: "check against the original license or the national enterprise credit system")
        case .organizationCodeShape:
            return FindingRule(severity: .error, document: .organizationCode, wouldCause: .inaccurateInformation,
                messageZh: "组织机构代码格式错误（应为XXXXXXXX-X）", messageEn: "malformed organization code (XXXXXXXX-X)",
                remedyZh: "按证书原件更正组织机构代码", remedyEn: "correct the code from the original certificate")
        case .organizationCodeCheckCharacter:
            return FindingRule(severity: .error, document: .organizationCode, wouldCause: .inaccurateInformation,
                messageZh: "组织机构代码校验位错误", messageEn: "the organization code's check character is wrong",
                remedyZh: "按证书原件更正组织机构代码", remedyEn: "correct the code from the original certificate")
        case .registrationNumberShape:
            return FindingRule(severity: .error, document: .businessLicense, wouldCause: .inaccurateInformation,
                messageZh: "营业执照注册号格式错误（应为15位数字）", messageEn: "malformed registration number (15 digits)",
                remedyZh: "按执照原件更正注册号", remedyEn: "correct the number from the original license")
        case .registrationNumberCheckDigit:
            return FindingRule(severity: .error, document: .businessLicense, wouldCause: .inaccurateInformation,
                messageZh: "营业执照注册号校验位错误", messageEn: "the registration number's check digit is wrong",
                remedyZh: "按执照原件更正注册号", remedyEn: "correct the number from the original license")
        case .taxRegistrationShape:
            return FindingRule(severity: .error, document: .taxRegistration, wouldCause: .inaccurateInformation,
                messageZh: "税务登记号格式错误（应为6位行政区划码加9位组织机构代码）",
                messageEn: "malformed tax registration number (6-digit division code + 9-character organization code)",
                remedyZh: "按证书原件更正税务登记号", remedyEn: "correct the number from the original certificate")
        case .idCardShape:
            return FindingRule(severity: .error, document: .idCard, wouldCause: .inaccurateInformation,
                messageZh: "身份证号码格式错误（应为18位或15位）", messageEn: "malformed identity card number (18 or 15 characters)",
                remedyZh: "按证件原件更正号码", remedyEn: "correct the number from the original card")
        case .idCardCheckCharacter:
            return FindingRule(severity: .error, document: .idCard, wouldCause: .inaccurateInformation,
                messageZh: "身份证号码校验位错误", messageEn: "the identity card number's check character is wrong",
                remedyZh: "按证件原件更正号码", remedyEn: "correct the number from the original card")
        case .idCardBirthDate:
            return FindingRule(severity: .error, document: .idCard, wouldCause: .inaccurateInformation,
                messageZh: "身份证号码中的出生日期无效或晚于核验日期", messageEn: "the birth date in the identity card number is not a real date, or is after the check date",
                remedyZh: "按证件原件更正号码", remedyEn: "correct the number from the original card")
        case .idCardConverted:
            return FindingRule(severity: .warning, document: .idCard, wouldCause: nil,
                messageZh: "15位旧身份证号码，已按规则转换为18位", messageEn: "old 15-digit identity number, converted to 18 digits",
                remedyZh: "请索取二代身份证复印件", remedyEn: "ask for a copy of the current 18-digit card")
        case .passportShape:
            return FindingRule(severity: .error, document: .passport, wouldCause: .inaccurateInformation,
                messageZh: "护照号码格式错误（应为5至17位字母和数字，含至少一位数字）",
                messageEn: "malformed passport number (5 to 17 letters and digits, at least one digit)",
                remedyZh: "按护照原件更正号码", remedyEn: "correct the number from the original passport")
        case .mobileShape:
            return FindingRule(severity: .error, document: nil, wouldCause: .inaccurateInformation,
                messageZh: "手机号码格式错误（应为1[3-9]开头的11位数字，可带+86）",
                messageEn: "malformed mainland mobile number (11 digits starting 1[3-9], optional +86)",
                remedyZh: "更正手机号码", remedyEn: "correct the mobile number")
        case .contactPhoneMissing:
            return FindingRule(severity: .warning, document: nil, wouldCause: nil,
                messageZh: "缺少联系人电话，年检表单需要填写", messageEn: "no contact phone: the inspection form asks for one",
                remedyZh: "补充联系人手机号码", remedyEn: "add the contact's mobile number")
        case .contactPhoneNotMobile:
            return FindingRule(severity: .warning, document: nil, wouldCause: nil,
                messageZh: "联系人电话不是有效的大陆手机号码", messageEn: "the contact phone is not a valid mainland mobile number",
                remedyZh: "核对联系人电话，优先填写手机号码", remedyEn: "check the contact phone; prefer a mobile number")
        case .usccOrganizationCodeMismatch:
            return FindingRule(severity: .error, document: .organizationCode, wouldCause: .inaccurateInformation,
                messageZh: "统一社会信用代码第9至17位与组织机构代码不一致",
                messageEn: "positions 9-17 of the unified social credit code differ from the organization code",
                remedyZh: "核对两份证件，更正错误的一个", remedyEn: "check both documents and correct the wrong one")
        case .taxRegistrationOrganizationCodeMismatch:
            return FindingRule(severity: .error, document: .taxRegistration, wouldCause: .inaccurateInformation,
                messageZh: "税务登记号不含本公司的组织机构代码", messageEn: "the tax registration number does not contain the company's organization code",
                remedyZh: "核对税务登记证与组织机构代码证", remedyEn: "check the tax registration and organization code certificates")
        case .identityHolderMismatch:
            return FindingRule(severity: .error, document: .idCard, wouldCause: .inaccurateInformation,
                messageZh: "身份证明的持有人不是公司的法定代表人", messageEn: "the identity proof's holder is not the company's legal representative",
                remedyZh: "索取法定代表人本人的身份证明，或更正法定代表人", remedyEn: "obtain the legal representative's own identity proof, or correct the representative")
        case .holderNameMismatch:
            return FindingRule(severity: .error, document: nil, wouldCause: .inaccurateInformation,
                messageZh: "证件上的名称与公司名称不一致", messageEn: "the name on the document differs from the company's name",
                remedyZh: "核对公司名称（含括号全半角），更正证件信息或公司名称", remedyEn: "check the company name and correct the document record or the company")
        case .materialExpired:
            return FindingRule(severity: .error, document: nil, wouldCause: .incompleteMaterials,
                messageZh: "证件已过有效期", messageEn: "the document has expired",
                remedyZh: "索取在有效期内的证件", remedyEn: "obtain a currently valid document")
        case .materialExpiringSoon:
            return FindingRule(severity: .warning, document: nil, wouldCause: nil,
                messageZh: "证件即将到期（30天内）", messageEn: "the document expires soon (within 30 days)",
                remedyZh: "提醒客户尽快换发证件", remedyEn: "remind the client to renew the document soon")
        case .materialNotYetValid:
            return FindingRule(severity: .error, document: nil, wouldCause: .inaccurateInformation,
                messageZh: "证件尚未生效，或有效期起止日期颠倒", messageEn: "the document is not yet valid, or its validity dates are reversed",
                remedyZh: "核对证件的有效期", remedyEn: "check the document's validity dates")
        case .serviceLapsed:
            return FindingRule(severity: .error, document: nil, wouldCause: .abnormalServiceStatus,
                messageZh: "服务已过期停止，无法年检", messageEn: "the service has already lapsed: it cannot be inspected",
                remedyZh: "先在控制台恢复（续费）服务，再年检", remedyEn: "restore (renew) the service on the console first, then inspect")
        case .serviceTermInvalid:
            return FindingRule(severity: .error, document: nil, wouldCause: .inaccurateInformation,
                messageZh: "服务的续费期限无效", messageEn: "the service's renewal term is not a positive number of months",
                remedyZh: "更正服务的续费期限", remedyEn: "correct the service's renewal term")
        case .renewalMethodUnknown:
            return FindingRule(severity: .error, document: nil, wouldCause: .inaccurateInformation,
                messageZh: "续费方式未知（应为自动或手动）", messageEn: "the renewal method is unknown (auto or manual)",
                remedyZh: "向客户确认续费方式并更正", remedyEn: "confirm the renewal method with the client and correct it")
        case .contractAmountMismatch:
            return FindingRule(severity: .error, document: .serviceContract, wouldCause: .inaccurateInformation,
                messageZh: "合同金额与其覆盖服务的续费金额不一致", messageEn: "the contract amount differs from the renewal amount of the services it covers",
                remedyZh: "核对合同，更正续费金额或合同", remedyEn: "check the contract and correct the renewal amount or the contract")
        case .consoleInstanceNotFound:
            return FindingRule(severity: .error, document: nil, wouldCause: .abnormalServiceStatus,
                messageZh: "云账号下找不到该实例", messageEn: "the instance is not on the cloud account",
                remedyZh: "核对实例 ID 与所用云账号（AccessKey），更正表格或账号", remedyEn: "check the instance id and the cloud account (AccessKey) used; correct the sheet or the account")
        case .consoleStatusAbnormal:
            return FindingRule(severity: .error, document: nil, wouldCause: .abnormalServiceStatus,
                messageZh: "实例状态异常，无法续费", messageEn: "the instance's status does not allow a renewal",
                remedyZh: "先在控制台恢复实例（如已过期先续费恢复），再年检", remedyEn: "restore the instance on the console first (renew an expired one), then inspect")
        case .consoleExpiryMismatch:
            return FindingRule(severity: .error, document: nil, wouldCause: .inaccurateInformation,
                messageZh: "控制台上的到期日与表格不一致", messageEn: "the console's expiry date differs from the sheet's",
                remedyZh: "以控制台为准更正 services.csv 的 expires_on 后重新导入", remedyEn: "correct expires_on in services.csv from the console and re-import")
        case .consoleRenewalMethodMismatch:
            return FindingRule(severity: .warning, document: nil, wouldCause: nil,
                messageZh: "控制台上的续费方式与表格不一致", messageEn: "the console's renewal method differs from the sheet's",
                remedyZh: "与客户确认续费方式，更正表格或控制台设置", remedyEn: "confirm the renewal method with the client; correct the sheet or the console setting")
        case .contractTermNotCovered:
            return FindingRule(severity: .error, document: .serviceContract, wouldCause: .inaccurateInformation,
                messageZh: "合同期限未覆盖下一个服务期", messageEn: "the contract does not cover the next service term",
                remedyZh: "与客户续签合同后再年检", remedyEn: "extend the contract with the client before inspecting")
        }
    }
}
