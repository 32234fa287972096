import Foundation
import HummingbirdTesting
import NianjianAliyun
import NianjianCloudSimulator
import NianjianDomain
import Testing

/// In process: orders, ClientTokens, reviews over business days, faults and throttling.
@Suite("cloud simulator: orders")
struct OrderRouteTests {
    func renewECS(_ client: some TestClientProtocol, token: String, period: String = "12",
                  credentials: AliyunCredentials = alice) async throws -> Answer {
        try await send(client, .bss, "RenewInstance",
                       [("ProductCode", "ecs"), ("InstanceId", "i-bp1sim0001"), ("RenewPeriod", period), ("ClientToken", token)],
                       credentials: credentials)
    }

    func order(_ client: some TestClientProtocol, _ id: String, credentials: AliyunCredentials = alice) async throws -> [String: Any]? {
        let detail = try await send(client, .bss, "GetOrderDetail", [("OrderId", id)], credentials: credentials)
        return detail.path("Data", "OrderList", "Order", "0") as? [String: Any]
    }

    func endTime(_ client: some TestClientProtocol, _ id: String = "i-bp1sim0001") async throws -> String? {
        let result = try await send(client, .bss, "QueryAvailableInstances", [("InstanceIDs", id)])
        return result.path("Data", "InstanceList", "0", "EndTime") as? String
    }

    @Test func aClientTokenGivesOneOrderAndOtherParametersAreRefused() async throws {
        let sim = try await simulator()
        try await sim.application().test(.router) { client in
            let first = try await renewECS(client, token: "nj-42-g1")
            #expect(first.status == 200)
            #expect(first.code == "Success")
            let orderId = try #require(first.path("Data", "OrderId") as? String)
            let allDigits = orderId.allSatisfy { $0.isNumber }
            #expect(allDigits)
            let again = try await renewECS(client, token: "nj-42-g1")
            #expect(again.path("Data", "OrderId") as? String == orderId)
            let other = try await renewECS(client, token: "nj-42-g1", period: "24")
            #expect(other.status == 400)
            #expect(other.code == "IdempotentParameterMismatch")
            // Tokens belong to an account: Bob's same token is his own order.
            let bobs = try await renewECS(client, token: "nj-42-g1", credentials: bob)
            #expect(bobs.status == 200)
            #expect(bobs.path("Data", "OrderId") as? String != orderId)
            // Nor can Bob read Alice's order.
            #expect(try await order(client, orderId, credentials: bob) == nil)
            let mine = try #require(try await order(client, orderId))
            #expect(mine["PaymentStatus"] as? String == "Unpaid")
            #expect(mine["InstanceIDs"] as? String == "i-bp1sim0001")
        }
        #expect(await sim.stats.value("orders_created") == 2)
        #expect(await sim.stats.value("duplicate_submissions") == 1)
        #expect(await sim.stats.value("idempotency_mismatches") == 1)
    }

    @Test func aReviewTakesBusinessDaysThenTheOrderIsPaidAndTheExpiryMovesOnce() async throws {
        let sim = try await simulator { $0.reviewBusinessDays = 2 }
        try await sim.application().test(.router) { client in
            // Thursday 2026-12-03 + 2 business days = Monday 12-07.
            let made = try await renewECS(client, token: "review-1")
            let orderId = try #require(made.path("Data", "OrderId") as? String)
            try await setClock(client, "2026-12-04")
            #expect(try await order(client, orderId)?["PaymentStatus"] as? String == "Unpaid")
            try await setClock(client, "2026-12-06")
            #expect(try await order(client, orderId)?["PaymentStatus"] as? String == "Unpaid")
            #expect(try await endTime(client) == "2026-12-19T16:00:00Z")
            try await setClock(client, "2026-12-07")
            let paid = try #require(try await order(client, orderId))
            #expect(paid["PaymentStatus"] as? String == "Paid")
            #expect(paid["PaymentTime"] as? String == "2026-12-06T16:00:00Z")
            #expect(try await endTime(client) == "2027-12-19T16:00:00Z")
            // Later days, polls and the same token again change nothing.
            try await setClock(client, "2026-12-10")
            _ = try await order(client, orderId)
            #expect(try await renewECS(client, token: "review-1").path("Data", "OrderId") as? String == orderId)
            #expect(try await endTime(client) == "2027-12-19T16:00:00Z")
            let stats = try await control(client, .get, "/_simulator/stats")
            #expect(stats.json["orders_paid"] as? Int == 1)
            #expect(stats.json["orders_total"] as? Int == 1)
        }
    }

