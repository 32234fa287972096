// Every user-facing string of the reports, in both languages, in one place.
// JSON keys and CSV headers are a machine contract and are NOT translated (they live in the renderers).

import NianjianDomain

public struct ReportLabels: Sendable {
    public let language: Language
    public let title: String
    public let platformTitle: String
    public let tenant: String
    public let tenantName: String
    public let asOf: String
    public let cycle: String
    public let countsSection: String
    public let approvedSection: String
    public let needsMaterialsSection: String
    public let rejectedSection: String
    public let failedSection: String
    public let inReviewSection: String
    public let expiringSection: String
    public let expiring30: String
    public let expiring60: String
    public let reviewTimeSection: String
    public let runsSection: String
    public let progressSection: String
    public let stateChartTitle: String
    public let companyRef: String
    public let companyName: String
    public let serviceRef: String
    public let renewedUntil: String
    public let amount: String
    public let code: String
    public let severity: String
    public let finding: String
    public let remedy: String
    public let reason: String
    public let rejectedAt: String
    public let lastError: String
    public let attempts: String
    public let ticket: String
    public let submittedOn: String
    public let businessDaysWaiting: String
    public let expiresOn: String
    public let daysLeft: String
    public let state: String
    public let count: String
    public let total: String
    public let renewalTotal: String
    public let none: String
    public let noData: String
    public let reviews: String
    public let median: String
    public let p90: String
    public let businessDays: String
    public let runId: String
    public let startedAt: String
    public let finishedAt: String
    public let claimed: String
    public let outcomes: String
    public let date: String
    public let running: String
    public let lastRun: String
    public let never: String
    public let lapsed: String
    public let footer: String

    public static func forLanguage(_ language: Language) -> ReportLabels {
        language == .zh ? zh : en
    }

    public static let zh = ReportLabels(
        language: .zh, title: "年检报告", platformTitle: "平台汇总", tenant: "租户", tenantName: "租户名称", asOf: "截至", cycle: "年度",
        countsSection: "各状态数量", approvedSection: "已通过", needsMaterialsSection: "待补材料",
        rejectedSection: "已驳回", failedSection: "失败", inReviewSection: "审核中",
        expiringSection: "即将到期但尚未年检的服务", expiring30: "30 天内到期（含已过期）", expiring60: "31–60 天内到期",
        reviewTimeSection: "审核时长（工作日）", runsSection: "最近运行", progressSection: "最近几晚进度",
        stateChartTitle: "状态分布",
        companyRef: "公司编号", companyName: "公司名称", serviceRef: "服务编号", renewedUntil: "续期至",
        amount: "金额（元）", code: "代码", severity: "级别", finding: "问题", remedy: "处理办法", reason: "驳回原因",
        rejectedAt: "驳回日期", lastError: "最后错误", attempts: "尝试次数", ticket: "工单号", submittedOn: "提交日期",
        businessDaysWaiting: "已等待工作日", expiresOn: "到期日", daysLeft: "剩余天数", state: "状态", count: "数量",
        total: "合计", renewalTotal: "续费合计（元）", none: "无", noData: "暂无数据", reviews: "已审结",
        median: "中位数", p90: "90 分位", businessDays: "个工作日", runId: "运行编号", startedAt: "开始时间",
        finishedAt: "结束时间", claimed: "领取数", outcomes: "结果", date: "日期", running: "运行中",
        lastRun: "最近运行", never: "从未运行", lapsed: "已过期",
        footer: "本报告由年检批处理系统生成，为离线自包含文件，可直接打印或转发。"
    )

    public static let en = ReportLabels(
        language: .en, title: "Annual inspection report", platformTitle: "Platform summary", tenant: "Tenant", tenantName: "Tenant name",
        asOf: "As of", cycle: "Cycle",
        countsSection: "Inspections by state", approvedSection: "Approved", needsMaterialsSection: "Needs materials",
        rejectedSection: "Rejected", failedSection: "Failed", inReviewSection: "In review",
        expiringSection: "Services expiring without an inspection", expiring30: "Expiring within 30 days (or lapsed)",
        expiring60: "Expiring in 31–60 days",
        reviewTimeSection: "Review time (business days)", runsSection: "Recent runs",
        progressSection: "Progress over the last nights", stateChartTitle: "State breakdown",
        companyRef: "Company", companyName: "Company name", serviceRef: "Service", renewedUntil: "Renewed until",
        amount: "Amount (yuan)", code: "Code", severity: "Severity", finding: "Finding", remedy: "Remedy",
        reason: "Reason", rejectedAt: "Rejected on", lastError: "Last error", attempts: "Attempts", ticket: "Ticket",
        submittedOn: "Submitted on", businessDaysWaiting: "Business days waiting", expiresOn: "Expires on",
        daysLeft: "Days left", state: "State", count: "Count", total: "Total", renewalTotal: "Renewal total (yuan)",
        none: "None", noData: "No data yet", reviews: "Reviews decided", median: "Median", p90: "90th percentile",
        businessDays: "business days", runId: "Run", startedAt: "Started", finishedAt: "Finished", claimed: "Claimed",
        outcomes: "Outcomes", date: "Date", running: "running", lastRun: "Last run", never: "never", lapsed: "lapsed",
        footer: "Generated by Nianjian. A self-contained offline file: print it or forward it as is."
    )

    /// A state's name for people.
    public func stateName(_ state: InspectionState) -> String {
        let zh = language == .zh
        switch state {
        case .pending: return zh ? "待处理" : "pending"
        case .needsMaterials: return zh ? "待补材料" : "needs materials"
        case .submitting: return zh ? "提交中" : "submitting"
        case .inReview: return zh ? "审核中" : "in review"
        case .approved: return zh ? "已通过" : "approved"
        case .rejected: return zh ? "已驳回" : "rejected"
        case .failed: return zh ? "失败" : "failed"
        case .cancelled: return zh ? "已取消" : "cancelled"
        }
    }

    /// A finding severity's name for people (unknown severities as given).
    public func severityName(_ severity: String) -> String {
        let zh = language == .zh
        switch severity {
        case "error": return zh ? "错误" : "error"
        case "warning": return zh ? "警告" : "warning"
        case "review": return zh ? "需复核" : "review"
        default: return severity
        }
    }
}

extension RejectionReason {
    func message(_ language: Language) -> String { language == .zh ? messageZh : messageEn }
    func remedy(_ language: Language) -> String { language == .zh ? remedyZh : remedyEn }
}
