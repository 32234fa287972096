// Generated from /work/shared/reference/holidays-cn/*.json (holiday-cn project by NateScarlet, MIT;
// data from the State Council notices listed per year below). Regenerate when a new notice is published:
// every listed date becomes one entry; isOffDay true = holiday, false = make-up working day (调休).
// Files follow the notice's year, so an entry may fall in the previous December: entries are merged
// into one table by date in BusinessCalendar, never looked up by file.

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

public enum HolidayData {
    /// All notices known to this build. A notice with no days (e.g. 2027, not yet published) means
    /// the year has no data: the calendar falls back to weekdays and says so.
    public static let notices: [HolidayNotice] = [
        HolidayNotice(
            year: 2024,
            papers: ["https://www.gov.cn/zhengce/zhengceku/202310/content_6911528.htm"],
            days: [
                HolidayEntry(date: "2024-01-01", name: "元旦", isOffDay: true),
                HolidayEntry(date: "2024-02-04", name: "春节", isOffDay: false),
                HolidayEntry(date: "2024-02-10", name: "春节", isOffDay: true),
                HolidayEntry(date: "2024-02-11", name: "春节", isOffDay: true),
                HolidayEntry(date: "2024-02-12", name: "春节", isOffDay: true),
                HolidayEntry(date: "2024-02-13", name: "春节", isOffDay: true),
                HolidayEntry(date: "2024-02-14", name: "春节", isOffDay: true),
                HolidayEntry(date: "2024-02-15", name: "春节", isOffDay: true),
                HolidayEntry(date: "2024-02-16", name: "春节", isOffDay: true),
                HolidayEntry(date: "2024-02-17", name: "春节", isOffDay: true),
                HolidayEntry(date: "2024-02-18", name: "春节", isOffDay: false),
                HolidayEntry(date: "2024-04-04", name: "清明节", isOffDay: true),
                HolidayEntry(date: "2024-04-05", name: "清明节", isOffDay: true),
                HolidayEntry(date: "2024-04-06", name: "清明节", isOffDay: true),
                HolidayEntry(date: "2024-04-07", name: "清明节", isOffDay: false),
                HolidayEntry(date: "2024-04-28", name: "劳动节", isOffDay: false),
                HolidayEntry(date: "2024-05-01", name: "劳动节", isOffDay: true),
                HolidayEntry(date: "2024-05-02", name: "劳动节", isOffDay: true),
                HolidayEntry(date: "2024-05-03", name: "劳动节", isOffDay: true),
                HolidayEntry(date: "2024-05-04", name: "劳动节", isOffDay: true),
                HolidayEntry(date: "2024-05-05", name: "劳动节", isOffDay: true),
                HolidayEntry(date: "2024-05-11", name: "劳动节", isOffDay: false),
                HolidayEntry(date: "2024-06-10", name: "端午节", isOffDay: true),
                HolidayEntry(date: "2024-09-14", name: "中秋节", isOffDay: false),
                HolidayEntry(date: "2024-09-15", name: "中秋节", isOffDay: true),
                HolidayEntry(date: "2024-09-16", name: "中秋节", isOffDay: true),
                HolidayEntry(date: "2024-09-17", name: "中秋节", isOffDay: true),
                HolidayEntry(date: "2024-09-29", name: "国庆节", isOffDay: false),
                HolidayEntry(date: "2024-10-01", name: "国庆节", isOffDay: true),
                HolidayEntry(date: "2024-10-02", name: "国庆节", isOffDay: true),
                HolidayEntry(date: "2024-10-03", name: "国庆节", isOffDay: true),
                HolidayEntry(date: "2024-10-04", name: "国庆节", isOffDay: true),
                HolidayEntry(date: "2024-10-05", name: "国庆节", isOffDay: true),
                HolidayEntry(date: "2024-10-06", name: "国庆节", isOffDay: true),
                HolidayEntry(date: "2024-10-07", name: "国庆节", isOffDay: true),
                HolidayEntry(date: "2024-10-12", name: "国庆节", isOffDay: false),
            ]
        ),
        HolidayNotice(
            year: 2025,
            papers: ["https://www.gov.cn/zhengce/zhengceku/202411/content_6986383.htm"],
            days: [
                HolidayEntry(date: "2025-01-01", name: "元旦", isOffDay: true),
                HolidayEntry(date: "2025-01-26", name: "春节", isOffDay: false),
                HolidayEntry(date: "2025-01-28", name: "春节", isOffDay: true),
                HolidayEntry(date: "2025-01-29", name: "春节", isOffDay: true),
                HolidayEntry(date: "2025-01-30", name: "春节", isOffDay: true),
                HolidayEntry(date: "2025-01-31", name: "春节", isOffDay: true),
                HolidayEntry(date: "2025-02-01", name: "春节", isOffDay: true),
                HolidayEntry(date: "2025-02-02", name: "春节", isOffDay: true),
                HolidayEntry(date: "2025-02-03", name: "春节", isOffDay: true),
                HolidayEntry(date: "2025-02-04", name: "春节", isOffDay: true),
                HolidayEntry(date: "2025-02-08", name: "春节", isOffDay: false),
                HolidayEntry(date: "2025-04-04", name: "清明节", isOffDay: true),
                HolidayEntry(date: "2025-04-05", name: "清明节", isOffDay: true),
                HolidayEntry(date: "2025-04-06", name: "清明节", isOffDay: true),
                HolidayEntry(date: "2025-04-27", name: "劳动节", isOffDay: false),
                HolidayEntry(date: "2025-05-01", name: "劳动节", isOffDay: true),
                HolidayEntry(date: "2025-05-02", name: "劳动节", isOffDay: true),
                HolidayEntry(date: "2025-05-03", name: "劳动节", isOffDay: true),
                HolidayEntry(date: "2025-05-04", name: "劳动节", isOffDay: true),
                HolidayEntry(date: "2025-05-05", name: "劳动节", isOffDay: true),
                HolidayEntry(date: "2025-05-31", name: "端午节", isOffDay: true),
                HolidayEntry(date: "2025-06-01", name: "端午节", isOffDay: true),
                HolidayEntry(date: "2025-06-02", name: "端午节", isOffDay: true),
                HolidayEntry(date: "2025-09-28", name: "国庆节、中秋节", isOffDay: false),
                HolidayEntry(date: "2025-10-01", name: "国庆节、中秋节", isOffDay: true),
                HolidayEntry(date: "2025-10-02", name: "国庆节、中秋节", isOffDay: true),
                HolidayEntry(date: "2025-10-03", name: "国庆节、中秋节", isOffDay: true),
                HolidayEntry(date: "2025-10-04", name: "国庆节、中秋节", isOffDay: true),
                HolidayEntry(date: "2025-10-05", name: "国庆节、中秋节", isOffDay: true),
                HolidayEntry(date: "2025-10-06", name: "国庆节、中秋节", isOffDay: true),
                HolidayEntry(date: "2025-10-07", name: "国庆节、中秋节", isOffDay: true),
                HolidayEntry(date: "2025-10-08", name: "国庆节、中秋节", isOffDay: true),
                HolidayEntry(date: "2025-10-11", name: "国庆节、中秋节", isOffDay: false),
            ]
        ),
        HolidayNotice(
            year: 2026,
            papers: ["https://www.gov.cn/zhengce/zhengceku/202511/content_7047091.htm"],
            days: [
                HolidayEntry(date: "2026-01-01", name: "元旦", isOffDay: true),
                HolidayEntry(date: "2026-01-02", name: "元旦", isOffDay: true),
                HolidayEntry(date: "2026-01-03", name: "元旦", isOffDay: true),
                HolidayEntry(date: "2026-01-04", name: "元旦", isOffDay: false),
                HolidayEntry(date: "2026-02-14", name: "春节", isOffDay: false),
                HolidayEntry(date: "2026-02-15", name: "春节", isOffDay: true),
                HolidayEntry(date: "2026-02-16", name: "春节", isOffDay: true),
                HolidayEntry(date: "2026-02-17", name: "春节", isOffDay: true),
                HolidayEntry(date: "2026-02-18", name: "春节", isOffDay: true),
                HolidayEntry(date: "2026-02-19", name: "春节", isOffDay: true),
                HolidayEntry(date: "2026-02-20", name: "春节", isOffDay: true),
                HolidayEntry(date: "2026-02-21", name: "春节", isOffDay: true),
                HolidayEntry(date: "2026-02-22", name: "春节", isOffDay: true),
                HolidayEntry(date: "2026-02-23", name: "春节", isOffDay: true),
                HolidayEntry(date: "2026-02-28", name: "春节", isOffDay: false),
                HolidayEntry(date: "2026-04-04", name: "清明节", isOffDay: true),
                HolidayEntry(date: "2026-04-05", name: "清明节", isOffDay: true),
                HolidayEntry(date: "2026-04-06", name: "清明节", isOffDay: true),
                HolidayEntry(date: "2026-05-01", name: "劳动节", isOffDay: true),
                HolidayEntry(date: "2026-05-02", name: "劳动节", isOffDay: true),
                HolidayEntry(date: "2026-05-03", name: "劳动节", isOffDay: true),
                HolidayEntry(date: "2026-05-04", name: "劳动节", isOffDay: true),
                HolidayEntry(date: "2026-05-05", name: "劳动节", isOffDay: true),
                HolidayEntry(date: "2026-05-09", name: "劳动节", isOffDay: false),
                HolidayEntry(date: "2026-06-19", name: "端午节", isOffDay: true),
                HolidayEntry(date: "2026-06-20", name: "端午节", isOffDay: true),
                HolidayEntry(date: "2026-06-21", name: "端午节", isOffDay: true),
                HolidayEntry(date: "2026-09-20", name: "国庆节", isOffDay: false),
                HolidayEntry(date: "2026-09-25", name: "中秋节", isOffDay: true),
                HolidayEntry(date: "2026-09-26", name: "中秋节", isOffDay: true),
                HolidayEntry(date: "2026-09-27", name: "中秋节", isOffDay: true),
                HolidayEntry(date: "2026-10-01", name: "国庆节", isOffDay: true),
                HolidayEntry(date: "2026-10-02", name: "国庆节", isOffDay: true),
                HolidayEntry(date: "2026-10-03", name: "国庆节", isOffDay: true),
                HolidayEntry(date: "2026-10-04", name: "国庆节", isOffDay: true),
                HolidayEntry(date: "2026-10-05", name: "国庆节", isOffDay: true),
                HolidayEntry(date: "2026-10-06", name: "国庆节", isOffDay: true),
                HolidayEntry(date: "2026-10-07", name: "国庆节", isOffDay: true),
                HolidayEntry(date: "2026-10-10", name: "国庆节", isOffDay: false),
            ]
        ),
        HolidayNotice(
            year: 2027,
            papers: [],
            days: []
        ),
    ]
}
