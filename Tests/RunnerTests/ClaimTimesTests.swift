@testable import NianjianRunner
import Testing

/// What `bench memory` compares: every claim that returned work, and the full-batch ones apart.
@Suite("claim times")
struct ClaimTimesTests {
    @Test func fullClaimsAreCountedApartFromPartialOnes() {
        var times = ClaimTimes()
        times.record(returned: 250, asked: 1000, seconds: 0.02)   // a run's first claim: a quarter batch
        times.record(returned: 1000, asked: 1000, seconds: 0.10)
        times.record(returned: 1000, asked: 1000, seconds: 0.12)
        times.record(returned: 0, asked: 1000, seconds: 0.01)     // nothing due: not a claim with work
        times.record(returned: 400, asked: 1000, seconds: 0.05)   // the tail
        #expect(times.withWork == 4 && times.full == 2)
        #expect(abs(times.meanFullMilliseconds - 110) < 1e-9)
        #expect(abs(times.meanMilliseconds - 72.5) < 1e-9)
        #expect(ClaimTimes().meanMilliseconds == 0 && ClaimTimes().meanFullMilliseconds == 0)
    }
}
