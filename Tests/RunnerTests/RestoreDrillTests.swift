import Foundation
import NianjianConsole
import NianjianDomain
import NianjianMockConsole
import NianjianPostgres
import NianjianStore
import NianjianTestSupport
import Testing

/// Issue 14: `pg_dump` mid-season (inspections in review), restore into a new database, continue the nights
/// there: idempotency keys and console tickets carry over, nothing is submitted twice.
@Suite("restore drill", .serialized)
struct RestoreDrillTests {
    @Test func aRestoredDatabaseContinuesTheSeasonWithoutSubmittingTwice() async throws {
        guard let server = try TestDatabase.embeddedServer() else {
            Issue.record("the restore drill needs the test's own cluster (DATABASE_URL is set): unset it to run the drill")
            return
        }
        let handle = try TestDatabase.fresh()
        defer { handle.drop() }
        let db = handle.open(maximumConnections: 8)
        defer { db.close() }
        try Scenario.load(db, tenants: crashTenants("drill", tenants: 2, companies: 40))
        // Reviews take a business day: the first night leaves everything submitted in review.
        let job = testJob {
            $0.console.reviewBusinessDays = 1
            $0.poll = PollSchedule(firstPollAfterBusinessDays: 1, firstPollAfterSeconds: 0, thenEveryBusinessDays: 1, thenEverySeconds: 0)
        }
        let first = try await runNight(db, job)
        #expect(first.status == "completed")
        let inReview = try Scenario.scalar(db, "SELECT count(*) FROM inspections WHERE state = 'in_review'")
        let firstStates = try Scenario.states(db)
        #expect(inReview > 0, "\(firstStates)")
        let before = try db.runBlocking { session in
            try session.query("SELECT id::text || ' ' || idempotency_key || ' ' || console_ticket FROM inspections WHERE state = 'in_review' ORDER BY id")
                .rows.map { try $0.requireString(0) }
        }
        // pg_dump (custom format) and pg_restore into a new database, with the server's own tools.
        let folder = NSTemporaryDirectory() + "nj-drill-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let dump = folder + "/season.dump"
        let place = ["-h", server.socketDirectory, "-p", String(server.options.port), "-U", "postgres"]
        let dumped = try ChildProcess.run(server.binaries + "/pg_dump", place + ["-Fc", "-f", dump, handle.name], timeout: 120)
        #expect(dumped.status == 0, "\(dumped.combined)")
        let restoredName = handle.name + "_restored"
        let created = try ChildProcess.run(server.binaries + "/createdb", place + [restoredName], timeout: 60)
        #expect(created.status == 0, "\(created.combined)")
        let restored = try ChildProcess.run(server.binaries + "/pg_restore", place + ["--exit-on-error", "-d", restoredName, dump], timeout: 120)
        #expect(restored.status == 0, "\(restored.combined)")
        let copy = Database(handle.connectionString.database(restoredName), maximumConnections: 8)
        defer {
            copy.close()
            if let admin = try? PostgresConnection.connectBlocking(handle.connectionString.database("postgres"), label: "drill-drop") {
                _ = try? admin.runBlocking { try AdminQueries.dropDatabase($0, name: restoredName) }
                admin.close()
            }
        }
        try copy.requireCurrentSchema()
        let after = try copy.runBlocking { session in
            try session.query("SELECT id::text || ' ' || idempotency_key || ' ' || console_ticket FROM inspections WHERE state = 'in_review' ORDER BY id")
                .rows.map { try $0.requireString(0) }
        }
        #expect(after == before, "keys and tickets did not carry over")
        // The next nights run on the restored database: reviews are polled with the tickets, nothing resubmitted.
        let next = CivilDate(year: 2026, month: 12, day: 2) ?? Scenario.asOf
        let secondConsole = InMemoryConsoleMemory()
        let second = try await runNight(copy, job, asOf: next, console: secondConsole)
        #expect(second.status == "completed")
        try checkInvariants(copy)
        let secondStates = try Scenario.states(copy)
        #expect(try Scenario.scalar(copy, "SELECT count(*) FROM inspections WHERE state IN ('pending', 'submitting', 'in_review')") == 0,
                "\(secondStates)")
        // The restored night only polled: no inspection was submitted again.
        #expect(secondConsole.figures().submissions == 0, "\(secondConsole.figures())")
        #expect(try Scenario.scalar(copy, "SELECT count(*) FROM services WHERE renewed_count > 1") == 0)
        // Run ids and lease tokens continue from the dump (sequences are dumped with the data).
        #expect(second.runId > first.runId)
        print("restore drill: dumped with \(inReview) in review; restored and continued: \(try Scenario.states(copy))")
    }
}
