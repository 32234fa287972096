import Foundation
import NianjianDomain

/// The BSS, ECS and RDS actions: parameters checked, state read or changed, the cloud's JSON shapes.
public struct ActionHandlers: Sendable {
    let state: CloudState

    public init(state: CloudState) { self.state = state }

    public struct Answer: Sendable {
        public var body: [(String, JSONValue)]
        /// For an order: made now, or the first order of a ClientToken seen before.
        public var renewal: CloudState.RenewOutcome?
    }

    public func handle(_ action: CloudAction, _ call: VerifiedCall, now: Int64) async throws -> Answer {
        let p = call.parameters
        switch action {
        case .bssQueryAvailableInstances: return try await queryAvailableInstances(p)
        case .bssGetOrderDetail: return try await orderDetail(p, accessKeyId: call.accessKeyId)
        case .ecsDescribeInstances: return try await describeInstances(p)
        case .rdsDescribeDBInstanceAttribute: return try await describeDBInstance(p)
        case .bssRenewInstance:
            let product = try required(p, "ProductCode").lowercased()
            let period = try months(p, "RenewPeriod", allowed: Self.bssPeriods)
            return try await renew(call, action: action, product: product, region: nil,
                                   instanceId: required(p, "InstanceId"), period: period, now: now, bss: true)
        case .ecsRenewInstance:
            let unit = p["PeriodUnit"] ?? "Month"
            guard unit == "Month" else { throw CloudError.invalid("PeriodUnit", "only Month is supported") }
            let period = try months(p, "Period", allowed: Self.ecsPeriods)
            return try await renew(call, action: action, product: "ecs", region: required(p, "RegionId"),
                                   instanceId: required(p, "InstanceId"), period: period, now: now, bss: false)
        case .rdsRenewInstance:
            let period = try months(p, "Period", allowed: Self.bssPeriods)
            return try await renew(call, action: action, product: "rds", region: nil,
                                   instanceId: required(p, "DBInstanceId"), period: period, now: now, bss: false)
        }
    }

