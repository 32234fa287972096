import Foundation
import NianjianDomain
@testable import NianjianRunner
import Testing

/// The findings column is written by hand (`FindingsJSON`); reports and the web console decode it with
/// `Finding`'s Codable. Both must agree on every rule and every optional field, whatever the texts hold.
@Suite("findings JSON")
struct FindingsJSONTests {
    static let awkward = ["plain", "引号\"与\\反斜杠", "line\nbreak\ttab", "a/b", "\u{1}ctl", "年检 2026", ""]

    @Test func everyRuleRoundTripsThroughCodable() throws {
        var findings: [Finding] = []
        for (index, code) in FindingCode.allCases.enumerated() {
            let text = Self.awkward[index % Self.awkward.count]
            findings.append(Finding(code, document: index % 3 == 0 ? .businessLicense : nil, number: index % 2 == 0 ? text : nil,
                                    contract: index % 4 == 1 ? "HT-\(text)" : nil, service: index % 5 == 2 ? "svc/\(index)" : nil,
                                    detailZh: text, detailEn: text))
        }
        let decoded = try JSONDecoder().decode([Finding].self, from: Data(FindingsJSON.encode(findings).utf8))
        #expect(decoded == findings)
        #expect(FindingsJSON.encode([]) == "[]")
    }

    /// The same JSON values as Foundation's encoder writes (key order aside).
    @Test func sameValuesAsJSONEncoder() throws {
        let findings = FindingCode.allCases.prefix(12).map { Finding($0, contract: "C\"1", detailZh: "说明", detailEn: "x\\y") }
        let ours = try JSONSerialization.jsonObject(with: Data(FindingsJSON.encode(findings).utf8)) as? NSArray
        let theirs = try JSONSerialization.jsonObject(with: JSONEncoder().encode(findings)) as? NSArray
        #expect(ours != nil && ours == theirs)
    }
}
