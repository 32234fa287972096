#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Logging
import NianjianConsole
import NianjianDomain
import NianjianOperations
import NianjianPostgres
import NianjianReports
import NianjianRunner
import NianjianSpreadsheet
import NianjianStore

/// `nianjian demo`: three agencies with synthetic client companies, imported from real spreadsheet files,
/// planned, run over several simulated nights (reviews over business days, rejections, transient faults
/// retried), fixed and re-queued by an operator, and reported. The nights run through the real Alibaba Cloud
/// adapter against the cloud simulator (in process, loopback HTTP, its own state folder), loaded from the same
/// spreadsheets. Deterministic for a seed: the same command gives the same companies, decisions and reports.
public enum Demo {
    /// One demo agency: who it is and how big a share of the companies it serves.
    public struct Agency: Sendable, Hashable {
        public var slug: String
        public var nameZh: String
        public var nameEn: String
        /// Claim weight (deficit round robin) relative to the other agencies.
        public var weight: Int
        /// Share of the demo's companies (the shares add up to 1).
        public var share: Double
        /// Seed offset so that each agency has its own companies.
        public var salt: UInt64
    }

    /// The three demo agencies: a big one, a middle one and a small one (160/100/40 of 300 companies).
    public static let agencies: [Agency] = [
        Agency(slug: "huaxia-cloud", nameZh: "华夏云服信息技术有限公司", nameEn: "Huaxia Cloud Services", weight: 4,
               share: 160.0 / 300.0, salt: 0x4855_4158_4941),
        Agency(slug: "jinghong-it", nameZh: "京鸿信息技术服务有限公司", nameEn: "Jinghong IT Services", weight: 2,
               share: 100.0 / 300.0, salt: 0x4A49_4E47_484F),
        Agency(slug: "nanfeng-ops", nameZh: "南风运维科技有限公司", nameEn: "Nanfeng Operations", weight: 1,
               share: 40.0 / 300.0, salt: 0x4E41_4E46_454E),
    ]

    /// The first simulated night: a Tuesday, so the nights cross a weekend.
    public static let defaultStartDate = CivilDate(year: 2026, month: 12, day: 1) ?? CivilDate(daysSinceEpoch: 20_788)

    public struct Options: Sendable {
        /// Companies over all three agencies.
        public var companies: Int
        /// Spreadsheets go to `<outputDirectory>/spreadsheets/<slug>/`, reports to `<outputDirectory>/`.
        public var outputDirectory: String
        public var language: Language
        public var seed: UInt64
        public var startDate: CivilDate
        /// Simulated nights (business days from `startDate`).
        public var nights: Int
        /// Print each tenant's full report as a table at the end.
        public var printReports: Bool

        public init(companies: Int = 300, outputDirectory: String, language: Language = .en, seed: UInt64 = 2026,
                    startDate: CivilDate = Demo.defaultStartDate, nights: Int = 6, printReports: Bool = true) {
            self.companies = companies; self.outputDirectory = outputDirectory; self.language = language
            self.seed = seed; self.startDate = startDate; self.nights = nights; self.printReports = printReports
        }
    }

    /// One simulated night as the demo saw it.
    public struct Night: Sendable, Hashable {
        public var number: Int
        public var date: CivilDate
        public var claimed: Int
        /// What the night did, by resulting state.
        public var byState: [String: Int]
        /// Current inspections by state after the night, all demo agencies together.
        public var totals: [String: Int]
        public var seconds: Double
        /// What the simulated cloud saw this night.
        public var cloud: DemoCloudFigures
    }

