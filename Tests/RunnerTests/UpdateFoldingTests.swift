import NianjianDomain
@testable import NianjianRunner
import NianjianStore
import Testing

/// `InspectionUpdate.folded(after:)`: two transitions of one claim written as one.
@Suite("folding a transition into the next write")
struct UpdateFoldingTests {
    static let submitTime = Timestamp(microseconds: 1_800_000_000_000_000)
    static let pollTime = Timestamp(microseconds: 1_800_000_002_500_000)

    static func update(from: InspectionState, to: InspectionState, kind: String, at: Timestamp, findings: String? = nil,
                       submitted: Bool = false, decided: Bool = false, release: Bool) -> InspectionUpdate {
        InspectionUpdate(key: InspectionKey(tenantId: 3, id: 41), leaseToken: 77, from: from, to: to, attempts: 1, generation: 0,
                         idempotencyKey: "nj-3-41-2026-g0", ticket: to == .submitting ? nil : "T1", nextAttemptAt: nil,
                         nextPollAt: to == .inReview ? at : nil, findingsJSON: findings, rejectionReason: nil, lastError: nil,
                         releaseLease: release, eventKind: kind, eventDetailJSON: "{\"detail\":\"\(kind)\"}", businessAt: at,
                         markSubmitted: submitted, markDecided: decided)
    }

    @Test func aSubmissionFoldedIntoItsApprovalKeepsBothEventsAndTimes() {
        let submitted = Self.update(from: .submitting, to: .inReview, kind: "submitted", at: Self.submitTime, submitted: true,
                                    release: false)
        let approved = Self.update(from: .inReview, to: .approved, kind: "approved", at: Self.pollTime, decided: true, release: true)
        let folded = approved.folded(after: submitted)
        #expect(folded.from == .submitting && folded.to == .approved && folded.eventFrom == .inReview)
        #expect(folded.earlierEvents == [EarlierEvent(kind: "submitted", from: .submitting, to: .inReview,
                                                      detailJSON: "{\"detail\":\"submitted\"}", businessAt: Self.submitTime)])
        #expect(folded.markSubmitted && folded.submittedAt == Self.submitTime)
        #expect(folded.markDecided && folded.businessAt == Self.pollTime && folded.releaseLease)
        #expect(folded.ticket == "T1" && folded.leaseToken == 77)
        // Unfolded, an update's event starts where the row does.
        #expect(approved.eventFrom == .inReview && approved.earlierEvents.isEmpty && approved.submittedAt == nil)
    }

    @Test func foldingTwiceKeepsTheChainInOrder() {
        let validated = Self.update(from: .pending, to: .submitting, kind: "validated", at: Self.submitTime, findings: "[]", release: false)
        let submitted = Self.update(from: .submitting, to: .inReview, kind: "submitted", at: Self.submitTime, submitted: true,
                                    release: false)
        let polled = Self.update(from: .inReview, to: .inReview, kind: "polled", at: Self.pollTime, release: true)
        let folded = polled.folded(after: submitted.folded(after: validated))
        #expect(folded.from == .pending && folded.to == .inReview)
        #expect(folded.earlierEvents.map(\.kind) == ["validated", "submitted"])
        #expect(zip(folded.earlierEvents, folded.earlierEvents.dropFirst()).allSatisfy { $0.to == $1.from })
        #expect(folded.earlierEvents.last?.to == folded.eventFrom)
        // The findings of the validation are kept when a later step has none of its own.
        #expect(folded.findingsJSON == "[]")
        #expect(!folded.markDecided)
    }
}

/// An event's detail is the same JSON whichever way it is built, for any detail text.
@Suite("event detail JSON")
struct EventDetailTests {
    @Test func theDirectDetailMatchesTheGeneralObject() {
        var generator = SystemRandomNumberGenerator()
        let pieces = ["", "ticket T1", "引号\"与\\反斜杠", "\n\t", "\u{1}", "😀", "</script>", "a,b:c"]
        for _ in 0..<500 {
            let detail = (0..<Int.random(in: 0...4, using: &generator)).map { _ in pieces.randomElement(using: &generator) ?? "" }.joined()
            let runner = "host-\(Int.random(in: 0...99_999, using: &generator))-\(pieces.randomElement(using: &generator) ?? "")"
            #expect(JSONText.eventDetail(detail, runnerLiteral: JSONText.string(runner))
                    == JSONText.object(["detail": detail, "runner": runner]))
        }
    }
}
