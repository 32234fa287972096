import Hummingbird
import NianjianDomain
import NIOCore

/// The frame of every page: head (stylesheet and script from static routes only), navigation, language switch.
enum Page {
    static func layout(title: String, language: Language, principal: Principal?, tenant: TenantScope? = nil,
                       refreshSeconds: Int = 0, body: HTML) -> HTML {
        var nav: [HTML] = []
        if let tenant {
            let base = "/t/" + percentEncode(tenant.slug)
            nav.append("<a href=\"\(base)\">\(t(language, "概览", "Overview"))</a>")
            nav.append("<a href=\"\(base + "/inspections")\">\(t(language, "年检", "Inspections"))</a>")
            if principal?.role.canAct ?? false {
                nav.append("<a href=\"\(base + "/import")\">\(t(language, "导入", "Import"))</a>")
            }
            nav.append("<a href=\"\(base + "/reports")\">\(t(language, "报告", "Reports"))</a>")
        }
        if principal?.isPlatform ?? false {
            nav.append("<a href=\"/platform\">\(t(language, "平台", "Platform"))</a>")
        }
        var account: HTML = .empty
        if let principal {
            account = """
                <span class="muted">\(principal.name) · \(roleName(principal.role, language))</span>
                <form class="inline" method="post" action="/logout"><input type="hidden" name="csrf_token" value="\(principal.csrfToken)"><button type="submit">\(t(language, "退出", "Log out"))</button></form>
                """
        }
        let tenantName: HTML = tenant.map { "<span>\($0.name)</span>" } ?? .empty
        let refresh: HTML = refreshSeconds > 0 ? " data-refresh=\"\(refreshSeconds)\"" : .empty
        return """
            <!DOCTYPE html>
            <html lang="\(language == .zh ? "zh-CN" : "en")">
            <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title) · 年检 Nianjian</title>
            <link rel="stylesheet" href="/static/console.css"></head>
            <body\(refresh)>
            <header><a class="brand" href="/">年检 Nianjian</a>\(tenantName)<nav>\(nav)</nav>
            <a href="?lang=zh" lang="zh-CN">中文</a><a href="?lang=en" lang="en">English</a>\(account)</header>
            <main>
            \(body)
            </main>
            <script src="/static/refresh.js"></script>
            </body></html>
            """
    }

    static func response(_ html: HTML, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(string: html.text)))
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    static func roleName(_ role: WebRole, _ language: Language) -> String {
        switch role {
        case .viewer: return t(language, "查看者", "viewer")
        case .operator: return t(language, "操作员", "operator")
        case .platform: return t(language, "平台运营", "platform operator")
        }
    }

    static func stateName(_ state: String, _ language: Language) -> String {
        switch state {
        case "pending": return t(language, "待处理", "pending")
        case "needs_materials": return t(language, "待补材料", "needs materials")
        case "submitting": return t(language, "提交中", "submitting")
        case "in_review": return t(language, "审核中", "in review")
        case "approved": return t(language, "已通过", "approved")
        case "rejected": return t(language, "被驳回", "rejected")
        case "failed": return t(language, "失败", "failed")
        case "cancelled": return t(language, "已取消", "cancelled")
        default: return state
        }
    }

    static func stateBadge(_ state: String, _ language: Language) -> HTML {
        let known = InspectionState(rawValue: state)?.rawValue ?? "other"
        return "<span class=\"state state-\(known)\">\(stateName(state, language))</span>"
    }

    static func csrfField(_ principal: Principal) -> HTML {
        "<input type=\"hidden\" name=\"csrf_token\" value=\"\(principal.csrfToken)\">"
    }

    static func notice(_ text: String?) -> HTML {
        guard let text, !text.isEmpty else { return .empty }
        return "<p class=\"notice\">\(text)</p>"
    }
}

enum LoginPage {
    static func render(language: Language, error: String?, email: String = "") -> HTML {
        let message: HTML = error.map { "<p class=\"error\">\($0)</p>" } ?? .empty
        let body: HTML = """
            <div class="login">
            <h1>\(t(language, "登录年检控制台", "Log in to the Nianjian console"))</h1>
            \(message)
            <form method="post" action="/login">
            <label for="email">\(t(language, "电子邮箱", "E-mail"))</label>
            <input id="email" name="email" type="email" autocomplete="username" required value="\(email)">
            <label for="password">\(t(language, "密码", "Password"))</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required>
            <button type="submit" id="login">\(t(language, "登录", "Log in"))</button>
            </form></div>
            """
        return Page.layout(title: t(language, "登录", "Log in"), language: language, principal: nil, body: body)
    }
}