    /// What the demo did, for the command line and the tests.
    public struct Outcome: Sendable {
        public var tenants: [TenantRecord]
        /// Companies per agency slug.
        public var companies: [String: Int]
        /// Services per agency slug (companies have 1–4 each).
        public var services: [String: Int]
        /// How many companies have 1, 2, 3, 4 … services, all agencies together.
        public var companiesByServiceCount: [Int: Int]
        /// Contracts covering two or more services, all agencies together.
        public var sharedContracts: Int
        /// Companies carrying a deliberate defect, per agency slug.
        public var defects: [String: [SyntheticCompanies.Defect]]
        public var nights: [Night]
        /// Inspections moved back to pending by the simulated operator.
        public var requeued: Int
        /// Companies whose corrected spreadsheets were re-imported.
        public var corrected: Int
        public var spreadsheetDirectories: [String]
        /// One self-contained HTML file per agency, by slug.
        public var reportFiles: [String: String]
        public var platformFile: String
        public var seconds: Double
        /// What the simulated cloud saw over all nights.
        public var cloud: DemoCloudFigures
    }

    /// Runs one night on the business date; the command line passes `nianjian run`'s own night.
    public typealias NightFunction = (_ database: Database, _ job: JobDefinition, _ date: CivilDate) throws -> NianjianRunner.RunSummary

    /// The demo's job: the default job with reviews of two business days, polls on the following business
    /// days, quick retries (a transient fault is retried within the night), a few faults and rejections,
    /// rate limits high enough to be quick, and short nights.
    public static func job(from base: JobDefinition, seed: UInt64) -> JobDefinition {
        var job = base
        job.name = "demo"
        job.planFirst = true
        job.planWindowDays = 60
        job.nightHours = 0.01
        job.concurrency.global = max(job.concurrency.global, 64)
        job.concurrency.perTenant = max(job.concurrency.perTenant, 16)
        job.rateLimits.submit.perSecond = 1000
        job.rateLimits.submit.burst = 1000
        job.rateLimits.poll.perSecond = 1000
        job.rateLimits.poll.burst = 1000
        job.retry = RetryPolicy(maxAttempts: 5, baseDelaySeconds: 1, multiplier: 2, maxDelaySeconds: 4, jitter: 0.2)
        job.poll = PollSchedule(firstPollAfterBusinessDays: 1, firstPollAfterSeconds: 0, thenEveryBusinessDays: 1,
                                thenEverySeconds: 0)
        job.lease.seconds = 30
        job.lease.heartbeatSeconds = 5
        job.shutdownGraceSeconds = 10
        var console = job.console
        console.seed = seed
        console.latencyP50Milliseconds = 2
        console.latencyP99Milliseconds = 20
        console.loginFailureRate = 0.03
        console.buttonFailureRate = 0.03
        console.progressFailureRate = 0.01
        console.timeoutRate = 0
        console.throttleRate = 0
        console.accountSubmitsPerSecond = 0
        console.accountPollsPerSecond = 0
        console.reviewBusinessDays = 2
        console.rejectionRates = [.incompleteMaterials: 0.012, .inaccurateInformation: 0.01, .abnormalServiceStatus: 0.005,
                                  .violation: 0.003]
        console.outage = false
        job.console = console
        return job
    }

    /// A night without the command line: the job's console (the demo's: the simulator) on the business clock of `date`.
    public static func defaultNight(database: Database, job: JobDefinition, date: CivilDate) throws -> NianjianRunner.RunSummary {
        var logger = Logger(label: "nianjian.demo")
        logger.logLevel = .warning
        return try Nightly.run(database: database, job: job, asOf: date, logger: logger)
    }

    /// The default output folder: `$NIANJIAN_HOME/reports` (`.nianjian/reports`).
    public static func defaultOutputDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let home = environment["NIANJIAN_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? ".nianjian"
        return (home as NSString).appendingPathComponent("reports")
    }

    /// Companies per agency for a total: proportional to the shares, at least 3 each.
    public static func sizes(total: Int) -> [Int] {
        let total = max(total, 3 * agencies.count)
        var sizes = agencies.map { max(3, Int((Double(total) * $0.share).rounded())) }
        sizes[0] += total - sizes.reduce(0, +)
        return sizes
    }

