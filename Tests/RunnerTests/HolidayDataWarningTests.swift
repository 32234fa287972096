import Foundation
import NianjianDomain
import NianjianOperations
import NianjianStore
import NianjianTestSupport
import Testing

/// A night whose reviews and polls reach a year without published holidays (2027 in the embedded data) says
/// so in its log: its business days count Monday to Friday only. A night well inside covered years says nothing.
@Suite("holiday data warnings")
struct HolidayDataWarningTests {
    @Test func aNightReachingAYearWithoutHolidayDataWarns() throws {
        let handle = try TestDatabase.fresh()
        defer { handle.drop() }
        let database = handle.open(maximumConnections: 2)
        defer { database.close() }
        try Scenario.load(database, tenants: [.init(slug: "cal", companies: 3)])
        let job = testJob()
        #expect(!BusinessCalendar.china.hasData(for: 2027), "2027's notice is not published in the embedded data")
        let late = LogCapture()
        _ = try Nightly.run(database: database, job: job, asOf: CivilDate(year: 2026, month: 12, day: 21),
                            logger: late.logger(label: "test.calendar"))
        #expect(late.count(containing: "no public holiday data for 2027") == 1)
        let early = LogCapture()
        _ = try Nightly.run(database: database, job: job, asOf: CivilDate(year: 2026, month: 3, day: 2),
                            logger: early.logger(label: "test.calendar"))
        #expect(early.count(containing: "no public holiday data") == 0)
    }
}
