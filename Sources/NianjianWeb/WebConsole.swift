import Foundation
import Hummingbird
import Logging
import NianjianConsole
import NianjianDomain
import NianjianOperations
import NianjianStore

/// The console's shared state: the database, the options, metrics, uploads awaiting their apply.
public final class WebConsole: Sendable {
    public let database: Database
    /// Where the report pages and downloads read: a standby (`NIANJIAN_READ_DATABASE_URL`), else `database`.
    /// Nothing that writes uses it.
    public let readDatabase: Database
    /// True when `readDatabase` is a database of its own: reports then carry the replica's replay time.
    let readsElsewhere: Bool
    public let options: WebOptions
    public let metrics: WebMetrics
    let staging = ImportStaging()
    let logger: Logger
    /// Verified against when the address is unknown, so an unknown address costs the same time.
    let decoyHash: String

    public init(database: Database, readDatabase: Database? = nil, options: WebOptions,
                logger: Logger = Logger(label: "nianjian.web")) async {
        self.database = database
        self.readDatabase = readDatabase ?? database
        self.readsElsewhere = readDatabase.map { $0 !== database } ?? false
        self.options = options
        self.metrics = WebMetrics()
        self.logger = logger
        self.decoyHash = await Secrets.hashPassword(Secrets.randomToken(), cost: 10)
    }

    /// The business date of reports.
    var asOf: CivilDate { options.asOf ?? SystemBusinessClock().now().chinaDate }

    /// The business clock's now for requeues (the night start of `asOf` when one is set).
    var businessNow: Timestamp {
        if let asOf = options.asOf { return Timestamp(chinaDate: asOf, hour: 1) }
        return SystemBusinessClock().now()
    }

    /// The router with every route and middleware.
    public func router() -> Router<WebContext> {
        let router = Router(context: WebContext.self)
        router.add(middleware: ProtectionMiddleware(console: self))
        router.add(middleware: AuthMiddleware(console: self))
        AuthRoutes(console: self).register(router)
        APIRoutes(console: self).register(router)
        PageRoutes(console: self).register(router)
        ActionRoutes(console: self).register(router)
        return router
    }

    /// The application on `options.host:options.port`; `onRunning` gets the bound port.
    public func application(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        Application(router: router(),
                    configuration: .init(address: .hostname(options.host, port: options.port), serverName: nil),
                    onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
                    logger: logger)
    }
}

/// Uploaded spreadsheets between their dry run and their apply (in memory, 30 minutes, per user and tenant).
actor ImportStaging {
    struct Upload {
        var owner: String
        var tenantId: Int64
        var files: [String: [UInt8]]
        var source: String
        var at: Date
    }

    private var uploads: [String: Upload] = [:]

    func put(_ upload: Upload) -> String {
        let cutoff = Date().addingTimeInterval(-1800)
        uploads = uploads.filter { $0.value.at > cutoff }
        let key = Secrets.randomToken()
        uploads[key] = upload
        return key
    }

    func take(_ key: String, owner: String, tenantId: Int64) -> Upload? {
        guard let upload = uploads[key], upload.owner == owner, upload.tenantId == tenantId,
              upload.at > Date().addingTimeInterval(-1800) else { return nil }
        uploads[key] = nil
        return upload
    }
}
