import Foundation
import Hummingbird
import NianjianDomain
import NianjianStore

/// Login, logout, the session API, the landing redirect, health, metrics and the static files.
struct AuthRoutes: Sendable {
    static let cookieName = "nianjian_session"
    let console: WebConsole

    func register(_ router: Router<WebContext>) {
        router.get("/healthz") { _, _ in JSONOut.response(["status": .string("ok")]) }
        router.get("/metrics") { _, _ in
            let text = try await console.metrics.render(database: console.database)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("/static/refresh.js") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "max-age=300"],
                     body: .init(byteBuffer: ByteBuffer(string: Assets.refreshScript)))
        }
        router.get("/static/console.css") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "max-age=300"],
                     body: .init(byteBuffer: ByteBuffer(string: Assets.stylesheet)))
        }
        router.get("/") { request, context in
            var response: Response
            if let principal = context.principal {
                response = Page.redirect(principal.tenantSlug.map { "/t/" + percentEncode($0) } ?? "/platform")
            } else {
                response = Page.redirect("/login")
            }
            rememberLanguage(request, &response)
            return response
        }
        router.get("/login") { request, context in
            var response = Page.response(LoginPage.render(language: context.language, error: nil))
            rememberLanguage(request, &response)
            return response
        }
        router.post("/login") { request, context in try await login(request, context) }
        router.post("/logout") { request, context in
            let body = try await request.body.collect(upTo: 64 * 1024)
            let form = FormFields(urlEncoded: String(buffer: body))
            let principal = try context.requirePrincipal()
            try context.requireCSRF(request, principal: principal, formToken: form["csrf_token"])
            if let hash = principal.sessionHash {
                try await console.database.run { try SessionQueries.deleteSession($0, tokenHash: hash) }
            }
            var response = Page.redirect("/login")
            response.setCookie(sessionCookie(value: "", maxAge: 0))
            return response
        }
        router.get("/api/v1/session") { _, context in
            let principal = try context.requirePrincipal()
            return JSONOut.response([
                "email": .string(principal.name), "tenant": .optional(principal.tenantSlug),
                "role": .string(principal.role.rawValue), "csrf_token": .optional(principal.csrfToken),
            ])
        }
    }

    func sessionCookie(value: String, maxAge: Int?) -> Cookie {
        Cookie(name: Self.cookieName, value: value, maxAge: maxAge, path: "/", secure: console.options.secureCookies,
               httpOnly: true, sameSite: .strict)
    }

    /// The language switch (`?lang=zh|en`) is remembered in a cookie.
    func rememberLanguage(_ request: Request, _ response: inout Response) {
        guard let chosen = request.uri.queryParameters.get("lang") else { return }
        response.setCookie(Cookie(name: "nianjian_lang", value: chosen.lowercased().hasPrefix("zh") ? "zh" : "en",
                                  maxAge: 365 * 86400, path: "/", secure: console.options.secureCookies, httpOnly: true,
                                  sameSite: .strict))
    }

    func login(_ request: Request, _ context: WebContext) async throws -> Response {
        let language = context.language
        let body = try await request.body.collect(upTo: 64 * 1024)
        let form = FormFields(urlEncoded: String(buffer: body))
        let email = (form["email"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        let password = form["password"] ?? ""
        let policy = console.options.login
        func refuse(_ status: HTTPResponse.Status, _ zh: String, _ en: String) -> Response {
            Page.response(LoginPage.render(language: language, error: t(language, zh, en), email: email), status: status)
        }
        guard !email.isEmpty, email.count <= 254, !password.isEmpty, password.utf8.count <= 256 else {
            return refuse(.badRequest, "请输入电子邮箱和密码。", "Enter your e-mail address and password.")
        }
        let before = try await console.database.run { try UserQueries.selectLoginFailures($0, email: email) }
        if let seconds = before.lockedForSeconds {
            return lockedResponse(seconds, refuse)
        }
        let delay = policy.delay(afterFailures: before.failures)
        if delay > 0 { try await Task.sleep(nanoseconds: UInt64(delay * 1_000_000_000)) }
        let user = try await console.database.run { try UserQueries.findUser($0, email: email) }
        let verified = await Secrets.verifyPassword(password, hash: user?.passwordHash ?? console.decoyHash)
        guard let user, verified, !user.disabled, let role = WebRole(rawValue: user.role) else {
            let after = try await console.database.run {
                try UserQueries.recordLoginFailure($0, email: email, lockAfter: policy.lockAfter, lockSeconds: policy.lockSeconds)
            }
            if let seconds = after.lockedForSeconds { return lockedResponse(seconds, refuse) }
            return refuse(.unauthorized, "电子邮箱或密码错误。", "Wrong e-mail address or password.")
        }
        let token = Secrets.randomToken()
        let hash = Secrets.sha256(token)
        let absolute = console.options.absoluteTimeoutSeconds
        try await console.database.run { session in
            try UserQueries.clearLoginFailures(session, email: email)
            try SessionQueries.insertSession(session, tokenHash: hash, userId: user.id, absoluteSeconds: absolute)
            try WebQueries.insertAudit(session, tenantId: user.tenantId, actor: "web:" + email, action: "login", detailJSON: "{}")
        }
        var response = Page.redirect(role == .platform ? "/platform" : "/t/" + percentEncode(user.tenantSlug ?? ""))
        response.setCookie(sessionCookie(value: token, maxAge: nil))
        return response
    }

    func lockedResponse(_ seconds: Double, _ refuse: (HTTPResponse.Status, String, String) -> Response) -> Response {
        let minutes = max(1, Int((seconds / 60).rounded(.up)))
        return refuse(.tooManyRequests, "登录失败次数过多：该账户已锁定约 \(minutes) 分钟，请稍后再试。",
                      "Too many failed logins: this address is locked for about \(minutes) minute\(minutes == 1 ? "" : "s"); try again later.")
    }
}
