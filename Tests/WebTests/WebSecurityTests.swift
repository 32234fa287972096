import Foundation
import Hummingbird
import HummingbirdTesting
import NianjianDomain
import NianjianStore
import NianjianTestSupport
import NianjianWeb
import NIOCore
import Testing

/// Isolation, CSRF, login throttling, escaping and the security headers.
@Suite(.serialized) struct WebSecurityTests {
    /// Every tenant-scoped route and action, as alpha's operator, with beta's slug and beta's ids (and with
    /// alpha's slug and beta's ids): 404, and the database unchanged.
    @Test func anotherTenantsSlugsAndIdsAre404AndChangeNothing() async throws {
        let fixture = try await WebFixture()
        defer { fixture.close() }
        let betaIds = try fixture.inspectionIds("beta")
        let betaRequeueable = try fixture.inspectionIds("beta", state: "needs_materials")
        // A company ref only beta has.
        let betaRef = "BETA-ONLY-7"
        let betaId = fixture.id("beta")
        try fixture.database.runBlocking { session in
            _ = try session.query("UPDATE companies SET company_ref = $1 WHERE tenant_id = $2 AND id = (SELECT min(id) FROM companies WHERE tenant_id = $2)",
                                  [.text(betaRef), .init(betaId)])
        }
        try await fixture.application().test(.router) { client in
            let alpha = try await Web.session(client, "op@alpha.example")
            let before = try fixture.snapshot()
            let json = Web.merge(alpha.headers, [.contentType: "application/json"])
            let form = Web.merge(alpha.cookieOnly, Web.formHeaders)
            var gets: [String] = []
            for slug in ["beta", "alpha"] {
                let slugPrefix = "/t/\(slug)"
                gets += ["\(slugPrefix)/inspections/\(betaIds[0])", "\(slugPrefix)/companies/\(betaRef)",
                         "/api/v1/tenants/\(slug)/inspections/\(betaIds[0])"]
            }
            gets += ["/t/beta", "/t/beta/inspections", "/t/beta/import", "/t/beta/reports", "/t/beta/reports/html",
                     "/t/beta/reports/csv", "/t/beta/reports/json", "/api/v1/tenants/beta/report", "/api/v1/tenants/beta/inspections",
                     "/t/no-such-tenant", "/platform", "/platform/report.json"]
            for uri in gets {
                let response = try await client.execute(uri: uri, method: .get, headers: alpha.cookieOnly)
                #expect(response.status == .notFound, "GET \(uri)")
                #expect(!Web.body(response).contains(betaRef), "GET \(uri) leaks")
            }
            var posts: [(String, HTTPFields, ByteBuffer)] = []
            for slug in ["beta", "alpha"] {
                posts.append(("/api/v1/tenants/\(slug)/requeue", json,
                              ByteBuffer(string: #"{"inspection_ids":[\#(betaRequeueable[0])],"note":"x","dry_run":false}"#)))
                posts.append(("/api/v1/tenants/\(slug)/inspections/\(betaRequeueable[0])/cancel", json, ByteBuffer(string: #"{"note":"x"}"#)))
                posts.append(("/t/\(slug)/inspections/\(betaRequeueable[0])/requeue", form,
                              Web.form([("csrf_token", alpha.csrf), ("note", "x")])))
                posts.append(("/t/\(slug)/inspections/\(betaRequeueable[0])/cancel", form,
                              Web.form([("csrf_token", alpha.csrf), ("note", "x")])))
            }
            posts.append(("/api/v1/tenants/beta/requeue", json, ByteBuffer(string: #"{"state":"needs_materials","note":"x"}"#)))
            posts.append(("/api/v1/tenants/alpha/requeue", json, ByteBuffer(string: #"{"company":"\#(betaRef)","note":"x"}"#)))
            posts.append(("/t/alpha/requeue", form, Web.form([("csrf_token", alpha.csrf), ("note", "x"), ("scope", "selected"),
                                                              ("inspection_ids", String(betaRequeueable[0])), ("confirm", "yes")])))
            posts.append(("/t/beta/requeue", form, Web.form([("csrf_token", alpha.csrf), ("note", "x"), ("scope", "filter"), ("confirm", "yes")])))
            posts.append(("/t/beta/import/apply", form, Web.form([("csrf_token", alpha.csrf), ("upload", "x")])))
            posts.append(("/platform/tenants/beta", form, Web.form([("csrf_token", alpha.csrf), ("weight", "9")])))
            let boundary = "XyZ"
            let multipart = "--\(boundary)\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n\(alpha.csrf)\r\n"
                + "--\(boundary)\r\nContent-Disposition: form-data; name=\"files\"; filename=\"companies.csv\"\r\nContent-Type: text/csv\r\n\r\n"
                + "company_ref,name,legal_representative,contact_name,contact_phone,contact_email\r\nX1,x,y,,,\r\n--\(boundary)--\r\n"
            posts.append(("/t/beta/import", Web.merge(alpha.cookieOnly, [.contentType: "multipart/form-data; boundary=\(boundary)"]),
                          ByteBuffer(string: multipart)))
            for (uri, headers, body) in posts {
                let response = try await client.execute(uri: uri, method: .post, headers: headers, body: body)
                #expect(response.status == .notFound, "POST \(uri)")
            }
            // A bearer token of alpha fares no better.
            let token = try WebAdmin.createToken(database: fixture.database, tenantSlug: "alpha", role: "operator", name: "t")
            let viaToken = try await client.execute(uri: "/api/v1/tenants/beta/inspections", method: .get,
                                                    headers: [.authorization: "Bearer \(token.token)"])
            #expect(viaToken.status == .notFound)
            let tokenIds = try await client.execute(uri: "/api/v1/tenants/alpha/inspections/\(betaIds[0])", method: .get,
                                                    headers: [.authorization: "Bearer \(token.token)"])
            #expect(tokenIds.status == .notFound)
            #expect(try fixture.snapshot() == before)
            // And alpha's own list shows none of beta's rows.
            let list = try await client.execute(uri: "/api/v1/tenants/alpha/inspections", method: .get, headers: alpha.cookieOnly)
            let ids = (Web.json(list)["inspections"] as? [[String: Any]] ?? []).compactMap { ($0["id"] as? Int).map(Int64.init) }
            #expect(Set(ids).isDisjoint(with: betaIds))
            #expect(ids.count == 6)
        }
    }

    @Test func missingOrWrongCSRFIs403AndChangesNothing() async throws {
        let fixture = try await WebFixture()
        defer { fixture.close() }
        let needs = try fixture.inspectionIds("alpha", state: "needs_materials")
        try await fixture.application().test(.router) { client in
            let alpha = try await Web.session(client, "op@alpha.example")
            let root = try await Web.session(client, "root@platform.example")
            let before = try fixture.snapshot()
            let wrongHeader: HTTPFields = {
                var fields = alpha.cookieOnly
                if let name = HTTPFields.Element.Name("X-CSRF-Token") { fields[name] = "wrong" }
                fields[.contentType] = "application/json"
                return fields
            }()
            let requeue = ByteBuffer(string: #"{"state":"needs_materials","note":"x","dry_run":false}"#)
            for headers in [Web.merge(alpha.cookieOnly, [.contentType: "application/json"]), wrongHeader] {
                let response = try await client.execute(uri: "/api/v1/tenants/alpha/requeue", method: .post, headers: headers, body: requeue)
                #expect(response.status == .forbidden)
                #expect(Web.json(response)["error"] as? String == "csrf")
            }
            let form = Web.merge(alpha.cookieOnly, Web.formHeaders)
            for token in [nil, "wrong", root.csrf] {
                var fields = [("note", "x"), ("scope", "selected"), ("inspection_ids", String(needs[0])), ("confirm", "yes")]
                if let token { fields.append(("csrf_token", token)) }
                let pages = ["/t/alpha/requeue", "/t/alpha/inspections/\(needs[0])/requeue", "/t/alpha/inspections/\(needs[0])/cancel", "/logout"]
                for uri in pages {
                    let response = try await client.execute(uri: uri, method: .post, headers: form, body: Web.form(fields))
                    #expect(response.status == .forbidden, "POST \(uri) with \(token ?? "no token")")
                }
            }
            let platform = try await client.execute(uri: "/platform/tenants/alpha", method: .post,
                                                    headers: Web.merge(root.cookieOnly, Web.formHeaders), body: Web.form([("weight", "9")]))
            #expect(platform.status == .forbidden)
            #expect(try fixture.snapshot() == before)
            // The session still works (logout without a token did not end it).
            let info = try await client.execute(uri: "/api/v1/session", method: .get, headers: alpha.cookieOnly)
            #expect(info.status == .ok)
        }
    }

    @Test func repeatedFailedLoginsAreSlowedThenLocked() async throws {
        let fixture = try await WebFixture()
        defer { fixture.close() }
        try await fixture.application().test(.router) { client in
            var durations: [Double] = []
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<4 {
                let started = Date()
                let (_, response) = try await Web.login(client, "op@alpha.example", "not the password")
                durations.append(Date().timeIntervalSince(started))
                statuses.append(response.status)
            }
            #expect(statuses.prefix(3).allSatisfy { $0 == .unauthorized })
            #expect(statuses[3] == .tooManyRequests)
            // Policy: one free failure, then 0.2 s more per failure (at most 0.4 s).
            #expect(durations[2] >= 0.2)
            #expect(durations[3] >= 0.4)
            // Locked: even the right password is refused, without a session.
            let (cookie, locked) = try await Web.login(client, "op@alpha.example")
            #expect(cookie == nil)
            #expect(locked.status == .tooManyRequests)
            #expect(Web.body(locked).contains("locked"))
            // Another address is not affected; an unknown one is throttled the same way.
            let (other, _) = try await Web.login(client, "view@alpha.example")
            #expect(other != nil)
            for _ in 0..<4 { _ = try await Web.login(client, "nobody@nowhere.example", "guess guess") }
            let (_, unknown) = try await Web.login(client, "nobody@nowhere.example", "guess guess")
            #expect(unknown.status == .tooManyRequests)
            let failures = try fixture.database.runBlocking {
                try $0.query("SELECT failures FROM login_failures WHERE email = 'op@alpha.example'")[0].requireInt(0)
            }
            #expect(failures == 4)
        }
    }

    @Test func hostileCompanyNamesAreEscapedEverywhere() async throws {
        let fixture = try await WebFixture()
        defer { fixture.close() }
        let hostile = "<script>alert('x')</script>\"><img src=x onerror=alert(1)>&amp;华夏"
        let alphaId = fixture.id("alpha")
        try fixture.database.runBlocking { session in
            _ = try session.query("UPDATE companies SET name = $1, legal_representative = $1, contact_name = $1 WHERE tenant_id = $2",
                                  [.text(hostile), .init(alphaId)])
            _ = try session.query("UPDATE inspections SET last_error = $1 WHERE tenant_id = $2 AND state = 'failed'",
                                  [.text(hostile), .init(alphaId)])
            _ = try session.query("""
                INSERT INTO inspection_events (tenant_id, inspection_id, actor, kind, from_state, to_state, detail)
                SELECT tenant_id, id, $1, 'note', state, state, jsonb_build_object('note', $1::text) FROM inspections WHERE tenant_id = $2
                """, [.text(hostile), .init(alphaId)])
        }
        let ids = try fixture.inspectionIds("alpha")
        let failed = try fixture.inspectionIds("alpha", state: "failed")
        let ref = try fixture.companyRefs("alpha")[0]
        try await fixture.application().test(.router) { client in
            let alpha = try await Web.session(client, "op@alpha.example")
            let pages = ["/t/alpha", "/t/alpha/inspections", "/t/alpha/inspections?company=\(percent(hostile))",
                         "/t/alpha/inspections/\(ids[0])", "/t/alpha/inspections/\(failed[0])", "/t/alpha/companies/\(ref)",
                         "/t/alpha/reports/html", "/login?x=\(percent(hostile))"]
            for uri in pages {
                for language in ["en", "zh"] {
                    let response = try await client.execute(uri: uri + (uri.contains("?") ? "&" : "?") + "lang=\(language)", method: .get,
                                                            headers: alpha.cookieOnly)
                    let body = Web.body(response)
                    #expect(response.status == .ok, "\(uri)")
                    #expect(!body.contains("<script>alert"), "\(uri) \(language)")
                    #expect(!body.contains("<img src=x"), "\(uri) \(language)")
                    #expect(!body.contains("\"><img"), "\(uri) \(language)")
                }
            }
            let list = Web.body(try await client.execute(uri: "/t/alpha/inspections?company=\(percent(hostile))", method: .get,
                                                         headers: alpha.cookieOnly))
            #expect(list.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&gt;&lt;img"))
            // JSON escapes < > & too.
            let api = Web.body(try await client.execute(uri: "/api/v1/tenants/alpha/inspections", method: .get, headers: alpha.cookieOnly))
            #expect(!api.contains("<script>"))
            #expect(api.contains("\\u003cscript\\u003e"))
            // A form-requeue dry run reflects the note escaped.
            let preview = try await client.execute(uri: "/t/alpha/requeue", method: .post, headers: Web.merge(alpha.cookieOnly, Web.formHeaders),
                                                   body: Web.form([("csrf_token", alpha.csrf), ("note", hostile), ("scope", "selected"),
                                                                   ("inspection_ids", String(failed[0]))]))
            #expect(!Web.body(preview).contains("<script>alert"))
        }
    }

    @Test func securityHeadersOnEveryAnswer() async throws {
        let secure = WebOptions(publicURL: "https://console.example.com", asOf: Scenario.asOf)
        let fixture = try await WebFixture(options: secure)
        defer { fixture.close() }
        try await fixture.application().test(.router) { client in
            let (cookie, login) = try await Web.login(client, "op@alpha.example")
            let setCookie = login.headers[values: .setCookie].first { $0.hasPrefix("nianjian_session=") } ?? ""
            #expect(setCookie.contains("Secure") && setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict"))
            let headers: HTTPFields = [.cookie: "nianjian_session=\(cookie ?? "")"]
            for uri in ["/login", "/t/alpha", "/t/alpha/inspections", "/api/v1/session", "/static/refresh.js", "/healthz",
                        "/no/such/page", "/api/v1/tenants/beta/report", "/metrics"] {
                let response = try await client.execute(uri: uri, method: .get, headers: headers)
                let csp = response.headers[.contentSecurityPolicy] ?? ""
                #expect(csp.contains("default-src 'none'") && csp.contains("script-src 'self'") && !csp.contains("unsafe-inline")
                        && csp.contains("frame-ancestors 'none'"), "\(uri)")
                #expect(response.headers[.xContentTypeOptions] == "nosniff", "\(uri)")
                #expect(response.headers[HTTPFields.Element.Name("X-Frame-Options") ?? .xContentTypeOptions] == "DENY", "\(uri)")
                #expect(response.headers[HTTPFields.Element.Name("Referrer-Policy") ?? .xContentTypeOptions] == "same-origin", "\(uri)")
            }
            // No inline script in any page: only the static one.
            let page = Web.body(try await client.execute(uri: "/t/alpha", method: .get, headers: headers))
            #expect(page.components(separatedBy: "<script").count == 2)
            #expect(page.contains("<script src=\"/static/refresh.js\"></script>"))
            #expect(!page.contains("style=\""))
        }
    }
}

private func percent(_ text: String) -> String {
    text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
}
