// The report VALUES. The store fills them with SQL; the renderers turn them into text.
// Plain Sendable + Codable structs with public memberwise-style initialisers, so any layer can build one.
// Renderers keep the order of every list as given (the store decides the order).

import NianjianDomain

/// One tenant's status report for one cycle (`nianjian report --tenant SLUG`).
public struct TenantReport: Hashable, Sendable, Codable {
    public var tenantSlug: String
    public var tenantName: String
    public var asOf: CivilDate
    public var cycle: Int
    /// Inspections of the cycle by state. The initialiser fills every state (zero when none);
    /// renderers read it through `count(of:)`, so a missing key still reads as zero.
    public var counts: [InspectionState: Int]
    public var approved: [ApprovedItem]
    /// The sum of the renewal amounts of `approved` (the initialiser computes it when not given).
    public var renewalTotal: Money
    public var needsMaterials: [NeedsMaterialsItem]
    /// Companies with a service in needs_materials, rejected or failed: each once, with every service's
    /// state and its distinct findings (`CompanyStatus.grouping`).
    public var companies: [CompanyStatus]
    public var rejected: [RejectedItem]
    public var failed: [FailedItem]
    public var inReview: [InReviewItem]
    /// Services expiring within 60 days that have no inspection for the cycle (`daysLeft` may be negative:
    /// already lapsed). Rendered in two groups: `daysLeft <= 30` and 31…60.
    public var expiringWithoutInspection: [ExpiringItem]
    public var reviewDays: ReviewTimeStats
    /// The last runs, newest first (as given).
    public var recentRuns: [RunSummary]
    /// One entry per night, oldest first (as given), for the progress chart.
    public var nightlyProgress: [NightProgress]
    /// Read from a standby: its last replayed transaction's time (`pg_last_xact_replay_timestamp()`), the
    /// report's staleness mark; nil when read from the primary.
    public var replicaReplayAt: String? = nil

    public init(tenantSlug: String, tenantName: String, asOf: CivilDate, cycle: Int,
                counts: [InspectionState: Int] = [:], approved: [ApprovedItem] = [], renewalTotal: Money? = nil,
                needsMaterials: [NeedsMaterialsItem] = [], companies: [CompanyStatus]? = nil, rejected: [RejectedItem] = [],
                failed: [FailedItem] = [],
                inReview: [InReviewItem] = [], expiringWithoutInspection: [ExpiringItem] = [],
                reviewDays: ReviewTimeStats = ReviewTimeStats(count: 0, medianBusinessDays: nil, p90BusinessDays: nil),
                recentRuns: [RunSummary] = [], nightlyProgress: [NightProgress] = []) {
        self.tenantSlug = tenantSlug
        self.tenantName = tenantName
        self.asOf = asOf
        self.cycle = cycle
        self.counts = TenantReport.allStates(counts)
        self.approved = approved
        self.renewalTotal = renewalTotal ?? approved.reduce(Money.zero) { $0 + $1.amount }
        self.needsMaterials = needsMaterials
        // Without the services' states, group the needs_materials items alone.
        self.companies = companies ?? CompanyStatus.grouping(
            services: needsMaterials.map { item in
                (item.companyRef, item.companyName, ServiceStatus(serviceRef: item.serviceRef, contractNumber: nil,
                                                                  state: .needsMaterials, inspectionId: nil))
            },
            needsMaterials: needsMaterials)
        self.rejected = rejected
        self.failed = failed
        self.inReview = inReview
        self.expiringWithoutInspection = expiringWithoutInspection
        self.reviewDays = reviewDays
        self.recentRuns = recentRuns
        self.nightlyProgress = nightlyProgress
    }

    /// The number of inspections in `state` (zero when none).
    public func count(of state: InspectionState) -> Int { counts[state] ?? 0 }

    /// All inspections of the cycle.
    public var totalCount: Int { InspectionState.allCases.reduce(0) { $0 + count(of: $1) } }

    /// Services expiring within 30 days (or already lapsed) with no inspection.
    public var expiringWithin30: [ExpiringItem] { expiringWithoutInspection.filter { $0.daysLeft <= 30 } }
    /// Services expiring in 31…60 days with no inspection.
    public var expiringWithin60: [ExpiringItem] { expiringWithoutInspection.filter { $0.daysLeft > 30 } }

    /// `counts` with every state present, zero when none.
    public static func allStates(_ counts: [InspectionState: Int]) -> [InspectionState: Int] {
        var full: [InspectionState: Int] = [:]
        for state in InspectionState.allCases { full[state] = counts[state] ?? 0 }
        return full
    }
}

public struct ApprovedItem: Hashable, Sendable, Codable {
    public var companyRef: String
    public var companyName: String
    public var serviceRef: String
    /// The service's new expiry after the renewal.
    public var renewedUntil: CivilDate
    public var amount: Money

