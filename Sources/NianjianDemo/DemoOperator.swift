import Foundation
import NianjianDomain
import NianjianOperations
import NianjianStore

// The demo's simulated operator: the day after a night, correct what the office can fix, re-import and
// re-queue; resubmit what was rejected for reasons the office can remedy.
extension Demo {
    // MARK: The operator's fixes

    struct Fix {
        var companies = 0
        var requeued = 0
        var changes = ""
    }

    /// Re-imports corrected spreadsheets (only the corrected companies' rows, as an operator would send
    /// them) for companies waiting on materials whose defect the office can fix, then re-queues them.
    static func correctAndRequeue(database: Database, tenants: [TenantRecord], files: [String: [Int: SyntheticPortfolio]],
                                  defects: [String: [Int: SyntheticCompanies.Defect]], output: String,
                                  seed: UInt64, referenceDate: CivilDate, now: Timestamp, language: Language) throws -> Fix {
        var fix = Fix()
        var created = 0
        var updated = 0
        for tenant in tenants {
            guard let plan = defects[tenant.slug], let agencyFiles = files[tenant.slug],
                  let agency = agencies.first(where: { $0.slug == tenant.slug }) else { continue }
            let waiting = try companiesNeedingMaterials(database: database, tenant: tenant)
            var fixed: [CompanyFile] = []
            for index in plan.keys.sorted() {
                guard let defect = plan[index], operatorFixes(defect), let portfolio = agencyFiles[index],
                      waiting.contains(portfolio.company.ref) else { continue }
                let original = SyntheticCompanies(seed: seed ^ agency.salt)
                    .portfolio(index: index, defect: nil, referenceDate: referenceDate)
                fixed.append(corrected(portfolio.file, defect: defect, original: original.file, referenceDate: referenceDate))
            }
            guard !fixed.isEmpty else { continue }
            let directory = (((output as NSString).appendingPathComponent("spreadsheets") as NSString)
                .appendingPathComponent(tenant.slug) as NSString).appendingPathComponent("corrected")
            try writeSpreadsheets(fixed, to: directory)
            let summary = try importOrThrow(database: database, tenant: tenant, directory: directory, language: language)
            for counts in summary.files.values { created += counts.created; updated += counts.updated }
            for file in fixed {
                let result = try Requeuer.requeue(database: database, tenant: tenant, RequeueRequest(
                    states: [.needsMaterials], companyRef: file.company.ref,
                    note: "客户已补齐/更正材料，表格已重新导入 / the client's materials were completed or corrected and re-imported",
                    operatorName: "demo-operator", now: now))
                fix.requeued += result.moved.count
            }
            fix.companies += fixed.count
        }
        fix.changes = language == .zh ? "新增 \(created) 行，更新 \(updated) 行" : "\(created) rows created, \(updated) updated"
        return fix
    }

    /// The corrected company file for a defect the office can fix. `original` is the same company
    /// generated without the defect: identical but for what the defect changed (the generator draws
    /// everything else before planting it), so the collected document, the corrected amount or contract
    /// number is the original's.
    static func corrected(_ file: CompanyFile, defect: SyntheticCompanies.Defect, original: CompanyFile,
                          referenceDate: CivilDate) -> CompanyFile {
        switch defect {
        case .missingDocument, .amountMismatch, .contractDocumentMissing, .contractNotOnFile:
            return original
        case .expiredIdentity:
            // The renewed ID card: same number, a new validity period from last week.
            var file = file
            let renewed = referenceDate.adding(days: -7)
            file.materials = file.materials.map { material in
                guard material.kind == .idCard else { return material }
                var copy = material
                copy.validFrom = renewed
                copy.validUntil = renewed.adding(months: 240)
                return copy
            }
            return file
        case .badCheckCharacter, .lapsedService:
            return file
        }
    }

    static func companiesNeedingMaterials(database: Database, tenant: TenantRecord) throws -> Set<String> {
        let report = try ReportBuilder.tenantReport(database: database, tenant: tenant, asOf: Demo.defaultStartDate,
                                                    recentRuns: 1, progressNights: 1)
        return Set(report.needsMaterials.map(\.companyRef))
    }

    /// Rejections an operator can remedy from the office, and failures, back to pending.
    static func requeueRejectedAndFailed(database: Database, tenants: [TenantRecord], now: Timestamp) throws -> Int {
        var moved = 0
        for tenant in tenants {
            for reason in [RejectionReason.incompleteMaterials, .inaccurateInformation] {
                moved += try Requeuer.requeue(database: database, tenant: tenant, RequeueRequest(
                    states: [.rejected], reasonCode: reason.rawValue,
                    note: reason == .incompleteMaterials
                        ? "已收集补充材料，重新提交 / supplementary materials collected, resubmitting"
                        : "已更正信息，重新提交 / information corrected, resubmitting",
                    operatorName: "demo-operator", now: now)).moved.count
            }
            moved += try Requeuer.requeue(database: database, tenant: tenant, RequeueRequest(
                states: [.failed], note: "控制台故障已排除，重试 / console trouble cleared, retrying",
                operatorName: "demo-operator", now: now)).moved.count
        }
        return moved
    }

}
