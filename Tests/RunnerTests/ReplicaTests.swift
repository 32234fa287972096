import Foundation
import NianjianDomain
import NianjianOperations
import NianjianPostgres
import NianjianStore
import NianjianTestSupport
import Testing

/// Issue 14: reports through `NIANJIAN_READ_DATABASE_URL` read a standby and say how stale they may be; writes
/// never go there.
@Suite("read replicas", .serialized)
struct ReplicaTests {
    @Test func reportsReadTheStandbyAndMarkTheirStaleness() async throws {
        let pair = try ReplicatedPair { try Scenario.load($0, tenants: crashTenants("rep", tenants: 2, companies: 10)) }
        defer { pair.destroy() }
        let primary = Database(pair.direct(pair.primary), maximumConnections: 1)
        defer { primary.close() }
        let writeURL = pair.url()
        // The same two hosts, standby preferred: libpq picks the standby.
        let readURL = pair.url(targetSessionAttrs: "prefer-standby")
        let job = try Child.tempFile(crashJobYAML(seed: 3, faults: false, submitPerSecond: 200))
        defer { try? FileManager.default.removeItem(atPath: (job as NSString).deletingLastPathComponent) }
        let night = try await offThePool {
            try Child.run(["run", "--job", job, "--as-of", "2026-12-01", "--json"], url: writeURL,
                          extra: ["NIANJIAN_READ_DATABASE_URL": readURL], timeout: 180)
        }
        #expect(night.status == 0 && night.summaryStatus == "completed", "\(night.stderr.suffix(2_000))")
        // What the report reads is the standby's: the same states, once replayed (synchronous commit).
        let approved = try Scenario.scalar(primary, "SELECT count(*) FROM inspections WHERE state = 'approved'")
        let report = try await offThePool {
            try Child.run(["report", "--tenant", "rep-0", "--as-of", "2026-12-01", "--format", "json"], url: writeURL,
                          extra: ["NIANJIAN_READ_DATABASE_URL": readURL], timeout: 60)
        }
        #expect(report.status == 0, "\(report.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any]
        let replayed = object?["replica_replay_at"] as? String
        #expect(replayed?.hasPrefix("20") == true, "no replica_replay_at in \(report.stdout.prefix(300))")
        let all = try await offThePool {
            try Child.run(["report", "--all", "--as-of", "2026-12-01", "--lang", "en"], url: writeURL,
                          extra: ["NIANJIAN_READ_DATABASE_URL": readURL], timeout: 60)
        }
        #expect(all.status == 0 && all.stdout.contains("read replica: data as of"), "\(all.stdout.prefix(500))\(all.stderr)")
        // Through the primary (no read URL) there is no staleness mark.
        let direct = try await offThePool {
            try Child.run(["report", "--tenant", "rep-0", "--as-of", "2026-12-01", "--format", "json"], url: writeURL, timeout: 60)
        }
        #expect(direct.status == 0 && !direct.stdout.contains("replica_replay_at"), "\(direct.stdout.prefix(300))\(direct.stderr)")
        // The read URL really reaches the standby.
        let reader = Database(ConnectionString(readURL), maximumConnections: 1)
        defer { reader.close() }
        #expect(try reader.runBlocking { try $0.query("SELECT pg_is_in_recovery()")[0].bool(0) } == true)
        // What the web console's report pages build on the read database (`WebConsole.readDatabase`).
        let summary = try ReportBuilder.platformSummary(database: reader, asOf: Scenario.asOf, replicaMark: true)
        #expect(summary.replicaReplayAt?.hasPrefix("20") == true && summary.rows.count == 2)
        #expect(try ReportBuilder.platformSummary(database: primary, asOf: Scenario.asOf, replicaMark: true).replicaReplayAt == nil)
        // A command that writes, given only the read URL, is refused with a clear message (never the embedded cluster).
        let refused = try await offThePool {
            try Child.run(["run", "--job", job, "--as-of", "2026-12-02", "--json"], url: nil,
                          extra: ["NIANJIAN_READ_DATABASE_URL": readURL], timeout: 60)
        }
        #expect(refused.status != 0 && refused.stderr.contains("DATABASE_URL") && refused.stderr.contains("只读"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("password"))
        print("read replica: report read the standby, replayed up to \(replayed ?? "-"); \(approved) approved on the primary")
    }
}
