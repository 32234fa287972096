import Foundation
import NianjianConsole
import NianjianDomain

/// One API call: which API, which action, its parameters. Pure values; the transport signs and sends them.
public struct AliyunCall: Sendable, Hashable {
    public var api: AliyunAPI
    public var action: String
    public var region: String
    public var parameters: [String: String]

    public init(api: AliyunAPI, action: String, region: String = "", parameters: [String: String]) {
        self.api = api; self.action = action; self.region = region; self.parameters = parameters
    }

    /// Parameters in a stable order (the signer sorts them anyway).
    public var query: [(String, String)] { parameters.keys.sorted().map { ($0, parameters[$0] ?? "") } }
}

/// The requests the product makes and how their answers read: renew (the ticket is the order id), poll the
/// order, describe instances. Every function is pure.
public enum AliyunActions {
    /// The renewal of one instance by `months`, idempotent by `clientToken` (the inspection's key).
    public static func renew(serviceType: String, instanceId: String, region: String, months: Int,
                             clientToken: String) -> AliyunCall {
        let api = AliyunAPI.forServiceType(serviceType)
        switch api {
        case .bss:
            return AliyunCall(api: api, action: "RenewInstance", region: region, parameters: [
                "ProductCode": AliyunAPI.productCode(serviceType), "InstanceId": instanceId,
                "RenewPeriod": String(months), "ClientToken": clientToken])
        case .ecs:
            return AliyunCall(api: api, action: "RenewInstance", region: region, parameters: [
                "RegionId": region, "InstanceId": instanceId, "Period": String(months), "PeriodUnit": "Month",
                "ClientToken": clientToken])
        case .rds:
            return AliyunCall(api: api, action: "RenewInstance", region: region, parameters: [
                "DBInstanceId": instanceId, "Period": String(months), "ClientToken": clientToken])
        }
    }

    /// An order's state (every renewal, ECS and RDS included, is a BSS order).
    public static func orderDetail(orderId: String) -> AliyunCall {
        AliyunCall(api: .bss, action: "GetOrderDetail", parameters: ["OrderId": orderId])
    }

    /// Up to 100 instances of one product on one account.
    public static func describe(serviceType: String, instanceIds: [String], region: String) -> AliyunCall {
        let api = AliyunAPI.forServiceType(serviceType)
        switch api {
        case .bss:
            return AliyunCall(api: api, action: "QueryAvailableInstances", region: region, parameters: [
                "ProductCode": AliyunAPI.productCode(serviceType), "InstanceIDs": instanceIds.joined(separator: ","),
                "PageNum": "1", "PageSize": String(max(1, instanceIds.count))])
        case .ecs:
            let list = "[" + instanceIds.map { "\"\($0)\"" }.joined(separator: ",") + "]"
            return AliyunCall(api: api, action: "DescribeInstances", region: region, parameters: [
                "RegionId": region, "InstanceIds": list, "PageSize": "100"])
        case .rds:
            return AliyunCall(api: api, action: "DescribeDBInstanceAttribute", region: region,
                              parameters: ["DBInstanceId": instanceIds.joined(separator: ",")])
        }
    }

    // MARK: Answers

    /// The order id of a successful renewal (`Data.OrderId` for BSS, `OrderId` for ECS and RDS).
    public static func orderId(from body: [UInt8]) -> String? {
        guard let object = json(body) else { return nil }
        let data = object["Data"] as? [String: Any]
        return text(data?["OrderId"]) ?? text(object["OrderId"])
    }

    /// `Data.OrderList.Order[0].PaymentStatus`: Paid → approved, Unpaid → still in review, Cancelled →
    /// rejected (abnormal service status, or the reason a `Remark` starts with), the order's `Remark` kept as
    /// the console's message. Compared case- and spelling-insensitively; nil when unreadable.
    public static func reviewStatus(from body: [UInt8]) -> ReviewStatus? {
        guard let object = json(body), let data = object["Data"] as? [String: Any],
              let list = data["OrderList"] as? [String: Any], let orders = list["Order"] as? [[String: Any]],
              let status = text(orders.first?["PaymentStatus"]) else { return nil }
        switch status.lowercased() {
        case "paid": return .approved
        case "unpaid", "waitpay", "pending": return .reviewing
        case "cancelled", "canceled":
            let remark = consoleMessage(text(orders.first?["Remark"]))
            // A remark that names one of our reasons (`violation: …`) gives that reason; anything else is the
            // cloud refusing the order, which the issue maps to an abnormal service status.
            let named = remark.flatMap { text in
                RejectionReason.allCases.first { text.lowercased().hasPrefix($0.rawValue + ":") }
            }
            return .rejected(named ?? .abnormalServiceStatus, message: remark)
        default: return nil
        }
    }

