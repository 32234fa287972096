import Foundation
import NianjianDomain
import NianjianOperations
import NianjianPostgres
import NianjianStore
import NianjianTestSupport
import Testing

/// Issue 12: no cloud secret appears anywhere. A night through `nianjian cloud serve` with the agency's
/// AccessKey from the environment and one company's own account (`nianjian account set`, secret on standard
/// input); every command's stdout and stderr (JSON trace logs included), every report (table, JSON, CSV,
/// HTML, printed and written), the simulator's own output and every text, JSON and byte column of every table
/// are scanned for both secrets, and their base64.
@Suite("cloud secrets", .serialized)
struct CloudSecretsTests {
    static let environmentKeyId = "LTAI5tAgencyScan01"
    static let environmentSecret = "Nj-Env-AccessKey-Secret-5e1b"
    static let companyKeyId = "LTAI5tCompanyScan02"
    static let companySecret = "Nj-Company-AccessKey-Secret-c4d2"
    static let sealingKey = Data((0..<32).map { UInt8(($0 * 13 + 5) % 251) }).base64EncodedString()

    static var secrets: [String] {
        [environmentSecret, companySecret].flatMap { [$0, Data($0.utf8).base64EncodedString()] }
    }

    @Test func noCloudSecretInAnyOutputEventReportOrTable() async throws {
        guard NianjianBinary.path != nil else { throw CLITests.BinaryMissing() }
        let fixture = try OpsFixture()
        defer { fixture.close() }
        let url = fixture.handle.url
        let folder = NSTemporaryDirectory() + "nj-cloud-secrets-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder + "/sheets", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let asOf = Scenario.asOf
        let generator = SyntheticCompanies(seed: 73)
        let sheets = try AgencySheets.render((1...8).map { generator.portfolio(index: $0, referenceDate: asOf).file })
        for (name, bytes) in sheets { try Data(bytes).write(to: URL(fileURLWithPath: folder + "/sheets/" + name)) }

        // The cloud knows both accounts; it misbehaves so that errors reach the logs.
        let settingsPath = folder + "/simulator.yml"
        try Data("""
            accounts:
              \(Self.environmentKeyId): \(Self.environmentSecret)
              \(Self.companyKeyId): \(Self.companySecret)
            seed: 29
            review_business_days: 0
            faults: {service_unavailable: 0.1, lost_answer: 0.2}
            throttle: {rate: 0.05, retry_after_ms: 30}
            """.utf8).write(to: URL(fileURLWithPath: settingsPath))
        let simulator = try SimulatorProcess(["--state", folder + "/state", "--settings", settingsPath, "--instances", folder + "/sheets"])
        _ = try await simulator.control(.POST, "/_simulator/clock", body: "{\"business_date\": \"\(asOf)\"}")
        let job = folder + "/job.yml"
        try Data("""
            name: cloud-secrets
            night_hours: 1
            retry: {max_attempts: 12, base_delay_seconds: 0.01, multiplier: 2, max_delay_seconds: 0.05, jitter: 0}
            poll: {first_after_business_days: 0, first_after_seconds: 0, then_every_business_days: 0, then_every_seconds: 0.01}
            console:
              adapter: simulator
              simulator_url: \(simulator.url)
              timeout_seconds: 5
            """.utf8).write(to: URL(fileURLWithPath: job))

        let cloud = ["ALIBABA_CLOUD_ACCESS_KEY_ID": Self.environmentKeyId, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": Self.environmentSecret,
                     "NIANJIAN_SECRET_KEY": Self.sealingKey]
        var scanned = 0, bytes = 0
        var leaks: [String] = []
        func scan(_ text: String, _ what: String) {
            scanned += 1
            bytes += text.utf8.count
            for secret in Self.secrets where text.contains(secret) { leaks.append("\(what): \(text.prefix(300))") }
        }
        func check(_ arguments: [String], expectSuccess: Bool = true, extra: [String: String] = cloud, input: String? = nil) throws {
            guard let path = NianjianBinary.path else { throw CLITests.BinaryMissing() }
            var environment = ProcessInfo.processInfo.environment
            environment["DATABASE_URL"] = url
            environment["NIANJIAN_HOME"] = folder + "/home"
            for (key, value) in extra { environment[key] = value }
            let result = try ChildProcess.run(path, arguments, environment: environment, currentDirectory: folder, timeout: 180,
                                              standardInput: input)
            if expectSuccess {
                #expect(result.status == 0, "\(arguments): \(result.combined.suffix(1500))")
            } else {
                #expect(result.status != 0 && !result.combined.isEmpty, "\(arguments) should fail with a message")
            }
            scan(result.combined, arguments.joined(separator: " "))
        }

        try check(["tenant", "add", "scan", "--name", "Agency scan", "--json"])
        try check(["import", "--tenant", "scan", folder + "/sheets", "--json"])
        try check(["account", "set", "--tenant", "scan", "--company", "C00001", "--access-key-id", Self.companyKeyId],
                  input: Self.companySecret + "\n")
        try check(["account", "list", "--tenant", "scan"])
        try check(["account", "list", "--tenant", "scan", "--json"])
        try check(["plan", "--tenant", "scan", "--as-of", asOf.description, "--window-days", "60", "--json"])
        try check(["run", "--job", job, "--as-of", asOf.description, "--log-format", "json", "--log-level", "trace"])
        try check(["run", "--job", job, "--as-of", asOf.description, "--json", "--log-level", "debug"])
        for format in ["table", "json", "csv", "html"] {
            try check(["report", "--tenant", "scan", "--as-of", asOf.description, "--format", format])
            let file = folder + "/report.\(format)"
            try check(["report", "--tenant", "scan", "--as-of", asOf.description, "--format", format, "--output", file])
            let written = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
            #expect(!written.isEmpty, "report file \(file)")
            scan(written, "report file \(format)")
        }
        // Failures: a wrong sealing key cannot open the company's secret; an unknown AccessKey is refused by the cloud.
        var wrongKey = cloud
        wrongKey["NIANJIAN_SECRET_KEY"] = Data((0..<32).map { UInt8($0) }).base64EncodedString()
        try check(["run", "--job", job, "--as-of", asOf.description, "--json"], expectSuccess: false, extra: wrongKey)
        try check(["account", "set", "--tenant", "scan", "--company", "C99999", "--access-key-id", Self.companyKeyId],
                  expectSuccess: false, input: Self.companySecret + "\n")

        // The night did its work through both accounts' signatures, and the cloud refused none.
        let approved = try fixture.scalar("SELECT count(*) FROM inspections WHERE state = 'approved'") ?? "0"
        #expect(approved != "0")
        let stats = try await simulator.stats()
        #expect(stats["rejected_signature", default: 0] == 0 && stats["rejected_unknown_key", default: 0] == 0, "\(stats)")
        #expect((stats["lost_answers"] ?? 0) + (stats["faults.service_unavailable"] ?? 0) > 0, "errors were logged: \(stats)")
        simulator.stop()
        scan((try? String(contentsOfFile: simulator.stderrPath, encoding: .utf8)) ?? "", "cloud serve stderr")

        // The database: every text, JSON and byte column of every table.
        let found = try fixture.database.runBlocking { session -> [String] in
            let columns = try session.query("""
                SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c
                  JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
                 WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
                   AND c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'bytea', 'ARRAY', 'USER-DEFINED')
                 ORDER BY 1, 2
                """).rows.map { (try $0.requireString(0), try $0.requireString(1), try $0.requireString(2)) }
            var hits: [String] = []
            for (table, column, type) in columns {
                let value = type == "bytea" ? "encode(\"\(column)\", 'escape')" : "\"\(column)\"::text"
                for secret in Self.secrets {
                    let count = try session.query("SELECT count(*) FROM \"\(table)\" WHERE strpos(\(value), $1) > 0",
                                                  [.text(secret)])[0].requireInt(0)
                    if count > 0 { hits.append("\(table).\(column)") }
                }
            }
            return hits
        }
        let tables = try fixture.scalar("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'") ?? "0"
        #expect(found.isEmpty, "secret stored in \(found)")
        #expect(leaks.isEmpty, "secret printed: \(leaks)")
        print("cloud secrets: \(scanned) outputs scanned (\(bytes) bytes), \(tables) tables' text/json/bytea columns, "
              + "\(leaks.count + found.count) leaks; \(approved) approved; simulator \(stats.sorted { $0.key < $1.key })")
    }
}
