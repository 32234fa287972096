// Working days in mainland China: Monday–Friday, minus public holidays, plus make-up working days (调休).
// The facts come from the State Council notices (HolidayData.swift). A year without a notice falls back to
// plain weekdays, and the calendar says so through `warnings(from:to:)` instead of failing.

/// One notice (one source file): the year it governs, its source papers, and its dated entries.
public struct HolidayNotice: Sendable, Hashable {
    public let year: Int
    public let papers: [String]
    /// The dated entries of the notice (holidays and make-up working days).
    public let days: [HolidayEntry]

    public init(year: Int, papers: [String], days: [HolidayEntry]) {
        self.year = year; self.papers = papers; self.days = days
    }
}

public struct HolidayEntry: Sendable, Hashable {
    public let date: String
    public let name: String
    public let isOffDay: Bool

    public init(date: String, name: String, isOffDay: Bool) {
        self.date = date; self.name = name; self.isOffDay = isOffDay
    }
}

public struct BusinessCalendar: Sendable, Hashable {
    /// Days since 1970-01-01 → true for a holiday, false for a make-up working day.
    private let overrides: [Int: Bool]
    /// Years whose notice is known: only there are holidays trusted.
    public let coveredYears: Set<Int>

    public init(offDays: Set<CivilDate>, makeUpWorkdays: Set<CivilDate>, coveredYears: Set<Int>) {
        var overrides: [Int: Bool] = [:]
        for day in offDays { overrides[day.daysSinceEpoch] = true }
        for day in makeUpWorkdays { overrides[day.daysSinceEpoch] = false }
        self.overrides = overrides
        self.coveredYears = coveredYears
    }

    /// A calendar from notices: all entries merged by date (a notice may list the previous December), a
    /// year covered when its notice lists any day.
    public init(notices: [HolidayNotice]) {
        var offDays = Set<CivilDate>()
        var workdays = Set<CivilDate>()
        var covered = Set<Int>()
        for notice in notices {
            if !notice.days.isEmpty { covered.insert(notice.year) }
            for entry in notice.days {
                guard let date = CivilDate(iso: entry.date) else { continue }
                if entry.isOffDay { offDays.insert(date) } else { workdays.insert(date) }
            }
        }
        self.init(offDays: offDays, makeUpWorkdays: workdays, coveredYears: covered)
    }

    /// Mainland China, from the notices embedded in this build.
    public static let china = BusinessCalendar(notices: HolidayData.notices)

    /// Monday–Friday only: no holidays known.
    public static let weekdaysOnly = BusinessCalendar(offDays: [], makeUpWorkdays: [], coveredYears: [])

    public func hasData(for year: Int) -> Bool { coveredYears.contains(year) }

    /// A holiday or a make-up working day as listed; nil for an ordinary day.
    public func listedOffDay(_ date: CivilDate) -> Bool? { overrides[date.daysSinceEpoch] }

    public func isBusinessDay(_ date: CivilDate) -> Bool {
        if let isOff = overrides[date.daysSinceEpoch] { return !isOff }
        return !date.isWeekend
    }

    /// The n-th business day after `date` (before it when n < 0); `date` itself when n = 0.
    public func adding(businessDays count: Int, to date: CivilDate) -> CivilDate {
        var day = date.daysSinceEpoch
        var remaining = count.magnitude
        let step = count >= 0 ? 1 : -1
        while remaining > 0 {
            day += step
            if isBusinessDay(CivilDate(daysSinceEpoch: day)) { remaining -= 1 }
        }
        return CivilDate(daysSinceEpoch: day)
    }

    /// The business days stepped over going from `start` to `end`: those in (start, end], or, when `end`
    /// is earlier, minus those in [end, start). So `businessDays(from: d, to: adding(businessDays: n, to: d))
    /// == n` for every n, in both directions.
    public func businessDays(from start: CivilDate, to end: CivilDate) -> Int {
        let first = start.daysSinceEpoch
        let last = end.daysSinceEpoch
        let range = last >= first ? (first + 1)..<(last + 1) : last..<first
        var count = 0
        for day in range where isBusinessDay(CivilDate(daysSinceEpoch: day)) { count += 1 }
        return last >= first ? count : -count
    }

    /// Years in the range with no holiday data.
    public func missingYears(from start: CivilDate, to end: CivilDate) -> [Int] {
        let low = min(start.year, end.year)
        let high = max(start.year, end.year)
        return (low...high).filter { !coveredYears.contains($0) }
    }

    /// One sentence per year without data in the range: logged by the runner at the start of a night, never thrown.
    public func warnings(from start: CivilDate, to end: CivilDate) -> [String] {
        missingYears(from: start, to: end).map {
            "no public holiday data for \($0): business days there count Monday to Friday only (holidays and make-up working days unknown)"
        }
    }
}
