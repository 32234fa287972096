import Foundation
import NianjianDomain
import NianjianOperations
import NianjianReports
import NianjianTestSupport
import Testing

@Suite("command line")
struct CLITests {
    struct BinaryMissing: Error, CustomStringConvertible {
        var description: String { "the nianjian binary was not found next to the tests (build with `swift build --build-tests`)" }
    }

    /// The same as `exec`, for callers written when a missing binary gave nil: it never is nil now (a missing
    /// binary throws, so no test passes without running the command).
    static func run(_ arguments: [String], url: String) throws -> ChildOutput? {
        try exec(arguments, url: url)
    }

    /// Runs `nianjian` with DATABASE_URL = `url` (both pipes read at once, killed after `timeout` seconds).
    static func exec(_ arguments: [String], url: String, environment extra: [String: String] = [:],
                     timeout: Double = 120, standardInput: String? = nil) throws -> ChildOutput {
        guard let path = NianjianBinary.path else { throw BinaryMissing() }
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = url
        environment["USER"] = "cli-test"
        environment["LANG"] = "C.UTF-8"
        environment["LC_ALL"] = nil
        for (key, value) in extra { environment[key] = value }
        return try ChildProcess.run(path, arguments, environment: environment, timeout: timeout, standardInput: standardInput)
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
        let added = try Self.exec(["tenant", "add", "acme", "--name", "Acme'; DROP TABLE companies; --"], url: url)
        #expect(added.status == 0, "\(added.stderr)")
        let good = try Self.folder(Sheets.files)
        let bad = try Self.folder(Sheets.replacing("services.csv", "C003,S006", "C999,S006"))
        defer { try? FileManager.default.removeItem(atPath: good); try? FileManager.default.removeItem(atPath: bad) }

        let injection = "x'; DROP TABLE tenants; --"
        for arguments in [["import", "--tenant", injection, good], ["report", "--tenant", injection],
                          ["requeue", "--tenant", injection, "--note", "n"], ["plan", "--tenant", injection]] {
            let output = try Self.exec(arguments + ["--lang", "en"], url: url)
            #expect(output.status == 1, "\(arguments)")
            #expect(output.stderr.contains("unknown tenant"), "\(output.stderr)")
        }
        #expect(try fixture.scalar("SELECT name FROM tenants WHERE slug = 'acme'") == "Acme'; DROP TABLE companies; --")

        let refused = try Self.exec(["import", "--tenant", "acme", bad, "--lang", "en"], url: url)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("services.csv:"), "\(refused.stderr)")
        #expect(try fixture.counts()["companies"] == 0)

