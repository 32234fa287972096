import Foundation
import Logging
import NianjianConsole
import NianjianDomain
import NianjianMockConsole
import NianjianOperations
import NianjianPostgres
import NianjianReports
import NianjianRunner
import NianjianStore
import NianjianTestSupport
import Testing

// Real client portfolios end to end (issue 10): companies with several services and contracts, sheets
// imported, planned, run through a night on PostgreSQL, re-imported after renewals, re-queued and reported.

/// A quick job: instant console, reviews decided at the first poll, retries in milliseconds.
private func portfolioJob(routing: StatementRouting = .combined) -> JobDefinition {
    var job = JobDefinition()
    job.planFirst = false
    job.database.routing = routing
    job.retry = RetryPolicy(maxAttempts: 5, baseDelaySeconds: 0.01, multiplier: 2, maxDelaySeconds: 0.05, jitter: 0)
    job.poll = PollSchedule(firstPollAfterBusinessDays: 0, firstPollAfterSeconds: 0, thenEveryBusinessDays: 0, thenEverySeconds: 0.01)
    job.rateLimits.submit.perSecond = 0
    job.rateLimits.poll.perSecond = 0
    job.batch.flushMilliseconds = 5
    var console = MockConsoleSettings()
    console.reviewBusinessDays = 0
    console.seed = 5
    job.console = console
    return job
}

private func night(_ database: Database, asOf: CivilDate,
                   routing: StatementRouting = .combined) async throws -> NianjianRunner.RunSummary {
    try await offThePool {
        var logger = Logger(label: "test.portfolio")
        logger.logLevel = .error
        return try Nightly.run(database: database, job: portfolioJob(routing: routing), asOf: asOf, logger: logger)
    }
}

private func date(_ text: String) -> CivilDate { CivilDate(iso: text) ?? CivilDate(daysSinceEpoch: 0) }

/// Each service's latest inspection: state and finding codes, by service ref.
private func outcomes(_ fixture: OpsFixture) throws -> [String: (state: String, codes: Set<String>)] {
    try fixture.database.runBlocking { session in
        var out: [String: (String, Set<String>)] = [:]
        let rows = try session.query("""
            SELECT DISTINCT ON (s.id) s.service_ref, i.state,
                   ARRAY(SELECT f->>'code' FROM jsonb_array_elements(i.findings) f WHERE f->>'severity' = 'error')
              FROM services s JOIN inspections i ON i.tenant_id = s.tenant_id AND i.service_id = s.id
             ORDER BY s.id, i.cycle DESC, i.id DESC
            """)
        for row in rows.rows {
            out[try row.requireString(0)] = (try row.requireString(1), Set((try row.textArray(2) ?? []).compactMap { $0 }))
        }
        return out
    }
}