    /// A cloud's free text made safe for an event: control and format characters (line breaks, bidi overrides
    /// that would reorder a page or a report, zero-width marks) become spaces, at most 300 characters, nil when
    /// empty.
    static func consoleMessage(_ raw: String?) -> String? {
        guard let raw else { return nil }
        let cleaned = String(String.UnicodeScalarView(raw.unicodeScalars.map {
            [.control, .format].contains($0.properties.generalCategory) ? " " : $0
        })).trimmingCharacters(in: .whitespaces)
        guard !cleaned.isEmpty else { return nil }
        return cleaned.count > 300 ? String(cleaned.prefix(300)) + "…" : cleaned
    }

    /// The instances an answer describes, normalised.
    public static func instances(from body: [UInt8], api: AliyunAPI) -> [CloudInstanceStatus]? {
        guard let object = json(body) else { return nil }
        switch api {
        case .bss:
            guard let data = object["Data"] as? [String: Any], let list = data["InstanceList"] as? [[String: Any]] else { return nil }
            return list.compactMap { item in
                guard let id = text(item["InstanceID"]) else { return nil }
                let status = text(item["Status"]) ?? ""
                let normalised: CloudInstanceStatus.Status = ["normal", "waitforexpire"].contains(status.lowercased()) ? .normal
                    : status.lowercased() == "expired" ? .expired : .other
                let renewal: RenewalMethod? = switch (text(item["RenewStatus"]) ?? "").lowercased() {
                case "autorenewal": .auto
                case "manualrenewal", "notrenewal": .manual
                default: nil
                }
                return CloudInstanceStatus(instanceId: id, status: normalised, statusText: status,
                                           expiresOn: chinaDate(text(item["EndTime"])), renewalMethod: renewal)
            }
        case .ecs:
            guard let wrapper = object["Instances"] as? [String: Any], let list = wrapper["Instance"] as? [[String: Any]] else { return nil }
            return list.compactMap { item in
                guard let id = text(item["InstanceId"]) else { return nil }
                let status = text(item["Status"]) ?? ""
                let normalised: CloudInstanceStatus.Status = ["running", "stopped"].contains(status.lowercased()) ? .normal
                    : status.lowercased() == "expired" ? .expired : .other
                let auto = item["AutoRenewEnabled"] as? Bool
                return CloudInstanceStatus(instanceId: id, status: normalised, statusText: status,
                                           expiresOn: chinaDate(text(item["ExpiredTime"])),
                                           renewalMethod: auto.map { $0 ? .auto : .manual })
            }
        case .rds:
            guard let items = object["Items"] as? [String: Any],
                  let list = items["DBInstanceAttribute"] as? [[String: Any]] else { return nil }
            return list.compactMap { item in
                guard let id = text(item["DBInstanceId"]) else { return nil }
                let status = text(item["DBInstanceStatus"]) ?? ""
                let normalised: CloudInstanceStatus.Status = status.lowercased() == "running" ? .normal
                    : status.lowercased() == "expired" ? .expired : .other
                let auto = text(item["AutoRenew"]).map { $0.lowercased() == "true" }
                return CloudInstanceStatus(instanceId: id, status: normalised, statusText: status,
                                           expiresOn: chinaDate(text(item["ExpireTime"])),
                                           renewalMethod: auto.map { $0 ? .auto : .manual })
            }
        }
    }

    /// An instant such as `2026-12-23T16:00:00Z` or `2026-12-23T16:00Z`, read as its date in China time.
    public static func chinaDate(_ instant: String?) -> CivilDate? {
        guard let instant, instant.utf8.count >= 17 else { return nil }
        let bytes = Array(instant.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count else { return nil }
            var value = 0
            for index in range {
                guard bytes[index] >= 48, bytes[index] <= 57 else { return nil }
                value = value * 10 + Int(bytes[index] - 48)
            }
            return value
        }
        guard let date = CivilDate(iso: String(decoding: bytes[0..<10], as: UTF8.self)), bytes[10] == UInt8(ascii: "T"),
              let hour = number(11..<13), let minute = number(14..<16) else { return nil }
        let second = bytes.count > 17 && bytes[16] == UInt8(ascii: ":") ? (number(17..<19) ?? 0) : 0
        let utc = Timestamp(microseconds: (Int64(date.daysSinceEpoch) * 86_400 + Int64(hour * 3600 + minute * 60 + second)) * 1_000_000)
        return utc.chinaDate
    }

    static func json(_ body: [UInt8]) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }

    static func text(_ value: Any?) -> String? {
        switch value {
        case let string as String: return string
        case let number as NSNumber: return number.stringValue
        default: return nil
        }
    }
}
