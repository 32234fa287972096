import Foundation
import NianjianPostgres
import NianjianStore
import NianjianTestSupport
import Testing

/// Issue 7: no password appears in any output. Every command runs with a DATABASE_URL that carries a real
/// password (a LOGIN role of the test cluster, which checks passwords for roles other than postgres), in
/// both URL forms; every stdout, stderr and written report is scanned for it, failures included.
@Suite("secrets", .serialized)
struct SecretsTests {
    static let password = "Nj-T3st-Secret-Pw"
    static let wrongPassword = "Nj-Wr0ng-Secret-Pw"
    static let role = "nj_secret_tester"

    /// Runs `nianjian` with DATABASE_URL = `url` (and `extra` variables): both pipes read at once, killed after
    /// two minutes (and the test fails with what it had printed).
    static func run(_ arguments: [String], url: String, folder: String, extra: [String: String] = [:]) throws -> ChildOutput {
        guard let path = NianjianBinary.path else { throw CLITests.BinaryMissing() }
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = url
        environment["NIANJIAN_HOME"] = folder + "/home"
        environment["PGCONNECT_TIMEOUT"] = "5"
        for (key, value) in extra { environment[key] = value }
        return try ChildProcess.run(path, arguments, environment: environment, currentDirectory: folder, timeout: 120)
    }

