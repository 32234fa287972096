import Foundation
import NianjianConsole
import NianjianDomain
import Testing
@testable import NianjianAliyun

@Suite("Alibaba Cloud answers")
struct ClassificationTests {
    enum Expected: Equatable { case throttled(Double), transient, permanent(String) }

    static func kind(_ error: ConsoleError) -> Expected {
        switch error.kind {
        case .throttled(let seconds): return .throttled(seconds)
        case .transient: return .transient
        case .permanent(let code): return .permanent(code)
        }
    }

    /// The classification table, row by row: (HTTP status, Code, x-acs-retry-after) → class.
    static let table: [(Int, String?, String?, Expected)] = [
        (400, "Throttling.User", nil, .throttled(1)),
        (400, "Throttling.Api", "2500", .throttled(2.5)),
        (400, "Throttling", nil, .throttled(1)),
        (200, nil, "800", .throttled(0.8)),
        (503, "ServiceUnavailable", nil, .transient),
        (500, "InternalError", nil, .transient),
        (502, nil, nil, .transient),
        (400, "ServiceUnavailable", nil, .transient),
        (400, "SignatureDoesNotMatch", nil, .permanent("SignatureDoesNotMatch")),
        (404, "InvalidAccessKeyId.NotFound", nil, .permanent("InvalidAccessKeyId.NotFound")),
        (403, "Forbidden.RAM", nil, .permanent("Forbidden.RAM")),
        (400, "InvalidParameter", nil, .permanent("InvalidParameter")),
        (400, "IdempotentParameterMismatch", nil, .permanent("IdempotentParameterMismatch")),
        (400, "InvalidTimeStamp.Expired", nil, .permanent("InvalidTimeStamp.Expired")),
        (404, nil, nil, .permanent("HTTP404")),
    ]