    @Test func aRejectedOrderIsCancelledWithItsReasonAndTheExpiryStays() async throws {
        let sim = try await simulator { $0.rejectionRates = [.abnormalServiceStatus: 1]; $0.reviewBusinessDays = 1 }
        try await sim.application().test(.router) { client in
            let made = try await renewECS(client, token: "reject-1")
            let orderId = try #require(made.path("Data", "OrderId") as? String)
            try await setClock(client, "2026-12-04")
            let cancelled = try #require(try await order(client, orderId))
            #expect(cancelled["PaymentStatus"] as? String == "Cancelled")
            #expect(cancelled["Remark"] as? String == "abnormal_service_status: 服务状态异常 / abnormal service status")
            #expect(try await endTime(client) == "2026-12-19T16:00:00Z")
        }
    }

    @Test func ecsAndRdsSpeakTheirOwnShapesAndTheirOrdersAreBSSOrders() async throws {
        let sim = try await simulator { $0.reviewBusinessDays = 0 }
        try await sim.application().test(.router) { client in
            let ecs = try await send(client, .ecs, "DescribeInstances",
                                     [("RegionId", "cn-hangzhou"), ("InstanceIds", "[\"i-bp1sim0001\",\"i-bp1sim0004\",\"i-nope\"]")])
            #expect(ecs.status == 200)
            #expect(ecs.json["TotalCount"] as? Int == 2)
            let first = try #require(ecs.path("Instances", "Instance", "0") as? [String: Any])
            #expect(first["ExpiredTime"] as? String == "2026-12-19T16:00Z")
            #expect(first["Status"] as? String == "Running")
            #expect(first["InstanceChargeType"] as? String == "PrePaid")
            #expect(first["AutoRenewEnabled"] as? Bool == false)
            #expect(ecs.path("Instances", "Instance", "1", "Status") as? String == "Expired")

            let rds = try await send(client, .rds, "DescribeDBInstanceAttribute", [("DBInstanceId", "rm-bp1sim0002")])
            let attribute = try #require(rds.path("Items", "DBInstanceAttribute", "0") as? [String: Any])
            #expect(attribute["ExpireTime"] as? String == "2026-12-23T16:00:00Z")
            #expect(attribute["DBInstanceStatus"] as? String == "Running")
            #expect(attribute["PayType"] as? String == "Prepaid")
            #expect(attribute["AutoRenew"] as? String == "True")
            #expect(try await send(client, .rds, "DescribeDBInstanceAttribute", [("DBInstanceId", "rm-nope")]).code
                    == "InvalidDBInstanceId.NotFound")

            let renewECS = try await send(client, .ecs, "RenewInstance",
                                          [("RegionId", "cn-hangzhou"), ("InstanceId", "i-bp1sim0001"), ("Period", "1"),
                                           ("PeriodUnit", "Month"), ("ClientToken", "ecs-1")])
            let ecsOrder = try #require(renewECS.json["OrderId"] as? String)
            let renewRDS = try await send(client, .rds, "RenewInstance",
                                          [("DBInstanceId", "rm-bp1sim0002"), ("Period", "3"), ("ClientToken", "rds-1")])
            let rdsOrder = try #require(renewRDS.json["OrderId"] as? String)
            for (id, product) in [(ecsOrder, "ecs"), (rdsOrder, "rds")] {
                let detail = try await send(client, .bss, "GetOrderDetail", [("OrderId", id)])
                #expect(detail.path("Data", "OrderList", "Order", "0", "ProductCode") as? String == product)
                #expect(detail.path("Data", "OrderList", "Order", "0", "PaymentStatus") as? String == "Paid")
            }
            let after = try await send(client, .rds, "DescribeDBInstanceAttribute", [("DBInstanceId", "rm-bp1sim0002")])
            #expect(after.path("Items", "DBInstanceAttribute", "0", "ExpireTime") as? String == "2027-03-23T16:00:00Z")
            let ecsAfter = try await send(client, .ecs, "DescribeInstances", [("RegionId", "cn-hangzhou"), ("InstanceIds", "[\"i-bp1sim0001\"]")])
            #expect(ecsAfter.path("Instances", "Instance", "0", "ExpiredTime") as? String == "2027-01-19T16:00Z")
        }
    }

    @Test func badInstancesAndParametersAreRefused() async throws {
        let sim = try await simulator()
        try await sim.application().test(.router) { client in
            let expired = try await send(client, .bss, "RenewInstance",
                                         [("ProductCode", "ecs"), ("InstanceId", "i-bp1sim0004"), ("RenewPeriod", "12"), ("ClientToken", "x1")])
            #expect(expired.status == 400)
            #expect(expired.code == "Instance.StatusError")
            let unknown = try await send(client, .bss, "RenewInstance",
                                         [("ProductCode", "ecs"), ("InstanceId", "i-nope"), ("RenewPeriod", "12"), ("ClientToken", "x2")])
            #expect(unknown.code == "InvalidInstance.NotFound")
            let wrongProduct = try await send(client, .bss, "RenewInstance",
                                              [("ProductCode", "rds"), ("InstanceId", "i-bp1sim0001"), ("RenewPeriod", "12"), ("ClientToken", "x3")])
            #expect(wrongProduct.code == "InvalidInstance.NotFound")
            let badPeriod = try await send(client, .bss, "RenewInstance",
                                           [("ProductCode", "ecs"), ("InstanceId", "i-bp1sim0001"), ("RenewPeriod", "11"), ("ClientToken", "x4")])
            #expect(badPeriod.code == "InvalidParameter")
            let longToken = try await send(client, .bss, "RenewInstance",
                                           [("ProductCode", "ecs"), ("InstanceId", "i-bp1sim0001"), ("RenewPeriod", "12"),
                                            ("ClientToken", String(repeating: "t", count: 65))])
            #expect(longToken.code == "InvalidParameter")
            let badIds = try await send(client, .ecs, "DescribeInstances", [("RegionId", "cn-hangzhou"), ("InstanceIds", "i-1,i-2")])
            #expect(badIds.code == "InvalidParameter")
            let tooMany = try await send(client, .bss, "QueryAvailableInstances",
                                         [("InstanceIDs", (1...101).map { "i-\($0)" }.joined(separator: ","))])
            #expect(tooMany.code == "InvalidParameter")
        }
    }

    @Test func aLostAnswerLeavesTheOrderMadeAndTheRetryGetsIt() async throws {
        let sim = try await simulator { $0.faults.lostAnswer = 1; $0.reviewBusinessDays = 1 }
        try await sim.application().test(.router) { client in
            let lost = try await renewECS(client, token: "lost-1")
            #expect(lost.status == 503)
            #expect(lost.code == "ServiceUnavailable")
            let retry = try await renewECS(client, token: "lost-1")
            #expect(retry.status == 200)
            let orderId = try #require(retry.path("Data", "OrderId") as? String)
            try await setClock(client, "2026-12-04")
            #expect(try await order(client, orderId)?["PaymentStatus"] as? String == "Paid")
            #expect(try await endTime(client) == "2027-12-19T16:00:00Z")
            let stats = try await control(client, .get, "/_simulator/stats")
            #expect(stats.json["orders_total"] as? Int == 1)
            #expect(stats.json["orders_paid"] as? Int == 1)
            #expect(stats.json["lost_answers"] as? Int == 1)
            #expect(stats.json["duplicate_submissions"] as? Int == 1)
        }
    }

    @Test func throttlingCarriesRetryAfter() async throws {
        let sim = try await simulator { $0.throttleRate = 1; $0.throttleRetryAfterMilliseconds = 1_500 }
        try await sim.application().test(.router) { client in
            let throttled = try await renewECS(client, token: "t-1")
            #expect(throttled.status == 400)
            #expect(throttled.code == "Throttling.User")
            #expect(throttled.headers["x-acs-retry-after"] == "1500")
        }
        #expect(await sim.stats.value("throttled") == 1)
        #expect(try await sim.state.totals().orders == 0)

        // One request per 20 s: the second is throttled however slowly a loaded machine sends it.
        let limited = try await simulator { $0.requestsPerSecond = 0.05 }
        try await limited.application().test(.router) { client in
            #expect(try await send(client, .bss, "QueryAvailableInstances", [("InstanceIDs", "i-bp1sim0001")]).status == 200)
            let second = try await send(client, .bss, "QueryAvailableInstances", [("InstanceIDs", "i-bp1sim0001")])
            #expect(second.code == "Throttling.User")
            let wait = try #require(second.headers["x-acs-retry-after"].flatMap { Int($0) })
            #expect(wait > 0 && wait <= 20_000)
            // Another account has its own budget.
            #expect(try await send(client, .bss, "QueryAvailableInstances", [("InstanceIDs", "i-bp1sim0001")], credentials: bob).status == 200)
        }
    }

    @Test func injectedFaultsAnswer503And500() async throws {
        let unavailable = try await simulator { $0.faults.serviceUnavailable = 1 }
        try await unavailable.application().test(.router) { client in
            let result = try await renewECS(client, token: "f-1")
            #expect(result.status == 503)
            #expect(result.code == "ServiceUnavailable")
        }
        #expect(try await unavailable.state.totals().orders == 0)
        let internalError = try await simulator { $0.faults.internalError = 1 }
        try await internalError.application().test(.router) { client in
            let result = try await renewECS(client, token: "f-2")
            #expect(result.status == 500)
            #expect(result.code == "InternalError")
        }
        #expect(await internalError.stats.value("faults.internal_error") == 1)
    }

    @Test func theSameSeedGivesTheSameDecisions() async throws {
        func decisions(seed: UInt64) async throws -> [String] {
            let sim = try await simulator { $0.seed = seed; $0.reviewBusinessDays = 0; $0.rejectionRates = [.violation: 0.5] }
            return try await sim.application().test(.router) { client in
                var out: [String] = []
                for index in 0..<12 {
                    let made = try await renewECS(client, token: "seed-\(index)")
                    let id = made.path("Data", "OrderId") as? String ?? ""
                    out.append(try await order(client, id)?["PaymentStatus"] as? String ?? "?")
                }
                return out
            }
        }
        let first = try await decisions(seed: 11)
        #expect(try await decisions(seed: 11) == first)
        #expect(first.contains("Paid") && first.contains("Cancelled"))
    }

    @Test func theControlPlaneLoadsServicesCSVAndSetsTheClock() async throws {
        let sim = try await CloudSimulator(settings: settings())
        try await sim.application().test(.router) { client in
            let loaded = try await control(client, .post, "/_simulator/instances", body: servicesCSV)
            #expect(loaded.json["added"] as? Int == 4)
            let again = try await control(client, .post, "/_simulator/instances", body: servicesCSV)
            #expect(again.json["added"] as? Int == 0)
            #expect(again.json["instances"] as? Int == 4)
            let bad = try await control(client, .post, "/_simulator/instances", body: "company_ref,service_ref\nC1,S1\n")
            #expect(bad.status == 400)
            #expect((bad.json["problems"] as? [Any])?.isEmpty == false)
            let list = try await control(client, .get, "/_simulator/instances")
            let products = (list.json["instances"] as? [[String: Any]])?.compactMap { $0["product"] as? String }
            #expect(products == ["ecs", "ecs", "oss", "rds"])
            try await setClock(client, "2026-12-31")
            #expect(try await control(client, .get, "/_simulator/clock").json["business_date"] as? String == "2026-12-31")
            #expect(try await control(client, .post, "/_simulator/clock", body: "{\"business_date\": \"2026-13-01\"}").status == 400)
            let today = try await control(client, .post, "/_simulator/clock", body: "{}")
            #expect(today.json["business_date"] as? String == RealClock.now().chinaDate.description)
        }
    }
}
