import Foundation
import Hummingbird
import HummingbirdTesting
import NianjianDomain
import NianjianPostgres
import NianjianStore
import NianjianTestSupport
import NianjianWeb
import Testing

/// Issue 14: with a read database that is a standby, the overview (the page that refreshes every few seconds
/// while a run goes) reads the standby and says how stale it may be; actions and the pages they land on read
/// the primary, so an operator sees what they just did.
@Suite("web console on a read replica", .serialized)
struct WebReplicaTests {
    @Test func overviewReadsTheStandbyAndShowsItsReplayTime() async throws {
        let pair = try ReplicatedPair { database in
            try Scenario.load(database, tenants: [.init(slug: "rep", companies: 4)])
            try WebAdmin.addUser(database: database, email: "op@rep.example", tenantSlug: "rep", role: "operator",
                                 password: WebFixture.password, cost: 4)
        }
        defer { pair.destroy() }
        let primary = Database(ConnectionString(pair.url()), maximumConnections: 2)
        let standby = Database(ConnectionString(pair.url(targetSessionAttrs: "standby")), maximumConnections: 2)
        defer { primary.close(); standby.close() }
        let options = WebOptions(asOf: Scenario.asOf)
        let replicated = await WebConsole(database: primary, readDatabase: standby, options: options)
        try await Application(router: replicated.router()).test(.router) { client in
            let browser = try await Web.session(client, "op@rep.example")
            let overview = Web.body(try await client.execute(uri: "/t/rep", method: .get, headers: browser.cookieOnly))
            #expect(overview.contains("id=\"replica-mark\"") && overview.contains("read replica: data as of 20")
                    || overview.contains("只读副本：数据截至 20"), "\(overview.prefix(1_500))")
            #expect(overview.contains("id=\"count-total\""), "the figures are there too")
        }
        let direct = await WebConsole(database: primary, options: options)
        try await Application(router: direct.router()).test(.router) { client in
            let browser = try await Web.session(client, "op@rep.example")
            let overview = Web.body(try await client.execute(uri: "/t/rep", method: .get, headers: browser.cookieOnly))
            #expect(overview.contains("id=\"count-total\"") && !overview.contains("replica-mark"), "\(overview.prefix(1_500))")
        }
    }
}
