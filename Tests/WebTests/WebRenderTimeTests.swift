import Foundation
import Hummingbird
import HummingbirdTesting
import NianjianDomain
import NianjianStore
import NianjianTestSupport
import NianjianWeb
import Testing

/// Page render time for a tenant with 50,000 inspections. Opt-in (it loads for about a minute):
/// `NIANJIAN_WEB_RENDER_BENCH=50000 swift test --skip-build --filter WebRenderTimeTests`.
@Suite struct WebRenderTimeTests {
    static let size = Int(ProcessInfo.processInfo.environment["NIANJIAN_WEB_RENDER_BENCH"] ?? "") ?? 0

    @Test(.enabled(if: size > 0)) func overviewAndListRenderTimes() async throws {
        let handle = try TestDatabase.fresh()
        let database = handle.open(maximumConnections: 4)
        defer { database.close(); handle.drop() }
        let started = Date()
        // The bench's server-side generator (one company, service and pending inspection each), then a mix of states.
        let generator = SyntheticCompanies(seed: 7, servicesPerCompany: 1...1)
        let templates = (0..<512).map { generator.portfolio(index: $0 + 1, defect: nil, referenceDate: Scenario.asOf).file }
        try database.runBlocking { session in
            let ids = try BenchQueries.insertTenants(session, slugs: ["big"], weights: [1])
            try BenchQueries.generatePendingInspections(session, tenantIds: ids, counts: [Self.size], templates: templates,
                                                        dueAt: Timestamp(chinaDate: Scenario.asOf, hour: 1))
            _ = try session.query("""
                UPDATE inspections SET
                    state = CASE id % 10 WHEN 0 THEN 'needs_materials' WHEN 1 THEN 'rejected' WHEN 2 THEN 'in_review' ELSE 'approved' END,
                    rejection_reason = CASE WHEN id % 10 = 1 THEN 'inaccurate_information' END,
                    renewed_until = CASE WHEN id % 10 >= 3 THEN due_on + 365 END, renewal_amount = CASE WHEN id % 10 >= 3 THEN 1200 END,
                    submitted_at = now() - interval '3 days', decided_at = CASE WHEN id % 10 <> 2 AND id % 10 <> 0 THEN now() END,
                    next_attempt_at = NULL, next_poll_at = CASE WHEN id % 10 = 2 THEN now() + interval '1 day' END
                 WHERE id % 10 <> 9
                """)
            _ = try session.query("ANALYZE")
        }
        print("loaded \(Self.size) inspections in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        try WebAdmin.addUser(database: database, email: "op@big.example", tenantSlug: "big", role: "operator",
                             password: WebFixture.password, cost: 4)
        let console = await WebConsole(database: database, options: WebOptions(asOf: Scenario.asOf))
        try await Application(router: console.router()).test(.router) { client in
            let session = try await Web.session(client, "op@big.example")
            for uri in ["/t/big", "/t/big/inspections", "/t/big/inspections?page=500", "/t/big/inspections?company=科技",
                        "/t/big/inspections?state=pending&page=20", "/api/v1/tenants/big/inspections", "/api/v1/tenants/big/report"] {
                var times: [Double] = []
                var bytes = 0
                for _ in 0..<5 {
                    let begin = Date()
                    let response = try await client.execute(uri: uri, method: .get, headers: session.cookieOnly)
                    times.append(Date().timeIntervalSince(begin) * 1000)
                    bytes = response.body.readableBytes
                    #expect(response.status == .ok)
                }
                times.sort()
                print("render \(uri): median \(String(format: "%.0f", times[2])) ms, min \(String(format: "%.0f", times[0])) ms, \(bytes) bytes")
            }
        }
    }
}
