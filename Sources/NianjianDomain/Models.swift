// The shared vocabulary of Nianjian: every other module speaks in these types.
// Pure values only: no I/O, no database, no clock.
// Dates, money and moments (CivilDate, Money, Timestamp) are in Values.swift.

/// The documents an agency collects for a client company. Raw values are the CSV and database spelling.
public enum MaterialKind: String, CaseIterable, Sendable, Codable {
    case businessLicense = "business_license"
    case taxRegistration = "tax_registration"
    case organizationCode = "organization_code"
    case idCard = "id_card"
    case passport = "passport"
    case serviceContract = "service_contract"

    /// The document's name as an operator writes it.
    public func label(_ language: Language) -> String {
        switch (self, language) {
        case (.businessLicense, .zh): return "营业执照"
        case (.taxRegistration, .zh): return "税务登记证"
        case (.organizationCode, .zh): return "组织机构代码证"
        case (.idCard, .zh): return "身份证"
        case (.passport, .zh): return "护照"
        case (.serviceContract, .zh): return "服务合同"
        case (.businessLicense, .en): return "business license"
        case (.taxRegistration, .en): return "tax registration certificate"
        case (.organizationCode, .en): return "organization code certificate"
        case (.idCard, .en): return "ID card"
        case (.passport, .en): return "passport"
        case (.serviceContract, .en): return "service contract"
        }
    }
}

public enum RenewalMethod: String, CaseIterable, Sendable, Codable {
    case auto
    case manual
}

/// The inspection state machine's states (DESIGN.md). Raw values are the database spelling.
public enum InspectionState: String, CaseIterable, Sendable, Codable {
    case pending
    case needsMaterials = "needs_materials"
    case submitting
    case inReview = "in_review"
    case approved
    case rejected
    case failed
    case cancelled

    /// States that stay until an operator re-queues (or, for approved and cancelled, for good).
    public var isTerminal: Bool {
        switch self {
        case .needsMaterials, .approved, .rejected, .failed, .cancelled: return true
        case .pending, .submitting, .inReview: return false
        }
    }

    /// States an operator may send back to pending with `requeue`.
    public var isRequeueable: Bool {
        switch self {
        case .needsMaterials, .rejected, .failed: return true
        default: return false
        }
    }
}

/// The four reasons a console review rejects an inspection. Raw values are the database spelling.
public enum RejectionReason: String, CaseIterable, Sendable, Codable {
    case incompleteMaterials = "incomplete_materials"
    case inaccurateInformation = "inaccurate_information"
    case abnormalServiceStatus = "abnormal_service_status"
    case violation

    public var messageZh: String {
        switch self {
        case .incompleteMaterials: return "材料不完整"
        case .inaccurateInformation: return "信息不准确"
        case .abnormalServiceStatus: return "服务状态异常"
        case .violation: return "存在违规行为"
        }
    }

    public var messageEn: String {
        switch self {
        case .incompleteMaterials: return "incomplete materials"
        case .inaccurateInformation: return "inaccurate information"
        case .abnormalServiceStatus: return "abnormal service status"
        case .violation: return "violation"
        }
    }

    /// What the operator does about it.
    public var remedyZh: String {
        switch self {
        case .incompleteMaterials: return "补齐材料后重新提交"
        case .inaccurateInformation: return "更正信息后重新提交"
        case .abnormalServiceStatus: return "先修复服务状态，再重新提交"
        case .violation: return "纠正违规行为后重新提交"
        }
    }

    public var remedyEn: String {
        switch self {
        case .incompleteMaterials: return "collect the missing materials and resubmit"
        case .inaccurateInformation: return "correct the information and resubmit"
        case .abnormalServiceStatus: return "fix the service status, then resubmit"
        case .violation: return "correct the violation, then resubmit"
        }
    }
}

/// The language a person reads.
public enum Language: String, Sendable, CaseIterable, Codable {
    case zh
    case en

    /// From `LANG`/`LC_ALL`-style values: `zh_CN.UTF-8` → zh, anything else → en.
    public static func from(locale: String?) -> Language {
        guard let locale, locale.lowercased().hasPrefix("zh") else { return .en }
        return .zh
    }
}

/// A client company of an agency.
public struct Company: Hashable, Sendable, Codable {
    public var ref: String
    public var name: String
    public var legalRepresentative: String
    public var contactName: String
    public var contactPhone: String
    public var contactEmail: String

    public init(ref: String, name: String, legalRepresentative: String, contactName: String = "",
                contactPhone: String = "", contactEmail: String = "") {
        self.ref = ref; self.name = name; self.legalRepresentative = legalRepresentative
        self.contactName = contactName; self.contactPhone = contactPhone; self.contactEmail = contactEmail
    }
}

/// One document in a company's file: a license, a certificate, an identity proof, a contract.
public struct Material: Hashable, Sendable, Codable {
    public var kind: MaterialKind
    public var number: String
    public var holderName: String
    public var validFrom: CivilDate?
    /// nil: no expiry.
    public var validUntil: CivilDate?
    public var fileChecksum: String?

    public init(kind: MaterialKind, number: String, holderName: String, validFrom: CivilDate? = nil,
                validUntil: CivilDate? = nil, fileChecksum: String? = nil) {
        self.kind = kind; self.number = number; self.holderName = holderName
        self.validFrom = validFrom; self.validUntil = validUntil; self.fileChecksum = fileChecksum
    }
}

public struct Contract: Hashable, Sendable, Codable {
    public var number: String
    public var amount: Money
    public var startsOn: CivilDate
    public var endsOn: CivilDate

    public init(number: String, amount: Money, startsOn: CivilDate, endsOn: CivilDate) {
        self.number = number; self.amount = amount; self.startsOn = startsOn; self.endsOn = endsOn
    }
}

/// A cloud service an agency renews for a client.
public struct Service: Hashable, Sendable, Codable {
    public var ref: String
    public var consoleInstanceId: String
    public var serviceType: String
    public var region: String
    public var expiresOn: CivilDate
    public var renewalAmount: Money
    /// nil when the spreadsheet said something we do not know.
    public var renewalMethod: RenewalMethod?
    public var contractNumber: String
    /// Length of one renewal term in months.
    public var termMonths: Int

    public init(ref: String, consoleInstanceId: String, serviceType: String, region: String, expiresOn: CivilDate,
                renewalAmount: Money, renewalMethod: RenewalMethod?, contractNumber: String, termMonths: Int = 12) {
        self.ref = ref; self.consoleInstanceId = consoleInstanceId; self.serviceType = serviceType
        self.region = region; self.expiresOn = expiresOn; self.renewalAmount = renewalAmount
        self.renewalMethod = renewalMethod; self.contractNumber = contractNumber; self.termMonths = termMonths
    }
}