    static let bssPeriods: Set<Int> = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 24, 36]
    static let ecsPeriods: Set<Int> = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 24, 36, 48, 60]

    // MARK: Orders

    private func renew(_ call: VerifiedCall, action: CloudAction, product: String, region: String?, instanceId: String,
                       period: Int, now: Int64, bss: Bool) async throws -> Answer {
        let token = call.parameters["ClientToken"] ?? ""
        guard token.utf8.count <= 64, token.unicodeScalars.allSatisfy({ $0.value >= 0x21 && $0.value < 0x7F }) else {
            throw CloudError.invalid("ClientToken", "at most 64 printable ASCII characters")
        }
        // No token: no idempotency (every call a new order), as the cloud does.
        let effectiveToken = token.isEmpty ? "untokened-" + UUID().uuidString : token
        let fingerprint = action.rawValue + "?" + call.parameters.fingerprint(excluding: ["ClientToken"])
        let outcome = try await state.renew(CloudState.RenewCommand(
            accessKeyId: call.accessKeyId, clientToken: effectiveToken, fingerprint: fingerprint, product: product,
            region: region, instanceId: instanceId, periodMonths: period, now: now))
        let order: CloudOrder
        switch outcome {
        case .created(let made): order = made
        case .duplicate(let first): order = first
        }
        let body: [(String, JSONValue)] = bss
            ? success(["Data": .object([("OrderId", .string(order.orderId))])])
            : [("OrderId", .string(order.orderId))]
        return Answer(body: body, renewal: outcome)
    }

    private func orderDetail(_ p: Parameters, accessKeyId: String) async throws -> Answer {
        let id = try required(p, "OrderId")
        guard let order = try await state.order(id, accessKeyId: accessKeyId) else { throw CloudError.orderNotFound(id) }
        let paymentTime = order.status == .paid ? order.settledOn.map(CloudTime.chinaMidnight) ?? "" : ""
        let item: JSONValue = .object([
            ("OrderId", .string(order.orderId)),
            ("OrderType", .string("Renew")),
            ("SubscriptionType", .string("Subscription")),
            ("ProductCode", .string(order.product)),
            ("InstanceIDs", .string(order.instanceId)),
            ("Period", .int(order.periodMonths)),
            ("PaymentStatus", .string(order.status.rawValue)),
            ("CreateTime", .string(CloudTime.utc(order.createdAt, seconds: true))),
            ("PaymentTime", .string(paymentTime)),
            ("Remark", .string(order.remark)),
        ])
        return Answer(body: success(["Data": .object([
            ("OrderList", .object([("Order", .array([item]))])),
            ("TotalCount", .int(1)), ("PageNum", .int(1)), ("PageSize", .int(20)),
        ])]), renewal: nil)
    }

    // MARK: Queries

    private func queryAvailableInstances(_ p: Parameters) async throws -> Answer {
        let product = p["ProductCode"].map { $0.lowercased() }.flatMap { $0.isEmpty ? nil : $0 }
        let region = p["Region"].flatMap { $0.isEmpty ? nil : $0 }
        let pageNum = try number(p, "PageNum", default: 1, in: 1...100_000)
        let pageSize = try number(p, "PageSize", default: 20, in: 1...300)
        var found: [CloudInstance]
        if let ids = p["InstanceIDs"], !ids.isEmpty {
            let list = ids.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard list.count <= 100 else { throw CloudError.invalid("InstanceIDs", "at most 100 instance ids") }
            found = []
            for id in list { if let instance = try await state.instance(id) { found.append(instance) } }
        } else {
            found = try await state.allInstances()
        }
        found = found.filter { instance in
            (product.map { instance.product == $0 } ?? true) && (region.map { instance.region == $0 } ?? true)
        }
        let page = found.dropFirst((pageNum - 1) * pageSize).prefix(pageSize)
        var list: [JSONValue] = []
        for instance in page {
            let status = await state.condition(of: instance).bss
            list.append(.object([
                ("InstanceID", .string(instance.instanceId)),
                ("ProductCode", .string(instance.product)),
                ("ProductType", .string("")),
                ("Region", .string(instance.region)),
                ("SubscriptionType", .string("Subscription")),
                ("Status", .string(status)),
                ("SubStatus", .string(status)),
                ("RenewStatus", .string(instance.renewal.renewStatus)),
                ("RenewalDurationUnit", .string("M")),
                ("EndTime", .string(CloudTime.endTime(instance.expiresOn))),
            ]))
        }
        return Answer(body: success(["Data": .object([
            ("TotalCount", .int(found.count)), ("PageNum", .int(pageNum)), ("PageSize", .int(pageSize)),
            ("InstanceList", .array(list)),
        ])]), renewal: nil)
    }

    private func describeInstances(_ p: Parameters) async throws -> Answer {
        let region = try required(p, "RegionId")
        let pageNumber = try number(p, "PageNumber", default: 1, in: 1...100_000)
        let pageSize = try number(p, "PageSize", default: 10, in: 1...100)
        var found: [CloudInstance]
        if let raw = p["InstanceIds"], !raw.isEmpty {
            guard let parsed = try? JSONSerialization.jsonObject(with: Data(raw.utf8)), let ids = parsed as? [String] else {
                throw CloudError.invalid("InstanceIds", "a JSON array of instance ids, like [\"i-1\",\"i-2\"]")
            }
            guard ids.count <= 100 else { throw CloudError.invalid("InstanceIds", "at most 100 instance ids") }
            found = []
            for id in ids { if let instance = try await state.instance(id) { found.append(instance) } }
        } else {
            found = try await state.allInstances()
        }
        found = found.filter { $0.product == "ecs" && $0.region == region }
        let page = found.dropFirst((pageNumber - 1) * pageSize).prefix(pageSize)
        var list: [JSONValue] = []
        for instance in page {
            let status = await state.condition(of: instance).running
            list.append(.object([
                ("InstanceId", .string(instance.instanceId)),
                ("RegionId", .string(instance.region)),
                ("Status", .string(status)),
                ("ExpiredTime", .string(CloudTime.ecsExpiredTime(instance.expiresOn))),
                ("InstanceChargeType", .string("PrePaid")),
                ("AutoRenewEnabled", .bool(instance.renewal == .auto)),
            ]))
        }
        return Answer(body: [("TotalCount", .int(found.count)), ("PageNumber", .int(pageNumber)), ("PageSize", .int(pageSize)),
                             ("Instances", .object([("Instance", .array(list))]))], renewal: nil)
    }

    private func describeDBInstance(_ p: Parameters) async throws -> Answer {
        let raw = try required(p, "DBInstanceId")
        var items: [JSONValue] = []
        for id in raw.split(separator: ",").map(String.init) {
            guard let instance = try await state.instance(id), instance.product == "rds" else {
                throw CloudError.dbInstanceNotFound(id)
            }
            let status = await state.condition(of: instance).running
            items.append(.object([
                ("DBInstanceId", .string(instance.instanceId)),
                ("RegionId", .string(instance.region)),
                ("DBInstanceStatus", .string(status)),
                ("ExpireTime", .string(CloudTime.endTime(instance.expiresOn))),
                ("PayType", .string("Prepaid")),
                ("AutoRenew", .string(instance.renewal == .auto ? "True" : "False")),
            ]))
        }
        return Answer(body: [("Items", .object([("DBInstanceAttribute", .array(items))]))], renewal: nil)
    }

    // MARK: Parameters

    private func success(_ extra: KeyValuePairs<String, JSONValue>) -> [(String, JSONValue)] {
        [("Code", .string("Success")), ("Message", .string("Successful!")), ("Success", .bool(true))]
            + extra.map { ($0.key, $0.value) }
    }

    private func required(_ p: Parameters, _ name: String) throws -> String {
        guard let value = p[name], !value.isEmpty else { throw CloudError.missing(name) }
        return value
    }

    private func number(_ p: Parameters, _ name: String, default value: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let text = p[name], !text.isEmpty else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw CloudError.invalid(name, "a whole number in \(range.lowerBound)…\(range.upperBound)")
        }
        return number
    }

    private func months(_ p: Parameters, _ name: String, allowed: Set<Int>) throws -> Int {
        let text = try required(p, name)
        guard let number = Int(text), allowed.contains(number) else {
            throw CloudError.invalid(name, "months, one of \(allowed.sorted().map(String.init).joined(separator: ", "))")
        }
        return number
    }
}
