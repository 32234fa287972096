import Foundation
import Logging
import NianjianAliyun
import NianjianCloudSimulator
import NianjianDomain
import NianjianOperations
import NianjianStore
import NianjianTestSupport
import Testing

// Per-company cloud accounts on the wire (issue 12): a night through the real adapter against the simulator,
// which verifies every signature with the secret of the AccessKeyId that signed it and records which account
// made each order. The company with its own account has its orders made by that account; every other company,
// and the same company reference in another agency, by the agency's.
@Suite("per-company cloud accounts on the wire")
struct CloudAccountWireTests {
    @Test func eachCompanysOrdersAreMadeByItsOwnAccountOnly() async throws {
        let fixture = try OpsFixture()
        defer { fixture.close() }
        let acme = try fixture.tenant("acme-wire"), other = try fixture.tenant("other-wire")
        let asOf = Scenario.asOf
        let generator = SyntheticCompanies(seed: 12, servicesPerCompany: 2...3)
        let sheets = try AgencySheets.render((1...4).map { generator.portfolio(index: $0, referenceDate: asOf).file })
        try fixture.importOK(acme, sheets)
        try fixture.importOK(other, sheets)
        _ = try Planner.plan(database: fixture.database, tenantIds: [acme.id, other.id], asOf: asOf, windowDays: 60)

        let secretKey = Data((0..<32).map { UInt8($0 * 11 % 253) }).base64EncodedString()
        let environment = ["NIANJIAN_SECRET_KEY": secretKey]
        let box = try SecretBox.fromEnvironment(environment, create: false)
        let ownKey = "LTAI5tWireCompanyOne", ownSecret = "wire-company-one-secret-5c1e"
        try CloudAccounts.set(database: fixture.database, tenant: acme, companyRef: "C00001", accessKeyId: ownKey,
                              secret: ownSecret, securityToken: nil, box: box)

        let agency = ConsoleFactory.simulatorDemoCredentials
        var settings = SimulatorSettings()
        settings.accounts = [agency.accessKeyId: agency.accessKeySecret, ownKey: ownSecret]
        settings.seed = 5
        settings.reviewBusinessDays = 0
        settings.rejectionRates = [.violation: 0.3]
        let (simulator, served) = try await InProcessSimulator.start(
            settings: settings, instances: try InstanceLoader.instances(fromServicesCSV: sheets["services.csv"] ?? []), asOf: asOf)
        defer { served.stop() }
        let database = fixture.database
        _ = try await served.runNight(database, maxAttempts: 5, asOf: asOf, environment: environment)

        // Which company each ordered instance belongs to, per agency (instance ids are the same in both).
        let rows: [(slug: String, company: String, ticket: String)] = try database.runBlocking { session in
            try session.query("""
                SELECT t.slug, c.company_ref, s.console_instance_id, i.console_ticket
                  FROM inspections i JOIN services s ON s.tenant_id = i.tenant_id AND s.id = i.service_id
                  JOIN companies c ON c.tenant_id = s.tenant_id AND c.id = s.company_id
                  JOIN tenants t ON t.id = i.tenant_id
                 WHERE i.console_ticket IS NOT NULL
                """).rows.map { (try $0.requireString(0), try $0.requireString(1), try $0.requireString(3)) }
        }
        let orders = Dictionary(try await simulator.state.allOrders().map { ($0.orderId, $0) }, uniquingKeysWith: { first, _ in first })
        var ownOrders = 0, agencyOrders = 0
        for row in rows {
            let (slug, company, ticket) = row
            let order = try #require(orders[ticket], "no order \(ticket) on the cloud")
            let expected = slug == acme.slug && company == "C00001" ? ownKey : agency.accessKeyId
            #expect(order.accessKeyId == expected, "\(slug)/\(company): order \(ticket) made by \(order.accessKeyId)")
            if order.accessKeyId == ownKey { ownOrders += 1 } else { agencyOrders += 1 }
        }
        #expect(ownOrders >= 2 && agencyOrders >= ownOrders, "own \(ownOrders), agency \(agencyOrders)")
        #expect(orders.count == rows.count, "the cloud made \(orders.count) orders for \(rows.count) tickets")
        // A cancelled order's remark reaches the rejection's event: the console's own words, its reason read.
        let rejections = try database.runBlocking { session in
            try session.query("""
                SELECT e.detail::text FROM inspection_events e WHERE e.kind = 'rejected'
                """).rows.map { $0.string(0) ?? "" }
        }
        #expect(!rejections.isEmpty && rejections.allSatisfy { $0.contains("violation") && $0.contains("the console said") }, "\(rejections)")
        #expect(try fixture.scalar("SELECT count(*) FROM inspections WHERE state = 'rejected' AND rejection_reason = 'violation'")
                == String(rejections.count))
        let stats = await simulator.stats.snapshot()
        #expect(stats["rejected_signature", default: 0] == 0, "\(stats)")
        print("per-company accounts on the wire: \(ownOrders) orders by the company's own account, \(agencyOrders) by the agency's; \(rejections.count) rejections with the console's remark")
    }
}
