import Foundation
import NianjianPostgres
import NianjianStore
import NianjianTestSupport
import Testing

/// Issue 14: Nianjian's own connection-string option (`nianjian_prepare=off`, for PgBouncer in transaction
/// pooling), multi-host URLs (failover), and the statements' mode that follows.
@Suite("connection options")
struct ConnectionOptionTests {
    @Test func ourPrepareOptionIsReadAndStrippedBeforeLibpq() {
        let uri = ConnectionString("postgresql://u:pw@h1:5432,h2:5433/nj?target_session_attrs=read-write&nianjian_prepare=off")
        #expect(uri.libpq == "postgresql://u:pw@h1:5432,h2:5433/nj?target_session_attrs=read-write")
        #expect(uri.settings.preparedStatements == false)
        let only = ConnectionString("postgresql://u@h/nj?prepare=off")
        #expect(only.libpq == "postgresql://u@h/nj")
        #expect(only.settings.preparedStatements == false)
        let on = ConnectionString("postgresql://u@h/nj?sslmode=disable&nianjian_prepare=on")
        #expect(on.libpq == "postgresql://u@h/nj?sslmode=disable" && on.settings.preparedStatements)
        // A password holding '?' and '&' is not mistaken for the query.
        let odd = ConnectionString("postgresql://u:p?a&b=c@h/nj?nianjian_prepare=off")
        #expect(odd.libpq == "postgresql://u:p?a&b=c@h/nj" && !odd.settings.preparedStatements)
        let keywords = ConnectionString("host=h1,h2 port=5432,5433 nianjian_prepare = off dbname=nj password='a b'")
        #expect(keywords.libpq == "host=h1,h2 port=5432,5433 dbname=nj password='a b'")
        #expect(!keywords.settings.preparedStatements)
        let untouched = "host=/tmp port=5432 dbname=nj"
        #expect(ConnectionString(untouched).libpq == untouched && ConnectionString(untouched).settings.preparedStatements)
        // Another database of the same server keeps the option; a job file can only turn prepared statements off.
        #expect(uri.database("other").settings.preparedStatements == false)
        #expect(on.with(SessionSettings(preparedStatements: false)).settings.preparedStatements == false)
        #expect(uri.with(SessionSettings(preparedStatements: true)).settings.preparedStatements == false)
    }

    @Test func multiHostURLsAreRedactedWhole() {
        let secret = "Fa1l0ver-Pw"
        let uri = ConnectionString("postgresql://alice:\(secret)@10.0.0.1:5432,10.0.0.2:5433/nj?target_session_attrs=read-write")
        #expect(!uri.redacted.contains(secret))
        #expect(uri.redacted.contains("10.0.0.2:5433") && uri.redacted.contains("target_session_attrs=read-write"))
        let keywords = ConnectionString("host=10.0.0.1,10.0.0.2 port=5432,5433 user=alice password=\(secret) target_session_attrs=read-write")
        #expect(!keywords.redacted.contains(secret))
    }

    /// Both hosts refuse: libpq's error names each, our message never the password.
    @Test func multiHostConnectionErrorHasNoPassword() async throws {
        let secret = "Mult1-H0st-Pw"
        do {
            _ = try await PostgresConnection.connect(
                ConnectionString("postgresql://alice:\(secret)@127.0.0.1:1,127.0.0.1:2/nj?connect_timeout=3&nianjian_prepare=off"))
            Issue.record("connecting to closed ports succeeded")
        } catch let error as PostgresError {
            #expect(error.isConnectionLoss)
            #expect(!"\(error)".contains(secret) && !error.debugDescription.contains(secret))
        }
    }

    @Test func timeoutsAndReadOnlyAreTransient() {
        for state in ["57014", "55P03", "25006", "40P01", "08006"] {
            #expect(PostgresError(kind: .server, sqlState: state, message: "x").isTransient, "\(state)")
        }
        #expect(PostgresError(kind: .server, sqlState: "25006", message: "x").isReadOnlyServer)
        #expect(!PostgresError(kind: .server, sqlState: "23505", message: "x").isTransient)
    }

    /// Unnamed statements (prepare off) give the same results, in and out of transactions, and a failed
    /// statement leaves the connection usable.
    @Test func unnamedStatementsWorkInAndOutOfTransactions() throws {
        let handle = try TestDatabase.fresh()
        defer { handle.drop() }
        let database = Database(handle.connectionString.with(SessionSettings(preparedStatements: false, lockTimeoutMilliseconds: 700)),
                                maximumConnections: 1)
        defer { database.close() }
        let values = try database.runBlocking { session -> [String] in
            var seen: [String] = []
            for index in 0..<3 {
                seen.append(try session.query("SELECT $1::text || ' ' || current_setting('lock_timeout')", [.text("n\(index)")])[0].requireString(0))
            }
            try session.transaction {
                seen.append(try session.query("SELECT current_setting('TimeZone') || ' ' || $1::text", [.text("in")])[0].requireString(0))
            }
            do { _ = try session.query("SELECT 1 / $1::int", [.text("0")]) } catch {}
            seen.append(try session.query("SELECT 'after'")[0].requireString(0))
            return seen
        }
        #expect(values == ["n0 700ms", "n1 700ms", "n2 700ms", "UTC in", "after"])
    }

    /// JIT is off in every session, kept or per transaction: a server's default JIT compiled the fair claim
    /// for ~0.7 s once a big backlog raised its cost estimate.
    @Test func jitIsOffWithAndWithoutPreparedStatements() throws {
        let handle = try TestDatabase.fresh()
        defer { handle.drop() }
        for prepared in [true, false] {
            let database = Database(handle.connectionString.with(SessionSettings(preparedStatements: prepared)), maximumConnections: 1)
            defer { database.close() }
            let jit = try database.runBlocking { session in
                try session.transaction { try session.query("SELECT current_setting('jit')")[0].requireString(0) }
            }
            #expect(jit == "off", "prepared statements \(prepared): jit \(jit)")
        }
    }
}
