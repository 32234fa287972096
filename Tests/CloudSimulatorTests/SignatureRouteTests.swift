import Foundation
import HummingbirdTesting
import NianjianAliyun
import NianjianCloudSimulator
import NianjianDomain
import Testing

/// In process (HummingbirdTesting's router client): what the simulator accepts and refuses at the door.
@Suite("cloud simulator: signatures")
struct SignatureRouteTests {
    let query: [(String, String)] = [("ProductCode", "ecs"), ("InstanceIDs", "i-bp1sim0001,i-bp1sim0004")]

    @Test func aValidSignatureIsAcceptedAndAnswersInTheCloudsShape() async throws {
        let sim = try await simulator()
        try await sim.application().test(.router) { client in
            let result = try await send(client, .bss, "QueryAvailableInstances", query)
            #expect(result.status == 200)
            #expect(result.code == "Success")
            #expect(result.json["Success"] as? Bool == true)
            let requestId = try #require(result.json["RequestId"] as? String)
            #expect(result.headers["x-acs-request-id"] == requestId)
            #expect(result.path("Data", "TotalCount") as? Int == 2)
            let first = try #require(result.path("Data", "InstanceList", "0") as? [String: Any])
            #expect(first["InstanceID"] as? String == "i-bp1sim0001")
            #expect(first["ProductCode"] as? String == "ecs")
            #expect(first["Region"] as? String == "cn-hangzhou")
            // Expires 2026-12-20: the instant China's 12-21 begins.
            #expect(first["EndTime"] as? String == "2026-12-19T16:00:00Z")
            #expect(first["Status"] as? String == "Normal")
            #expect(first["RenewStatus"] as? String == "ManualRenewal")
            let second = try #require(result.path("Data", "InstanceList", "1") as? [String: Any])
            #expect(second["Status"] as? String == "Expired")
            // Percent-encoded values (a space, Chinese, `*`) survive the round trip.
            let odd = try await send(client, .bss, "QueryAvailableInstances",
                                     [("ProductCode", "ecs"), ("Region", "华东 1*"), ("InstanceIDs", "i-bp1sim0001")])
            #expect(odd.status == 200)
            #expect(odd.path("Data", "TotalCount") as? Int == 0)
        }
        #expect(await sim.stats.value("signatures_verified") == 2)
    }

    @Test func eachBadSignatureIsRefusedWithItsCode() async throws {
        let sim = try await simulator()
        try await sim.application().test(.router) { client in
            let wrongSecret = AliyunCredentials(accessKeyId: alice.accessKeyId, accessKeySecret: "not-the-secret")
            let mismatch = try await send(client, .bss, "QueryAvailableInstances", query, credentials: wrongSecret)
            #expect(mismatch.status == 400)
            #expect(mismatch.code == "SignatureDoesNotMatch")
            #expect(mismatch.json["RequestId"] is String)
            #expect(mismatch.json["HostId"] as? String == "localhost")
            #expect(mismatch.json["Message"] is String && mismatch.json["Recommend"] is String)

            let stranger = AliyunCredentials(accessKeyId: "LTAI5tNobodyKnows", accessKeySecret: "x")
            let unknown = try await send(client, .bss, "QueryAvailableInstances", query, credentials: stranger)
            #expect(unknown.status == 404)
            #expect(unknown.code == "InvalidAccessKeyId.NotFound")

            let tampered = try await send(client, .bss, "QueryAvailableInstances", query,
                                          sentQuery: [("ProductCode", "rds"), ("InstanceIDs", "i-bp1sim0001,i-bp1sim0004")])
            #expect(tampered.status == 400)
            #expect(tampered.code == "SignatureDoesNotMatch")
            let added = try await send(client, .bss, "QueryAvailableInstances", query, sentQuery: query + [("PageSize", "1")])
            #expect(added.code == "SignatureDoesNotMatch")

            let old = CloudTime.utc(RealClock.seconds() - 16 * 60, seconds: true)
            let expired = try await send(client, .bss, "QueryAvailableInstances", query, date: old)
            #expect(expired.status == 400)
            #expect(expired.code == "InvalidTimeStamp.Expired")
            let ahead = CloudTime.utc(RealClock.seconds() + 16 * 60, seconds: true)
            #expect(try await send(client, .bss, "QueryAvailableInstances", query, date: ahead).code == "InvalidTimeStamp.Expired")
            let recent = CloudTime.utc(RealClock.seconds() - 10 * 60, seconds: true)
            #expect(try await send(client, .bss, "QueryAvailableInstances", query, date: recent).status == 200)

            let nonce = UUID().uuidString
            #expect(try await send(client, .bss, "QueryAvailableInstances", query, nonce: nonce).status == 200)
            let reused = try await send(client, .bss, "QueryAvailableInstances", query, nonce: nonce)
            #expect(reused.status == 400)
            #expect(reused.code == "SignatureNonceUsed")
            // A refused signature does not burn the nonce of the caller it imitates.
            let fresh = UUID().uuidString
            _ = try await send(client, .bss, "QueryAvailableInstances", query, credentials: wrongSecret, nonce: fresh)
            #expect(try await send(client, .bss, "QueryAvailableInstances", query, nonce: fresh).status == 200)

            let unsigned = try await client.execute(uri: "/?Action=QueryAvailableInstances", method: .post) { try answer($0) }
            #expect(unsigned.status == 400)
            #expect(unsigned.code == "IncompleteSignature")

            let unknownAction = try await send(client, .bss, "DeleteEverything", [])
            #expect(unknownAction.status == 404)
            #expect(unknownAction.code == "InvalidAction.NotFound")
        }
        #expect(await sim.stats.value("rejected_signature") == 4)
        #expect(await sim.stats.value("rejected_unknown_key") == 1)
        #expect(await sim.stats.value("rejected_date") == 2)
        #expect(await sim.stats.value("rejected_nonce") == 1)
    }

    @Test func theVerifierDecodesTheQueryBeforeRebuilding() throws {
        let pairs = try SignatureVerifier.decodeQuery("b=%E5%8D%8E%20x&a=1%2A&empty=&flag")
        #expect(pairs.map(\.0) == ["b", "a", "empty", "flag"])
        #expect(pairs.map(\.1) == ["华 x", "1*", "", ""])
        #expect(throws: CloudError.self) { try SignatureVerifier.decodeQuery("a=%G1") }
        #expect(SignatureVerifier.parseDate("2026-12-01T02:03:04Z") == 1_796_090_584)
        #expect(SignatureVerifier.parseDate("2026-12-01 02:03:04") == nil)
    }
}