        let imported = try Self.exec(["import", "--tenant", "acme", good, "--json"], url: url)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("\"created\":7"))

        // Hostile filter values are data, never SQL.
        let requeue = try Self.exec(["requeue", "--tenant", "acme", "--company", "C001' OR '1'='1", "--reason-code", "') OR true --",
                                    "--note", "n'); DELETE FROM inspections; --"], url: url)
        // An unknown company is an error naming it, not "re-queued 0".
        #expect(requeue.status == 1, "\(requeue.stderr)")
        #expect(requeue.stderr.contains("C001' OR '1'='1"), "\(requeue.stderr)")
        #expect(try fixture.counts()["services"] == 7)

        let plan = try Self.exec(["plan", "--tenant", "acme", "--as-of", "2026-03-16", "--json"], url: url)
        #expect(plan.status == 0)
        #expect(plan.stdout.contains("\"planned\":4"), "\(plan.stdout)")

        let reportFile = NSTemporaryDirectory() + "nianjian-report-\(UUID().uuidString).html"
        defer { try? FileManager.default.removeItem(atPath: reportFile) }
        // As of 2026-05-15, S006 of the company named <script>… expires within 60 days with no inspection.
        let report = try Self.exec(["report", "--tenant", "acme", "--as-of", "2026-05-15", "--format", "html", "--output", reportFile],
                                  url: url)
        #expect(report.status == 0, "\(report.stderr)")
        let html = (try? String(contentsOfFile: reportFile, encoding: .utf8)) ?? ""
        #expect(html.contains("&lt;script&gt;") && !html.contains("<script>alert(1)"))
        let json = try Self.exec(["report", "--tenant", "acme", "--as-of", "2026-03-16", "--format", "json"], url: url)
        #expect(json.stdout.contains("\"pending\":4") || json.stdout.contains("\"pending\": 4"))
        let all = try Self.exec(["report", "--all", "--format", "json"], url: url)
        #expect(all.status == 0 && all.stdout.contains("acme"))
        #expect(try Self.exec(["report", "--tenant", "acme", "--format", "pdf"], url: url).status != 0)
        #expect(try fixture.counts()["tenants"] == 1)
    }

    /// A quick job file: one-hour night, the mock console answering at once.
    static func jobFile(in folder: String) throws -> String {
        let job = folder + "/job.yml"
        try Data("""
            name: cli
            night_hours: 1
            retry: {max_attempts: 2, base_delay_seconds: 0.01, multiplier: 2, max_delay_seconds: 0.02, jitter: 0}
            poll: {first_after_business_days: 0, first_after_seconds: 0, then_every_business_days: 0, then_every_seconds: 0.01}
            console: {adapter: mock, review_business_days: 0}
            """.utf8).write(to: URL(fileURLWithPath: job))
        return job
    }

    static func hasChinese(_ text: String) -> Bool {
        text.unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) }
    }

    // MARK: - Issue 10, items 5 and 9: every command in Chinese

    @Test func everyCommandSpeaksChineseWithLangZh() throws {
        let fixture = try OpsFixture()
        defer { fixture.close() }
        let url = fixture.handle.url
        let sheets = try Self.folder(Sheets.files)
        let folder = try Self.folder([:])
        defer { try? FileManager.default.removeItem(atPath: sheets); try? FileManager.default.removeItem(atPath: folder) }
        let job = try Self.jobFile(in: folder)
        // Each command with --lang zh, and words of its output a Chinese reader sees.
        let commands: [([String], [String])] = [
            (["migrate"], ["数据库已是最新"]),
            (["migrate", "--status"], ["版本", "已执行"]),
            (["tenant", "add", "acme", "--name", "华夏云服务", "--submit-rate", "10"], ["已添加租户", "华夏云服务"]),
            (["tenant", "set", "acme", "--weight", "3"], ["标识", "权重", "每秒提交"]),
            (["tenant", "list"], ["标识", "名称", "华夏云服务"]),
            (["import", "--tenant", "acme", sheets, "--dry-run"], ["试运行", "新增"]),
            (["import", "--tenant", "acme", sheets], ["已导入", "新增"]),
            (["plan", "--tenant", "acme", "--as-of", "2026-03-16"], ["新建", "个年检"]),
            (["run", "--job", job, "--tenant", "acme", "--as-of", "2026-03-16"], ["运行", "已完成", "业务日期", "领取"]),
            (["requeue", "--tenant", "acme", "--note", "已补交", "--dry-run"], ["将重新排队", "个年检"]),
            (["report", "--tenant", "acme", "--as-of", "2026-03-16"], ["年检报告", "最近运行"]),
            (["check", "uscc", "91110000600037341L"], ["有效"]),
            (["db", "status"], ["数据库", "状态：可连接", "已执行"]),
            (["bench", "validate", "--companies", "small"], ["基准测试", "指标", "数值"]),
        ]
        for (arguments, words) in commands {
            let output = try Self.exec(arguments + ["--lang", "zh"], url: url, timeout: 300)
            #expect(output.status == 0, "\(arguments): \(output.stderr.suffix(1500))")
            #expect(Self.hasChinese(output.stdout), "\(arguments): \(output.stdout)")
            for word in words {
                #expect(output.stdout.contains(word), "\(arguments) lacks \(word): \(output.stdout.suffix(1500))")
            }
        }
        // Errors too: an unknown tenant, a bad job file (its file:line detail kept in Chinese).
        let unknown = try Self.exec(["plan", "--tenant", "nobody", "--lang", "zh"], url: url)
        #expect(unknown.status == 1 && unknown.stderr.contains("未知租户"), "\(unknown.stderr)")
        let badJob = folder + "/bad.yml"
        try Data("night_hours: 1\nconcurrency:\n  global: 0\n".utf8).write(to: URL(fileURLWithPath: badJob))
        let refused = try Self.exec(["run", "--job", badJob, "--lang", "zh"], url: url)
        #expect(refused.status != 0)
        let chineseLine = refused.stderr.split(separator: "\n").first { Self.hasChinese(String($0)) }.map(String.init) ?? ""
        #expect(chineseLine.contains("\(badJob):3") && chineseLine.contains("concurrency.global") && chineseLine.contains("而不是 0"),
                "\(refused.stderr)")
    }

    @Test func langAcceptsZhAndEnLocalesAndRefusesOthers() throws {
        let fixture = try OpsFixture()
        defer { fixture.close() }
        let url = fixture.handle.url
        for lang in ["fr", "de-DE", "zhx", "english", ""] {
            let output = try Self.exec(["check", "uscc", "91110000600037341L", "--lang", lang], url: url)
            #expect(output.status != 0, "--lang \(lang) accepted")
            #expect(output.stderr.contains("zh") && output.stderr.contains("en") && output.stderr.contains("不是支持的语言"),
                    "\(output.stderr)")
            #expect(output.stdout.isEmpty)
        }
        for (lang, word) in [("zh", "有效"), ("zh-CN", "有效"), ("zh_CN", "有效"), ("ZH-hans", "有效"), ("en", "valid"), ("en-US", "valid"),
                             ("en_GB.UTF-8", "valid")] {
            let output = try Self.exec(["check", "uscc", "91110000600037341L", "--lang", lang], url: url)
            #expect(output.status == 0, "--lang \(lang): \(output.stderr)")
            #expect(output.stdout.contains(": \(word)"), "--lang \(lang): \(output.stdout)")
        }
        // Also on the commands that had no --lang before.
        for arguments in [["run"], ["migrate"], ["db", "status"], ["bench", "validate"]] {
            let output = try Self.exec(arguments + ["--lang", "fr"], url: url)
            #expect(output.status != 0 && output.stderr.contains("不是支持的语言"), "\(arguments): \(output.stderr)")
        }
    }

    // MARK: - Issue 10, item 4: names that would act on a terminal

    @Test func tenantNamesWithControlOrBidiCharactersAreRefusedAndNeverEchoedRaw() throws {
        let fixture = try OpsFixture()
        defer { fixture.close() }
        let url = fixture.handle.url
        for name in ["Evil\u{1B}[2J\u{1B}]0;pwned\u{07}", "Acme\u{202E}gnp.exe", "Two\nlines", "Iso\u{2066}late", "Tab\there"] {
            for lang in ["en", "zh"] {
                let output = try Self.exec(["tenant", "add", "evil", "--name", name, "--lang", lang], url: url)
                #expect(output.status == 1, "\(name.debugDescription) accepted")
                // Both languages, the chosen one first.
                let first = output.stderr.split(separator: "\n").first.map(String.init) ?? ""
                #expect(first.contains(lang == "zh" ? "请删除后重试" : "remove it and try again"), "\(output.stderr)")
                #expect(output.stderr.contains("请删除后重试") && output.stderr.contains("remove it and try again"))
                #expect(NameText.forbiddenScalar(in: output.stdout + output.stderr.replacingOccurrences(of: "\n", with: "")) == nil,
                        "raw control echoed: \(output.stderr.debugDescription)")
            }
        }
        #expect(try fixture.counts()["tenants"] == 0)
        let added = try Self.exec(["tenant", "add", "good", "--name", "Good Agency"], url: url)
        #expect(added.status == 0, "\(added.stderr)")
        let set = try Self.exec(["tenant", "set", "good", "--name", "Bad\u{202E}Agency", "--weight", "5"], url: url)
        #expect(set.status == 1 && set.stderr.contains("U+202E"), "\(set.stderr)")
        #expect(try fixture.scalar("SELECT name || ' ' || weight FROM tenants WHERE slug = 'good'") == "Good Agency 1")

        // Stored before the rule (or by hand): shown escaped.
        try fixture.database.runBlocking { session in
            _ = try session.query("INSERT INTO tenants (slug, name) VALUES ('old', $1)", [.text("Old\u{1B}[31m\u{202E}Co\nX")])
        }
        for lang in ["en", "zh"] {
            let list = try Self.exec(["tenant", "list", "--lang", lang], url: url)
            #expect(list.status == 0, "\(list.stderr)")
            #expect(list.stdout.contains("Old\\u{1B}[31m\\u{202E}Co\\u{A}X"), "\(list.stdout.debugDescription)")
            #expect(NameText.forbiddenScalar(in: list.stdout.replacingOccurrences(of: "\n", with: "")) == nil)
            #expect(list.stdout.split(separator: "\n").count == 4, "one line per tenant: \(list.stdout)")
        }
    }

    // MARK: - Issue 10, item 6: machine-clean JSON

    @Test func tenantJSONUsesSnakeCaseAndNumbers() throws {
        let fixture = try OpsFixture()
        defer { fixture.close() }
        let url = fixture.handle.url
        let added = try Self.exec(["tenant", "add", "acme", "--name", "Acme", "--submit-rate", "10.000", "--json"], url: url)
        #expect(added.status == 0, "\(added.stderr)")
        #expect(added.stdout.contains("\"submit_rate\":10") && !added.stdout.contains("submitRate"), "\(added.stdout)")
        let set = try Self.exec(["tenant", "set", "acme", "--poll-rate", "2.5", "--max-concurrency", "4", "--json"], url: url)
        #expect(set.stdout.contains("\"poll_rate\":2.5") && set.stdout.contains("\"max_concurrency\":4"), "\(set.stdout)")
        let list = try Self.exec(["tenant", "list", "--json"], url: url)
        let parsed = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]]
        let tenant = try #require(parsed?.first)
        #expect(Set(tenant.keys) == ["id", "slug", "name", "weight", "max_concurrency", "submit_rate", "poll_rate"])
        #expect(tenant["submit_rate"] is NSNumber && tenant["poll_rate"] is NSNumber && tenant["weight"] is NSNumber)
        #expect((tenant["submit_rate"] as? NSNumber)?.doubleValue == 10)
        let cleared = try Self.exec(["tenant", "set", "acme", "--poll-rate", "default", "--json"], url: url)
        #expect(cleared.stdout.contains("\"poll_rate\":null"), "\(cleared.stdout)")
    }

    @Test func jsonLogFormatIsOneTypedJSONObjectPerLine() throws {
        let fixture = try OpsFixture()
        defer { fixture.close() }
        let url = fixture.handle.url
        let sheets = try Self.folder(Sheets.files)
        let folder = try Self.folder([:])
        defer { try? FileManager.default.removeItem(atPath: sheets); try? FileManager.default.removeItem(atPath: folder) }
        let job = try Self.jobFile(in: folder)
        #expect(try Self.exec(["tenant", "add", "acme", "--name", "Acme"], url: url).status == 0)
        #expect(try Self.exec(["import", "--tenant", "acme", sheets], url: url).status == 0)
        let run = try Self.exec(["run", "--job", job, "--as-of", "2026-03-16", "--log-format", "json", "--log-level", "debug"], url: url)
        #expect(run.status == 0, "\(run.stderr.suffix(1500))")
        var objects: [[String: Any]] = []
        for line in (run.stdout + run.stderr).split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                Issue.record("not a JSON object: \(line)")
                continue
            }
            objects.append(object)
        }
        let started = try #require(objects.first { $0["message"] as? String == "run started" })
        #expect(started["run_id"] is NSNumber && started["due"] is NSNumber, "\(started)")
        #expect(started["as_of"] as? String == "2026-03-16")
        let finished = try #require(objects.first { $0["message"] as? String == "run finished" })
        #expect(finished["seconds"] is NSNumber && finished["claimed"] is NSNumber, "\(finished)")
        // The summary is a JSON line on stdout.
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(summary["claimed"] is NSNumber && summary["by_state"] is [String: Any] && summary["status"] as? String == "completed")

        // Errors are JSON lines too: the database unreachable, a bad job file.
        let unreachable = try Self.exec(["run", "--log-format", "json"], url: "postgresql://nobody:S3cret-pw@127.0.0.1:1/none?connect_timeout=2",
                                       environment: ["NIANJIAN_DEBUG": "1"])
        #expect(unreachable.status != 0)
        let lines = unreachable.stderr.split(separator: "\n")
        #expect(!lines.isEmpty && unreachable.stdout.isEmpty)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object != nil, "not JSON: \(line)")
        }
        let error = try #require(lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .first { $0["level"] as? String == "error" }, "\(unreachable.stderr)")
        #expect(error["level"] as? String == "error" && error["exit_code"] is NSNumber, "\(error)")
        #expect((error["message"] as? String)?.contains("Could not reach PostgreSQL") == true)
        #expect(!unreachable.stderr.contains("S3cret-pw"))
        let badJob = try Self.exec(["run", "--job", folder, "--log-format", "json"], url: url)
        let jobError = try JSONSerialization.jsonObject(with: Data(badJob.stderr.utf8)) as? [String: Any]
        #expect((jobError?["message"] as? String)?.contains("is a folder") == true, "\(badJob.stderr)")
    }

    // MARK: - Issue 10, items 2 and 7

    @Test func dryRunRefusesWhatTheRealImportCouldNotStore() throws {
        let fixture = try OpsFixture()
        defer { fixture.close() }
        let url = fixture.handle.url
        #expect(try Self.exec(["tenant", "add", "acme", "--name", "Acme"], url: url).status == 0)
        let amount = try Self.folder(Sheets.replacing("contracts.csv", "C001,HT-1,1234.50", "C001,HT-1,1234567890123.00"))
        let date = try Self.folder(Sheets.replacing("services.csv", "2026-04-10", "9999-12-31"))
        defer { try? FileManager.default.removeItem(atPath: amount); try? FileManager.default.removeItem(atPath: date) }
        for (folder, place) in [(amount, "contracts.csv:2:3: amount"), (date, "services.csv:3:6: expires_on")] {
            for dryRun in [true, false] {
                let output = try Self.exec(["import", "--tenant", "acme", folder, "--lang", "en"] + (dryRun ? ["--dry-run"] : []), url: url)
                #expect(output.status == 1, "\(output.stdout)")
                #expect(output.stderr.contains(place) && !output.stderr.contains("22003"), "\(output.stderr)")
            }
        }
        #expect(try fixture.counts()["contracts"] == 0)
    }

    @Test func jobDirectoryAndDatabaseStatusAreClear() throws {
        let fixture = try OpsFixture()
        defer { fixture.close() }
        let url = fixture.handle.url
        let folder = try Self.folder([:])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for lang in ["en", "zh"] {
            let output = try Self.exec(["run", "--job", folder, "--lang", lang], url: url)
            #expect(output.status != 0)
            #expect(output.stderr.contains(folder) && output.stderr.contains("is a folder") && output.stderr.contains("文件夹"),
                    "\(output.stderr)")
            #expect(!output.stderr.contains("NSCocoaErrorDomain"))
        }
        let missing = try Self.exec(["run", "--job", folder + "/none.yml"], url: url)
        #expect(missing.status != 0 && missing.stderr.contains("no such job file"), "\(missing.stderr)")

        // db status reports on DATABASE_URL's server, never its password.
        let status = try Self.exec(["db", "status"], url: url)
        #expect(status.status == 0, "\(status.stderr)")
        // Every migration applied: "N of N", whatever N is today.
        let applied = status.stdout.range(of: #"(\d+) of \1\b"#, options: .regularExpression) != nil
        #expect(status.stdout.contains("DATABASE_URL") && status.stdout.contains("reachable") && applied, "\(status.stdout)")
        #expect(!status.stdout.contains("embedded cluster"))
        let secret = "Db-St4tus-Secret"
        let down = try Self.exec(["db", "status"], url: "postgresql://alice:\(secret)@127.0.0.1:1/nianjian?connect_timeout=2")
        #expect(down.status == 1)
        #expect(down.stdout.contains("postgresql://alice:***@127.0.0.1:1/nianjian") && down.stdout.contains("not reachable"),
                "\(down.stdout)")
        #expect(!(down.stdout + down.stderr).contains(secret))
    }

    // MARK: - Issue 10, item 7: the progress bar on a narrow terminal

    @Test func progressBarFitsANarrowTerminalAndNeverGluesTheLog() throws {
        let fixture = try OpsFixture()
        defer { fixture.close() }
        try Scenario.load(fixture.database, tenants: [.init(slug: "bar", companies: 12), .init(slug: "baz", companies: 12)])
        let folder = try Self.folder([:])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let job = folder + "/job.yml"
        try Data("""
            name: bar
            night_hours: 1
            rate_limits: {submit: {per_second: 4, burst: 1}, poll: {per_second: 4, burst: 1}}
            poll: {first_after_business_days: 0, first_after_seconds: 0, then_every_business_days: 0, then_every_seconds: 0.01}
            console: {adapter: mock, review_business_days: 0, latency_ms: {p50: 50, p99: 100}}
            """.utf8).write(to: URL(fileURLWithPath: job))
        guard let path = NianjianBinary.path else { throw BinaryMissing() }
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = fixture.handle.url
        environment["COLUMNS"] = nil
        for (columns, lang) in [(50, "en"), (40, "zh")] {
            let output = try ChildProcess.run(path, ["run", "--job", job, "--tenant", columns == 50 ? "bar" : "baz", "--as-of", "2026-12-01",
                                                     "--lang", lang],
                                              environment: environment, timeout: 300, terminalColumns: columns)
            #expect(output.status == 0, "\(output.stderr.suffix(1500))")
            let erase = "\r\u{1B}[2K"
            let draws = output.stderr.components(separatedBy: erase).dropFirst()
            let bars = draws.map { segment in String(segment.prefix { $0 != "\n" && $0 != "\r" }) }.filter { $0.hasPrefix("[") }
            #expect(bars.count >= 2, "the bar was drawn \(bars.count) times: \(output.stderr.debugDescription.suffix(2000))")
            for bar in bars {
                #expect(DisplayWidth.of(bar) < columns, "\(DisplayWidth.of(bar)) columns on a \(columns)-column terminal: \(bar)")
            }
            // Every log line starts on a line of its own, never right after the bar.
            let logLines = output.stderr.split(separator: "\n").filter { $0.contains("nianjian.runner:") }
            #expect(logLines.contains { $0.contains("run finished") })
            for line in logLines {
                let visible = line.components(separatedBy: "\u{1B}[2K").last ?? ""
                #expect(visible.hasPrefix("20"), "log line glued to the bar: \(line.debugDescription)")
            }
        }
    }
}
