import Foundation
import NianjianOperations
import NianjianTestSupport
import Testing

@Suite("command line")
struct CLITests {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ arguments: [String], url: String) throws -> Output? {
        guard let path = NianjianBinary.path else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = url
        environment["USER"] = "cli-test"
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }

    static func folder(_ files: [String: [UInt8]]) throws -> String {
        let path = NSTemporaryDirectory() + "nianjian-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for (name, bytes) in files { try Data(bytes).write(to: URL(fileURLWithPath: path + "/" + name)) }
        return path
    }

    @Test func importAndReportExitCodesWithHostileArguments() throws {
        let fixture = try OpsFixture()
        defer { fixture.close() }
        let url = fixture.handle.url
        guard let added = try Self.run(["tenant", "add", "acme", "--name", "Acme'; DROP TABLE companies; --"], url: url) else {
            Issue.record("the nianjian binary was not found next to the tests")
            return
        }
        #expect(added.status == 0, "\(added.stderr)")
        let good = try Self.folder(Sheets.files)
        let bad = try Self.folder(Sheets.replacing("services.csv", "C003,S006", "C999,S006"))
        defer { try? FileManager.default.removeItem(atPath: good); try? FileManager.default.removeItem(atPath: bad) }

        let injection = "x'; DROP TABLE tenants; --"
        for arguments in [["import", "--tenant", injection, good], ["report", "--tenant", injection],
                          ["requeue", "--tenant", injection, "--note", "n"], ["plan", "--tenant", injection]] {
            let output = try Self.run(arguments + ["--lang", "en"], url: url)
            #expect(output?.status == 1, "\(arguments)")
            #expect(output?.stderr.contains("unknown tenant") == true, "\(output?.stderr ?? "")")
        }
        #expect(try fixture.scalar("SELECT name FROM tenants WHERE slug = 'acme'") == "Acme'; DROP TABLE companies; --")

        let refused = try Self.run(["import", "--tenant", "acme", bad, "--lang", "en"], url: url)
        #expect(refused?.status == 1)
        #expect(refused?.stderr.contains("services.csv:") == true, "\(refused?.stderr ?? "")")
        #expect(try fixture.counts()["companies"] == 0)

        let imported = try Self.run(["import", "--tenant", "acme", good, "--json"], url: url)
        #expect(imported?.status == 0, "\(imported?.stderr ?? "")")
        #expect(imported?.stdout.contains("\"created\":7") == true)

        // Hostile filter values are data, never SQL.
        let requeue = try Self.run(["requeue", "--tenant", "acme", "--company", "C001' OR '1'='1", "--reason-code", "') OR true --",
                                    "--note", "n'); DELETE FROM inspections; --"], url: url)
        // An unknown company is an error naming it, not "re-queued 0".
        #expect(requeue?.status == 1, "\(requeue?.stderr ?? "")")
        #expect(requeue?.stderr.contains("C001' OR '1'='1") == true, "\(requeue?.stderr ?? "")")
        #expect(try fixture.counts()["services"] == 7)

        let plan = try Self.run(["plan", "--tenant", "acme", "--as-of", "2026-03-16", "--json"], url: url)
        #expect(plan?.status == 0)
        #expect(plan?.stdout.contains("\"planned\":4") == true, "\(plan?.stdout ?? "")")

        let reportFile = NSTemporaryDirectory() + "nianjian-report-\(UUID().uuidString).html"
        defer { try? FileManager.default.removeItem(atPath: reportFile) }
        // As of 2026-05-15, S006 of the company named <script>… expires within 60 days with no inspection.
        let report = try Self.run(["report", "--tenant", "acme", "--as-of", "2026-05-15", "--format", "html", "--output", reportFile],
                                  url: url)
        #expect(report?.status == 0, "\(report?.stderr ?? "")")
        let html = (try? String(contentsOfFile: reportFile, encoding: .utf8)) ?? ""
        #expect(html.contains("&lt;script&gt;") && !html.contains("<script>alert(1)"))
        let json = try Self.run(["report", "--tenant", "acme", "--as-of", "2026-03-16", "--format", "json"], url: url)
        #expect(json?.stdout.contains("\"pending\":4") == true || json?.stdout.contains("\"pending\": 4") == true)
        let all = try Self.run(["report", "--all", "--format", "json"], url: url)
        #expect(all?.status == 0 && all?.stdout.contains("acme") == true)
        #expect(try Self.run(["report", "--tenant", "acme", "--format", "pdf"], url: url)?.status != 0)
        #expect(try fixture.counts()["tenants"] == 1)
    }
}