    /// The defect of each defective company (by 1-based index) of an agency with `count` companies:
    /// about 8%, every kind at least once when there are 10 companies or more, spread over the list.
    public static func defectPlan(count: Int) -> [Int: SyntheticCompanies.Defect] {
        let order: [SyntheticCompanies.Defect] = [.missingDocument, .badCheckCharacter, .amountMismatch, .expiredIdentity,
                                                  .lapsedService, .contractDocumentMissing, .contractNotOnFile]
        let wanted = count >= 10 ? max(order.count, Int((Double(count) * 0.08).rounded())) : max(1, count / 2)
        var plan: [Int: SyntheticCompanies.Defect] = [:]
        for position in 0..<wanted {
            let index = position * count / wanted + max(1, count / wanted / 2)
            plan[min(max(index, 1), count)] = order[position % order.count]
        }
        return plan
    }

    /// Defects an operator can fix from the office (collect a document, renew an ID, correct an amount or a
    /// contract number); the others wait for the client (a new ID copy) or for the cloud (a lapsed service).
    static func operatorFixes(_ defect: SyntheticCompanies.Defect) -> Bool {
        switch defect {
        case .missingDocument, .amountMismatch, .expiredIdentity, .contractDocumentMissing, .contractNotOnFile: return true
        case .badCheckCharacter, .lapsedService: return false
        }
    }

    // MARK: The run

