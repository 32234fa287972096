// The core of `nianjian check KIND VALUE`: the CLI parses arguments and prints; this decides.

/// The verdict on one identifier, ready to print or encode as
/// `{"valid": bool, "normalized": "...", "findings": [{"code","severity","message"}]}`.
public struct CheckVerdict: Sendable, Hashable, Codable {
    public var valid: Bool
    public var normalized: String
    public var findings: [Finding]

    public init(valid: Bool, normalized: String, findings: [Finding]) {
        self.valid = valid; self.normalized = normalized; self.findings = findings
    }

    init(_ result: IdentifierResult) {
        self.init(valid: result.isValid, normalized: result.normalized, findings: result.findings)
    }
}

public enum IdentifierCheck {
    /// The kinds the command accepts, in the order its help lists them.
    public enum Kind: String, CaseIterable, Sendable {
        case uscc
        case orgCode = "org-code"
        case registrationNumber = "registration-number"
        case taxNumber = "tax-number"
        case id
        case passport
        case mobile
    }

    public static var kinds: [String] { Kind.allCases.map(\.rawValue) }

    /// nil when `kind` is not one of `kinds` (a usage error: exit 2). `date` is the date of the check:
    /// an identity number's birth date must not be after it.
    public static func check(kind: String, value: String, on date: CivilDate?) -> CheckVerdict? {
        guard let kind = Kind(rawValue: kind) else { return nil }
        return check(kind, value: value, on: date)
    }

    public static func check(_ kind: Kind, value: String, on date: CivilDate?) -> CheckVerdict {
        switch kind {
        case .uscc: return CheckVerdict(UnifiedSocialCreditCode.validate(value))
        case .orgCode: return CheckVerdict(OrganizationCode.validate(value))
        case .registrationNumber: return CheckVerdict(RegistrationNumber.validate(value))
        case .taxNumber: return CheckVerdict(TaxRegistrationNumber.validate(value))
        case .id: return CheckVerdict(ResidentIdentityNumber.validate(value, on: date))
        case .passport: return CheckVerdict(PassportNumber.validate(value))
        case .mobile: return CheckVerdict(MobileNumber.validate(value))
        }
    }
}

extension CheckVerdict {
    /// The `--json` form, messages in `language`:
    /// `{"valid":true,"normalized":"…","findings":[{"code":"…","severity":"…","message":"…"}]}`.
    /// Written by hand so the pure domain needs no Foundation.
    public func json(_ language: Language) -> String {
        var out = "{\"valid\":\(valid),\"normalized\":\(Self.quoted(normalized)),\"findings\":["
        for (index, finding) in findings.enumerated() {
            if index > 0 { out += "," }
            out += "{\"code\":\(Self.quoted(finding.code)),\"severity\":\(Self.quoted(finding.severity.rawValue)),"
            out += "\"message\":\(Self.quoted(finding.message(language)))}"
        }
        return out + "]}"
    }

    static func quoted(_ text: String) -> String { JSONLiteral.string(text) }
}