@Suite("portfolios end to end", .serialized)
struct PortfolioTests {
    /// 100 companies with 1–4 services each, every kind of defect planted: one night on PostgreSQL approves and
    /// renews every clean service exactly once and stops every defect exactly where it was planted (with the
    /// company files loaded in one statement for the batch, or by tenant).
    @Test(arguments: StatementRouting.allCases)
    func aNightOverMixedPortfoliosFindsEveryDefectWhereItWasPlanted(routing: StatementRouting) async throws {
        let fixture = try OpsFixture()
        defer { fixture.close() }
        let asOf = Scenario.asOf
        let kinds = SyntheticCompanies.Defect.allCases
        let loaded = try Scenario.loadPortfolios(fixture.database, tenants: [
            .init(slug: "mixed", companies: 100, servicesPerCompany: 1...4,
                  defect: { index in index % 7 == 3 ? kinds[(index / 7) % kinds.count] : nil }),
        ], seed: 21, asOf: asOf)
        let portfolios = try #require(loaded.portfolios["mixed"])
        let services = portfolios.flatMap(\.services)
        #expect(services.count > 170, "\(services.count) services for 100 companies")
        #expect(portfolios.filter { $0.services.count >= 3 }.count >= 20)
        #expect(Set(portfolios.compactMap(\.defect)) == Set(kinds))

        let summary = try await night(fixture.database, asOf: asOf, routing: routing)
        #expect(summary.claimed >= services.count)
        let seen = try outcomes(fixture)
        #expect(seen.count == services.count)
        var clean = 0, stopped = 0
        for portfolio in portfolios {
            for service in portfolio.services {
                let expected = portfolio.expectedCodes[service.ref, default: []]
                let outcome = try #require(seen[service.ref], "\(service.ref) has no inspection")
                if expected.isEmpty {
                    #expect(outcome.state == "approved", "\(service.ref) \(outcome)")
                    clean += 1
                } else {
                    #expect(outcome.state == "needs_materials", "\(service.ref) \(outcome)")
                    #expect(outcome.codes == Set(expected.map(\.rawValue)), "\(service.ref): \(outcome.codes) vs \(expected)")
                    stopped += 1
                }
            }
        }
        #expect(clean > 150 && stopped > 10, "clean \(clean), stopped \(stopped)")
        // Exactly once: one renewal per approved inspection, each moving its service by exactly one term.
        #expect(try fixture.scalar("SELECT count(*) FROM service_renewals") == String(clean))
        #expect(try fixture.scalar("""
            SELECT count(*) FROM services s JOIN inspections i ON i.tenant_id = s.tenant_id AND i.service_id = s.id
             WHERE i.state = 'approved' AND s.expires_on <> (i.due_on + make_interval(months => s.term_months))::date
            """) == "0")
        // Nobody was submitted whose validation blocked.
        #expect(try fixture.scalar("SELECT count(*) FROM inspections WHERE state = 'needs_materials' AND console_ticket IS NOT NULL") == "0")
    }

    /// The agency's usual sheets, imported again after a night that renewed services, roll nothing back; the
    /// rows are reported as "sheet behind" (in the dry run too), and next year's cycle is planned from the
    /// renewed expiry.
    @Test func reimportingTheUsualSheetsNeverUndoesARenewal() async throws {
        let fixture = try OpsFixture()
        defer { fixture.close() }
        let tenant = try fixture.tenant("keep")
        let asOf = date("2026-12-01")
        let generator = SyntheticCompanies(seed: 3)
        let portfolios = (1...6).map { generator.portfolio(index: $0, referenceDate: asOf) }
        let sheets = try AgencySheets.render(portfolios.map(\.file))
        try fixture.importOK(tenant, sheets)
        _ = try Planner.plan(database: fixture.database, tenantIds: [tenant.id], asOf: asOf, windowDays: 60)
        _ = try await night(fixture.database, asOf: asOf)
        let services = portfolios.flatMap(\.services)
        #expect(try fixture.scalar("SELECT count(*) FROM service_renewals") == String(services.count))
        let renewed = try fixture.scalar("SELECT string_agg(service_ref || '=' || expires_on, ',' ORDER BY service_ref) FROM services")

        // The same, unchanged files: a dry run and the real import both keep every renewal and say so.
        let dry = try fixture.importOK(tenant, sheets, dryRun: true)
        #expect(dry.sheetBehind.count == services.count)
        #expect(dry.changes.filter { $0.fields.contains("expires_on") }.isEmpty, "\(dry.changes)")
        let real = try fixture.importOK(tenant, sheets)
        #expect(real.sheetBehind.map(\.serviceRef).sorted() == services.map(\.ref).sorted())
        let first = try #require(real.sheetBehind.first { $0.serviceRef == services[0].ref })
        #expect(first.sheetExpiresOn == services[0].expiresOn && first.renewedUntil == services[0].expiresOn.adding(months: services[0].termMonths))
        #expect(first.message(.en).contains("sheet behind: renewed until \(first.renewedUntil), inspection \(first.inspectionId)"))
        #expect(first.message(.zh).contains("表格落后：已续费至 \(first.renewedUntil)"))
        let json = String(decoding: try JSONEncoder().encode(real), as: UTF8.self)
        #expect(json.contains("\"sheet_behind\"") && json.contains("\"renewed_until\""))
        #expect(try fixture.scalar("SELECT string_agg(service_ref || '=' || expires_on, ',' ORDER BY service_ref) FROM services") == renewed)

        // An edited sheet still updates what the agency owns (the amount), and still keeps the renewal.
        var edited = portfolios[0].file
        edited.services[0].contractNumber = edited.services[0].contractNumber
        edited.services[0].region = "cn-shenzhen"
        let editedSheets = try AgencySheets.render([edited])
        let update = try fixture.importOK(tenant, editedSheets)
        #expect(update.changes.contains { $0.key == edited.services[0].ref && $0.fields == ["region"] }, "\(update.changes)")
        #expect(try fixture.scalar("SELECT expires_on::text FROM services WHERE service_ref = $1", [.text(edited.services[0].ref)])
                == first.renewedUntil.description)

        // Next year: planned from the renewed expiry, one new inspection per service in the next cycle.
        let nextYear = date("2027-12-01")
        let planned = try Planner.plan(database: fixture.database, tenantIds: [tenant.id], asOf: nextYear, windowDays: 60)
        let within = services.filter { $0.expiresOn.adding(months: $0.termMonths) <= nextYear.adding(days: 60) }.count
        #expect(planned.map(\.planned) == [within])
        #expect(within > 0)
        #expect(try fixture.scalar("SELECT count(*) FROM inspections WHERE state = 'pending' AND due_on > DATE '2027-06-01'") == String(within))
    }

    /// One company, two services expiring on different nights: each its own inspection and cycle.
    @Test func servicesOfOneCompanyExpiringOnDifferentNightsAreInspectedApart() async throws {
        let fixture = try OpsFixture()
        defer { fixture.close() }
        let tenant = try fixture.tenant("apart")
        let asOf = date("2026-12-01")
        var file = SyntheticCompanies(seed: 8, servicesPerCompany: 2...2).portfolio(index: 1, referenceDate: asOf).file
        file.services[0].expiresOn = date("2026-12-20")
        file.services[1].expiresOn = date("2027-01-25")
        // One contract per service, each with its amount, so both are clean.
        file.services[1].contractNumber = file.services[0].contractNumber
        file.contracts = [Contract(number: file.services[0].contractNumber,
                                   amount: file.services[0].renewalAmount + file.services[1].renewalAmount,
                                   startsOn: date("2025-12-01"), endsOn: date("2031-12-31"))]
        file.materials = file.materials.filter { $0.kind != .serviceContract || $0.number == file.contracts[0].number }
        try fixture.importOK(tenant, try AgencySheets.render([file]))

        #expect(try Planner.plan(database: fixture.database, tenantIds: [tenant.id], asOf: asOf, windowDays: 30).map(\.planned) == [1])
        _ = try await night(fixture.database, asOf: asOf)
        let january = date("2027-01-04")
        #expect(try Planner.plan(database: fixture.database, tenantIds: [tenant.id], asOf: january, windowDays: 30).map(\.planned) == [1])
        _ = try await night(fixture.database, asOf: january)
        let rows = try fixture.scalar("""
            SELECT string_agg(s.service_ref || ':' || i.cycle || ':' || i.due_on || ':' || i.state, ',' ORDER BY i.due_on)
              FROM inspections i JOIN services s ON s.id = i.service_id
            """)
        #expect(rows == "\(file.services[0].ref):2026:2026-12-20:approved,\(file.services[1].ref):2027:2027-01-25:approved")
        #expect(try fixture.scalar("SELECT count(DISTINCT run_id) FROM inspection_events WHERE kind <> 'planned'") == "2")
    }

    /// A service naming a contract that is not on file is importable; its inspection says which contract.
    @Test func aServiceWithoutItsContractIsImportedAndToldWhichContract() async throws {
        let fixture = try OpsFixture()
        defer { fixture.close() }
        let tenant = try fixture.tenant("nocontract")
        let asOf = date("2026-12-01")
        let portfolio = SyntheticCompanies(seed: 4, servicesPerCompany: 2...2)
            .portfolio(index: 1, defect: .contractNotOnFile, referenceDate: asOf)
        let summary = try fixture.importOK(tenant, try AgencySheets.render([portfolio.file]))
        let missing = try #require(portfolio.expectedCodes.first { !$0.value.isEmpty }?.key)
        let number = try #require(portfolio.services.first { $0.ref == missing }?.contractNumber)
        #expect(summary.notes.contains { $0.contains("services.csv:") && $0.contains(number) }, "\(summary.notes)")
        _ = try Planner.plan(database: fixture.database, tenantIds: [tenant.id], asOf: asOf, windowDays: 60)
        _ = try await night(fixture.database, asOf: asOf)
        let seen = try outcomes(fixture)
        #expect(seen[missing]?.state == "needs_materials" && seen[missing]?.codes == ["contract.not_found"])
        let message = try fixture.scalar("""
            SELECT f->>'messageEn' FROM inspections i JOIN services s ON s.id = i.service_id, jsonb_array_elements(i.findings) f
             WHERE s.service_ref = $1 AND f->>'code' = 'contract.not_found'
            """, [.text(missing)])
        #expect(message?.contains(number) == true, "\(message ?? "")")
        for other in portfolio.cleanServiceRefs { #expect(seen[other]?.state == "approved") }
    }

    /// Reports show a company once with each service's state; requeue by company or one service; unknown names
    /// are errors that change nothing.
    @Test func reportsGroupByCompanyAndRequeueTargetsCompanyOrService() async throws {
        let fixture = try OpsFixture()
        defer { fixture.close() }
        let tenant = try fixture.tenant("group")
        let asOf = date("2026-12-01")
        // A company of three services, one of which lapsed before the night.
        var found: SyntheticPortfolio?
        for index in 1...200 {
            let candidate = SyntheticCompanies(seed: 9, servicesPerCompany: 3...3)
                .portfolio(index: index, defect: .lapsedService, referenceDate: asOf)
            if candidate.cleanServiceRefs.count == 2 { found = candidate; break }
        }
        let portfolio = try #require(found)
        let company = portfolio.company.ref
        try fixture.importOK(tenant, try AgencySheets.render([portfolio.file]))
        _ = try Planner.plan(database: fixture.database, tenantIds: [tenant.id], asOf: asOf, windowDays: 60)
        _ = try await night(fixture.database, asOf: asOf)
        let stopped = try #require(portfolio.expectedCodes.first { !$0.value.isEmpty }?.key)

        let report = try ReportBuilder.tenantReport(database: fixture.database, tenant: tenant, asOf: asOf)
        #expect(report.companies.count == 1)
        let status = try #require(report.companies.first)
        #expect(status.companyRef == company && status.services.count == 3)
        #expect(Set(status.services.map(\.serviceRef)) == Set(portfolio.services.map(\.ref)))
        #expect(status.services.first { $0.serviceRef == stopped }?.state == .needsMaterials)
        #expect(status.services.filter { $0.state == .approved }.count == 2)
        let blocking = status.findings.filter { $0.finding.severity == "error" }
        #expect(blocking.map(\.finding.code) == ["service.lapsed"])
        #expect(blocking.first?.serviceRefs == [stopped] && blocking.first?.finding.serviceRef == stopped)
        let table = ReportRenderer.render(report, format: .table, language: .en)
        let section = try #require(table.components(separatedBy: "== Companies needing attention (1) ==").last?
            .components(separatedBy: "\n== ").first, "\(table)")
        #expect(section.components(separatedBy: "\(company) ").count == 2, "the company appears once:\n\(section)")
        for service in status.services { #expect(section.contains("\(service.serviceRef) \(service.state == .approved ? "approved" : "needs materials")")) }
        // JSON keeps one row per service, and adds the companies.
        let json = try #require(try JSONSerialization.jsonObject(with: Data(ReportRenderer.render(report, format: .json, language: .en).utf8)) as? [String: Any])
        let needs = try #require(json["needs_materials"] as? [[String: Any]])
        #expect(needs.map { $0["service_ref"] as? String } == [stopped])
        let companies = try #require(json["companies"] as? [[String: Any]])
        #expect(companies.map { $0["company_ref"] as? String } == [company])
        #expect((companies.first?["services"] as? [[String: Any]])?.count == 3)

        func requeue(_ request: (inout RequeueRequest) -> Void) throws -> RequeueResult {
            var value = RequeueRequest(states: [.needsMaterials], note: "fixed", operatorName: "ops",
                                       now: Timestamp(chinaDate: asOf, hour: 10))
            request(&value)
            return try Requeuer.requeue(database: fixture.database, tenant: tenant, value)
        }
        let events = try fixture.scalar("SELECT count(*) FROM inspection_events")
        for bad: (inout RequeueRequest) -> Void in [{ $0.companyRef = "NOPE" }, { $0.serviceRef = "S-NOPE" },
                                                     { $0.reasonCode = "no.such_reason" },
                                                     { $0.companyRef = "C99999"; $0.serviceRef = stopped }] {
            #expect(throws: OperationsError.self) { try requeue(bad) }
        }
        #expect(try fixture.scalar("SELECT count(*) FROM inspection_events") == events)
        let other = try #require(portfolio.cleanServiceRefs.first)
        #expect(try requeue { $0.serviceRef = other }.moved.isEmpty)  // approved: not re-queueable
        let one = try requeue { $0.serviceRef = stopped; $0.dryRun = true }
        #expect(one.moved.map(\.serviceRef) == [stopped])
        let all = try requeue { $0.companyRef = company }
        #expect(all.moved.map(\.serviceRef) == [stopped])
    }
}
