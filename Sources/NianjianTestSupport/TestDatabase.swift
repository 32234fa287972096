import Foundation
import NianjianPostgres
import NianjianStore

/// The database every store and runner test uses.
///
/// `DATABASE_URL` if set (the role needs CREATEDB); otherwise a throwaway cluster in a temporary folder,
/// started once per test process (fsync off) and stopped when the process exits. Each test gets a fresh
/// database cloned from a migrated template, so tests never see each other's rows.
public enum TestDatabase {
    /// A new, migrated, empty database.
    public static func fresh() throws -> TestDatabaseHandle {
        let server = try TestServer.shared()
        let name = "nj_test_\(getpid())_\(TestServer.nextSerial())"
        let admin = try PostgresConnection.connectBlocking(server.admin, label: "test-admin")
        defer { admin.close() }
        try admin.runBlocking { session in
            try AdminQueries.createDatabase(session, name: name, template: server.template)
        }
        return TestDatabaseHandle(name: name, connectionString: server.admin.database(name), admin: server.admin)
    }

    /// The embedded cluster (nil when DATABASE_URL is used), for tests that stop and start the server.
    public static func embeddedServer() throws -> EmbeddedPostgres? {
        try TestServer.shared().embedded
    }
}

public final class TestDatabaseHandle: Sendable {
    public let name: String
    public let connectionString: ConnectionString
    let admin: ConnectionString

    init(name: String, connectionString: ConnectionString, admin: ConnectionString) {
        self.name = name
        self.connectionString = connectionString
        self.admin = admin
    }

    /// A pool on this database.
    public func open(maximumConnections: Int = 4) -> Database {
        Database(connectionString, maximumConnections: maximumConnections)
    }

    /// The connection string as a `DATABASE_URL` value for a `nianjian` subprocess.
    public var url: String {
        if connectionString.raw.contains("://") {
            // A URI names its database in the path; replace it.
            guard var components = URLComponents(string: connectionString.raw) else { return connectionString.raw }
            components.path = "/" + name
            return components.string ?? connectionString.raw
        }
        return connectionString.raw + " dbname=\(name)"
    }

    /// Drops the database (optional: the throwaway cluster is removed at exit anyway).
    public func drop() {
        guard let admin = try? PostgresConnection.connectBlocking(admin, label: "test-drop") else { return }
        defer { admin.close() }
        _ = try? admin.runBlocking { session in
            try AdminQueries.dropDatabase(session, name: name)
        }
    }
}

final class TestServer: Sendable {
    let admin: ConnectionString
    let template: String
    let embedded: EmbeddedPostgres?

    private init(admin: ConnectionString, template: String, embedded: EmbeddedPostgres?) {
        self.admin = admin
        self.template = template
        self.embedded = embedded
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var instance: TestServer?
    nonisolated(unsafe) private static var startFailure: (any Error)?
    nonisolated(unsafe) private static var serial = 0

    static func nextSerial() -> Int {
        lock.lock(); defer { lock.unlock() }
        serial += 1
        return serial
    }

    static func shared() throws -> TestServer {
        lock.lock(); defer { lock.unlock() }
        if let instance { return instance }
        if let startFailure { throw startFailure }
        do {
            let server = try start()
            instance = server
            return server
        } catch {
            startFailure = error
            throw error
        }
    }

    private static func start() throws -> TestServer {
        let environment = ProcessInfo.processInfo.environment
        var embedded: EmbeddedPostgres?
        let admin: ConnectionString
        if let url = environment["DATABASE_URL"], !url.isEmpty {
            admin = ConnectionString(url)
        } else {
            let folder = "/tmp/nj-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            let server = try EmbeddedPostgres(options: .init(home: folder, durable: false, databaseName: "postgres",
                                                                 passwordsForOtherRoles: true))
            registerStopAtExit(server)
            admin = try server.start()
            embedded = server
        }
        // One migrated template per test process; tests clone it.
        let template = "nj_template_\(getpid())"
        let connection = try PostgresConnection.connectBlocking(admin, label: "test-template")
        try connection.runBlocking { session in
            try AdminQueries.dropDatabase(session, name: template)
            try AdminQueries.createDatabase(session, name: template)
        }
        connection.close()
        let templateConnection = try PostgresConnection.connectBlocking(admin.database(template), label: "test-migrate")
        try templateConnection.runBlocking { session in _ = try Migrator().migrate(session) }
        templateConnection.close()
        return TestServer(admin: admin, template: template, embedded: embedded)
    }
}

/// The `nianjian` executable built beside the tests, for tests that run it as a user would.
public enum NianjianBinary {
    public static var path: String? {
        var candidates: [String] = []
        if let override = ProcessInfo.processInfo.environment["NIANJIAN_BINARY"] { candidates.append(override) }
        // The test bundle lives in the build folder, next to the executable.
        let bundle = Bundle.main.bundlePath
        var folder = (bundle as NSString).deletingLastPathComponent
        for _ in 0..<4 {
            candidates.append(folder + "/nianjian")
            folder = (folder as NSString).deletingLastPathComponent
        }
        let executable = (CommandLine.arguments.first.map { ($0 as NSString).deletingLastPathComponent }) ?? ""
        candidates.append(executable + "/nianjian")
        candidates.append(((executable as NSString).deletingLastPathComponent as NSString).appendingPathComponent("nianjian"))
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

private let stopLock = NSLock()
nonisolated(unsafe) private var serversToStop: [EmbeddedPostgres] = []

/// The throwaway cluster is stopped and removed when the test process exits.
private func registerStopAtExit(_ server: EmbeddedPostgres) {
    stopLock.lock()
    let first = serversToStop.isEmpty
    serversToStop.append(server)
    stopLock.unlock()
    if first {
        atexit {
            stopLock.lock()
            let servers = serversToStop
            serversToStop.removeAll()
            stopLock.unlock()
            servers.forEach { $0.destroy() }
        }
    }
}
