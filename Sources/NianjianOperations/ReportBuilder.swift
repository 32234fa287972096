import Foundation
import NianjianDomain
import NianjianPostgres
import NianjianReports
import NianjianStore

/// Fills the report models from the database, each tenant read through its own row-level security.
public enum ReportBuilder {
    /// Services expiring within this many days without an inspection are listed.
    public static let expiringWindowDays = 60

    /// One tenant's report as of `asOf` (a China business date).
    public static func tenantReport(database: Database, tenant: TenantRecord, asOf: CivilDate,
                                    calendar: BusinessCalendar = .china, recentRuns: Int = 10,
                                    progressNights: Int = 14) throws -> TenantReport {
        let data = try database.runBlocking { session in
            try session.asTenant(tenant.id) {
                let name = try ReportQueries.selectTenant(session)
                return (name: name,
                        current: try ReportQueries.selectCurrentInspections(session),
                        expiring: try ReportQueries.selectExpiringWithoutInspection(
                            session, through: asOf.adding(days: expiringWindowDays)),
                        runs: try ReportQueries.selectRecentRuns(session, limit: recentRuns),
                        nights: try ReportQueries.selectNightlyProgress(
                            session, from: asOf.adding(days: -(max(progressNights, 1) - 1)), through: asOf))
            }
        }
        guard let visible = data.name else { throw OperationsError.unknownTenant(tenant.slug) }
        return build(slug: visible.slug, name: visible.name, asOf: asOf, calendar: calendar, current: data.current,
                     expiring: data.expiring, runs: data.runs, nights: data.nights)
    }

    /// Assembles a report from rows (pure: tests and other callers may use it directly).
    public static func build(slug: String, name: String, asOf: CivilDate, calendar: BusinessCalendar,
                             current: [ReportInspectionRow], expiring: [ReportExpiringRow], runs: [ReportRunRow],
                             nights: [ReportNightRow]) -> TenantReport {
        var counts: [InspectionState: Int] = [:]
        var approved: [ApprovedItem] = []
        var needsMaterials: [NeedsMaterialsItem] = []
        var rejected: [RejectedItem] = []
        var failed: [FailedItem] = []
        var inReview: [InReviewItem] = []
        var reviewDurations: [Int] = []
        for row in current {
            counts[row.state, default: 0] += 1
            switch row.state {
            case .approved:
                approved.append(ApprovedItem(companyRef: row.companyRef, companyName: row.companyName, serviceRef: row.serviceRef,
                                             renewedUntil: row.renewedUntil ?? asOf, amount: row.renewalAmount ?? .zero))
            case .needsMaterials:
                needsMaterials.append(NeedsMaterialsItem(companyRef: row.companyRef, companyName: row.companyName,
                                                         serviceRef: row.serviceRef, findings: findings(row.findingsJSON)))
            case .rejected:
                rejected.append(RejectedItem(companyRef: row.companyRef, companyName: row.companyName, serviceRef: row.serviceRef,
                                             reason: row.rejectionReason ?? .inaccurateInformation,
                                             rejectedAt: row.decidedAt?.chinaDate))
            case .failed:
                failed.append(FailedItem(companyRef: row.companyRef, companyName: row.companyName, serviceRef: row.serviceRef,
                                         lastError: row.lastError ?? "", attempts: row.attempts))
            case .inReview:
                let submitted = row.submittedAt?.chinaDate ?? asOf
                inReview.append(InReviewItem(companyRef: row.companyRef, companyName: row.companyName, serviceRef: row.serviceRef,
                                             ticket: row.ticket ?? "", submittedOn: submitted,
                                             businessDaysWaiting: max(0, calendar.businessDays(from: submitted, to: asOf))))
            case .pending, .submitting, .cancelled:
                break
            }
            if row.state == .approved || row.state == .rejected, let submitted = row.submittedAt, let decided = row.decidedAt {
                reviewDurations.append(max(0, calendar.businessDays(from: submitted.chinaDate, to: decided.chinaDate)))
            }
        }
        let expiringItems = expiring.map {
            ExpiringItem(companyRef: $0.companyRef, companyName: $0.companyName, serviceRef: $0.serviceRef,
                         expiresOn: $0.expiresOn, daysLeft: asOf.days(until: $0.expiresOn))
        }
        let runSummaries = runs.map {
            RunSummary(runId: $0.runId, startedAt: $0.startedAt.description, finishedAt: $0.finishedAt?.description,
                       asOf: $0.asOf, claimed: $0.claimed, byState: byState($0.byStateJSON))
        }
        var progress: [CivilDate: NightProgress] = [:]
        for night in nights {
            var entry = progress[night.date] ?? NightProgress(date: night.date)
            switch night.toState {
            case .approved: entry.approved += night.count
            case .rejected: entry.rejected += night.count
            case .needsMaterials: entry.needsMaterials += night.count
            case .failed: entry.failed += night.count
            case .inReview: entry.inReview += night.count
            case .pending, .submitting, .cancelled: break
            }
            progress[night.date] = entry
        }
        let companies = CompanyStatus.grouping(
            services: current.map { row in
                (row.companyRef, row.companyName, ServiceStatus(serviceRef: row.serviceRef, contractNumber: row.contractNumber,
                                                                state: row.state, inspectionId: row.inspectionId))
            },
            needsMaterials: needsMaterials)
        return TenantReport(
            tenantSlug: slug, tenantName: name, asOf: asOf, cycle: asOf.year, counts: counts, approved: approved,
            needsMaterials: needsMaterials, companies: companies, rejected: rejected, failed: failed, inReview: inReview,
            expiringWithoutInspection: expiringItems, reviewDays: ReviewTimeStats(businessDays: reviewDurations),
            recentRuns: runSummaries,
            nightlyProgress: progress.values.filter { $0.total > 0 }.sorted { $0.date < $1.date })
    }

