import Foundation
import Hummingbird
import NianjianDomain
import NianjianStore

/// Outermost: the language, security headers on every answer, errors rendered (bilingual, HTML or JSON),
/// request metrics.
struct ProtectionMiddleware: RouterMiddleware {
    typealias Context = WebContext
    let console: WebConsole

    static let contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        + "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.uploadLimit = console.options.maxUploadBytes
        context.language = Self.language(request)
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as WebError {
            response = Self.render(error, request: request, language: context.language)
        } catch let error as HTTPError {
            let web = error.status == .notFound ? WebError.notFound
                : WebError(error.status, code: "http_\(error.status.code)", en: "The request could not be handled (\(error.status.code)).",
                           zh: "无法处理该请求（\(error.status.code)）。")
            response = Self.render(web, request: request, language: context.language)
        } catch {
            // Never the error text to the user (it may carry internals); the log has the kind, not secrets.
            console.logger.error("request failed", metadata: ["path": .string(request.uri.path), "error": .string(String(describing: type(of: error)))])
            response = Self.render(WebError(.internalServerError, code: "internal", en: "Something went wrong on the server; try again, and tell your administrator if it persists.",
                                            zh: "服务器出错；请重试，如仍出错请联系管理员。"), request: request, language: context.language)
        }
        Self.addSecurityHeaders(&response.headers)
        console.metrics.countRequest(method: request.method.rawValue, status: Int(response.status.code))
        return response
    }

    static func addSecurityHeaders(_ headers: inout HTTPFields) {
        headers[.contentSecurityPolicy] = contentSecurityPolicy
        headers[.xContentTypeOptions] = "nosniff"
        if let frame = HTTPFields.Element.Name("X-Frame-Options") { headers[frame] = "DENY" }
        if let referrer = HTTPFields.Element.Name("Referrer-Policy") { headers[referrer] = "same-origin" }
        if headers[.cacheControl] == nil { headers[.cacheControl] = "no-store" }
    }

    /// `nianjian_lang` cookie (set by the switch), then Accept-Language; English otherwise.
    static func language(_ request: Request) -> Language {
        if let chosen = request.uri.queryParameters.get("lang") ?? request.cookies["nianjian_lang"]?.value {
            return chosen.lowercased().hasPrefix("zh") ? .zh : .en
        }
        let accept = request.headers[.acceptLanguage]?.lowercased() ?? ""
        let first = accept.split(separator: ",").first.map(String.init) ?? ""
        return first.trimmingCharacters(in: .whitespaces).hasPrefix("zh") ? .zh : .en
    }

    static func wantsJSON(_ request: Request) -> Bool {
        request.uri.path.hasPrefix("/api/") || request.uri.path == "/metrics"
    }

    static func render(_ error: WebError, request: Request, language: Language) -> Response {
        if wantsJSON(request) {
            return JSONOut.response(["error": .string(error.code), "message": .string(error.en), "message_zh": .string(error.zh)],
                                    status: error.status)
        }
        let body: HTML = """
            <h1>\(t(language, "出错了", "Something is wrong")) (\(Int(error.status.code)))</h1>
            <p class="error">\(error.message(language))</p>
            <p class="muted">\(error.message(language == .zh ? .en : .zh))</p>
            <p><a href="/">\(t(language, "返回首页", "Back to the start"))</a></p>
            """
        return Page.response(Page.layout(title: t(language, "出错了", "Error"), language: language, principal: nil, body: body),
                             status: error.status)
    }
}

/// Finds who is asking: the `nianjian_session` cookie or an `Authorization: Bearer` token.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = WebContext
    let console: WebConsole

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") {
            let token = String(header.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
            let hash = Secrets.sha256(token)
            guard let record = try await console.database.run({ try SessionQueries.useToken($0, tokenHash: hash) }),
                  let role = WebRole(rawValue: record.role) else {
                throw WebError(.unauthorized, code: "bad_token", en: "The bearer token is unknown or revoked.",
                               zh: "持有者令牌无效或已撤销。")
            }
            context.principal = Principal(name: "token:" + record.name, role: role, tenantId: record.tenantId,
                                          tenantSlug: record.tenantSlug, csrfToken: nil, sessionHash: nil)
        } else if let token = request.cookies[AuthRoutes.cookieName]?.value, !token.isEmpty {
            let hash = Secrets.sha256(token)
            let idle = console.options.idleTimeoutSeconds
            if let user = try await console.database.run({ try SessionQueries.touchSession($0, tokenHash: hash, idleSeconds: idle) }),
               let role = WebRole(rawValue: user.role) {
                context.principal = Principal(name: user.email, role: role, tenantId: user.tenantId, tenantSlug: user.tenantSlug,
                                              csrfToken: Secrets.csrfToken(sessionToken: token), sessionHash: hash)
            }
        }
        return try await next(request, context)
    }
}

/// Checks of who may do what.
extension WebContext {
    func requirePrincipal() throws -> Principal {
        guard let principal else { throw WebError.unauthenticated }
        return principal
    }

    /// A state change: an operator (or the platform), and from a browser the session's CSRF token.
    func requireActor(_ request: Request, formToken: String?) throws -> Principal {
        let principal = try requirePrincipal()
        try requireCSRF(request, principal: principal, formToken: formToken)
        guard principal.role.canAct else { throw WebError.forbidden }
        return principal
    }

    func requireCSRF(_ request: Request, principal: Principal, formToken: String?) throws {
        guard let expected = principal.csrfToken else { return }  // bearer tokens need none
        let given = CSRFHeader.value(request) ?? formToken ?? ""
        guard Secrets.constantTimeEqual(given, expected) else { throw WebError.csrf }
    }
}

enum CSRFHeader {
    static func value(_ request: Request) -> String? {
        guard let name = HTTPFields.Element.Name("X-CSRF-Token") else { return nil }
        return request.headers[name]
    }
}