    @Test func noCommandPrintsThePassword() throws {
        // Runs on the embedded test cluster (which checks passwords for roles other than postgres) or on the
        // server DATABASE_URL names; a server that does not check passwords fails the test below, loudly.
        guard NianjianBinary.path != nil else { throw CLITests.BinaryMissing() }
        let fixture = try OpsFixture()
        defer { fixture.close() }
        try fixture.database.runBlocking { session in
            // The role owns nothing: a superuser, so that migrate and the runner can do what the owner does.
            try session.executeScript("""
                DO $$ BEGIN
                  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '\(Self.role)') THEN
                    CREATE ROLE \(Self.role) LOGIN SUPERUSER;
                  END IF;
                END $$;
                ALTER ROLE \(Self.role) PASSWORD '\(Self.password)';
                """)
        }
        let forms = TestConnectionStrings.forms(of: fixture.handle, user: Self.role, password: Self.password)
        let urls = [forms.keywords, forms.uri]
        // The wrong-password checks below mean something only if the server checks passwords.
        let wrongForms = TestConnectionStrings.forms(of: fixture.handle, user: Self.role, password: Self.wrongPassword)
        if let accepted = try? PostgresConnection.connectBlocking(ConnectionString(wrongForms.keywords), label: "secrets-probe") {
            accepted.close()
            Issue.record("the test server accepts a wrong password (trust authentication?): the secrets test needs password authentication for \(Self.role)")
        }
        let folder = NSTemporaryDirectory() + "nj-secrets-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let sheets = try CLITests.folder(Sheets.files)
        defer { try? FileManager.default.removeItem(atPath: sheets) }
        let job = folder + "/job.yml"
        try Data("""
            name: secrets
            night_hours: 1
            retry: {max_attempts: 2, base_delay_seconds: 0.01, multiplier: 2, max_delay_seconds: 0.02, jitter: 0}
            poll: {first_after_business_days: 0, first_after_seconds: 0, then_every_business_days: 0, then_every_seconds: 0.01}
            console:
              adapter: mock
              review_business_days: 0
              faults: {login: 0.3, timeout: 0.1}
              rejection_rates: {violation: 0.2}
            """.utf8).write(to: URL(fileURLWithPath: job))

        var scanned = 0, bytes = 0
        var leaks: [String] = []
        func check(_ arguments: [String], url: String, expectSuccess: Bool = true, secrets: [String] = [Self.password],
                   extra: [String: String] = [:]) throws {
            let result = try Self.run(arguments, url: url, folder: folder, extra: extra)
            let output = result.combined
            scanned += 1
            bytes += output.utf8.count
            if expectSuccess {
                #expect(result.status == 0, "\(arguments): \(output.suffix(1500))")
            } else {
                #expect(result.status != 0, "\(arguments) should fail")
                #expect(!output.isEmpty, "\(arguments): no message")
            }
            for secret in secrets where output.contains(secret) {
                leaks.append("\(arguments.joined(separator: " ")): \(output.prefix(300))")
            }
        }

        for (index, url) in urls.enumerated() {
            let slug = index == 0 ? "acme" : "beta"
            let asOf = "2026-03-16"
            try check(["migrate"], url: url)
            try check(["migrate", "--status"], url: url)
            try check(["tenant", "add", slug, "--name", "Agency \(slug)", "--json"], url: url)
            try check(["tenant", "list"], url: url)
            try check(["tenant", "list", "--json"], url: url)
            try check(["import", "--tenant", slug, sheets, "--dry-run"], url: url)
            try check(["import", "--tenant", slug, sheets, "--json"], url: url)
            try check(["plan", "--tenant", slug, "--as-of", asOf, "--json"], url: url)
            try check(["run", "--job", job, "--tenant", slug, "--as-of", asOf, "--json"], url: url)
            try check(["run", "--job", job, "--tenant", slug, "--as-of", "2026-03-17", "--log-format", "json", "--log-level", "trace"], url: url)
            try check(["run", "--job", job, "--as-of", "2026-03-18", "--log-level", "debug"], url: url)
            // Clean synthetic companies reach the console (faults, rejections, approvals in the logs).
            let synthetic = "synth-\(slug)"
            try Scenario.load(fixture.database, tenants: [.init(slug: synthetic, companies: 12)])
            try check(["run", "--job", job, "--tenant", synthetic, "--as-of", "2026-12-01", "--log-format", "json", "--log-level", "trace"], url: url)
            try check(["report", "--tenant", synthetic, "--as-of", "2026-12-01", "--format", "json"], url: url)
            for format in ["table", "json", "csv", "html"] {
                try check(["report", "--tenant", slug, "--as-of", asOf, "--format", format], url: url)
                let file = folder + "/report-\(slug).\(format)"
                try check(["report", "--tenant", slug, "--as-of", asOf, "--format", format, "--output", file], url: url)
                let written = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
                #expect(!written.isEmpty, "report file \(file)")
                scanned += 1
                bytes += written.utf8.count
                if written.contains(Self.password) { leaks.append("report file \(format)") }
            }
            try check(["report", "--all", "--as-of", asOf, "--format", "json"], url: url)
            try check(["requeue", "--tenant", slug, "--dry-run", "--note", "check", "--json"], url: url)
            try check(["requeue", "--tenant", slug, "--dry-run", "--note", "check"], url: url)
            // Failures with the password in the URL: unknown tenant, bad date, bad job file.
            try check(["report", "--tenant", "nobody"], url: url, expectSuccess: false)
            try check(["run", "--tenant", "nobody", "--job", job, "--json"], url: url, expectSuccess: false)
            try check(["plan", "--as-of", "not-a-date"], url: url, expectSuccess: false)
            try check(["run", "--job", folder + "/missing.yml"], url: url, expectSuccess: false)
            // The wrong password: refused, and neither password is printed.
            let wrong = url.replacingOccurrences(of: Self.password, with: Self.wrongPassword)
            for arguments in [["migrate"], ["tenant", "list"], ["run", "--job", job, "--json"], ["report", "--all"]] {
                try check(arguments, url: wrong, expectSuccess: false, secrets: [Self.password, Self.wrongPassword])
            }
            // Even with NIANJIAN_DEBUG, which prints the server's detail.
            for arguments in [["migrate"], ["run", "--job", job, "--json"], ["report", "--all"]] {
                try check(arguments, url: wrong, expectSuccess: false, secrets: [Self.password, Self.wrongPassword],
                          extra: ["NIANJIAN_DEBUG": "1"])
            }
            try check(["report", "--tenant", "nobody"], url: url, expectSuccess: false, extra: ["NIANJIAN_DEBUG": "1"])
            try check(["plan", "--as-of", "not-a-date"], url: url, expectSuccess: false, extra: ["NIANJIAN_DEBUG": "1"])
        }
        #expect(leaks.isEmpty, "password printed: \(leaks)")
        // Nothing stored carries it either (run records, events, errors).
        let stored = try fixture.scalar("""
            SELECT count(*) FROM (SELECT runner_id AS t FROM runs UNION ALL SELECT detail::text FROM inspection_events
                                  UNION ALL SELECT coalesce(last_error, '') FROM inspections UNION ALL SELECT summary::text FROM import_batches) x
             WHERE t LIKE '%' || $1 || '%'
            """, [.text(Self.password)])
        #expect(stored == "0")
        // The runs did work (so their logs had something to say).
        #expect(try fixture.scalar("SELECT count(*) FROM inspection_events WHERE kind IN ('approved', 'rejected')") != "0")
        #expect(try fixture.scalar("SELECT count(*) FROM inspection_events WHERE kind = 'transient_error'") != "0")
        let states = try fixture.scalar("SELECT string_agg(state || ' ' || n, ', ') FROM (SELECT state, count(*) n FROM inspections GROUP BY state) x") ?? ""
        print("secrets: \(scanned) outputs scanned (\(bytes) bytes, 2 URL forms, wrong password included), \(leaks.count) leaks; inspections \(states)")
    }
}
