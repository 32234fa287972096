// `--format json`: the contract scripts rely on. Keys appear in the order below (fixed, documented);
// maps keyed by data (counts, by_state) are in InspectionState declaration order / sorted key order.
//
// {
//   "tenant": slug, "tenant_name", "as_of": "YYYY-MM-DD", "cycle": n, "language": "zh"|"en",
//   "counts": {state rawValue: n, … every state},  "total": n,
//   "approved": [{"company_ref","company_name","service_ref","renewed_until","amount"}],
//   "renewal_total": "1234.50",
//   "needs_materials": [{"company_ref","company_name","service_ref",
//                        "findings": [{"code","severity","message","remedy","document"|null,"contract_number"|null,
//                                      "service_ref"|null (null: company-wide)}]}],
//   "companies": [{"company_ref","company_name",
//                  "services": [{"service_ref","contract_number","state","inspection_id"}],
//                  "findings": [{…as above, "services": [service_ref…]}]}]   (companies needing attention),
//   "rejected": [{"company_ref","company_name","service_ref","reason","message","remedy","rejected_at"|null}],
//   "failed": [{"company_ref","company_name","service_ref","last_error","attempts"}],
//   "in_review": [{"company_ref","company_name","service_ref","ticket","submitted_on","business_days_waiting"}],
//   "expiring_without_inspection": [{"company_ref","company_name","service_ref","expires_on","days_left","window_days"}],
//   "review_days": {"count", "median"|null, "p90"|null},            (numbers with one decimal)
//   "runs": [{"run_id","started_at","finished_at"|null,"as_of","claimed","by_state":{…}}],
//   "nightly_progress": [{"date","approved","rejected","needs_materials","failed","in_review"}]
// }
// Amounts are decimal strings in yuan with two decimals; "message"/"remedy" are in the requested language.

import NianjianDomain

extension ReportRenderer {
    public static func json(_ report: TenantReport, language: Language) -> String {
        jsonValue(report, language: language).serialized()
    }

