import Foundation
import NianjianDomain
import NianjianOperations
import NianjianStore
import Testing

@Suite("reports")
struct ReportTests {
    static let asOf = CivilDate(year: 2026, month: 3, day: 16) ?? CivilDate(daysSinceEpoch: 0)

    /// Tenant `acme` with one inspection in each state and a renewal; tenant `other` with its own rows.
    static func dataset(_ fixture: OpsFixture) throws -> (TenantRecord, TenantRecord) {
        let tenant = try fixture.tenant("acme", name: "Acme Agency")
        let other = try fixture.tenant("other", name: "Other Agency")
        try fixture.importOK(tenant, Sheets.files)
        try fixture.importOK(other, [
            "companies.csv": Array("company_ref,name,legal_representative,contact_name,contact_phone,contact_email\nZ1,Zeta Secret Co,Z,,,\n".utf8),
            "contracts.csv": Array("company_ref,contract_number,amount,starts_on,ends_on\nZ1,HZ,5.00,2025-01-01,2027-01-01\n".utf8),
            "services.csv": Array("company_ref,service_ref,console_instance_id,service_type,region,expires_on,renewal_amount,renewal_method,contract_number\nZ1,ZS1,i-z,ECS,cn,2026-03-20,5.00,auto,HZ\nZ1,ZS2,i-z2,ECS,cn,2026-04-01,5.00,auto,HZ\n".utf8),
        ])
        let findings = String(decoding: try JSONEncoder().encode([Finding(.usccCheckCharacter, document: .businessLicense),
                                                                   Finding(.contractAmountMismatch)]), as: UTF8.self)
        // Review dates around the 2026 Spring Festival (State Council notice: 15–23 February off, Saturdays
        // 14 and 28 February working days), so that business days differ from Monday–Friday.
        let approved = try fixture.inspection(tenant, "S001", state: "approved", submittedAt: "2026-02-26T01:00:00+08",
                                              decidedAt: "2026-03-02T01:00:00+08", renewedUntil: "2027-03-31", amount: "1234.50",
                                              ticket: "T-1")
        try fixture.database.runBlocking { session in
            try session.query("""
                INSERT INTO service_renewals (tenant_id, inspection_id, service_id, previous_until, renewed_until, amount)
                SELECT tenant_id, id, service_id, due_on, renewed_until, renewal_amount FROM inspections WHERE id = $1
                """, [.init(approved)])
            // Nightly progress: events on two China business dates.
            try session.query("""
                INSERT INTO inspection_events (tenant_id, inspection_id, business_at, actor, kind, from_state, to_state)
                VALUES ($1, $2, '2026-03-04T01:00:00+08', 'runner', 'submitted', 'submitting', 'in_review'),
                       ($1, $2, '2026-03-05T01:30:00+08', 'runner', 'approved', 'in_review', 'approved')
                """, [.init(tenant.id), .init(approved)])
        }
        try fixture.inspection(tenant, "S002", state: "needs_materials", findings: findings)
        try fixture.inspection(tenant, "S003", state: "rejected", reason: "incomplete_materials",
                               submittedAt: "2026-02-13T01:00:00+08", decidedAt: "2026-02-27T01:00:00+08", ticket: "T-3")
        try fixture.inspection(tenant, "S004", state: "failed", lastError: "login failed: network", attempts: 5)
        try fixture.inspection(tenant, "S005", state: "in_review", submittedAt: "2026-02-27T01:00:00+08", ticket: "T-5")
        // S006 (2026-06-30) is beyond 60 days; S007 (2026-04-30) expires within 60 days with no inspection.
        try fixture.inspection(other, "ZS1", state: "failed", lastError: "other tenant error", attempts: 2)
        return (tenant, other)
    }

    static func json(_ text: String?) throws -> [String: Any] {
        let text = text ?? ""
        return try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
    }

