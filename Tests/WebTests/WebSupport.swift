import Foundation
import Hummingbird
import HummingbirdTesting
import NianjianDomain
import NianjianOperations
import NianjianPostgres
import NianjianStore
import NianjianTestSupport
import NianjianWeb
import NIOCore
import Testing

/// Two agencies (alpha, beta) with a few companies each, some inspections in requeueable states, and
/// users of every role. One fresh database per fixture.
final class WebFixture: @unchecked Sendable {
    let handle: TestDatabaseHandle
    let database: Database
    let console: WebConsole
    let ids: [String: Int64]
    static let password = "correct horse battery"

    init(options: WebOptions = WebOptions(login: LoginPolicy(freeFailures: 1, delayPerFailure: 0.2, maxDelaySeconds: 0.4,
                                                             lockAfter: 4, lockSeconds: 60),
                                          asOf: Scenario.asOf)) async throws {
        handle = try TestDatabase.fresh()
        database = handle.open(maximumConnections: 4)
        ids = try Scenario.load(database, tenants: [.init(slug: "alpha", companies: 6), .init(slug: "beta", companies: 6)])
        // Some of each tenant's inspections need an operator: two needs_materials, one rejected, one failed.
        try database.runBlocking { session in
            _ = try session.query("""
                WITH ranked AS (SELECT tenant_id, id, row_number() OVER (PARTITION BY tenant_id ORDER BY id) AS n FROM inspections)
                UPDATE inspections i SET
                    state = CASE r.n WHEN 1 THEN 'needs_materials' WHEN 2 THEN 'needs_materials' WHEN 3 THEN 'rejected' ELSE 'failed' END,
                    rejection_reason = CASE WHEN r.n = 3 THEN 'incomplete_materials' END,
                    last_error = CASE WHEN r.n = 4 THEN 'console timeout' END, next_attempt_at = NULL
                  FROM ranked r WHERE i.tenant_id = r.tenant_id AND i.id = r.id AND r.n <= 4
                """)
        }
        for (email, tenant, role) in [("op@alpha.example", "alpha", "operator"), ("view@alpha.example", "alpha", "viewer"),
                                      ("op@beta.example", "beta", "operator")] {
            try WebAdmin.addUser(database: database, email: email, tenantSlug: tenant, role: role, password: Self.password, cost: 4)
        }
        try WebAdmin.addUser(database: database, email: "root@platform.example", tenantSlug: nil, role: "platform",
                             password: Self.password, cost: 4)
        console = await WebConsole(database: database, options: options)
    }

    func close() {
        database.close()
        handle.drop()
    }

    func application() -> some ApplicationProtocol {
        Application(router: console.router())
    }

    func id(_ slug: String) -> Int64 { ids[slug] ?? -1 }

    /// Inspection ids of a tenant (as the owner), in id order.
    func inspectionIds(_ slug: String, state: String? = nil) throws -> [Int64] {
        let tenant = id(slug)
        return try database.runBlocking { session in
            try session.query("SELECT id FROM inspections WHERE tenant_id = $1 AND ($2::text IS NULL OR state = $2) ORDER BY id",
                              [.init(tenant), .init(state)]).rows.map { try $0.requireInt64(0) }
        }
    }

    func companyRefs(_ slug: String) throws -> [String] {
        let tenant = id(slug)
        return try database.runBlocking { session in
            try session.query("SELECT company_ref FROM companies WHERE tenant_id = $1 ORDER BY id", [.init(tenant)])
                .rows.map { try $0.requireString(0) }
        }
    }

    /// A fingerprint of every row a console action could change: counts and the states of inspections.
    func snapshot() throws -> String {
        try database.runBlocking { session in
            var parts: [String] = []
            for table in ["tenants", "companies", "contracts", "services", "materials", "inspections", "inspection_events",
                          "import_batches", "service_renewals", "web_audit"] {
                parts.append("\(table)=\(try session.query("SELECT count(*) FROM \(table)")[0].requireInt(0))")
            }
            parts.append(try session.query("""
                SELECT string_agg(id || ':' || state || ':' || generation, ',' ORDER BY tenant_id, id) FROM inspections
                """)[0].string(0) ?? "")
            parts.append(try session.query("""
                SELECT string_agg(slug || ':' || weight || ':' || COALESCE(max_concurrency::text, '-'), ',' ORDER BY id) FROM tenants
                """)[0].string(0) ?? "")
            parts.append(try session.query("SELECT string_agg(id || name, ',' ORDER BY tenant_id, id) FROM companies")[0].string(0) ?? "")
            return parts.joined(separator: "|")
        }
    }
}

/// A logged-in browser: its cookie and CSRF token.
struct BrowserSession: Sendable {
    var cookie: String
    var csrf: String

    var headers: HTTPFields {
        var fields: HTTPFields = [.cookie: "nianjian_session=\(cookie)"]
        if let name = HTTPFields.Element.Name("X-CSRF-Token") { fields[name] = csrf }
        return fields
    }

    /// Cookie only (no CSRF header).
    var cookieOnly: HTTPFields { [.cookie: "nianjian_session=\(cookie)"] }
}

enum Web {
    static func form(_ pairs: [(String, String)]) -> ByteBuffer {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        let text = pairs.map { name, value in
            name + "=" + (value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")
        }.joined(separator: "&")
        return ByteBuffer(string: text)
    }

    static var formHeaders: HTTPFields { [.contentType: "application/x-www-form-urlencoded"] }

    static func merge(_ a: HTTPFields, _ b: HTTPFields) -> HTTPFields {
        var out = a
        for field in b { out.append(field) }
        return out
    }

    static func body(_ response: TestResponse) -> String { String(buffer: response.body) }

    static func json(_ response: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]) ?? [:]
    }

    /// POST /login; returns the session cookie's value (nil when refused) and the response.
    static func login(_ client: some TestClientProtocol, _ email: String, _ password: String = WebFixture.password) async throws
        -> (cookie: String?, response: TestResponse) {
        let response = try await client.execute(uri: "/login", method: .post, headers: formHeaders,
                                                body: form([("email", email), ("password", password)]))
        let cookie = response.headers[values: .setCookie].compactMap { header -> String? in
            guard header.hasPrefix("nianjian_session=") else { return nil }
            let value = header.dropFirst("nianjian_session=".count).prefix { $0 != ";" }
            return value.isEmpty ? nil : String(value)
        }.first
        return (cookie, response)
    }

    /// Logs in and reads the CSRF token from GET /api/v1/session.
    static func session(_ client: some TestClientProtocol, _ email: String) async throws -> BrowserSession {
        let (cookie, response) = try await login(client, email)
        guard let cookie else {
            Issue.record("login of \(email) refused: \(response.status)")
            return BrowserSession(cookie: "", csrf: "")
        }
        let info = try await client.execute(uri: "/api/v1/session", method: .get, headers: [.cookie: "nianjian_session=\(cookie)"])
        return BrowserSession(cookie: cookie, csrf: json(info)["csrf_token"] as? String ?? "")
    }
}
