import Hummingbird
import NianjianDomain

/// The request context of every console route: who is asking (set by `AuthMiddleware`) and in which language.
public struct WebContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var principal: Principal?
    public var language: Language = .en
    /// Set by the server from `WebOptions.maxUploadBytes`.
    public var uploadLimit: Int = 20 * 1024 * 1024

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        principal = nil
    }

    public var maxUploadSize: Int { uploadLimit }
}

/// A failure shown to the user: status, a stable code, and the message in both languages.
public struct WebError: Error, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var en: String
    public var zh: String

    public init(_ status: HTTPResponse.Status, code: String, en: String, zh: String) {
        self.status = status; self.code = code; self.en = en; self.zh = zh
    }

    public func message(_ language: Language) -> String { language == .zh ? zh : en }

    static let notFound = WebError(.notFound, code: "not_found", en: "Not found: there is no such page, tenant or record (or it is not yours).",
                                   zh: "未找到：没有这个页面、租户或记录（或不属于您）。")
    static let unauthenticated = WebError(.unauthorized, code: "unauthenticated", en: "Please log in first.",
                                          zh: "请先登录。")
    static let forbidden = WebError(.forbidden, code: "forbidden", en: "Your role may not do this: ask an operator of your agency.",
                                    zh: "您的角色无权执行此操作：请联系本机构的操作员。")
    static let csrf = WebError(.forbidden, code: "csrf", en: "The form's security token is missing or wrong: reload the page and try again.",
                               zh: "表单安全令牌缺失或错误：请刷新页面后重试。")
    static func badRequest(_ en: String, _ zh: String, code: String = "bad_request") -> WebError {
        WebError(.badRequest, code: code, en: en, zh: zh)
    }
}
