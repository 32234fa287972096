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
}