    public init(companyRef: String, companyName: String, serviceRef: String, renewedUntil: CivilDate, amount: Money) {
        self.companyRef = companyRef; self.companyName = companyName; self.serviceRef = serviceRef
        self.renewedUntil = renewedUntil; self.amount = amount
    }
}

/// One validation finding, already resolved to both languages by whoever produced it.
public struct ReportFinding: Hashable, Sendable, Codable {
    public var code: String
    /// `error`, `warning` or `review` (other values are shown as given).
    public var severity: String
    public var messageZh: String
    public var messageEn: String
    public var remedyZh: String
    public var remedyEn: String
    /// The document kind it concerns (`business_license`…), when there is one.
    public var document: String?
    /// The contract it concerns, for contract rules.
    public var contractNumber: String?
    /// The service it concerns; nil: company-wide (it holds back every service of the company).
    public var serviceRef: String?

    public init(code: String, severity: String, messageZh: String, messageEn: String, remedyZh: String, remedyEn: String,
                document: String? = nil, contractNumber: String? = nil, serviceRef: String? = nil) {
        self.code = code; self.severity = severity; self.messageZh = messageZh; self.messageEn = messageEn
        self.remedyZh = remedyZh; self.remedyEn = remedyEn
        self.document = document; self.contractNumber = contractNumber; self.serviceRef = serviceRef
    }

    /// From a domain finding (the validation catalog's wording in both languages).
    public init(_ finding: Finding) {
        self.init(code: finding.code, severity: finding.severity.rawValue, messageZh: finding.messageZh,
                  messageEn: finding.messageEn, remedyZh: finding.remedyZh, remedyEn: finding.remedyEn,
                  document: finding.document?.rawValue, contractNumber: finding.contractNumber, serviceRef: finding.serviceRef)
    }

    public func message(_ language: Language) -> String { language == .zh ? messageZh : messageEn }
    public func remedy(_ language: Language) -> String { language == .zh ? remedyZh : remedyEn }
}

public struct NeedsMaterialsItem: Hashable, Sendable, Codable {
    public var companyRef: String
    public var companyName: String
    public var serviceRef: String
    public var findings: [ReportFinding]

    public init(companyRef: String, companyName: String, serviceRef: String, findings: [ReportFinding]) {
        self.companyRef = companyRef; self.companyName = companyName; self.serviceRef = serviceRef
        self.findings = findings
    }
}

public struct RejectedItem: Hashable, Sendable, Codable {
    public var companyRef: String
    public var companyName: String
    public var serviceRef: String
    public var reason: RejectionReason
    public var rejectedAt: CivilDate?

    public init(companyRef: String, companyName: String, serviceRef: String, reason: RejectionReason, rejectedAt: CivilDate? = nil) {
        self.companyRef = companyRef; self.companyName = companyName; self.serviceRef = serviceRef
        self.reason = reason; self.rejectedAt = rejectedAt
    }
}

public struct FailedItem: Hashable, Sendable, Codable {
    public var companyRef: String
    public var companyName: String
    public var serviceRef: String
    public var lastError: String
    public var attempts: Int

    public init(companyRef: String, companyName: String, serviceRef: String, lastError: String, attempts: Int) {
        self.companyRef = companyRef; self.companyName = companyName; self.serviceRef = serviceRef
        self.lastError = lastError; self.attempts = attempts
    }
}

public struct InReviewItem: Hashable, Sendable, Codable {
    public var companyRef: String
    public var companyName: String
    public var serviceRef: String
    /// The console's ticket.
    public var ticket: String
    public var submittedOn: CivilDate
    public var businessDaysWaiting: Int

    public init(companyRef: String, companyName: String, serviceRef: String, ticket: String, submittedOn: CivilDate,
                businessDaysWaiting: Int) {
        self.companyRef = companyRef; self.companyName = companyName; self.serviceRef = serviceRef
        self.ticket = ticket; self.submittedOn = submittedOn; self.businessDaysWaiting = businessDaysWaiting
    }
}

public struct ExpiringItem: Hashable, Sendable, Codable {
    public var companyRef: String
    public var companyName: String
    public var serviceRef: String
    public var expiresOn: CivilDate
    /// Calendar days from `asOf` to `expiresOn` (negative: already lapsed).
    public var daysLeft: Int

    public init(companyRef: String, companyName: String, serviceRef: String, expiresOn: CivilDate, daysLeft: Int) {
        self.companyRef = companyRef; self.companyName = companyName; self.serviceRef = serviceRef
        self.expiresOn = expiresOn; self.daysLeft = daysLeft
    }

    /// 30 when `daysLeft <= 30` (including lapsed), else 60.
    public var windowDays: Int { daysLeft <= 30 ? 30 : 60 }
}