    @Test func jsonHasTheRightNumbers() throws {
        let fixture = try OpsFixture()
        defer { fixture.close() }
        let (tenant, _) = try Self.dataset(fixture)
        let report = try ReportBuilder.tenantReport(database: fixture.database, tenant: tenant, asOf: Self.asOf)
        let object = try Self.json(ReportOutput.render(report, format: "json", language: .en, toFile: false))
        #expect(object["tenant"] as? String == "acme")
        #expect(object["as_of"] as? String == "2026-03-16")
        let counts = object["counts"] as? [String: Int] ?? [:]
        #expect(counts["approved"] == 1 && counts["needs_materials"] == 1 && counts["rejected"] == 1)
        #expect(counts["failed"] == 1 && counts["in_review"] == 1 && counts["pending"] == 0)
        let approved = object["approved"] as? [[String: Any]] ?? []
        #expect(approved.count == 1)
        #expect(approved.first?["company_ref"] as? String == "C001")
        #expect(approved.first?["service_ref"] as? String == "S001")
        #expect(approved.first?["renewed_until"] as? String == "2027-03-31")
        #expect(approved.first?["amount"] as? String == "1234.50")
        #expect(object["renewal_total"] as? String == "1234.50")
        let needs = object["needs_materials"] as? [[String: Any]] ?? []
        #expect(needs.first?["service_ref"] as? String == "S002")
        let codes = (needs.first?["findings"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
        #expect(codes == ["uscc.check_character", "contract.amount_mismatch"])
        #expect((needs.first?["findings"] as? [[String: Any]])?.first?["severity"] as? String != nil)
        let rejected = object["rejected"] as? [[String: Any]] ?? []
        #expect(rejected.first?["reason"] as? String == "incomplete_materials")
        #expect(rejected.first?["service_ref"] as? String == "S003")
        let failed = object["failed"] as? [[String: Any]] ?? []
        #expect(failed.first?["service_ref"] as? String == "S004")
        let attempts = failed.first?["attempts"] as? Int
        #expect(attempts == 5)
        let expiring = object["expiring_without_inspection"] as? [[String: Any]] ?? []
        #expect(expiring.compactMap { $0["service_ref"] as? String } == ["S007"])
        let daysLeft = expiring.first?["days_left"] as? Int
        #expect(daysLeft == 45)
        // Business days, counted by hand from the 2026 notice (days in (submitted, date]):
        // S005 in review since Fri 27 Feb: Sat 28 Feb (make-up), 2–6, 9–13 and 16 March = 12 (Monday–Friday: 11).
        #expect(report.inReview.first?.businessDaysWaiting == 12)
        // S001 26 Feb → 2 Mar: 27 Feb, Sat 28 Feb (make-up), 2 Mar = 3 (Monday–Friday: 2).
        // S003 13 Feb → 27 Feb: Sat 14 Feb (make-up), then 15–23 off, 24–27 Feb = 5 (Monday–Friday: 10).
        #expect(report.reviewDays.count == 2)
        #expect(report.reviewDays.medianBusinessDays == 4.0)
        #expect(report.reviewDays.p90BusinessDays.map { abs($0 - 4.8) < 1e-9 } == true, "\(report.reviewDays)")
        #expect(((object["in_review"] as? [[String: Any]])?.first?["business_days_waiting"] as? Int) == 12, "\(object["in_review"] ?? "")")
        let march = { (day: Int) in CivilDate(year: 2026, month: 3, day: day) ?? Self.asOf }
        #expect(report.nightlyProgress.map(\.date) == [march(4), march(5)])
        #expect(report.nightlyProgress.first?.inReview == 1)
        #expect(report.nightlyProgress.last?.approved == 1)
        // Table, CSV and HTML carry the same rows: every service of the report, the renewal total, the reason.
        for format in ["table", "csv", "html"] {
            let text = ReportOutput.render(report, format: format, language: .zh, toFile: false) ?? ""
            for expected in ["S001", "S002", "S003", "S004", "S005", "S007", "1234.50", "2027-03-31", "login failed: network"] {
                #expect(text.contains(expected), "\(format) lacks \(expected)")
            }
            #expect(!text.contains("S006"), "\(format) lists S006, which expires beyond 60 days with no inspection")
        }
        #expect(ReportOutput.render(report, format: "csv", language: .zh, toFile: true)?.hasPrefix("\u{FEFF}") == true)
    }

    @Test func htmlEscapesCompanyNames() throws {
        let fixture = try OpsFixture()
        defer { fixture.close() }
        let (tenant, _) = try Self.dataset(fixture)
        try fixture.inspection(tenant, "S006", state: "failed", lastError: "<img src=x onerror=alert(2)>", attempts: 1)
        let report = try ReportBuilder.tenantReport(database: fixture.database, tenant: tenant, asOf: Self.asOf)
        #expect(report.failed.contains { $0.companyName == "<script>alert(1)</script>" })
        let html = ReportOutput.render(report, format: "html", language: .en, toFile: true) ?? ""
        #expect(!html.contains("<script>alert(1)</script>"))
        #expect(!html.contains("<img src=x"))
        #expect(html.contains("&lt;script&gt;"))
    }

    @Test func aReportNeverShowsAnotherTenantsRows() throws {
        let fixture = try OpsFixture()
        defer { fixture.close() }
        let (tenant, other) = try Self.dataset(fixture)
        let report = try ReportBuilder.tenantReport(database: fixture.database, tenant: tenant, asOf: Self.asOf)
        for format in ["json", "table", "csv", "html"] {
            let text = ReportOutput.render(report, format: format, language: .en, toFile: false) ?? ""
            #expect(!text.contains("Zeta Secret") && !text.contains("ZS1") && !text.contains("other tenant error"), "\(format)")
        }
        let otherReport = try ReportBuilder.tenantReport(database: fixture.database, tenant: other, asOf: Self.asOf)
        #expect(otherReport.totalCount == 1)
        #expect(otherReport.failed.map(\.serviceRef) == ["ZS1"])
        #expect(otherReport.expiringWithoutInspection.map(\.serviceRef) == ["ZS2"])
        // A tenant record whose id is another tenant's cannot widen the view: RLS scopes by the id set in the
        // session. acme's slug with other's id shows other's rows only (and says so); an unknown id is refused.
        let forged = TenantRecord(id: other.id, slug: tenant.slug, name: tenant.name, weight: 1, maxConcurrency: nil,
                                  submitRate: nil, pollRate: nil)
        let forgedReport = try ReportBuilder.tenantReport(database: fixture.database, tenant: forged, asOf: Self.asOf)
        #expect(forgedReport.tenantSlug == "other", "the report names the tenant whose rows it shows")
        #expect(forgedReport.totalCount == 1 && forgedReport.failed.map(\.serviceRef) == ["ZS1"])
        #expect(forgedReport.approved.isEmpty && forgedReport.inReview.isEmpty)
        let unknown = TenantRecord(id: 9_999_999, slug: tenant.slug, name: tenant.name, weight: 1, maxConcurrency: nil,
                                   submitRate: nil, pollRate: nil)
        #expect(throws: OperationsError.self) { try ReportBuilder.tenantReport(database: fixture.database, tenant: unknown, asOf: Self.asOf) }
        let summary = try ReportBuilder.platformSummary(database: fixture.database, asOf: Self.asOf)
        #expect(summary.rows.map(\.tenantSlug) == ["acme", "other"])
        #expect(summary.rows.first?.totalCount == 5)
        #expect(summary.rows.first?.renewalTotal == Money(fen: 123_450))
        #expect(summary.rows.last?.count(of: .failed) == 1)
    }
}
