import ArgumentParser
import Foundation
import NianjianDomain
import NianjianOperations
import NianjianStore
import NianjianWeb

/// Options of the web console, shared by `serve` and `demo --serve`.
struct ServeOptions: ParsableArguments {
    @Option(name: .long, help: "Address to listen on (default 127.0.0.1; put a TLS reverse proxy in front).")
    var host = "127.0.0.1"
    @Option(name: .long, help: "Port (default 8080).")
    var port = 8080
    @Option(name: .customLong("public-url"), help: "The URL users reach the console at; https makes the cookie Secure.")
    var publicURL: String?
    @Option(name: .customLong("idle-timeout"), help: "Minutes a session may stay unused (default 30).")
    var idleMinutes: Double = 30

    func webOptions(asOf: CivilDate?) -> WebOptions {
        WebOptions(host: host, port: port, publicURL: publicURL, idleTimeoutSeconds: idleMinutes * 60, asOf: asOf)
    }

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0 to 65535 / --port 应为 0 到 65535") }
        guard idleMinutes > 0 else { throw ValidationError("--idle-timeout must be above 0 / --idle-timeout 应大于 0") }
    }
}

/// `nianjian serve`: the web console and its JSON API.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the web console and JSON API until SIGINT/SIGTERM. 运行网页控制台。",
        discussion: "Users: `nianjian user add`; scripts: `nianjian token create`. See the README for nginx with TLS.")

    @OptionGroup var serve: ServeOptions
    @Option(name: .long, help: "Business date of reports (default: today in China).")
    var asOf: String?
    @OptionGroup var language: LanguageOption

    func run() throws {
        try OperatorCLI.run(language.language) {
            let date = try asOf.map { try OperatorCLI.date($0) }
            let database = try CommandDatabase.open(maximumConnections: 8)
            defer { database.close() }
            // Report pages read a standby when NIANJIAN_READ_DATABASE_URL names one.
            let reads = ProcessInfo.processInfo.environment["NIANJIAN_READ_DATABASE_URL"].map { !$0.isEmpty } == true
                ? try CommandDatabase.openRead(maximumConnections: 4) : nil
            defer { reads?.close() }
            let zh = language.language == .zh
            try WebServer.serveBlocking(database: database, readDatabase: reads, options: serve.webOptions(asOf: date)) { port in
                printOut(zh ? "控制台已启动：http://\(serve.host):\(port)/" : "console listening on http://\(serve.host):\(port)/")
            }
        }
    }
}
