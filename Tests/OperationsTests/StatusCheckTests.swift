import Foundation
import Hummingbird
import Logging
import NianjianCloudSimulator
import NianjianConsole
import NianjianDomain
import NianjianOperations
import NianjianRunner
import NianjianStore
import NianjianTestSupport
import Testing

// The service status check before a submission (issue 12), through the real adapter against the simulator
// over loopback: QueryAvailableInstances' answers become findings; blocking ones keep the inspection in
// needs_materials and no order is made.
@Suite("the service status check against the cloud simulator")
struct StatusCheckTests {
    @Test func missingExpiredAndMisdatedInstancesNeedMaterialsAndMakeNoOrder() async throws {
        let fixture = try OpsFixture()
        defer { fixture.close() }
        let tenant = try fixture.tenant("checked")
        let asOf = Scenario.asOf
        let generator = SyntheticCompanies(seed: 41)
        let portfolios = (1...12).map { generator.portfolio(index: $0, referenceDate: asOf) }
        let sheets = try AgencySheets.render(portfolios.map(\.file))
        try fixture.importOK(tenant, sheets)
        _ = try Planner.plan(database: fixture.database, tenantIds: [tenant.id], asOf: asOf, windowDays: 60)
        let services = portfolios.flatMap(\.services)
        let withMethod = services.filter { $0.renewalMethod != nil }
        try #require(services.count >= 6 && withMethod.count >= 1)
        let missing = services[0], expired = services[1], misdated = services[2]
        let otherMethod = try #require(withMethod.first { ![missing.ref, expired.ref, misdated.ref].contains($0.ref) })

        var settings = SimulatorSettings()
        settings.accounts = [ConsoleFactory.simulatorDemoCredentials.accessKeyId: ConsoleFactory.simulatorDemoCredentials.accessKeySecret]
        settings.seed = 3
        settings.reviewBusinessDays = 0
        // The cloud from the agency's own sheet, then told otherwise about four instances.
        var instances = try InstanceLoader.instances(fromServicesCSV: sheets["services.csv"] ?? [])
        instances.removeAll { $0.instanceId == missing.consoleInstanceId }
        for index in instances.indices {
            switch instances[index].instanceId {
            case expired.consoleInstanceId: instances[index].expiresOn = asOf.adding(days: -20)
            case misdated.consoleInstanceId: instances[index].expiresOn = misdated.expiresOn.adding(days: 31)
            case otherMethod.consoleInstanceId: instances[index].renewal = otherMethod.renewalMethod == .auto ? .manual : .auto
            default: break
            }
        }
        let (simulator, served) = try await InProcessSimulator.start(settings: settings, instances: instances, asOf: asOf)
        defer { served.stop() }
        let database = fixture.database
        _ = try await served.runNight(database, maxAttempts: 5, asOf: asOf)

        func inspection(_ service: Service) throws -> (state: String, codes: [String], ticket: String?, submitted: Int) {
            try database.runBlocking { session in
                let row = try session.query("""
                    SELECT i.state, ARRAY(SELECT f->>'code' FROM jsonb_array_elements(i.findings) f)::text, i.console_ticket,
                           (SELECT count(*) FROM inspection_events e WHERE e.tenant_id = i.tenant_id AND e.inspection_id = i.id
                               AND e.kind = 'submitted')
                      FROM inspections i JOIN services s ON s.tenant_id = i.tenant_id AND s.id = i.service_id
                     WHERE s.service_ref = $1
                    """, [.text(service.ref)])[0]
                let codes = (row.string(1) ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "{}"))
                    .split(separator: ",").map(String.init)
                return (try row.requireString(0), codes, row.string(2), try row.requireInt(3))
            }
        }
        let gone = try inspection(missing), lapsed = try inspection(expired), shifted = try inspection(misdated)
        #expect(gone.state == "needs_materials" && gone.codes.contains("console.instance_not_found"), "\(gone)")
        #expect(lapsed.state == "needs_materials" && lapsed.codes.contains("console.status_abnormal")
                && lapsed.codes.contains("console.expiry_mismatch"), "\(lapsed)")
        #expect(shifted.state == "needs_materials" && shifted.codes.contains("console.expiry_mismatch") && !shifted.codes.contains("console.status_abnormal"), "\(shifted)")
        for blocked in [gone, lapsed, shifted] { #expect(blocked.ticket == nil && blocked.submitted == 0) }
        // The finding shows both dates.
        let detail = try fixture.scalar("""
            SELECT f->>'messageEn' FROM inspections i JOIN services s ON s.tenant_id = i.tenant_id AND s.id = i.service_id,
                   jsonb_array_elements(i.findings) f WHERE s.service_ref = $1 AND f->>'code' = 'console.expiry_mismatch'
            """, [.text(misdated.ref)]) ?? ""
        #expect(detail.contains(misdated.expiresOn.adding(days: 31).description) && detail.contains(misdated.expiresOn.description), "\(detail)")
        // A renewal method that differs is a warning: the inspection goes ahead.
        let warned = try inspection(otherMethod)
        #expect(warned.state == "approved" && warned.codes.contains("console.renewal_method_mismatch"), "\(warned)")

        // No order for the blocked three: the cloud made one order per ticket we hold, and their expiries stand.
        let totals = try await simulator.state.totals()
        let tickets = Int(try fixture.scalar("SELECT count(*) FROM inspections WHERE console_ticket IS NOT NULL") ?? "") ?? -1
        #expect(totals.orders == tickets && tickets == services.count - 3, "orders \(totals.orders), tickets \(tickets)")
        #expect(try await simulator.state.instance(expired.consoleInstanceId)?.expiresOn == asOf.adding(days: -20))
        #expect(try await simulator.state.instance(misdated.consoleInstanceId)?.expiresOn == misdated.expiresOn.adding(days: 31))
        let stats = await simulator.stats.snapshot()
        #expect(stats["rejected_signature", default: 0] == 0, "\(stats)")
    }
}