    @Test func classificationTable() {
        for (status, code, retryAfter, expected) in Self.table {
            let body = AliyunErrorBody(requestId: "RID-1", code: code, message: "msg", recommend: "https://api.aliyun.com/troubleshoot")
            let error = AliyunErrorClassifier.classify(status: status, body: body, retryAfterMilliseconds: retryAfter)
            #expect(Self.kind(error) == expected, "\(status) \(code ?? "-") \(retryAfter ?? "-")")
            #expect(error.message.contains("[RequestId RID-1]"), "the request id is kept: \(error.message)")
        }
        #expect(Self.kind(AliyunErrorClassifier.noAnswer("timed out after 10 s")) == .transient)
        let decoded = AliyunErrorBody.decode(Array(#"{"RequestId":"R","HostId":"business.aliyuncs.com","Code":"Forbidden.RAM","Message":"no","Recommend":"r"}"#.utf8))
        #expect(decoded?.code == "Forbidden.RAM" && decoded?.requestId == "R" && decoded?.hostId == "business.aliyuncs.com")
    }

    @Test func renewalsRouteByProduct() {
        let ecs = AliyunActions.renew(serviceType: "ECS", instanceId: "i-1", region: "cn-shanghai", months: 12, clientToken: "nj-k")
        #expect(ecs.api == .ecs && ecs.action == "RenewInstance")
        #expect(ecs.parameters == ["RegionId": "cn-shanghai", "InstanceId": "i-1", "Period": "12", "PeriodUnit": "Month", "ClientToken": "nj-k"])
        #expect(AliyunAPI.ecs.defaultEndpoint(region: "cn-shanghai") == "https://ecs.cn-shanghai.aliyuncs.com")
        #expect(AliyunAPI.rds.defaultEndpoint(region: "cn-hangzhou") == "https://rds.aliyuncs.com")
        #expect(AliyunAPI.rds.defaultEndpoint(region: "cn-zhangjiakou") == "https://rds.cn-zhangjiakou.aliyuncs.com")
        #expect(AliyunAPI.bss.defaultEndpoint(region: "eu-central-1") == "https://business.aliyuncs.com")
        let rds = AliyunActions.renew(serviceType: "rds", instanceId: "rm-1", region: "cn-hangzhou", months: 24, clientToken: "nj-k")
        #expect(rds.api == .rds && rds.parameters == ["DBInstanceId": "rm-1", "Period": "24", "ClientToken": "nj-k"])
        let oss = AliyunActions.renew(serviceType: "OSS", instanceId: "b-1", region: "cn-beijing", months: 36, clientToken: "nj-k")
        #expect(oss.api == .bss && oss.parameters == ["ProductCode": "oss", "InstanceId": "b-1", "RenewPeriod": "36", "ClientToken": "nj-k"])
        #expect(AliyunAPI.bss.version == "2017-12-14" && AliyunAPI.ecs.version == "2014-05-26" && AliyunAPI.rds.version == "2014-08-15")
        #expect(RenewPeriod.isAllowed(12) && RenewPeriod.isAllowed(9) && !RenewPeriod.isAllowed(10) && !RenewPeriod.isAllowed(48))
        let describe = AliyunActions.describe(serviceType: "ECS", instanceIds: ["i-1", "i-2"], region: "cn-shanghai")
        #expect(describe.action == "DescribeInstances" && describe.parameters["InstanceIds"] == #"["i-1","i-2"]"#)
        #expect(AliyunActions.describe(serviceType: "slb", instanceIds: ["a", "b"], region: "").parameters["InstanceIDs"] == "a,b")
    }

    @Test func answersRead() {
        #expect(AliyunActions.orderId(from: Array(#"{"RequestId":"R","Code":"Success","Data":{"OrderId":"210000001"}}"#.utf8)) == "210000001")
        #expect(AliyunActions.orderId(from: Array(#"{"RequestId":"R","OrderId":210000002}"#.utf8)) == "210000002")
        func order(_ status: String) -> [UInt8] {
            Array(#"{"Data":{"OrderList":{"Order":[{"OrderId":"1","PaymentStatus":"\#(status)"}]}}}"#.utf8)
        }
        #expect(AliyunActions.reviewStatus(from: order("Paid")) == .approved)
        #expect(AliyunActions.reviewStatus(from: order("paid")) == .approved)
        #expect(AliyunActions.reviewStatus(from: order("Unpaid")) == .reviewing)
        #expect(AliyunActions.reviewStatus(from: order("Cancelled")) == .rejected(.abnormalServiceStatus))
        #expect(AliyunActions.reviewStatus(from: order("canceled")) == .rejected(.abnormalServiceStatus))
        #expect(AliyunActions.reviewStatus(from: order("Bogus")) == nil)
        // A cancelled order's Remark is the console's message; one naming our reason gives that reason.
        func cancelled(_ remark: String) -> [UInt8] {
            Array(#"{"Data":{"OrderList":{"Order":[{"OrderId":"1","PaymentStatus":"Cancelled","Remark":"\#(remark)"}]}}}"#.utf8)
        }
        #expect(AliyunActions.reviewStatus(from: cancelled("violation: 存在违规行为 / violation"))
                == .rejected(.violation, message: "violation: 存在违规行为 / violation"))
        #expect(AliyunActions.reviewStatus(from: cancelled("Instance locked by risk control\\u0007"))
                == .rejected(.abnormalServiceStatus, message: "Instance locked by risk control"))
        #expect(AliyunActions.reviewStatus(from: cancelled("  ")) == .rejected(.abnormalServiceStatus))
        // A hostile remark: a bidi override and a zero-width space cannot reorder what a page or report shows.
        #expect(AliyunActions.reviewStatus(from: cancelled("abc\\u202Egnp.exe\\u200Bx"))
                == .rejected(.abnormalServiceStatus, message: "abc gnp.exe x"))
        // EndTime is an instant; its date in China time is the expiry.
        #expect(AliyunActions.chinaDate("2026-12-23T16:00:00Z") == CivilDate(year: 2026, month: 12, day: 24))
        #expect(AliyunActions.chinaDate("2026-12-23T15:59Z") == CivilDate(year: 2026, month: 12, day: 23))
        let bss = AliyunActions.instances(from: Array(#"{"Data":{"InstanceList":[{"InstanceID":"b-1","ProductCode":"oss","Status":"WaitForExpire","RenewStatus":"AutoRenewal","EndTime":"2026-12-23T16:00:00Z"},{"InstanceID":"b-2","Status":"Expired","RenewStatus":"ManualRenewal"}]}}"#.utf8), api: .bss)
        #expect(bss == [
            CloudInstanceStatus(instanceId: "b-1", status: .normal, statusText: "WaitForExpire", expiresOn: CivilDate(year: 2026, month: 12, day: 24), renewalMethod: .auto),
            CloudInstanceStatus(instanceId: "b-2", status: .expired, statusText: "Expired", expiresOn: nil, renewalMethod: .manual),
        ])
        let ecs = AliyunActions.instances(from: Array(#"{"Instances":{"Instance":[{"InstanceId":"i-1","Status":"Running","ExpiredTime":"2026-12-23T16:00Z","AutoRenewEnabled":false}]}}"#.utf8), api: .ecs)
        #expect(ecs?.first?.status == .normal && ecs?.first?.renewalMethod == .manual && ecs?.first?.expiresOn == CivilDate(year: 2026, month: 12, day: 24))
        let rds = AliyunActions.instances(from: Array(#"{"Items":{"DBInstanceAttribute":[{"DBInstanceId":"rm-1","DBInstanceStatus":"Locked","ExpireTime":"2027-01-09T16:00:00Z","AutoRenew":"True"}]}}"#.utf8), api: .rds)
        #expect(rds?.first?.status == .other && rds?.first?.statusText == "Locked" && rds?.first?.renewalMethod == .auto)
    }

    @Test func statusCheckFindings() {
        let service = Service(ref: "S1", consoleInstanceId: "i-1", serviceType: "ECS", region: "cn-shanghai",
                              expiresOn: CivilDate(year: 2026, month: 12, day: 24)!, renewalAmount: Money(fen: 100),
                              renewalMethod: .manual, contractNumber: "HT-1")
        #expect(ServiceStatusCheck.findings(for: service, cloud: nil).codes == ["console.instance_not_found"])
        let good = CloudInstanceStatus(instanceId: "i-1", status: .normal, statusText: "Running", expiresOn: service.expiresOn, renewalMethod: .manual)
        #expect(ServiceStatusCheck.findings(for: service, cloud: good).isEmpty)
        var bad = good
        bad.status = .expired; bad.statusText = "Expired"; bad.expiresOn = CivilDate(year: 2026, month: 11, day: 30); bad.renewalMethod = .auto
        let findings = ServiceStatusCheck.findings(for: service, cloud: bad)
        #expect(findings.codes == ["console.status_abnormal", "console.expiry_mismatch", "console.renewal_method_mismatch"])
        #expect(findings[1].messageEn.contains("2026-11-30") && findings[1].messageEn.contains("2026-12-24"))
        #expect(findings[0].severity == .error && findings[2].severity == .warning)
        #expect(findings.allSatisfy { $0.serviceRef == "S1" })
    }
}
