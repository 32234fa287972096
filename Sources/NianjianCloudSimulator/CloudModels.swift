import NianjianDomain

/// One instance the simulated cloud holds for its customers.
public struct CloudInstance: Codable, Sendable, Hashable {
    public var instanceId: String
    /// Lower-case product code: ecs, rds, oss…
    public var product: String
    public var region: String
    /// The last day of service (China time).
    public var expiresOn: CivilDate
    public var renewal: RenewalSetting

    public init(instanceId: String, product: String, region: String, expiresOn: CivilDate, renewal: RenewalSetting) {
        self.instanceId = instanceId; self.product = product; self.region = region; self.expiresOn = expiresOn
        self.renewal = renewal
    }
}

public enum RenewalSetting: String, Codable, Sendable, Hashable {
    case auto, manual, none

    /// BSS `RenewStatus`.
    public var renewStatus: String {
        switch self {
        case .auto: return "AutoRenewal"
        case .manual: return "ManualRenewal"
        case .none: return "NotRenewal"
        }
    }
}

public enum PaymentStatus: String, Codable, Sendable, Hashable {
    case unpaid = "Unpaid", paid = "Paid", cancelled = "Cancelled"
}

/// A renewal order (BSS, ECS and RDS renewals are all BSS orders).
public struct CloudOrder: Codable, Sendable, Hashable {
    public var orderId: String
    public var accessKeyId: String
    public var clientToken: String
    /// The action and its parameters but the ClientToken: a reused token must carry the same.
    public var fingerprint: String
    public var product: String
    public var instanceId: String
    public var periodMonths: Int
    /// Real time the order was made, seconds since 1970.
    public var createdAt: Int64
    /// Business date it was made on, and the one its review ends on.
    public var orderedOn: CivilDate
    public var decidedOn: CivilDate
    /// nil: it will be paid.
    public var rejection: RejectionReason?
    public var status: PaymentStatus
    public var settledOn: CivilDate?

    /// `Remark` of a cancelled order: `<reason>: <zh> / <en>`.
    public var remark: String {
        guard status == .cancelled, let rejection else { return "" }
        return "\(rejection.rawValue): \(rejection.messageZh) / \(rejection.messageEn)"
    }
}

/// Instance status as the cloud reports it on a business date.
public enum InstanceCondition: Sendable, Hashable {
    case normal, waitForExpire, expired

    public init(expiresOn: CivilDate, on date: CivilDate, warningDays: Int) {
        if expiresOn < date {
            self = .expired
        } else if expiresOn.daysSinceEpoch - date.daysSinceEpoch < warningDays {
            self = .waitForExpire
        } else {
            self = .normal
        }
    }

    /// BSS `Status`.
    public var bss: String {
        switch self {
        case .normal: return "Normal"
        case .waitForExpire: return "WaitForExpire"
        case .expired: return "Expired"
        }
    }

    /// ECS `Status`, RDS `DBInstanceStatus`.
    public var running: String { self == .expired ? "Expired" : "Running" }
}

/// Cloud time formats. `EndTime` is an instant whose date in China time is the expiry (issue 12): the
/// midnight starting the expiry date in China time, in UTC.
public enum CloudTime {
    /// `2026-12-23T16:00:00Z` for expiry 2026-12-24 (China midnight starting 12-24).
    public static func endTime(_ expiresOn: CivilDate) -> String {
        utc(Int64(expiresOn.daysSinceEpoch) * 86_400 - Timestamp.chinaOffsetSeconds, seconds: true)
    }

    /// ECS `ExpiredTime`: the same instant without seconds (`2026-12-23T16:00Z`).
    public static func ecsExpiredTime(_ expiresOn: CivilDate) -> String {
        utc(Int64(expiresOn.daysSinceEpoch) * 86_400 - Timestamp.chinaOffsetSeconds, seconds: false)
    }

    /// Midnight starting a business date in China time, in UTC.
    public static func chinaMidnight(_ date: CivilDate) -> String {
        utc(Int64(date.daysSinceEpoch) * 86_400 - Timestamp.chinaOffsetSeconds, seconds: true)
    }

    public static func utc(_ seconds: Int64, seconds withSeconds: Bool) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        func pad(_ value: Int64) -> String { value < 10 ? "0\(value)" : String(value) }
        let date = CivilDate(daysSinceEpoch: Int(days))
        let time = "\(pad(secondOfDay / 3600)):\(pad(secondOfDay % 3600 / 60))"
        return "\(date)T\(time)\(withSeconds ? ":" + pad(secondOfDay % 60) : "")Z"
    }
}