    static func jsonValue(_ report: TenantReport, language: Language) -> JSONValue {
        func company(_ ref: String, _ name: String, _ service: String) -> [(String, JSONValue)] {
            [("company_ref", .string(ref)), ("company_name", .string(name)), ("service_ref", .string(service))]
        }
        let counts = JSONValue.object(InspectionState.allCases.map { ($0.rawValue, .int(report.count(of: $0))) })
        let approved = report.approved.map { item in
            JSONValue.object(company(item.companyRef, item.companyName, item.serviceRef) + [
                ("renewed_until", .string(item.renewedUntil.description)),
                ("amount", .string(item.amount.yuanString)),
            ])
        }
        func findingValue(_ finding: ReportFinding) -> [(String, JSONValue)] {
            [("code", .string(finding.code)), ("severity", .string(finding.severity)),
             ("message", .string(finding.message(language))), ("remedy", .string(finding.remedy(language))),
             ("document", .optional(finding.document)), ("contract_number", .optional(finding.contractNumber)),
             ("service_ref", .optional(finding.serviceRef))]
        }
        let needs = report.needsMaterials.map { item in
            JSONValue.object(company(item.companyRef, item.companyName, item.serviceRef) + [
                ("findings", .array(item.findings.map { .object(findingValue($0)) })),
            ])
        }
        let companies = report.companies.map { status in
            JSONValue.object([
                ("company_ref", .string(status.companyRef)), ("company_name", .string(status.companyName)),
                ("services", .array(status.services.map { service in
                    .object([("service_ref", .string(service.serviceRef)), ("contract_number", .optional(service.contractNumber)),
                             ("state", .string(service.state.rawValue)),
                             ("inspection_id", service.inspectionId.map { JSONValue.int(Int($0)) } ?? .null)])
                })),
                ("findings", .array(status.findings.map { entry in
                    .object(findingValue(entry.finding) + [("services", .array(entry.serviceRefs.map { .string($0) }))])
                })),
            ])
        }
        let rejected = report.rejected.map { item in
            JSONValue.object(company(item.companyRef, item.companyName, item.serviceRef) + [
                ("reason", .string(item.reason.rawValue)),
                ("message", .string(item.reason.message(language))),
                ("remedy", .string(item.reason.remedy(language))),
                ("rejected_at", .optional(item.rejectedAt?.description)),
            ])
        }
        let failed = report.failed.map { item in
            JSONValue.object(company(item.companyRef, item.companyName, item.serviceRef) + [
                ("last_error", .string(Redaction.scrub(item.lastError))),
                ("attempts", .int(item.attempts)),
            ])
        }
        let inReview = report.inReview.map { item in
            JSONValue.object(company(item.companyRef, item.companyName, item.serviceRef) + [
                ("ticket", .string(item.ticket)),
                ("submitted_on", .string(item.submittedOn.description)),
                ("business_days_waiting", .int(item.businessDaysWaiting)),
            ])
        }
        let expiring = report.expiringWithoutInspection.map { item in
            JSONValue.object(company(item.companyRef, item.companyName, item.serviceRef) + [
                ("expires_on", .string(item.expiresOn.description)),
                ("days_left", .int(item.daysLeft)),
                ("window_days", .int(item.windowDays)),
            ])
        }
        func optionalDecimal(_ value: Double?) -> JSONValue {
            value.map { JSONValue.decimal($0, places: 1) } ?? .null
        }
        let reviewDays = JSONValue.object([
            ("count", .int(report.reviewDays.count)),
            ("median", optionalDecimal(report.reviewDays.medianBusinessDays)),
            ("p90", optionalDecimal(report.reviewDays.p90BusinessDays)),
        ])
        let runs = report.recentRuns.map { run in
            JSONValue.object([
                ("run_id", .int64(run.runId)),
                ("started_at", .string(run.startedAt)),
                ("finished_at", .optional(run.finishedAt)),
                ("as_of", .string(run.asOf.description)),
                ("claimed", .int(run.claimed)),
                ("by_state", .object(run.byState.keys.sorted().map { ($0, .int(run.byState[$0] ?? 0)) })),
            ])
        }
        let progress = report.nightlyProgress.map { night in
            JSONValue.object([
                ("date", .string(night.date.description)),
                ("approved", .int(night.approved)),
                ("rejected", .int(night.rejected)),
                ("needs_materials", .int(night.needsMaterials)),
                ("failed", .int(night.failed)),
                ("in_review", .int(night.inReview)),
            ])
        }
        return .object([
            ("tenant", .string(report.tenantSlug)),
            ("tenant_name", .string(report.tenantName)),
            ("as_of", .string(report.asOf.description)),
            ("cycle", .int(report.cycle)),
            ("language", .string(language.rawValue)),
            ("counts", counts),
            ("total", .int(report.totalCount)),
            ("approved", .array(approved)),
            ("renewal_total", .string(report.renewalTotal.yuanString)),
            ("needs_materials", .array(needs)),
            ("companies", .array(companies)),
            ("rejected", .array(rejected)),
            ("failed", .array(failed)),
            ("in_review", .array(inReview)),
            ("expiring_without_inspection", .array(expiring)),
            ("review_days", reviewDays),
            ("runs", .array(runs)),
            ("nightly_progress", .array(progress)),
        ] + replicaField(report.replicaReplayAt))
    }

    /// `report --all --format json`:
    /// {"as_of"|null, "tenants": [{"tenant","tenant_name","counts":{…},"total","renewal_total","last_run_at"|null}],
    ///  "totals": {"counts":{…},"total","renewal_total"}}
    public static func platformJSON(_ summary: PlatformSummary, language: Language) -> String {
        func counts(_ lookup: (InspectionState) -> Int) -> JSONValue {
            .object(InspectionState.allCases.map { ($0.rawValue, .int(lookup($0))) })
        }
        let totals = summary.totalCounts
        let value = JSONValue.object([
            ("as_of", .optional(summary.asOf?.description)),
            ("tenants", .array(summary.rows.map { row in
                .object([
                    ("tenant", .string(row.tenantSlug)),
                    ("tenant_name", .string(row.tenantName)),
                    ("counts", counts(row.count(of:))),
                    ("total", .int(row.totalCount)),
                    ("renewal_total", .string(row.renewalTotal.yuanString)),
                    ("last_run_at", .optional(row.lastRunAt)),
                ])
            })),
            ("totals", .object([
                ("counts", counts { totals[$0] ?? 0 }),
                ("total", .int(totals.values.reduce(0, +))),
                ("renewal_total", .string(summary.totalRenewal.yuanString)),
            ])),
        ] + replicaField(summary.replicaReplayAt))
        return value.serialized()
    }

    /// `"replica_replay_at"`, only for a report read from a standby.
    static func replicaField(_ replayed: String?) -> [(String, JSONValue)] {
        replayed.map { [("replica_replay_at", JSONValue.string($0))] } ?? []
    }
}
