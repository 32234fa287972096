// The console's view of a service before it is submitted (issue 12): the cloud says whether the instance
// exists on the account, its status, its expiry and how it renews. Disagreements become findings with
// remedies, like the materials checks; blocking ones keep the inspection in needs_materials (no renewal is
// attempted). Pure: the adapter asks, this decides.

/// What the cloud says about one instance (BSS `QueryAvailableInstances`, ECS `DescribeInstances`, RDS
/// `DescribeDBInstanceAttribute`), normalised.
public struct CloudInstanceStatus: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Hashable, Codable {
        /// Running and renewable (`Normal`, `WaitForExpire`, ECS/RDS `Running`/`Stopped`).
        case normal
        case expired
        /// Anything else (`Creating`, `Released`, `Locked` …), with the cloud's own word in `statusText`.
        case other
    }

    public var instanceId: String
    public var status: Status
    /// The cloud's own status word, for the message.
    public var statusText: String
    /// The expiry date in China time.
    public var expiresOn: CivilDate?
    /// nil: the cloud did not say.
    public var renewalMethod: RenewalMethod?

    public init(instanceId: String, status: Status, statusText: String, expiresOn: CivilDate?, renewalMethod: RenewalMethod?) {
        self.instanceId = instanceId; self.status = status; self.statusText = statusText
        self.expiresOn = expiresOn; self.renewalMethod = renewalMethod
    }
}

public enum ServiceStatusCheck {
    /// Findings for `service` given what the cloud said (`nil`: the instance is not on the account).
    public static func findings(for service: Service, cloud: CloudInstanceStatus?) -> [Finding] {
        let ref = service.ref
        let id = service.consoleInstanceId
        guard let cloud else {
            return [Finding(.consoleInstanceNotFound, service: ref,
                            detailZh: "服务 \(ref) 的实例 \(id)", detailEn: "instance \(id) of service \(ref)")]
        }
        var findings: [Finding] = []
        if cloud.status != .normal {
            findings.append(Finding(.consoleStatusAbnormal, service: ref,
                                    detailZh: "实例 \(id) 状态为 \(cloud.statusText)", detailEn: "instance \(id) is \(cloud.statusText)"))
        }
        if let expiry = cloud.expiresOn, expiry != service.expiresOn {
            findings.append(Finding(.consoleExpiryMismatch, service: ref,
                                    detailZh: "控制台到期日 \(expiry)，表格到期日 \(service.expiresOn)",
                                    detailEn: "console expiry \(expiry), sheet expiry \(service.expiresOn)"))
        }
        if let method = cloud.renewalMethod, let ours = service.renewalMethod, method != ours {
            findings.append(Finding(.consoleRenewalMethodMismatch, service: ref,
                                    detailZh: "控制台为\(method == .auto ? "自动" : "手动")续费，表格为\(ours == .auto ? "自动" : "手动")",
                                    detailEn: "console renews \(method.rawValue), the sheet says \(ours.rawValue)"))
        }
        return findings
    }
}
