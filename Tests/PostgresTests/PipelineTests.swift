import Foundation
import NianjianPostgres
import NianjianTestSupport
import Testing

/// libpq pipeline mode (`PostgresSession.pipeline`): many statements in one round trip and one transaction,
/// the shape the claim and write-back by tenant rely on.
@Suite("libpq pipeline")
struct PipelineTests {
    /// With prepared statements (the default) and without (`nianjian_prepare=off`, transaction pooling).
    static let urlForms: [Bool] = [true, false]

    private func withTable(prepared: Bool, _ body: (PostgresConnection) throws -> Void) throws {
        let database = try TestDatabase.fresh()
        defer { database.drop() }
        let connection = try PostgresConnection.connectBlocking(ConnectionString(database.url).with(SessionSettings(preparedStatements: prepared)))
        defer { connection.close() }
        try connection.runBlocking { try $0.executeScript("CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL)") }
        try body(connection)
    }

    private func count(_ connection: PostgresConnection) throws -> Int {
        try connection.runBlocking { try $0.query("SELECT count(*) FROM items")[0].requireInt(0) }
    }

    @Test(arguments: urlForms) func resultsComeBackInOrder(prepared: Bool) throws {
        try withTable(prepared: prepared) { connection in
            let results = try connection.runBlocking { session in
                try session.pipeline((1...40).map {
                    PipelineStatement("INSERT INTO items VALUES ($1, $2) RETURNING id * 10, label", [.init($0), .text("item \($0)")],
                                      plannedEachTime: $0.isMultiple(of: 3))
                })
            }
            #expect(results.count == 40)
            for (index, result) in results.enumerated() {
                #expect(try result[0].requireInt(0) == (index + 1) * 10)
                #expect(try result[0].requireString(1) == "item \(index + 1)")
            }
            #expect(try count(connection) == 40)
            // The prepared statements are kept: a second pipeline of the same text reuses them.
            let again = try connection.runBlocking { session in
                try session.pipeline([PipelineStatement("SELECT label FROM items WHERE id = $1", [.init(7)]),
                                      PipelineStatement("SELECT label FROM items WHERE id = $1", [.init(8)])])
            }
            #expect(try again.map { try $0[0].requireString(0) } == ["item 7", "item 8"])
        }
    }

    /// One transaction: a statement that fails undoes the ones before it and skips those after, its error is
    /// thrown with its SQLSTATE, and the connection goes on working.
    @Test(arguments: urlForms) func aFailingStatementUndoesTheWholePipeline(prepared: Bool) throws {
        try withTable(prepared: prepared) { connection in
            try connection.runBlocking { _ = try $0.query("INSERT INTO items VALUES (5, 'kept')") }
            do {
                _ = try connection.runBlocking { session in
                    try session.pipeline([PipelineStatement("INSERT INTO items VALUES ($1, 'first')", [.init(1)]),
                                          PipelineStatement("INSERT INTO items VALUES ($1, 'duplicate')", [.init(5)]),
                                          PipelineStatement("INSERT INTO items VALUES ($1, 'after')", [.init(9)])])
                }
                Issue.record("a duplicate key in a pipeline did not fail")
            } catch let error as PostgresError {
                #expect(error.sqlState == "23505")
                #expect(error.kind == .server)
            }
            #expect(try count(connection) == 1)
            let later = try connection.runBlocking { try $0.pipeline([PipelineStatement("SELECT count(*) FROM items")]) }
            #expect(try later[0][0].requireInt(0) == 1)
        }
    }

    /// Inside a transaction the pipeline joins it: its rows go when the transaction rolls back.
    @Test(arguments: urlForms) func insideATransactionThePipelineJoinsIt(prepared: Bool) throws {
        try withTable(prepared: prepared) { connection throws in
            struct Abandon: Error {}
            #expect(throws: Abandon.self) {
                try connection.runBlocking { session in
                    try session.transaction {
                        _ = try session.pipeline([PipelineStatement("INSERT INTO items VALUES (1, 'a')"),
                                                  PipelineStatement("INSERT INTO items VALUES (2, 'b')")])
                        #expect(try session.query("SELECT count(*) FROM items")[0].requireInt(0) == 2)
                        throw Abandon()
                    }
                }
            }
            #expect(try count(connection) == 0)
        }
    }

    /// Without prepared statements nothing set on the session is relied on: the settings travel with the
    /// pipeline's transaction as SET LOCAL, even when the session's own value was changed under it.
    @Test(arguments: urlForms) func theSettingsTravelWithAPipelineWithoutSessions(prepared: Bool) throws {
        try withTable(prepared: prepared) { connection in
            let shown = try connection.runBlocking { session in
                try session.executeScript("SET IntervalStyle TO postgres")
                return try session.pipeline([PipelineStatement("SELECT current_setting('IntervalStyle')")])[0][0].requireString(0)
            }
            #expect(shown == (prepared ? "postgres" : "iso_8601"))
        }
    }
}
