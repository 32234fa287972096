import NianjianDomain
@testable import NianjianMockConsole
import Testing

@Suite("Mock tickets")
struct MockTicketTests {
    /// The ticket carries the decision (a poll by another process reads it back) and is the same for the same
    /// account, key and date.
    @Test func ticketCarriesItsDecision() throws {
        let date = try #require(CivilDate(year: 2027, month: 3, day: 5))
        for rejection in [nil] + RejectionReason.allCases.map(Optional.some) {
            let ticket = MockTicket.make(account: "acct", idempotencyKey: "t1-i2-c2026-g0", decidedOn: date, rejection: rejection)
            #expect(ticket.hasPrefix("T") && ticket.contains("-20270305-"))
            let decision = try #require(MockTicket.decision(of: ticket))
            #expect(decision.decidedOn == date && decision.rejection == rejection)
            #expect(ticket == MockTicket.make(account: "acct", idempotencyKey: "t1-i2-c2026-g0", decidedOn: date, rejection: rejection))
        }
        #expect(MockTicket.make(account: "a", idempotencyKey: "k", decidedOn: date, rejection: nil)
                != MockTicket.make(account: "b", idempotencyKey: "k", decidedOn: date, rejection: nil))
    }

    /// Hashing the parts is hashing the joined text (the decisions of a seed stay what they were).
    @Test func partsHashLikeTheirJoinedText() {
        #expect(stableHash("acct", "key") == stableHash("acct/key"))
        #expect(stableHash("acct", "fp", "g3"[...]) == stableHash("acct/fp/g3"))
        #expect(stableHash("") == 0xcbf2_9ce4_8422_2325)
    }
}
