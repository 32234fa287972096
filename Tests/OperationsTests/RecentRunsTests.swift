import Foundation
import NianjianDomain
import NianjianOperations
import NianjianRunner
import NianjianStore
import NianjianTestSupport
import Testing

/// Issue 10, item 8: a run that claimed nothing is still in the recent runs and last run of every tenant it
/// ran for (all tenants, or those named with --tenant), read through the tenant's row-level security.
@Suite("recent runs")
struct RecentRunsTests {
    @Test func aRunThatClaimedNothingIsStillTheTenantsRun() throws {
        let fixture = try OpsFixture()
        defer { fixture.close() }
        let alpha = try fixture.tenant("alpha")
        let beta = try fixture.tenant("beta")
        let gamma = try fixture.tenant("gamma")
        let date = try #require(CivilDate(iso: "2026-12-01"))
        // Nothing is due anywhere: both runs claim nothing.
        let everyone = try Nightly.run(database: fixture.database, job: JobDefinition(), asOf: date)
        let onlyBeta = try Nightly.run(database: fixture.database, job: JobDefinition(), tenants: ["beta"], asOf: date)
        #expect(everyone.claimed == 0 && onlyBeta.claimed == 0)

        func runIds(_ tenant: TenantRecord) throws -> [Int64] {
            try ReportBuilder.tenantReport(database: fixture.database, tenant: tenant, asOf: date).recentRuns.map(\.runId)
        }
        #expect(try runIds(alpha) == [everyone.runId])
        #expect(try runIds(beta) == [onlyBeta.runId, everyone.runId])
        #expect(try runIds(gamma) == [everyone.runId])
        let report = try ReportBuilder.tenantReport(database: fixture.database, tenant: beta, asOf: date)
        #expect(report.recentRuns.allSatisfy { $0.claimed == 0 && $0.byState.isEmpty && $0.finishedAt != nil })

        // "Last run" of the platform summary: every tenant has one, none says never.
        let summary = try ReportBuilder.platformSummary(database: fixture.database, asOf: date)
        #expect(summary.rows.count == 3)
        #expect(summary.rows.allSatisfy { $0.lastRunAt != nil }, "\(summary.rows.map { ($0.tenantSlug, $0.lastRunAt) })")
        let table = ReportOutput.render(summary, format: "table", language: .en, toFile: false) ?? ""
        #expect(!table.contains("never"), "\(table)")

        // A tenant added after those runs has none.
        let delta = try fixture.tenant("delta")
        #expect(try runIds(delta).isEmpty)
        // The counts of a run that did claim still land in the same rows (one per tenant and run).
        #expect(try fixture.scalar("SELECT count(*) FROM run_tenants") == "4")
    }
}
