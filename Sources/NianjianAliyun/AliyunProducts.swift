import NianjianDomain

/// Which API renews and describes a product. ECS and RDS have their own; every other product goes through
/// BSS (the billing API, which renews and describes any prepaid instance). A table, easy to extend.
public enum AliyunAPI: String, Sendable, Hashable, CaseIterable {
    case bss, ecs, rds

    public var version: String {
        switch self {
        case .bss: return "2017-12-14"
        case .ecs: return "2014-05-26"
        case .rds: return "2014-08-15"
        }
    }

    /// The public endpoint: BSS is central; ECS is regional; RDS is central for the regions Alibaba's endpoint
    /// table lists under `rds.aliyuncs.com` and regional (`rds.{region}.aliyuncs.com`) everywhere else.
    public func defaultEndpoint(region: String) -> String {
        let region = region.isEmpty ? "cn-hangzhou" : region
        switch self {
        case .bss: return "https://business.aliyuncs.com"
        case .ecs: return "https://ecs.\(region).aliyuncs.com"
        case .rds: return AliyunAPI.rdsCentralRegions.contains(region) ? "https://rds.aliyuncs.com" : "https://rds.\(region).aliyuncs.com"
        }
    }

    /// Regions whose RDS endpoint is the central `rds.aliyuncs.com` (Alibaba Cloud's RDS endpoint table).
    static let rdsCentralRegions: Set<String> = [
        "cn-qingdao", "cn-beijing", "cn-hangzhou", "cn-shanghai", "cn-shenzhen", "cn-hongkong",
        "ap-southeast-1", "us-west-1", "us-east-1",
        "cn-hangzhou-finance", "cn-shanghai-finance-1", "cn-shenzhen-finance-1", "cn-north-2-gov-1",
    ]

    public var renewAction: String { "RenewInstance" }

    /// The API for a service type as the agencies write it (`ECS`, `rds`, `OSS` …).
    public static func forServiceType(_ serviceType: String) -> AliyunAPI {
        switch serviceType.lowercased() {
        case "ecs": return .ecs
        case "rds": return .rds
        default: return .bss
        }
    }

    /// The BSS product code of a service type (`oss`, `slb` …).
    public static func productCode(_ serviceType: String) -> String { serviceType.lowercased() }
}

/// `RenewPeriod` (BSS) / `Period` (ECS, RDS) in months: 1–9, 12, 24 or 36.
public enum RenewPeriod {
    public static let allowed: Set<Int> = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 24, 36]
    public static func isAllowed(_ months: Int) -> Bool { allowed.contains(months) }
}
