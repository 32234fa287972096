import Foundation
import Hummingbird
import HummingbirdTesting
import NianjianDomain
import NianjianOperations
import NianjianStore
import NianjianTestSupport
import NianjianWeb
import NIOCore
import Testing

/// The console's routes in process (HummingbirdTesting's router framework), on a real PostgreSQL.
@Suite(.serialized) struct WebRouteTests {
    @Test func loginLandsOnTheTenantAndSessionSaysWho() async throws {
        let fixture = try await WebFixture()
        defer { fixture.close() }
        try await fixture.application().test(.router) { client in
            let (cookie, response) = try await Web.login(client, "OP@alpha.example")
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == "/t/alpha")
            let setCookie = response.headers[values: .setCookie].first { $0.hasPrefix("nianjian_session=") } ?? ""
            #expect(setCookie.contains("HttpOnly"))
            #expect(setCookie.contains("SameSite=Strict"))
            #expect(!setCookie.contains("Secure"))
            let info = try await client.execute(uri: "/api/v1/session", method: .get,
                                                headers: [.cookie: "nianjian_session=\(cookie ?? "")"])
            let json = Web.json(info)
            #expect(json["email"] as? String == "op@alpha.example")
            #expect(json["tenant"] as? String == "alpha")
            #expect(json["role"] as? String == "operator")
            #expect((json["csrf_token"] as? String ?? "").count > 20)
            // The platform operator lands on the platform page.
            let (_, platform) = try await Web.login(client, "root@platform.example")
            #expect(platform.headers[.location] == "/platform")
            // Wrong password: no cookie.
            let (none, refused) = try await Web.login(client, "view@alpha.example", "wrong password!")
            #expect(none == nil)
            #expect(refused.status == .unauthorized)
            #expect(Web.body(refused).contains("Wrong e-mail address or password"))
            // Not logged in: the API says 401, pages too.
            let anonymous = try await client.execute(uri: "/api/v1/tenants/alpha/inspections", method: .get)
            #expect(anonymous.status == .unauthorized)
        }
    }

    @Test func overviewListDetailCompanyAndReports() async throws {
        let fixture = try await WebFixture()
        defer { fixture.close() }
        let firstId = try fixture.inspectionIds("alpha")[0]
        let ref = try fixture.companyRefs("alpha")[0]
        try await fixture.application().test(.router) { client in
            let session = try await Web.session(client, "view@alpha.example")
            let overview = try await client.execute(uri: "/t/alpha", method: .get, headers: session.cookieOnly)
            #expect(overview.status == .ok)
            let page = Web.body(overview)
            #expect(page.contains("id=\"count-total\"><div class=\"value\">6<"))
            #expect(page.contains("id=\"count-needs_materials\""))
            #expect(page.contains("<script src=\"/static/refresh.js\"></script>"))
            let zh = try await client.execute(uri: "/t/alpha", method: .get,
                                              headers: Web.merge(session.cookieOnly, [.acceptLanguage: "zh-CN,zh;q=0.9"]))
            #expect(Web.body(zh).contains("年检总数"))
            let list = try await client.execute(uri: "/t/alpha/inspections?state=needs_materials", method: .get, headers: session.cookieOnly)
            #expect(Web.body(list).contains("(2)"))
            let api = try await client.execute(uri: "/api/v1/tenants/alpha/inspections?state=failed&page=1", method: .get,
                                               headers: session.cookieOnly)
            let json = Web.json(api)
            #expect(json["total"] as? Int == 1)
            #expect((json["inspections"] as? [[String: Any]])?.first?["state"] as? String == "failed")
            let byCompany = try await client.execute(uri: "/api/v1/tenants/alpha/inspections?company=\(ref)", method: .get,
                                                     headers: session.cookieOnly)
            #expect(Web.json(byCompany)["total"] as? Int == 1)
            let detail = try await client.execute(uri: "/t/alpha/inspections/\(firstId)", method: .get, headers: session.cookieOnly)
            #expect(detail.status == .ok)
            #expect(Web.body(detail).contains("id=\"events\""))
            let detailAPI = try await client.execute(uri: "/api/v1/tenants/alpha/inspections/\(firstId)", method: .get,
                                                     headers: session.cookieOnly)
            #expect(Web.json(detailAPI)["events"] is [Any])
            let company = try await client.execute(uri: "/t/alpha/companies/\(ref)", method: .get, headers: session.cookieOnly)
            #expect(company.status == .ok)
            #expect(Web.body(company).contains("id=\"materials\""))
            // The report API is exactly the CLI's JSON.
            let report = try await client.execute(uri: "/api/v1/tenants/alpha/report?lang=en", method: .get, headers: session.cookieOnly)
            let record = try TenantAdmin.resolve(database: fixture.database, slug: "alpha")
            let expected = ReportOutput.render(try ReportBuilder.tenantReport(database: fixture.database, tenant: record, asOf: Scenario.asOf),
                                               format: "json", language: .en, toFile: false)
            #expect(Web.body(report) == expected)
            for format in ["html", "csv", "json"] {
                let download = try await client.execute(uri: "/t/alpha/reports/\(format)", method: .get, headers: session.cookieOnly)
                #expect(download.status == .ok)
                #expect(download.headers[.contentDisposition]?.contains("attachment") == true)
            }
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(Web.body(health) == "{\"status\":\"ok\"}")
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            let text = Web.body(metrics)
            #expect(text.contains("nianjian_inspections{"))
            #expect(text.contains("tenant=\"alpha\""))
            #expect(text.contains("nianjian_console_requests_total"))
            #expect(text.contains("nianjian_runs"))
        }
    }

    @Test func requeueThroughTheAPIAndPagesNamesTheUser() async throws {
        let fixture = try await WebFixture()
        defer { fixture.close() }
        let needs = try fixture.inspectionIds("alpha", state: "needs_materials")
        let failed = try fixture.inspectionIds("alpha", state: "failed")
        try await fixture.application().test(.router) { client in
            let session = try await Web.session(client, "op@alpha.example")
            let headers = Web.merge(session.headers, [.contentType: "application/json"])
            let dry = try await client.execute(uri: "/api/v1/tenants/alpha/requeue", method: .post, headers: headers,
                                               body: ByteBuffer(string: #"{"state":"needs_materials","note":"营业执照已补交","dry_run":true}"#))
            #expect(Web.json(dry)["matched"] as? Int == 2)
            #expect(Web.json(dry)["requeued"] as? Int == 0)
            #expect(try fixture.inspectionIds("alpha", state: "needs_materials").count == 2)
            let applied = try await client.execute(uri: "/api/v1/tenants/alpha/requeue", method: .post, headers: headers,
                                                   body: ByteBuffer(string: #"{"inspection_ids":[\#(needs[0])],"note":"fixed","dry_run":false}"#))
            #expect(Web.json(applied)["matched"] as? Int == 1)
            #expect(Web.json(applied)["requeued"] as? Int == 1)
            let detail = try await client.execute(uri: "/api/v1/tenants/alpha/inspections/\(needs[0])", method: .get, headers: session.cookieOnly)
            let events = Web.json(detail)["events"] as? [[String: Any]] ?? []
            #expect(events.last?["actor"] as? String == "web:op@alpha.example")
            #expect(events.last?["kind"] as? String == "requeued")
            #expect(Web.json(detail)["state"] as? String == "pending")
            // An unknown company: 404 with a JSON error, nothing changed.
            let before = try fixture.snapshot()
            let unknown = try await client.execute(uri: "/api/v1/tenants/alpha/requeue", method: .post, headers: headers,
                                                   body: ByteBuffer(string: #"{"company":"NOPE-1","note":"x"}"#))
            #expect(unknown.status == .notFound)
            #expect(Web.json(unknown)["error"] as? String == "unknown_company")
            #expect(try fixture.snapshot() == before)
            // The page flow: dry run shows the count, confirm applies.
            let formHeaders = Web.merge(session.cookieOnly, Web.formHeaders)
            let preview = try await client.execute(uri: "/t/alpha/requeue", method: .post, headers: formHeaders,
                                                   body: Web.form([("csrf_token", session.csrf), ("note", "retry"), ("scope", "selected"),
                                                                   ("inspection_ids", String(failed[0]))]))
            #expect(Web.body(preview).contains("1 would be requeued"))
            #expect(try fixture.inspectionIds("alpha", state: "failed") == failed)
            let confirm = try await client.execute(uri: "/t/alpha/requeue", method: .post, headers: formHeaders,
                                                   body: Web.form([("csrf_token", session.csrf), ("note", "retry"), ("scope", "selected"),
                                                                   ("inspection_ids", String(failed[0])), ("confirm", "yes")]))
            #expect(confirm.status == .seeOther)
            #expect(try fixture.inspectionIds("alpha", state: "failed").isEmpty)
            // Cancel one with a note.
            let cancel = try await client.execute(uri: "/t/alpha/inspections/\(needs[1])/cancel", method: .post, headers: formHeaders,
                                                  body: Web.form([("csrf_token", session.csrf), ("note", "client left")]))
            #expect(cancel.status == .seeOther)
            #expect(try fixture.inspectionIds("alpha", state: "cancelled") == [needs[1]])
        }
    }

    @Test func viewersReadOnlyAndTokensNeedNoCSRF() async throws {
        let fixture = try await WebFixture()
        defer { fixture.close() }
        let viewerToken = try WebAdmin.createToken(database: fixture.database, tenantSlug: "alpha", role: "viewer", name: "ci")
        let operatorToken = try WebAdmin.createToken(database: fixture.database, tenantSlug: "alpha", role: "operator", name: "bot")
        let stored = try fixture.database.runBlocking { try $0.query("SELECT token_hash FROM api_tokens ORDER BY id")[0].requireString(0) }
        #expect(stored != viewerToken.token && stored.count == 64)
        try await fixture.application().test(.router) { client in
            let viewer = try await Web.session(client, "view@alpha.example")
            let before = try fixture.snapshot()
            let refused = try await client.execute(uri: "/api/v1/tenants/alpha/requeue", method: .post,
                                                   headers: Web.merge(viewer.headers, [.contentType: "application/json"]),
                                                   body: ByteBuffer(string: #"{"note":"x"}"#))
            #expect(refused.status == .forbidden)
            let readOnly = try await client.execute(uri: "/api/v1/tenants/alpha/inspections", method: .get,
                                                    headers: [.authorization: "Bearer \(viewerToken.token)"])
            #expect(readOnly.status == .ok)
            let tokenRefused = try await client.execute(uri: "/api/v1/tenants/alpha/requeue", method: .post,
                                                        headers: [.authorization: "Bearer \(viewerToken.token)", .contentType: "application/json"],
                                                        body: ByteBuffer(string: #"{"note":"x"}"#))
            #expect(tokenRefused.status == .forbidden)
            #expect(try fixture.snapshot() == before)
            let bot = try await client.execute(uri: "/api/v1/tenants/alpha/requeue", method: .post,
                                               headers: [.authorization: "Bearer \(operatorToken.token)", .contentType: "application/json"],
                                               body: ByteBuffer(string: #"{"state":"rejected","note":"resubmit","dry_run":false}"#))
            #expect(Web.json(bot)["requeued"] as? Int == 1)
            try WebAdmin.revokeToken(database: fixture.database, id: operatorToken.id)
            let revoked = try await client.execute(uri: "/api/v1/tenants/alpha/inspections", method: .get,
                                                   headers: [.authorization: "Bearer \(operatorToken.token)"])
            #expect(revoked.status == .unauthorized)
            // Logout ends the session.
            let out = try await client.execute(uri: "/logout", method: .post, headers: Web.merge(viewer.cookieOnly, Web.formHeaders),
                                               body: Web.form([("csrf_token", viewer.csrf)]))
            #expect(out.status == .seeOther)
            let after = try await client.execute(uri: "/api/v1/session", method: .get, headers: viewer.cookieOnly)
            #expect(after.status == .unauthorized)
        }
    }

    @Test func platformOperatorSeesEveryTenantAndEditsLimits() async throws {
        let fixture = try await WebFixture()
        defer { fixture.close() }
        try await fixture.application().test(.router) { client in
            let root = try await Web.session(client, "root@platform.example")
            let page = try await client.execute(uri: "/platform", method: .get, headers: root.cookieOnly)
            #expect(Web.body(page).contains("id=\"tenant-alpha\""))
            #expect(Web.body(page).contains("id=\"tenant-beta\""))
            let beta = try await client.execute(uri: "/t/beta/inspections", method: .get, headers: root.cookieOnly)
            #expect(beta.status == .ok)
            let save = try await client.execute(uri: "/platform/tenants/beta", method: .post, headers: Web.merge(root.cookieOnly, Web.formHeaders),
                                                body: Web.form([("csrf_token", root.csrf), ("weight", "7"), ("max_concurrency", "3"),
                                                                ("submit_rate", "2.5"), ("poll_rate", "")]))
            #expect(save.status == .seeOther)
            let record = try TenantAdmin.resolve(database: fixture.database, slug: "beta")
            #expect(record.weight == 7 && record.maxConcurrency == 3 && record.submitRate == "2.500")
            let audit = try fixture.database.runBlocking { try $0.query("SELECT actor FROM web_audit WHERE action = 'tenant_settings'")[0].string(0) }
            #expect(audit == "web:root@platform.example")
        }
    }
}
