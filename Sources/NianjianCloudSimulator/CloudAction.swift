/// The actions the simulator speaks, routed by `x-acs-action` and `x-acs-version` (any Host).
public enum CloudAction: String, Sendable, CaseIterable {
    case bssQueryAvailableInstances, bssRenewInstance, bssGetOrderDetail
    case ecsRenewInstance, ecsDescribeInstances
    case rdsRenewInstance, rdsDescribeDBInstanceAttribute

    public static let bssVersion = "2017-12-14"
    public static let ecsVersion = "2014-05-26"
    public static let rdsVersion = "2014-08-15"

    public init?(action: String, version: String) {
        switch (version, action) {
        case (Self.bssVersion, "QueryAvailableInstances"): self = .bssQueryAvailableInstances
        case (Self.bssVersion, "RenewInstance"): self = .bssRenewInstance
        case (Self.bssVersion, "GetOrderDetail"): self = .bssGetOrderDetail
        case (Self.ecsVersion, "RenewInstance"): self = .ecsRenewInstance
        case (Self.ecsVersion, "DescribeInstances"): self = .ecsDescribeInstances
        case (Self.rdsVersion, "RenewInstance"): self = .rdsRenewInstance
        case (Self.rdsVersion, "DescribeDBInstanceAttribute"): self = .rdsDescribeDBInstanceAttribute
        default: return nil
        }
    }

    /// Makes an order (and so may lose its answer after making it).
    public var isOrder: Bool {
        switch self {
        case .bssRenewInstance, .ecsRenewInstance, .rdsRenewInstance: return true
        default: return false
        }
    }
}
