import Foundation
import NianjianDemo
import NianjianDomain
import NianjianStore
import NianjianWeb

/// `demo --serve`: the console on the demo data, with demo logins printed once.
enum DemoServe {
    static func run(database: Database, outcome: Demo.Outcome, web: ServeOptions, language: Language) throws {
        guard let first = outcome.tenants.first else { return }
        let logins = try WebAdmin.demoLogins(database: database, tenantSlug: first.slug)
        let asOf = outcome.nights.last?.date
        let zh = language == .zh
        try WebServer.serveBlocking(database: database, options: web.webOptions(asOf: asOf)) { port in
            printOut(zh ? "控制台已启动：http://\(web.host):\(port)/ （Ctrl-C 停止）" : "console listening on http://\(web.host):\(port)/ (Ctrl-C stops it)")
            for login in logins {
                printOut(zh ? "演示登录（\(login.role)）：\(login.email) 密码 \(login.password)"
                            : "demo login (\(login.role)): \(login.email) password \(login.password)")
            }
        }
    }
}