/// Review time (submission to decision) in business days.
public struct ReviewTimeStats: Hashable, Sendable, Codable {
    public var count: Int
    public var medianBusinessDays: Double?
    public var p90BusinessDays: Double?

    public init(count: Int, medianBusinessDays: Double?, p90BusinessDays: Double?) {
        self.count = count; self.medianBusinessDays = medianBusinessDays; self.p90BusinessDays = p90BusinessDays
    }

    /// Median and 90th percentile of `durations` by LINEAR INTERPOLATION between the closest ranks — the
    /// same definition as PostgreSQL `percentile_cont` and numpy's default, so a SQL-side computation
    /// agrees: for sorted values v[0…n-1] the p-quantile is at position h = p·(n−1), and is
    /// v[⌊h⌋] + (h − ⌊h⌋)·(v[⌊h⌋+1] − v[⌊h⌋]). Empty input gives nil for both.
    /// Example: [1, 2, 3, 4] → median 2.5; [1…10] → p90 9.1.
    public init(businessDays durations: [Int]) {
        let sorted = durations.sorted()
        self.count = sorted.count
        self.medianBusinessDays = ReviewTimeStats.percentile(sorted: sorted, 0.5)
        self.p90BusinessDays = ReviewTimeStats.percentile(sorted: sorted, 0.9)
    }

    /// Linear-interpolation percentile (`percentile_cont`) of already sorted values; `p` in 0…1.
    public static func percentile(sorted values: [Int], _ p: Double) -> Double? {
        guard let first = values.first else { return nil }
        guard values.count > 1 else { return Double(first) }
        let clamped = min(max(p, 0), 1)
        let position = clamped * Double(values.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, values.count - 1)
        let fraction = position - Double(lower)
        return Double(values[lower]) + fraction * Double(values[upper] - values[lower])
    }
}

/// One runner run (a night or a `--watch` session).
public struct RunSummary: Hashable, Sendable, Codable {
    public var runId: Int64
    /// ISO 8601 timestamp.
    public var startedAt: String
    /// nil while the run is still going (or died without finishing).
    public var finishedAt: String?
    public var asOf: CivilDate
    public var claimed: Int
    /// Outcomes by state name (database spelling); rendered in sorted key order.
    public var byState: [String: Int]

    public init(runId: Int64, startedAt: String, finishedAt: String?, asOf: CivilDate, claimed: Int, byState: [String: Int]) {
        self.runId = runId; self.startedAt = startedAt; self.finishedAt = finishedAt; self.asOf = asOf
        self.claimed = claimed; self.byState = byState
    }
}

/// Outcomes of one night, for the progress chart.
public struct NightProgress: Hashable, Sendable, Codable {
    public var date: CivilDate
    public var approved: Int
    public var rejected: Int
    public var needsMaterials: Int
    public var failed: Int
    public var inReview: Int

    public init(date: CivilDate, approved: Int = 0, rejected: Int = 0, needsMaterials: Int = 0, failed: Int = 0, inReview: Int = 0) {
        self.date = date; self.approved = approved; self.rejected = rejected; self.needsMaterials = needsMaterials
        self.failed = failed; self.inReview = inReview
    }

    public var total: Int { approved + rejected + needsMaterials + failed + inReview }
}

/// `nianjian report --all`: one row per tenant for the platform operator.
public struct PlatformSummary: Hashable, Sendable, Codable {
    public var asOf: CivilDate?
    public var rows: [PlatformRow]
    /// As `TenantReport.replicaReplayAt`.
    public var replicaReplayAt: String? = nil

    public init(asOf: CivilDate? = nil, rows: [PlatformRow]) {
        self.asOf = asOf; self.rows = rows
    }

    /// Counts over every tenant, every state present.
    public var totalCounts: [InspectionState: Int] {
        var totals = TenantReport.allStates([:])
        for row in rows {
            for state in InspectionState.allCases { totals[state, default: 0] += row.count(of: state) }
        }
        return totals
    }

    public var totalRenewal: Money { rows.reduce(Money.zero) { $0 + $1.renewalTotal } }
}

public struct PlatformRow: Hashable, Sendable, Codable {
    public var tenantSlug: String
    public var tenantName: String
    public var counts: [InspectionState: Int]
    public var renewalTotal: Money
    /// ISO 8601 start of the tenant's last run; nil when it never ran.
    public var lastRunAt: String?

    public init(tenantSlug: String, tenantName: String, counts: [InspectionState: Int], renewalTotal: Money, lastRunAt: String?) {
        self.tenantSlug = tenantSlug; self.tenantName = tenantName; self.counts = TenantReport.allStates(counts)
        self.renewalTotal = renewalTotal; self.lastRunAt = lastRunAt
    }

    public func count(of state: InspectionState) -> Int { counts[state] ?? 0 }
    public var totalCount: Int { InspectionState.allCases.reduce(0) { $0 + count(of: $1) } }
}
