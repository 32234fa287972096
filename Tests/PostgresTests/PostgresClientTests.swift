import Foundation
import NianjianPostgres
import NianjianStore
import NianjianTestSupport
import Testing

@Suite("libpq client")
struct PostgresClientTests {
    @Test func badHostGivesClearErrorWithoutPassword() async throws {
        let secret = "S3cret-Host-Pw"
        do {
            _ = try await PostgresConnection.connect(ConnectionString("postgresql://alice:\(secret)@no-such-host.invalid:5432/db?connect_timeout=3"))
            Issue.record("connecting to a bad host succeeded")
        } catch let error as PostgresError {
            #expect(error.kind == .connection)
            #expect(error.isConnectionLoss)
            #expect(!error.description.contains(secret))
            #expect(!error.debugDescription.contains(secret))
            #expect(error.description.contains("no-such-host.invalid") || error.description.lowercased().contains("translate"))
        }
    }

    @Test func badURIGivesClearErrorWithoutPassword() async throws {
        let secret = "Pa55-in-bad-uri"
        for raw in ["postgresql://bob:\(secret)@[::1:5432/x", "postgresql://bob:\(secret)@localhost:notaport/db",
                    "host=localhost password=\(secret) port=abc", "password='\(secret)' nonsense"] {
            do {
                _ = try await PostgresConnection.connect(ConnectionString(raw))
                Issue.record("connecting with \(ConnectionString(raw).redacted) succeeded")
            } catch let error as PostgresError {
                #expect(error.kind == .connection)
                #expect(!error.description.contains(secret), "\(error.description)")
                #expect(!error.debugDescription.contains(secret))
            }
            #expect(!ConnectionString(raw).redacted.contains(secret))
        }
    }

    @Test func badPasswordGivesClearErrorWithoutPassword() async throws {
        let database = try TestDatabase.fresh()
        defer { database.drop() }
        // The embedded test cluster checks passwords for roles other than postgres; on the server DATABASE_URL
        // names this runs too, and fails (loudly) if that server accepts a wrong password.
        let db = database.open()
        defer { db.close() }
        let role = "nj_pw_\(UInt32.random(in: 0...UInt32.max))"
        try await db.run { session in
            try session.executeScript("CREATE ROLE \(role) LOGIN PASSWORD 'right-password'")
        }
        let wrong = "Wr0ng-Secret-Pw"
        let raw = TestConnectionStrings.forms(of: database, user: role, password: wrong).keywords
        do {
            _ = try await PostgresConnection.connect(ConnectionString(raw))
            Issue.record("a wrong password was accepted: the test server does not check passwords for \(role) (trust authentication?)")
        } catch let error as PostgresError {
            #expect(error.kind == .connection)
            #expect(error.description.contains("password authentication failed"))
            #expect(!error.description.contains(wrong))
            #expect(!error.debugDescription.contains(wrong))
        }
        let good = TestConnectionStrings.forms(of: database, user: role, password: "right-password").uri
        let connection = try await PostgresConnection.connect(ConnectionString(good))
        connection.close()
    }

