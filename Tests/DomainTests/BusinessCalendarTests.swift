import PropertyBased
import Testing
@testable import NianjianDomain

private func day(_ year: Int, _ month: Int, _ day: Int) -> CivilDate { CivilDate(year: year, month: month, day: day)! }

@Suite("Business calendar")
struct BusinessCalendarTests {
    let calendar = BusinessCalendar.china

    @Test func newYear2026() {
        // 元旦 2026: Jan 1–3 off, Sunday Jan 4 a make-up working day.
        #expect(!calendar.isBusinessDay(day(2026, 1, 1)))
        #expect(!calendar.isBusinessDay(day(2026, 1, 2)))
        #expect(!calendar.isBusinessDay(day(2026, 1, 3)))
        #expect(day(2026, 1, 4).isoWeekday == 7)
        #expect(calendar.isBusinessDay(day(2026, 1, 4)))
        #expect(calendar.listedOffDay(day(2026, 1, 4)) == false)
        #expect(calendar.isBusinessDay(day(2026, 1, 5)))
    }

    @Test func crossingTheYear() {
        #expect(calendar.isBusinessDay(day(2025, 12, 31)))
        #expect(calendar.adding(businessDays: 1, to: day(2025, 12, 31)) == day(2026, 1, 4))
        #expect(calendar.adding(businessDays: 2, to: day(2025, 12, 31)) == day(2026, 1, 5))
        #expect(calendar.businessDays(from: day(2025, 12, 31), to: day(2026, 1, 5)) == 2)
        #expect(calendar.adding(businessDays: -1, to: day(2026, 1, 4)) == day(2025, 12, 31))
        #expect(calendar.businessDays(from: day(2026, 1, 5), to: day(2025, 12, 31)) == -2)
    }

    @Test func springFestivalAndNationalDay() {
        // 2026-02-14 is a Saturday make-up day before 春节 (Feb 15–23 off).
        #expect(calendar.isBusinessDay(day(2026, 2, 14)))
        #expect(!calendar.isBusinessDay(day(2026, 2, 16)))
        #expect(calendar.adding(businessDays: 1, to: day(2026, 2, 14)) == day(2026, 2, 24))
        // 国庆节、中秋节 2025: Oct 1–8 off, Sunday Sep 28 and Saturday Oct 11 make-up days.
        #expect(calendar.isBusinessDay(day(2025, 9, 28)))
        #expect(calendar.adding(businessDays: 1, to: day(2025, 9, 30)) == day(2025, 10, 9))
        #expect(calendar.isBusinessDay(day(2025, 10, 11)))
        // 2024 National Day: Oct 1–7 off, Sep 29 and Oct 12 worked.
        #expect(calendar.businessDays(from: day(2024, 9, 27), to: day(2024, 10, 12)) == 7)  // 9/29, 9/30, 10/8–10/11, 10/12
    }

    @Test func coverageAndFallback() {
        #expect(calendar.hasData(for: 2024) && calendar.hasData(for: 2025) && calendar.hasData(for: 2026))
        #expect(!calendar.hasData(for: 2027))  // the 2027 notice is not out: empty file
        #expect(!calendar.hasData(for: 2023))
        // 2027-01-01 is a Friday: with no data it counts as a working day, and the calendar says so.
        #expect(calendar.isBusinessDay(day(2027, 1, 1)))
        #expect(calendar.adding(businessDays: 1, to: day(2026, 12, 31)) == day(2027, 1, 1))
        #expect(!calendar.isBusinessDay(day(2027, 1, 2)))
        #expect(calendar.warnings(from: day(2026, 12, 1), to: day(2026, 12, 31)).isEmpty)
        let warnings = calendar.warnings(from: day(2026, 12, 1), to: day(2027, 1, 31))
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("2027") == true)
        #expect(calendar.missingYears(from: day(2022, 1, 1), to: day(2028, 1, 1)) == [2022, 2023, 2027, 2028])
        // Far outside any data: weekdays, no crash.
        #expect(calendar.adding(businessDays: 5, to: day(2100, 1, 1)) == day(2100, 1, 8))
    }

    @Test func decemberDatesFromNextYearsNoticeAreMerged() {
        let notices = [
            HolidayNotice(year: 2030, papers: ["https://example.invalid/2030"], days: [
                HolidayEntry(date: "2029-12-31", name: "元旦", isOffDay: true),
                HolidayEntry(date: "2029-12-29", name: "元旦", isOffDay: false),
                HolidayEntry(date: "2030-01-01", name: "元旦", isOffDay: true),
            ]),
        ]
        let custom = BusinessCalendar(notices: notices)
        #expect(!custom.isBusinessDay(day(2029, 12, 31)))  // a Monday, off by the 2030 notice
        #expect(custom.isBusinessDay(day(2029, 12, 29)))  // a Saturday, worked
        #expect(custom.hasData(for: 2030) && !custom.hasData(for: 2029))
    }

    @Test func embeddedDataKeepsItsSources() {
        for notice in HolidayData.notices where !notice.days.isEmpty {
            #expect(notice.papers.allSatisfy { $0.hasPrefix("https://www.gov.cn/") })
            #expect(notice.days.allSatisfy { CivilDate(iso: $0.date) != nil })
        }
        #expect(HolidayData.notices.map(\.year) == [2024, 2025, 2026, 2027])
    }

    @Test func addingAndCountingAreInverse() async {
        let calendar = self.calendar
        let origin = day(2023, 6, 1)
        await propertyCheck(count: 300, input: Gen.int(in: 0...1600), Gen.int(in: -80...80)) { offset, count in
            let start = origin.adding(days: offset)
            let end = calendar.adding(businessDays: count, to: start)
            #expect(calendar.businessDays(from: start, to: end) == count)
            if count != 0 { #expect(calendar.isBusinessDay(end)) }
            #expect(count >= 0 ? end >= start : end < start)
        }
    }

    @Test func countingThenAddingLandsOnTheLastBusinessDay() async {
        let calendar = self.calendar
        let origin = day(2024, 1, 1)
        await propertyCheck(count: 300, input: Gen.int(in: 0...1200), Gen.int(in: 0...60)) { offset, span in
            let start = origin.adding(days: offset)
            let end = start.adding(days: span)
            let count = calendar.businessDays(from: start, to: end)
            let landed = calendar.adding(businessDays: count, to: start)
            #expect(landed <= end)
            // No business day between the landing day and the end.
            var probe = landed.adding(days: 1)
            while probe <= end { #expect(!calendar.isBusinessDay(probe)); probe = probe.adding(days: 1) }
        }
    }
}