    /// `report --all`: one row per tenant, each read through its own row-level security.
    /// With `replicaMark`, a summary read on a standby carries the standby's replay time (its staleness).
    public static func platformSummary(database: Database, asOf: CivilDate?, replicaMark: Bool = false) throws -> PlatformSummary {
        let replayed = replicaMark ? try database.runBlocking { try ReplicaQueries.replayMark($0) } : nil
        let rows = try database.runBlocking { session in
            try TenantQueries.listTenants(session).map { tenant in
                let row = try session.asTenant(tenant.id) { try ReportQueries.selectPlatformRow(session) }
                return PlatformRow(tenantSlug: tenant.slug, tenantName: tenant.name, counts: row.counts,
                                   renewalTotal: row.renewalTotal, lastRunAt: row.lastRunAt?.description)
            }
        }
        var summary = PlatformSummary(asOf: asOf, rows: rows)
        summary.replicaReplayAt = replayed
        return summary
    }

    /// Decodes stored findings (a JSON array of `Finding`, as the runner's JSONEncoder wrote them).
    public static func findings(_ json: String) -> [ReportFinding] {
        if let decoded = try? JSONDecoder().decode([Finding].self, from: Data(json.utf8)) {
            return decoded.distinct.map(ReportFinding.init)
        }
        return [ReportFinding(code: "findings.unreadable", severity: "error",
                              messageZh: "无法读取保存的检查结果", messageEn: "the stored findings could not be read",
                              remedyZh: "重新排队以再次检查材料", remedyEn: "re-queue the inspection to check the materials again")]
    }

    static func byState(_ json: String) -> [String: Int] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return [:] }
        var out: [String: Int] = [:]
        for (key, value) in object {
            if let number = value as? NSNumber { out[key] = number.intValue }
        }
        return out
    }
}

/// Rendering for the command line: format names as typed, a BOM for CSV files Excel opens.
public enum ReportOutput {
    public static var formatNames: [String] { ReportFormat.allCases.map(\.rawValue) }

    public static func isFormat(_ name: String) -> Bool { ReportFormat(rawValue: name.lowercased()) != nil }

    /// nil when `format` is not one of `formatNames`. `toFile`: CSV starts with a UTF-8 BOM for Excel.
    public static func render(_ report: TenantReport, format: String, language: Language, toFile: Bool) -> String? {
        guard let kind = ReportFormat(rawValue: format.lowercased()) else { return nil }
        if kind == .csv { return ReportRenderer.csv(report, language: language, excelBOM: toFile) }
        return ReportRenderer.render(report, format: kind, language: language)
    }

    public static func render(_ summary: PlatformSummary, format: String, language: Language, toFile: Bool) -> String? {
        guard let kind = ReportFormat(rawValue: format.lowercased()) else { return nil }
        if kind == .csv { return ReportRenderer.platformCSV(summary, language: language, excelBOM: toFile) }
        return ReportRenderer.render(summary, format: kind, language: language)
    }
}
