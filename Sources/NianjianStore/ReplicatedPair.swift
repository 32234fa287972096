import Foundation
import NianjianPostgres

/// A primary and a synchronous streaming standby on this machine (`pg_basebackup -R`), both on 127.0.0.1 with
/// free ports: what a managed PostgreSQL with a hot standby looks like. The failover tests and `nianjian bench
/// soak` start one; the soak also fails over, restarts and rebuilds it, so the servers' roles can swap.
///
/// `synchronous_standby_names = '*'` and `synchronous_commit = on`: a commit the primary acknowledged is on
/// the standby, so a failover loses only transactions whose answer the client never got.
public final class ReplicatedPair: @unchecked Sendable {
    /// The servers as started: `primary` first. After `failOver()` the roles are `current`/`other`.
    public let primary: EmbeddedPostgres
    public let standby: EmbeddedPostgres
    public let primaryPort: Int
    public let standbyPort: Int
    public let databaseName: String
    let home: String
    private let lock = NSLock()
    private var primaryIsFirst = true

    static let settings = ["synchronous_commit = on", "wal_level = replica", "max_wal_senders = 5", "hot_standby = on",
                           "wal_receiver_status_interval = 1s"]

    /// Starts the primary, creates and migrates `databaseName`, lets `prepare` load it, then clones the
    /// standby and turns synchronous replication on.
    public init(databaseName: String = "nianjian", prepare: (Database) throws -> Void = { _ in }) throws {
        home = NSTemporaryDirectory() + "nj-pair-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        primaryPort = try FreePort.next()
        var standbyPort = try FreePort.next()
        while standbyPort == primaryPort { standbyPort = try FreePort.next() }
        self.standbyPort = standbyPort
        self.databaseName = databaseName
        // Throwaway clusters, but commits wait for the standby (synchronous_commit back on after fsync off).
        primary = try EmbeddedPostgres(options: .init(home: home + "/primary", durable: false, port: primaryPort,
                                                      databaseName: databaseName, listenAddresses: "127.0.0.1",
                                                      extraSettings: Self.settings))
        standby = try EmbeddedPostgres(options: .init(home: home + "/standby", durable: false, port: standbyPort,
                                                      databaseName: databaseName, listenAddresses: "127.0.0.1",
                                                      extraSettings: Self.settings))
        _ = try DatabaseLocation.start(primary)
        let loading = Database(primary.connectionString(database: databaseName), maximumConnections: 4)
        defer { loading.close() }
        _ = try loading.migrate()
        try prepare(loading)
        try standby.cloneAsStandby(of: primary)
        _ = try standby.start()
        try Self.makeSynchronous(primary)
    }

    /// The server taking writes now, and the other one.
    public var current: EmbeddedPostgres { lock.withLock { primaryIsFirst ? primary : standby } }
    public var other: EmbeddedPostgres { lock.withLock { primaryIsFirst ? standby : primary } }

    /// `postgresql://postgres@127.0.0.1:P1,127.0.0.1:P2/DB?target_session_attrs=…`: libpq's own multi-host form.
    public func url(targetSessionAttrs: String = "read-write", extra: String = "") -> String {
        "postgresql://postgres@127.0.0.1:\(primaryPort),127.0.0.1:\(standbyPort)/\(databaseName)?target_session_attrs=\(targetSessionAttrs)"
            + (extra.isEmpty ? "" : "&" + extra)
    }

    /// A direct connection string to one side (its socket), for the test to look at it.
    public func direct(_ server: EmbeddedPostgres) -> ConnectionString { server.connectionString(database: databaseName) }

    /// A managed database's failover: the standby is promoted, then the primary stops at once (`-m
    /// immediate`, a crash). Returns when the new primary takes writes; the old one stays down until `rejoin()`.
    public func failOver() throws {
        let (old, new) = (current, other)
        try new.promote()
        try old.stop(immediate: true)
        lock.withLock { primaryIsFirst.toggle() }
    }

    /// The primary crashes and comes back (`pg_ctl stop -m immediate`, then start): crash recovery, same roles.
    public func restartPrimary() throws {
        let server = current
        try server.stop(immediate: true)
        _ = try server.start()
    }

    /// The old primary, down since `failOver()`, rebuilt as the new primary's synchronous standby (a fresh
    /// `pg_basebackup`, as a managed service rebuilds a failed node).
    public func rejoin() throws {
        let (new, old) = (current, other)
        old.destroy()
        try old.cloneAsStandby(of: new)
        _ = try old.start()
        try Self.makeSynchronous(new)
    }

    /// Waits (60 s at most) until `primary` has one synchronous, streaming standby.
    static func makeSynchronous(_ primary: EmbeddedPostgres) throws {
        let admin = try PostgresConnection.connectBlocking(primary.connectionString(database: "postgres"), label: "pair-admin")
        defer { admin.close() }
        try admin.runBlocking { session in
            try session.executeScript("ALTER SYSTEM SET synchronous_standby_names = '*'")
            try session.query("SELECT pg_reload_conf()")
        }
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let streaming = try admin.runBlocking { session in
                try session.query("SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync' AND state = 'streaming'")[0].int(0) ?? 0
            }
            if streaming == 1 { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw EmbeddedPostgres.Failure(description: "the standby did not become synchronous within 60 s")
    }

    public func destroy() {
        primary.destroy()
        standby.destroy()
        try? FileManager.default.removeItem(atPath: home)
    }
}
