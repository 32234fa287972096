import Foundation
import NianjianConsole
import NianjianDomain
import NianjianPostgres
import NianjianRunner
import NianjianStore
import NianjianTestSupport
import Testing
import Yams

@Suite("job files")
struct JobFileTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Every job-file key, read back from a parsed job (numbers as Double, so 20 and 20.0 compare equal).
    static let readers: [String: @Sendable (JobDefinition) -> String] = {
        var readers: [String: @Sendable (JobDefinition) -> String] = [
            "name": { $0.name }, "plan_first": { "\($0.planFirst)" }, "plan_window_days": { n($0.planWindowDays) },
            "night_hours": { n($0.nightHours) }, "night_start_hour": { n($0.nightStartHour) },
            "concurrency.global": { n($0.concurrency.global) }, "concurrency.per_tenant": { n($0.concurrency.perTenant) },
            "rate_limits.submit.per_second": { n($0.rateLimits.submit.perSecond) }, "rate_limits.submit.burst": { n($0.rateLimits.submit.burst) },
            "rate_limits.poll.per_second": { n($0.rateLimits.poll.perSecond) }, "rate_limits.poll.burst": { n($0.rateLimits.poll.burst) },
            "retry.max_attempts": { n($0.retry.maxAttempts) }, "retry.base_delay_seconds": { n($0.retry.baseDelaySeconds) },
            "retry.multiplier": { n($0.retry.multiplier) }, "retry.max_delay_seconds": { n($0.retry.maxDelaySeconds) },
            "retry.jitter": { n($0.retry.jitter) },
            "poll.first_after_business_days": { n($0.poll.firstPollAfterBusinessDays) }, "poll.first_after_seconds": { n($0.poll.firstPollAfterSeconds) },
            "poll.then_every_business_days": { n($0.poll.thenEveryBusinessDays) }, "poll.then_every_seconds": { n($0.poll.thenEverySeconds) },
            "lease.seconds": { n($0.lease.seconds) }, "lease.heartbeat_seconds": { n($0.lease.heartbeatSeconds) },
            "batch.claim": { n($0.batch.claim) }, "batch.write": { n($0.batch.write) }, "batch.flush_milliseconds": { n($0.batch.flushMilliseconds) }, "batch.writers": { n($0.batch.writers) },
            "shutdown_grace_seconds": { n($0.shutdownGraceSeconds) }, "database_retry_seconds": { n($0.databaseRetrySeconds) },
            "database.statement_timeout_seconds": { n($0.database.statementTimeoutSeconds) },
            "database.lock_timeout_seconds": { n($0.database.lockTimeoutSeconds) },
            "database.idle_in_transaction_timeout_seconds": { n($0.database.idleInTransactionTimeoutSeconds) },
            "database.prepared_statements": { "\($0.database.preparedStatements)" },
            "database.routing": { $0.database.routing.rawValue },
            "console.adapter": { $0.consoleAdapter }, "console.seed": { n(Double($0.console.seed)) },
            "console.latency_ms.p50": { n($0.console.latencyP50Milliseconds) }, "console.latency_ms.p99": { n($0.console.latencyP99Milliseconds) },
            "console.faults.login": { n($0.console.loginFailureRate) }, "console.faults.button": { n($0.console.buttonFailureRate) },
            "console.faults.progress": { n($0.console.progressFailureRate) }, "console.faults.timeout": { n($0.console.timeoutRate) },
            "console.throttle.rate": { n($0.console.throttleRate) }, "console.throttle.retry_after_seconds": { n($0.console.throttleRetryAfterSeconds) },
            "console.account_limits.submits_per_second": { n($0.console.accountSubmitsPerSecond) },
            "console.account_limits.polls_per_second": { n($0.console.accountPollsPerSecond) },
            "console.review_business_days": { n($0.console.reviewBusinessDays) },
            "console.region": { $0.cloud.region }, "console.endpoints.bss": { $0.cloud.endpoints["bss"] ?? "" },
            "console.timeout_seconds": { n($0.cloud.timeoutSeconds) }, "console.simulator_url": { $0.cloud.simulatorURL },
        ]
        for reason in RejectionReason.allCases {
            readers["console.rejection_rates.\(reason.rawValue)"] = { n($0.console.rejectionRates[reason] ?? 0) }
        }
        return readers
    }()

    static func n(_ value: Int) -> String { n(Double(value)) }
    static func n(_ value: Double) -> String { "\(value)" }
    /// A documented or written value in the readers' form.
    static func normalized(_ text: String) -> String { Double(text).map(n) ?? text }

    /// Every stored property of a job, nested ones flattened, dictionaries sorted: two jobs with equal maps are equal.
    static func flattened(_ value: Any, _ path: String = "job") -> [String: String] {
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .struct?, .class?:
            guard !mirror.children.isEmpty else { return [path: "\(value)"] }
            var all: [String: String] = [:]
            for (index, child) in mirror.children.enumerated() {
                all.merge(flattened(child.value, path + "." + (child.label ?? "\(index)"))) { first, _ in first }
            }
            return all
        case .dictionary?:
            return [path: mirror.children.map { "\($0.value)" }.sorted().joined(separator: ", ")]
        default:
            return [path: "\(value)"]
        }
    }

    /// The leaf keys of a YAML mapping, as dotted paths, with their scalar values.
    static func leaves(_ node: Node, _ prefix: String = "") -> [(String, String)] {
        guard let mapping = node.mapping else { return [(prefix, node.scalar?.string ?? "")] }
        return mapping.flatMap { key, value in leaves(value, prefix.isEmpty ? (key.string ?? "?") : prefix + "." + (key.string ?? "?")) }
    }

    /// The README's job-file table: each documented key, with its default where the table gives one.
    static func readmeTable() throws -> [(key: String, documentedDefault: String?)] {
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.components(separatedBy: "## Job files").dropFirst().first?.components(separatedBy: "\n## ").first)
        var table: [(key: String, documentedDefault: String?)] = []
        for line in section.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 3 else { continue }
            let names = cells[1].split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
            // Keys: the first names its section (`retry.max_attempts`); the others are in it unless they name it
            // (`lease.heartbeat_seconds`); `.burst` is a sibling of each key before it; a/b are alternatives.
            let section = names.first.flatMap { $0.contains(".") ? String($0.split(separator: ".")[0]) : nil }
            var keys: [String] = []
            for name in names {
                if name.hasPrefix(".") {
                    var paired: [String] = []
                    for key in keys {
                        paired.append(key)
                        paired.append(key.split(separator: ".").dropLast().joined(separator: ".") + name)
                    }
                    keys = paired
                    continue
                }
                let full = section.map { name.hasPrefix($0 + ".") ? name : $0 + "." + name } ?? name
                var expanded = [""]
                for component in full.split(separator: ".") {
                    let options = component == "<reason>" ? RejectionReason.allCases.map(\.rawValue) : component.split(separator: "/").map(String.init)
                    expanded = expanded.flatMap { head in options.map { head.isEmpty ? $0 : head + "." + $0 } }
                }
                keys += expanded
            }
            // Defaults: the values in parentheses ("(5, 30, 2, 900, 0.2)", "(20/20, 8/8; 0 = unlimited)"), in key order.
            var values: [String] = []
            var rest = Substring(cells[2])
            while let open = rest.firstIndex(of: "("), let close = rest[open...].firstIndex(of: ")") {
                let inside = rest[rest.index(after: open)..<close].split(separator: ";").first ?? ""
                let tokens = inside.split(whereSeparator: { $0 == "," || $0 == "/" }).map { $0.trimmingCharacters(in: .whitespaces) }
                if !tokens.isEmpty, tokens.allSatisfy({ Double($0) != nil || $0 == "true" || $0 == "false" }) { values += tokens }
                rest = rest[rest.index(after: close)...]
            }
            if values.isEmpty, keys.count == 1, cells[2].hasPrefix("`") {
                values = [cells[2].split(separator: "`").first.map(String.init) ?? ""]
            }
            if values.isEmpty {
                table += keys.map { ($0, nil) }
            } else {
                #expect(values.count == keys.count, "README row \(cells[1]): \(keys.count) keys, \(values.count) defaults \(values)")
                table += zip(keys, values).map { ($0.0, Optional($0.1)) }
            }
        }
        return table
    }

    /// An empty job file gives `JobDefinition()`, every field; the README's table documents every key of the
    /// shipped job file and gives the defaults `JobDefinition()` has; the shipped file's every value is read.
    @Test func defaultsAndTheShippedFileLoad() throws {
        let empty = try JobDefinition.parse("", file: "empty.yml")
        #expect(Self.flattened(empty) == Self.flattened(JobDefinition()))
        #expect(Self.flattened(try JobDefinition.parse("# nothing but a comment\n", file: "c.yml")) == Self.flattened(JobDefinition()))
        #expect(Self.flattened(JobDefinition()).count > 30, "the flattening found \(Self.flattened(JobDefinition()).count) fields")

        let path = Self.root.appendingPathComponent("Jobs/nightly.yml").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let file = try #require(try Yams.compose(yaml: text))
        let written = Self.leaves(file)
        let job = try JobDefinition.load(path: path)
        // Every key of the shipped file is read, with the value written there.
        for (key, value) in written {
            guard let reader = Self.readers[key] else { Issue.record("Jobs/nightly.yml: key \(key) the test cannot read"); continue }
            #expect(reader(job) == Self.normalized(value), "Jobs/nightly.yml \(key): written \(value), read \(reader(job))")
        }
        #expect(Set(written.map(\.0)) == Set(Self.readers.keys), "keys the shipped file does not document: \(Set(Self.readers.keys).subtracting(written.map(\.0)))")

        // The README's table: every key it names exists, every key of the file but `name` is in it, and its
        // defaults are those of JobDefinition() (and of an empty file).
        let table = try Self.readmeTable()
        let documented = Set(table.map(\.key))
        #expect(documented.subtracting(Self.readers.keys).isEmpty, "README documents unknown keys: \(documented.subtracting(Self.readers.keys))")
        #expect(Set(Self.readers.keys).subtracting(documented) == ["name"], "README lacks: \(Set(Self.readers.keys).subtracting(documented))")
        var compared = 0
        for (key, documentedDefault) in table {
            guard let documentedDefault, let reader = Self.readers[key] else { continue }
            #expect(reader(JobDefinition()) == Self.normalized(documentedDefault), "README says \(key) defaults to \(documentedDefault); JobDefinition() has \(reader(JobDefinition()))")
            #expect(reader(empty) == reader(JobDefinition()), "\(key): an empty file gives \(reader(empty))")
            compared += 1
        }
        #expect(compared >= 27, "README defaults compared: \(compared)")
    }

    @Test func unknownKeyIsRefusedWithItsLine() {
        let text = "name: x\nconcurrency:\n  global: 4\n  per_tenant: 2\n  burst: 3\n"
        #expect(throws: JobFileError.self) { try JobDefinition.parse(text, file: "Jobs/x.yml") }
        do { _ = try JobDefinition.parse(text, file: "Jobs/x.yml"); Issue.record("accepted") } catch let error as JobFileError {
            #expect(error.line == 5)
            #expect(error.description.hasPrefix("Jobs/x.yml:5: unknown key 'concurrency.burst'"))
        } catch { Issue.record("\(error)") }
    }

    @Test func jobsBuiltInCodeAreValidatedToo() {
        #expect(throws: Never.self) { try JobDefinition().validate() }
        var shortLease = JobDefinition()
        shortLease.lease = JobDefinition.Lease(seconds: 2, heartbeatSeconds: 5)
        var noClaims = JobDefinition()
        noClaims.batch.claim = 0
        var unknownAdapter = JobDefinition()
        unknownAdapter.consoleAdapter = "nonsense"
        var tooManyRejections = JobDefinition()
        tooManyRejections.console.rejectionRates = [.incompleteMaterials: 0.6, .violation: 0.6]
        let cases = [(shortLease, "lease.heartbeat_seconds (5.0) must be shorter than lease.seconds (2.0)"),
                     (noClaims, "batch.claim must be between 1 and 100000, not 0"),
                     (unknownAdapter, "console.adapter 'nonsense' is unknown"),
                     (tooManyRejections, "console.rejection_rates add up to more than 1")]
        for (job, message) in cases {
            do {
                try job.validate()
                Issue.record("accepted: \(message)")
            } catch let error as JobFileError {
                #expect(error.message.contains(message), "\(error)")
            } catch {
                Issue.record("\(error)")
            }
        }
    }

    @Test(arguments: [
        ("retry:\n  max_attempts: zero\n", 2, "retry.max_attempts must be a whole number"),
        ("retry:\n  max_attempts: 0\n", 2, "between 1 and 1000"),
        ("console:\n  faults:\n    login: 1.5\n", 3, "console.faults.login must be between 0 and 1"),
        ("lease:\n  seconds: 2\n  heartbeat_seconds: 5\n", 1, "must be shorter than lease.seconds"),
        ("plan_first: maybe\n", 1, "plan_first must be true or false"),
        ("console:\n  adapter: nonsense\n", 2, "console.adapter 'nonsense' is unknown (available: mock, aliyun, simulator)"),
        ("console:\n  endpoints: {bss: business.aliyuncs.com}\n", 2, "console.endpoints.bss must be an http(s) URL"),
        ("batch: [1, 2]\n", 1, "batch must be a mapping"),
        ("database:\n  routing: sharded\n", 2, "database.routing must be combined or per_tenant, not 'sharded'"),
        ("name: [unclosed\n", 2, "not valid YAML"),
    ])
    func badValuesAreRefusedWithTheirLine(_ text: String, _ line: Int, _ message: String) {
        do {
            _ = try JobDefinition.parse(text, file: "job.yml")
            Issue.record("accepted: \(text)")
        } catch let error as JobFileError {
            #expect(error.line == line, "\(error)")
            #expect(error.description.contains(message), "\(error)")
        } catch {
            Issue.record("\(error)")
        }
    }
}
