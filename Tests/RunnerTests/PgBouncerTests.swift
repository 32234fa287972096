import Dispatch
import Foundation
import NianjianDomain
import NianjianPostgres
import NianjianStore
import NianjianTestSupport
import Testing

/// A private cluster whose database defaults to another time zone than ours (Asia/Shanghai): a statement that
/// ran without our session settings would show it.
private func shanghaiCluster(_ prefix: String) throws -> (server: EmbeddedPostgres, database: Database, home: String) {
    let home = NSTemporaryDirectory() + "nj-\(prefix)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let server = try EmbeddedPostgres(options: .init(home: home, durable: false, databaseName: "nianjian"))
    let connection = try DatabaseLocation.start(server)
    let database = Database(connection, maximumConnections: 4)
    _ = try database.migrate()
    try database.runBlocking { try $0.executeScript("ALTER DATABASE nianjian SET TimeZone TO 'Asia/Shanghai'") }
    return (server, database, home)
}

/// Issue 14: PgBouncer 1.18 in transaction pooling (no protocol-level prepared statements, no session state).
@Suite("pgbouncer", .serialized)
struct PgBouncerTests {
    /// With `?nianjian_prepare=off` every statement is unnamed and every transaction carries our settings (SET
    /// LOCAL): 60 statements from 6 client connections over 2 server connections all see UTC and our timeouts,
    /// though the database's own default is Asia/Shanghai.
    @Test func sessionSettingsHoldInEveryTransactionBehindTransactionPooling() async throws {
        let (server, direct, home) = try shanghaiCluster("pgb-settings")
        defer { direct.close(); server.destroy(); try? FileManager.default.removeItem(atPath: home) }
        let bouncer = try PgBouncer(socketDirectory: server.socketDirectory, serverPort: server.options.port,
                                    database: "nianjian", poolSize: 2)
        defer { bouncer.stop() }
        let limits = SessionSettings(statementTimeoutMilliseconds: 30_000, lockTimeoutMilliseconds: 1_234,
                                     idleInTransactionTimeoutMilliseconds: 60_000)
        let pooled = Database(ConnectionString(bouncer.url()).with(limits), maximumConnections: 6)
        defer { pooled.close() }
        #expect(pooled.connectionString.settings.preparedStatements == false)
        let seen = Lines(), failures = Lines()
        try await offThePool {
            let group = DispatchGroup()
            for index in 0..<60 {
                group.enter()
                BlockingWork.start {
                    defer { group.leave() }
                    do {
                        let row = try pooled.runBlocking { session in
                            // A statement with a bound parameter: unnamed (PQexecParams), or PgBouncer would lose it.
                            let result = try session.query("""
                                SELECT current_setting('TimeZone') || ' ' || current_setting('lock_timeout') || ' '
                                    || current_setting('statement_timeout') || ' ' || $1::text
                                """, [.text(String(index))])
                            return try result[0].requireString(0)
                        }
                        seen.append(row)
                    } catch {
                        failures.append("\(error)")
                    }
                }
            }
            group.wait()
        }
        #expect(failures.all.isEmpty, "\(failures.all.prefix(3))")
        #expect(seen.all.count == 60)
        let wrong = seen.all.filter { !$0.hasPrefix("UTC 1234ms 30s ") }
        #expect(wrong.isEmpty, "statements without our settings: \(wrong.prefix(3))")
        // The control: the database's own default, which any statement without our settings would have seen.
        let control = try PostgresConnection.connectBlocking(direct.connectionString, label: "control")
        defer { control.close() }
        let fallback = try control.runBlocking { try $0.query("SELECT reset_val FROM pg_settings WHERE name = 'TimeZone'")[0].requireString(0) }
        #expect(fallback == "Asia/Shanghai")
    }

    /// A full night (`nianjian run`, faults on) through PgBouncer in transaction pooling with
    /// `?nianjian_prepare=off`: every inspection decided, every renewal exactly once, nothing leased. Under
    /// both routings (per tenant, the claims and write-backs are pipelines, each an explicit transaction).
    @Test(arguments: StatementRouting.allCases)
    func nightThroughPgBouncerInTransactionPooling(routing: StatementRouting) async throws {
        let (server, db, home) = try shanghaiCluster("pgb-night-\(routing.rawValue)")
        defer { db.close(); server.destroy(); try? FileManager.default.removeItem(atPath: home) }
        try Scenario.load(db, tenants: crashTenants("pgb", tenants: 3, companies: 40))
        let bouncer = try PgBouncer(socketDirectory: server.socketDirectory, serverPort: server.options.port,
                                    database: "nianjian", poolSize: 3)
        defer { bouncer.stop() }
        let job = try Child.tempFile(crashJobYAML(seed: 14, submitPerSecond: 200, routing: routing))
        defer { try? FileManager.default.removeItem(atPath: (job as NSString).deletingLastPathComponent) }
        let url = bouncer.url()
        let outcome = try await offThePool {
            try Child.run(["run", "--job", job, "--as-of", "2026-12-01", "--json"], url: url, timeout: 240)
        }
        #expect(outcome.status == 0, "nianjian run through PgBouncer failed:\n\(outcome.stderr.suffix(3_000))\n\(bouncer.log.suffix(2_000))")
        #expect(outcome.summaryStatus == "completed", "\(outcome.stdout)")
        try checkNightCompleted(db)
        let total = try Scenario.scalar(db, "SELECT count(*) FROM inspections")
        let approved = try Scenario.scalar(db, "SELECT count(*) FROM inspections WHERE state = 'approved'")
        let states = try Scenario.states(db)
        #expect(total == 120 && approved > 0, "\(states)")
        #expect(try Scenario.scalar(db, "SELECT count(*) FROM service_renewals") == approved)
        #expect(!bouncer.log.contains("prepared statement"), "\(bouncer.log.suffix(2_000))")
        print("PgBouncer (transaction pooling, 3 server connections): night of \(total) inspections in "
              + "\(String(format: "%.1f", outcome.seconds)) s, states \(try Scenario.states(db))")
    }
}

/// Lines collected from several threads.
final class Lines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    func append(_ line: String) { lock.lock(); lines.append(line); lock.unlock() }

    var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
}