    @Test func failingStatementsCarrySQLState() async throws {
        let database = try TestDatabase.fresh()
        defer { database.drop() }
        let db = database.open()
        defer { db.close() }
        await #expect {
            try await db.run { try $0.query("SELECT * FROM no_such_table") }
        } throws: { error in
            (error as? PostgresError)?.sqlState == "42P01"
        }
        try await db.run { try $0.executeScript("CREATE TABLE uniq (id int PRIMARY KEY)") }
        try await db.run { try $0.query("INSERT INTO uniq VALUES ($1)", [.init(1)]) }
        do {
            try await db.run { try $0.query("INSERT INTO uniq VALUES ($1)", [.init(1)]) }
            Issue.record("duplicate key accepted")
        } catch let error as PostgresError {
            #expect(error.sqlState == "23505")
            #expect(error.kind == .server)
            #expect(error.detail?.contains("already exists") == true)
            #expect(error.description.contains("23505"))
        }
        // The connection is still usable after a failed statement.
        let count = try await db.run { try $0.query("SELECT count(*) FROM uniq")[0].requireInt(0) }
        #expect(count == 1)
    }

    @Test func parametersRoundTripUnchanged() async throws {
        let database = try TestDatabase.fresh()
        defer { database.drop() }
        let db = database.open()
        defer { db.close() }
        try await db.run { try $0.executeScript("CREATE TABLE t (id serial PRIMARY KEY, s text, b bytea)") }
        let texts: [String?] = ["O'Brien", "'; DROP TABLE t; --", "营业执照副本", "emoji 🧾 and \"quotes\" and \\ backslash",
                                nil, "", "tab\tnew\nline", String(repeating: "长", count: 10_000)]
        let bytes: [UInt8] = [0, 1, 2, 255, 39, 92, 0, 10]
        for text in texts {
            let back = try await db.run { session -> [String?] in
                let row = try session.query("INSERT INTO t (s, b) VALUES ($1, $2) RETURNING s, b", [PostgresBind(text), .bytes(bytes)])[0]
                return [row.string(0), try row.bytes(1).map { $0.map(String.init).joined(separator: ",") }]
            }
            #expect(back[0] == text)
            #expect(back[1] == bytes.map(String.init).joined(separator: ","))
        }
        let tableStillThere = try await db.run { try $0.query("SELECT count(*) FROM t")[0].requireInt(0) }
        #expect(tableStillThere == texts.count)
        // Arrays with awkward elements survive the literal encoding.
        let array: [String?] = ["a,b", "{x}", "q\"uote", nil, "NULL", "反斜杠\\", ""]
        let decoded = try await db.run { try $0.query("SELECT $1::text[]", [.textArray(array)])[0].textArray(0) }
        #expect(decoded == array)
        let unnested = try await db.run { session -> [String?] in
            try session.query("SELECT x FROM unnest($1::text[]) WITH ORDINALITY AS u(x, n) ORDER BY n", [.textArray(array)]).rows.map { $0.string(0) }
        }
        #expect(unnested == array)
        // The non-optional variant, and integers at both ends of their range.
        let plain = ["👩‍💻 家", "tab\there", "\\\"", "x"]
        let plainBack = try await db.run { try $0.query("SELECT $1::text[]", [.textArray(plain)])[0].textArray(0) }
        #expect(plainBack == plain.map { Optional($0) })
        let integers: [Int64?] = [0, -1, 7, nil, Int64.max, Int64.min, 1_000_000_007]
        let integersBack = try await db.run { try $0.query("SELECT $1::bigint[]", [.intArray(integers)])[0].int64Array(0) }
        #expect(integersBack == integers)
        let small: [Int32] = [Int32.min, -10, 0, 10, Int32.max]
        let smallBack = try await db.run { try $0.query("SELECT $1::int[]", [.intArray(small)])[0].int64Array(0) }
        #expect(smallBack == small.map { Int64($0) })
    }

    @Test func typedDecoding() async throws {
        let database = try TestDatabase.fresh()
        defer { database.drop() }
        let db = database.open()
        defer { db.close() }
        let values = try await db.run { session -> [String] in
            let row = try session.query("""
                SELECT 42::int, -9007199254740993::bigint, true, 1234.50::numeric(14,2), '2026-02-28'::date,
                       '2026-11-29 18:00:00.123456+08'::timestamptz, ARRAY[1,2,NULL]::bigint[], '{"k": "值"}'::jsonb,
                       0.1::numeric + 0.2::numeric
                """)[0]
            return [
                "\(try row.requireInt(0))", "\(try row.requireInt64(1))", "\(try row.bool(2) ?? false)",
                "\(try row.numeric(3)?.scaledInteger(scale: 2) ?? -1)",
                "\(try row.date(4).map { "\($0.year)-\($0.month)-\($0.day)" } ?? "")",
                "\(try row.timestampMicroseconds(5) ?? 0)",
                "\(try row.int64Array(6) ?? [])",
                row.json(7) ?? "",
                row.string(8) ?? "",
            ]
        }
        #expect(values[0] == "42")
        #expect(values[1] == "-9007199254740993")
        #expect(values[2] == "true")
        #expect(values[3] == "123450")
        #expect(values[4] == "2026-2-28")
        // 2026-11-29T10:00:00.123456Z
        #expect(values[5] == "1795946400123456")
        #expect(values[6] == "[Optional(1), Optional(2), nil]")
        #expect(values[7] == #"{"k": "值"}"#)
        #expect(values[8] == "0.3")
    }

    @Test func throwInsideTransactionRollsBack() async throws {
        struct Boom: Error {}
        let database = try TestDatabase.fresh()
        defer { database.drop() }
        let db = database.open()
        defer { db.close() }
        try await db.run { try $0.executeScript("CREATE TABLE t (v int)") }
        await #expect(throws: Boom.self) {
            try await db.run { session in
                try session.transaction {
                    try session.query("INSERT INTO t VALUES (1)")
                    throw Boom()
                }
            }
        }
        // A failing statement inside a transaction rolls back the statements before it too.
        await #expect(throws: PostgresError.self) {
            try await db.run { session in
                try session.transaction {
                    try session.query("INSERT INTO t VALUES (2)")
                    try session.query("INSERT INTO t VALUES ('not a number')")
                }
            }
        }
        try await db.run { session in
            try session.transaction { try session.query("INSERT INTO t VALUES (3)") }
        }
        let rows = try await db.run { try $0.query("SELECT v FROM t").rows.map { try $0.requireInt(0) } }
        #expect(rows == [3])
    }

    @Test func poolSurvivesTerminatedBackend() async throws {
        let database = try TestDatabase.fresh()
        defer { database.drop() }
        let db = database.open(maximumConnections: 1)
        defer { db.close() }
        let pid = try await db.run { try $0.query("SELECT pg_backend_pid()")[0].requireInt(0) }
        let killer = try await PostgresConnection.connect(database.connectionString)
        let killed = try await killer.run { try $0.query("SELECT pg_terminate_backend($1)", [.init(pid)])[0].bool(0) }
        #expect(killed == true)
        // pg_terminate_backend only signals: wait until the backend is gone.
        let gone = try await waitUntil(timeout: 10) {
            try killer.runBlocking { try $0.query("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", [.init(pid)])[0].requireInt(0) } == 0
        }
        #expect(gone, "backend \(pid) still running 10 s after pg_terminate_backend")
        killer.close()
        // The next caller gets a working connection, not the dead one.
        let newPid = try await db.run { try $0.query("SELECT pg_backend_pid()")[0].requireInt(0) }
        #expect(newPid != pid)
        // And it keeps working under concurrent use.
        try await withThrowingTaskGroup(of: Int.self) { group in
            for value in 0..<20 { group.addTask { try await db.run { try $0.query("SELECT $1::int", [.init(value)])[0].requireInt(0) } } }
            var sum = 0
            for try await value in group { sum += value }
            #expect(sum == 190)
        }
    }

    @Test func copyOfManyRowsArrivesWhole() async throws {
        let database = try TestDatabase.fresh()
        defer { database.drop() }
        let db = database.open()
        defer { db.close() }
        let count = 100_000
        let (copied, total, distinct) = try await db.run { session -> (Int, Int, Int) in
            try session.executeScript("CREATE TABLE c (n int, s text, note text)")
            let rows = (0..<count).lazy.map { n -> [String?] in [String(n), "行\t\(n)\\\n", n % 10 == 0 ? nil : "x"] }
            let copied = try session.copyIn("COPY c (n, s, note) FROM STDIN", rows: rows)
            let check = try session.query("SELECT count(*), sum(n), count(DISTINCT s) FROM c WHERE s = '行' || chr(9) || n || '\\' || chr(10) OR note IS NULL")
            return (copied, try check[0].requireInt(0), try check[0].requireInt(2))
        }
        #expect(copied == count)
        #expect(total == count)
        #expect(distinct == count)
    }

    @Test func connectionStringRedaction() {
        let uri = ConnectionString("postgresql://user:p%40ss@db.example:5432/nj?sslmode=require")
        #expect(!uri.redacted.contains("p%40ss"))
        #expect(uri.redact("auth failed for p@ss and p%40ss") == "auth failed for *** and ***")
        let keyValue = ConnectionString("host=db user=x password='it\\'s quoted' dbname=nj")
        #expect(!keyValue.redacted.contains("quoted"))
        #expect(keyValue.redact("it's quoted") == "***")
    }
}
