import Testing
@testable import NianjianAliyun

@Suite("ACS3-HMAC-SHA256 signer")
struct SignerTests {
    /// Alibaba Cloud's published example for the V3 signature.
    @Test func publishedExample() {
        let request = ACS3Signer.Request(
            method: "POST", host: "ecs.cn-shanghai.aliyuncs.com", action: "RunInstances", version: "2014-05-26",
            query: [("ImageId", "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd"), ("RegionId", "cn-shanghai")],
            body: [], date: "2023-10-26T10:22:32Z", nonce: "3156853299f313e23d1673dc12e1703d")
        let signed = ACS3Signer().sign(request, credentials: AliyunCredentials(accessKeyId: "YourAccessKeyId",
                                                                                accessKeySecret: "YourAccessKeySecret"))
        #expect(signed.signature == "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0", "\(signed.canonicalRequest)")
        #expect(signed.header("authorization") == "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0")
        #expect(signed.header("x-acs-content-sha256") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    /// Query encoding by RFC 3986: space %20, `*` %2A, `~` kept, empty values kept as `name=`, UTF-8 bytes of
    /// Chinese text escaped; the signature cross-checked with an independent implementation (Python's
    /// hashlib/hmac/urllib over the same canonical rules).
    @Test func encodingVectors() {
        #expect(ACS3Signer.percentEncode("a b*c~d") == "a%20b%2Ac~d")
        #expect(ACS3Signer.percentEncode("杭州") == "%E6%9D%AD%E5%B7%9E")
        #expect(ACS3Signer.percentEncode("A-Z_a.z~0/9+=") == "A-Z_a.z~0%2F9%2B%3D")
        let request = ACS3Signer.Request(
            host: "business.aliyuncs.com", action: "RenewInstance", version: "2017-12-14",
            query: [("Remark", "a b*c~d"), ("Empty", ""), ("Name", "杭州 云帆"), ("ClientToken", "nj-1-2-2026-g0"), ("InstanceId", "i-bp1")],
            date: "2026-12-01T01:02:03Z", nonce: "abc123")
        let signed = ACS3Signer().sign(request, credentials: AliyunCredentials(accessKeyId: "LTAI5tTestKey", accessKeySecret: "s3cr3t/+="))
        #expect(ACS3Signer.canonicalQuery(request.query)
                == "ClientToken=nj-1-2-2026-g0&Empty=&InstanceId=i-bp1&Name=%E6%9D%AD%E5%B7%9E%20%E4%BA%91%E5%B8%86&Remark=a%20b%2Ac~d")
        #expect(signed.signature == "9486927ea9fd568c64991ea8760f10b0dbf2fcad8084daf09a7a94d1d72529aa", "\(signed.canonicalRequest)")
    }

    /// STS credentials sign `x-acs-security-token` too.
    @Test func securityTokenIsSigned() {
        let request = ACS3Signer.Request(host: "business.aliyuncs.com", action: "GetOrderDetail", version: "2017-12-14",
                                         query: [("OrderId", "2100001")], date: "2026-12-01T01:02:03Z", nonce: "n-2")
        let signed = ACS3Signer().sign(request, credentials: AliyunCredentials(accessKeyId: "STS.key", accessKeySecret: "sec",
                                                                                securityToken: "CAIS-token"))
        #expect(signed.signature == "156de1a987d9db1efc6668184ee8b6f20ac4366118d5f46a065b2416e205d144")
        #expect(signed.header("authorization")?.contains("SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version") == true)
        #expect(signed.header("x-acs-security-token") == "CAIS-token")
    }

    @Test func secretsNeverInDescriptions() {
        let credentials = AliyunCredentials(accessKeyId: "LTAI5tABCDEFGH1234", accessKeySecret: "TopSecretValue", securityToken: "TokenValue")
        #expect(credentials.maskedKeyId == "LTAI****1234")
        #expect(!"\(credentials)".contains("TopSecretValue") && !"\(credentials)".contains("TokenValue"))
        #expect(!String(reflecting: credentials).contains("TopSecretValue"))
        let environment = ["ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI5tABCDEFGH1234", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "TopSecretValue"]
        #expect(AliyunCredentials.fromEnvironment(environment)?.accessKeySecret == "TopSecretValue")
        #expect(AliyunCredentials.fromEnvironment(["ALIBABA_CLOUD_ACCESS_KEY_ID": "x"]) == nil)
    }
}