    public static func run(database: Database, options: Options, baseJob: JobDefinition = JobDefinition(),
                           runNight: NightFunction = Demo.defaultNight, log: (String) -> Void) throws -> Outcome {
        let started = DispatchTime.now().uptimeNanoseconds
        let language = options.language
        func say(_ zh: String, _ en: String) { log(language == .zh ? zh : en) }
        guard (3...20_000).contains(options.companies) else {
            throw OperationsError(code: "bad_companies", en: "--companies must be between 3 and 20000",
                                  zh: "--companies 应在 3 到 20000 之间")
        }
        guard (3...30).contains(options.nights) else {
            throw OperationsError(code: "bad_nights", en: "the demo runs 3 to 30 nights", zh: "演示运行 3 到 30 个夜间批次")
        }
        let demoJob = job(from: baseJob, seed: options.seed)
        let calendar = BusinessCalendar.china
        let output = options.outputDirectory
        try makeDirectory(output)

        // 1. The agencies, from scratch.
        let slugs = agencies.map(\.slug)
        let removed = try database.runBlocking { try DemoQueries.deleteTenants($0, slugs: slugs) }
        if removed > 0 {
            say("已清除上次演示的 \(removed) 个代理机构及其全部数据", "reset: removed the previous demo's \(removed) agencies and all their rows")
        }
        let agencySizes = Demo.sizes(total: options.companies)
        var tenants: [TenantRecord] = []
        var files: [String: [Int: SyntheticPortfolio]] = [:]
        var defects: [String: [Int: SyntheticCompanies.Defect]] = [:]
        var directories: [String] = []
        say("演示：\(agencies.count) 个代理机构，共 \(agencySizes.reduce(0, +)) 家客户公司（种子 \(options.seed)），从 \(options.startDate) 起模拟 \(options.nights) 个夜间批次",
            "demo: \(agencies.count) agencies, \(agencySizes.reduce(0, +)) client companies (seed \(options.seed)), \(options.nights) simulated nights from \(options.startDate)")
        for (agency, size) in zip(agencies, agencySizes) {
            let tenant = try TenantAdmin.add(database: database, slug: agency.slug, name: agency.nameZh, weight: agency.weight)
            tenants.append(tenant)
            let generator = SyntheticCompanies(seed: options.seed ^ agency.salt)
            let plan = defectPlan(count: size)
            defects[agency.slug] = plan
            var agencyFiles: [Int: SyntheticPortfolio] = [:]
            for index in 1...size {
                agencyFiles[index] = generator.portfolio(index: index, defect: plan[index], referenceDate: options.startDate)
            }
            files[agency.slug] = agencyFiles

            // 2. The client spreadsheets, as Excel would save them, imported through the real import path.
            let directory = ((output as NSString).appendingPathComponent("spreadsheets") as NSString)
                .appendingPathComponent(agency.slug)
            try writeSpreadsheets(agencyFiles.keys.sorted().compactMap { agencyFiles[$0]?.file }, to: directory)
            directories.append(directory)
            let summary = try importOrThrow(database: database, tenant: tenant, directory: directory, language: language)
            let legacy = agencyFiles.values.filter { portfolio in portfolio.file.materials.contains { $0.kind == .organizationCode } }.count
            let serviceCount = agencyFiles.values.reduce(0) { $0 + $1.services.count }
            let multi = agencyFiles.values.filter { $0.services.count > 1 }.count
            let rows = summary.files.keys.sorted().map { "\($0) \(summary.files[$0]?.created ?? 0)" }.joined(separator: ", ")
            say("  \(agency.slug)（\(agency.nameZh)，权重 \(agency.weight)）：\(size) 家公司、\(serviceCount) 项服务（\(multi) 家公司有多项服务；三证合一 \(size - legacy)，旧版三证 \(legacy)），\(plan.count) 家带有意设置的缺陷；已导入 \(rows)",
                "  \(agency.slug) (\(agency.nameEn), weight \(agency.weight)): \(size) companies, \(serviceCount) services (\(multi) companies with several; \(size - legacy) unified code, \(legacy) legacy three certificates), \(plan.count) with deliberate defects; imported \(rows)")
        }
        let allPortfolios = files.values.flatMap(\.values)
        let sizes = Dictionary(grouping: allPortfolios, by: \.services.count).mapValues(\.count)
        let sizeText = sizes.keys.sorted().map { "\($0): \(sizes[$0] ?? 0)" }.joined(separator: ", ")
        let sharing = allPortfolios.reduce(0) { total, portfolio in
            total + Dictionary(grouping: portfolio.services, by: \.contractNumber).values.filter { $0.count > 1 }.count
        }
        let renewedContracts = allPortfolios.filter { $0.file.contracts.count > Set($0.services.map(\.contractNumber)).count }.count
        say("  客户组合：\(allPortfolios.count) 家公司共 \(allPortfolios.reduce(0) { $0 + $1.services.count }) 项服务（按服务数的公司数 \(sizeText)），\(sharing) 份合同覆盖多项服务（金额为其续费金额之和），\(renewedContracts) 家公司另存有已到期并已续签的旧合同",
            "  portfolios: \(allPortfolios.count) companies with \(allPortfolios.reduce(0) { $0 + $1.services.count }) services (companies by service count \(sizeText)), \(sharing) contracts covering several services (amount = the sum of their renewals), \(renewedContracts) companies also holding an expired, renewed contract")
        let encodings = "companies.csv GB18030, contracts.csv UTF-8 BOM, services.csv/materials.csv UTF-8"
        say("  表格编码：\(encodings)", "  spreadsheet encodings: \(encodings)")

        // The cloud: the simulator, loaded from the same services.csv files the agencies imported; the nights
        // reach it through the real adapter over loopback HTTP, every request signed.
        let cloud = try DemoCloud.start(seed: options.seed, stateDirectory: (output as NSString).appendingPathComponent("cloud-state"),
                                        environment: ProcessInfo.processInfo.environment)
        defer { cloud.stop() }
        var instances = 0
        for directory in directories { instances += try cloud.load(directory: directory) }
        var nightJob = demoJob
        nightJob.consoleAdapter = "simulator"
        nightJob.cloud.simulatorURL = cloud.url
        nightJob.cloud.timeoutSeconds = 5
        say("云模拟器：\(cloud.url)（阿里云签名协议，经回环 HTTP），从各代理机构的 services.csv 载入 \(instances) 个实例",
            "cloud simulator: \(cloud.url) (Alibaba Cloud's signed protocol over loopback HTTP), \(instances) instances loaded from the agencies' services.csv")

        // 3. Plan, then the nights.
        let planned = try Planner.plan(database: database, tenantIds: tenants.map(\.id), asOf: options.startDate,
                                       windowDays: demoJob.planWindowDays)
        say("计划 \(options.startDate)：\(planned.reduce(0) { $0 + $1.planned }) 项年检（\(demoJob.planWindowDays) 天内到期的服务）",
            "plan \(options.startDate): \(planned.reduce(0) { $0 + $1.planned }) inspections (services expiring within \(demoJob.planWindowDays) days)")
        var nights: [Night] = []
        var requeued = 0
        var corrected = 0
        var date = calendar.isBusinessDay(options.startDate) ? options.startDate : calendar.adding(businessDays: 1, to: options.startDate)
        var retried = 0
        var cloudBefore = try cloud.figures(retried: 0)
        for number in 1...options.nights {
            try cloud.setBusinessDate(date)
            let summary = try runNight(database, nightJob, date)
            let totals = try currentTotals(database: database, tenants: tenants)
            let runId = summary.runId
            retried += try database.runBlocking { try DemoQueries.retries($0, runId: runId) }
            let cloudAfter = try cloud.figures(retried: retried)
            let seen = cloudAfter - cloudBefore
            cloudBefore = cloudAfter
            let night = Night(number: number, date: date, claimed: summary.claimed, byState: summary.byState, totals: totals,
                              seconds: summary.seconds, cloud: seen)
            nights.append(night)
            say("第 \(number) 夜 \(date)（\(weekdayZh(date))）：领取 \(summary.claimed)；\(describe(summary.byState, empty: "无到期工作"))；\(String(format: "%.1f", summary.seconds)) 秒 | 当前：\(describe(totals, empty: "无"))",
                "night \(number) \(date) (\(weekdayEn(date))): claimed \(summary.claimed); \(describe(summary.byState, empty: "nothing due")); \(String(format: "%.1f", summary.seconds)) s | now: \(describe(totals, empty: "none"))")

            say("  云端：签名请求 \(seen.signed) 个（\(seen.refusedSignatures == 0 ? "全部验签通过" : "\(seen.refusedSignatures) 个被拒")），限流 \(seen.throttled) 次，重试 \(seen.retried) 次，新下单 \(seen.orders) 个，支付 \(seen.paid)，取消 \(seen.cancelled)",
                "  cloud: \(seen.signed) requests signed (\(seen.refusedSignatures == 0 ? "all verified" : "\(seen.refusedSignatures) refused")), \(seen.throttled) throttled, \(seen.retried) retried, \(seen.orders) orders made, \(seen.paid) paid, \(seen.cancelled) cancelled")
            if let retried = summary.byState[InspectionState.pending.rawValue], retried > 0 {
                say("  （pending \(retried)：云端临时故障（503、限流、下单后应答丢失），已按退避策略在当夜重试（同一 ClientToken），不算驳回）",
                    "  (pending \(retried): transient cloud faults (503s, throttling, answers lost after the order) retried with backoff within the night with the same ClientToken, never shown as rejections)")
            }

            // 4. The operator's day after a night.
            let morning = Timestamp(chinaDate: date, hour: 10)
            if number == 2 {
                let fix = try correctAndRequeue(database: database, tenants: tenants, files: files, defects: defects,
                                                output: output, seed: options.seed, referenceDate: options.startDate, now: morning, language: language)
                corrected += fix.companies
                requeued += fix.requeued
                for directory in directories {
                    let fixedSheets = (directory as NSString).appendingPathComponent("corrected")
                    if FileManager.default.fileExists(atPath: (fixedSheets as NSString).appendingPathComponent("services.csv")) {
                        try cloud.load(directory: fixedSheets)
                    }
                }
                say("  操作员（\(date)）：重新导入 \(fix.companies) 家公司更正后的表格（\(fix.changes)），并将其重新排队 \(fix.requeued) 项",
                    "  operator (\(date)): re-imported corrected spreadsheets for \(fix.companies) companies (\(fix.changes)) and re-queued \(fix.requeued) inspections")
            } else if number == 3 {
                let moved = try requeueRejectedAndFailed(database: database, tenants: tenants, now: morning)
                requeued += moved
                say("  操作员（\(date)）：补充材料、更正信息后重新提交被驳回的年检，并重试失败的年检：重新排队 \(moved) 项",
                    "  operator (\(date)): resubmitted inspections rejected for incomplete materials or inaccurate information, retried failed ones: re-queued \(moved)")
            }
            date = calendar.adding(businessDays: 1, to: date)
        }
        let asOf = nights.last?.date ?? options.startDate
        let cloudTotal = try cloud.figures(retried: retried)
        say("模拟夜间合计（云端）：签名请求 \(cloudTotal.signed) 个，被拒签名 \(cloudTotal.refusedSignatures) 个，限流 \(cloudTotal.throttled) 次，注入故障 \(cloudTotal.faults) 次，下单后丢失应答 \(cloudTotal.lostAnswers) 次，重试 \(cloudTotal.retried) 次；订单 \(cloudTotal.orders) 个（支付 \(cloudTotal.paid)，取消 \(cloudTotal.cancelled)）",
            "simulated nights, the cloud's figures: \(cloudTotal.signed) requests signed, \(cloudTotal.refusedSignatures) signatures refused, \(cloudTotal.throttled) throttled, \(cloudTotal.faults) faults injected, \(cloudTotal.lostAnswers) answers lost after the order, \(cloudTotal.retried) retried; \(cloudTotal.orders) orders (\(cloudTotal.paid) paid, \(cloudTotal.cancelled) cancelled)")

        // 5. Reports: a table per agency, one self-contained HTML file each, and the platform summary.
        var reportFiles: [String: String] = [:]
        for tenant in tenants {
            let report = try ReportBuilder.tenantReport(database: database, tenant: tenant, asOf: asOf, calendar: calendar)
            if options.printReports {
                log("")
                log(ReportRenderer.render(report, format: .table, language: language))
            }
            let path = (output as NSString).appendingPathComponent("\(tenant.slug).html")
            try write(ReportRenderer.render(report, format: .html, language: language), to: path)
            reportFiles[tenant.slug] = path
        }
        let platform = try ReportBuilder.platformSummary(database: database, asOf: asOf)
        let platformFile = (output as NSString).appendingPathComponent("platform.html")
        try write(ReportRenderer.render(platform, format: .html, language: language), to: platformFile)
        log("")
        log(ReportRenderer.render(platform, format: .table, language: language))
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        say("报告（HTML，单文件，可直接转发）：", "reports (self-contained HTML, ready to forward):")
        for tenant in tenants { if let path = reportFiles[tenant.slug] { log("  \(path)") } }
        log("  \(platformFile)")
        say("客户表格：\((output as NSString).appendingPathComponent("spreadsheets"))/<代理机构>/",
            "client spreadsheets: \((output as NSString).appendingPathComponent("spreadsheets"))/<agency>/")
        say("演示完成，用时 \(String(format: "%.1f", seconds)) 秒。", "demo finished in \(String(format: "%.1f", seconds)) s.")

        return Outcome(tenants: tenants, companies: Dictionary(uniqueKeysWithValues: zip(slugs, agencySizes)),
                       services: files.mapValues { $0.values.reduce(0) { $0 + $1.services.count } },
                       companiesByServiceCount: sizes, sharedContracts: sharing,
                       defects: defects.mapValues { plan in plan.keys.sorted().compactMap { plan[$0] } }, nights: nights,
                       requeued: requeued, corrected: corrected, spreadsheetDirectories: directories, reportFiles: reportFiles,
                       platformFile: platformFile, seconds: seconds, cloud: cloudTotal)
    }

    /// Current inspections by state, all demo agencies together.
    static func currentTotals(database: Database, tenants: [TenantRecord]) throws -> [String: Int] {
        let ids = Set(tenants.map(\.slug))
        let summary = try ReportBuilder.platformSummary(database: database, asOf: nil)
        var totals: [String: Int] = [:]
        for row in summary.rows where ids.contains(row.tenantSlug) {
            for (state, count) in row.counts where count > 0 { totals[state.rawValue, default: 0] += count }
        }
        return totals
    }
}
