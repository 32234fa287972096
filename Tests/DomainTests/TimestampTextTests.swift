import Foundation
import Testing
@testable import NianjianDomain

@Suite("Timestamp text")
struct TimestampTextTests {
    @Test func knownInstants() {
        #expect(Timestamp(microseconds: 0).description == "1970-01-01T00:00:00.000000Z")
        #expect(Timestamp(microseconds: 1_796_061_600_000_123).description == "2026-11-30T18:00:00.000123Z")
        #expect(Timestamp(microseconds: -1).description == "1969-12-31T23:59:59.999999Z")
    }

    /// The digit-by-digit text agrees with Foundation's ISO 8601 formatter (to the second) and carries the
    /// microseconds, over instants from 1600 to 9999 (Foundation is Julian before 1582; we, like PostgreSQL,
    /// are proleptic Gregorian).
    @Test func agreesWithFoundationOverRandomInstants() {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        var random = SeededRandom(seed: 20261202)
        for _ in 0..<5_000 {
            // -11,676,096,000 s is 1600-01-01; 253,402,300,799 s is 9999-12-31T23:59:59.
            let seconds = Int64(random.unit() * Double(253_402_300_799 + 11_676_096_000)) - 11_676_096_000
            let micros = Int64(random.unit() * 999_999)
            let text = Timestamp(microseconds: seconds * 1_000_000 + micros).description
            let expected = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
            #expect(text.count == 27)
            #expect(String(text.prefix(19)) + "Z" == expected, "\(seconds)")
            #expect(text.dropFirst(20).prefix(6) == String(format: "%06lld", micros)[...])
        }
    }
}
