#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Logging
import NianjianConsole
import NianjianDomain
import NianjianMockConsole
import NianjianPostgres
import NianjianRunner
import NianjianStore
import NianjianTestSupport
import Testing


/// The hardening suite's fuzzed inputs (issue 7): job files and DATABASE_URL values.
extension HardeningTests {
    // MARK: - Fuzzed job files

    static var nightly: String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return (try? String(contentsOf: root.appendingPathComponent("Jobs/nightly.yml"), encoding: .utf8)) ?? "name: nightly\n"
    }

    /// A random mutation of a job file: lines deleted, duplicated, swapped, re-indented or truncated; random
    /// bytes; values of the wrong type.
    static func mutate(_ text: String, _ random: inout SeededRandom) -> String {
        var lines = text.components(separatedBy: "\n")
        let wrongValues = ["abc", "[1, 2]", "{a: 1}", "-1", "1e400", "~", "''", "true", "0x1F", ".nan", "-.inf", "999999999999999999999",
                           "\"5\"", "!!binary aGVsbG8=", "&anchor 3", "*nope", "|\n  block", ">-", "2026-12-01", "1_000", "٣",
                           "'; DROP TABLE runs; --", String(repeating: "9", count: 400), "[[[[[[[[[[", "{{{{", "\u{0}", "\t"]
        let operations = Int.random(in: 1...3, using: &random)
        for _ in 0..<operations where !lines.isEmpty {
            let index = Int.random(in: 0..<lines.count, using: &random)
            switch Int.random(in: 0..<9, using: &random) {
            case 0: lines.remove(at: index)
            case 1: lines.insert(lines[index], at: index)
            case 2: lines.swapAt(index, Int.random(in: 0..<lines.count, using: &random))
            case 3:
                // Replace a value with one of the wrong type.
                if let colon = lines[index].firstIndex(of: ":") {
                    lines[index] = String(lines[index][...colon]) + " " + (wrongValues.randomElement(using: &random) ?? "x")
                }
            case 4:
                // Random bytes somewhere in the line.
                var scalars = Array(lines[index].unicodeScalars)
                let count = Int.random(in: 1...6, using: &random)
                for _ in 0..<count {
                    let scalar = Unicode.Scalar(UInt8.random(in: 0...255, using: &random))
                    scalars.insert(scalar, at: Int.random(in: 0...scalars.count, using: &random))
                }
                var line = ""
                line.unicodeScalars.append(contentsOf: scalars)
                lines[index] = line
            case 5: lines[index] = String(repeating: " ", count: Int.random(in: 0...5, using: &random)) + lines[index].trimmingCharacters(in: .whitespaces)
            case 6: lines = Array(lines.prefix(index))
            case 7:
                // Truncate mid-line.
                let line = lines[index]
                lines[index] = String(line.prefix(Int.random(in: 0...max(0, line.count), using: &random)))
            default:
                // An unknown key at a random place.
                lines.insert(String(repeating: " ", count: 2 * Int.random(in: 0...2, using: &random)) + "surprise_\(index): 1", at: index)
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Whatever the file holds, parsing gives a job or a JobFileError naming its line; never a crash, never
    /// another error.
    @Test func fuzzedJobFilesAreRefusedWithALineOrAccepted() throws {
        let count = soak ? 20_000 : 1_500
        var random = SeededRandom(seed: 7_2026)
        let base = Self.nightly
        var accepted = 0, refused = 0, withoutLine: [String] = []
        var extras = [
            String(repeating: "a: [", count: 2_000),            // deep nesting
            "a: &a [1, 2]\nb: &b [*a, *a, *a, *a]\nc: [*b, *b, *b, *b]\n", // aliases
            "\u{FEFF}name: bom\n", "name: x\r\nplan_first: true\r\n", "---\nname: a\n---\nname: b\n", "\u{0}\u{1}\u{2}",
            String(repeating: "x", count: 200_000), "- a\n- b\n", "name:\n  - [x]\n", "? [complex, key]\n: 1\n",
            "retry: !!map {max_attempts: 3}\n", "concurrency:\n  global: 1\n  global: 2\n",
        ]
        for _ in 0..<count { extras.append(Self.mutate(base, &random)) }
        for text in extras {
            do {
                _ = try JobDefinition.parse(text, file: "fuzz.yml")
                accepted += 1
            } catch let error as JobFileError {
                refused += 1
                if error.line == nil { withoutLine.append("\(error.message.prefix(120)) ← \(text.prefix(60).debugDescription)") }
                #expect(error.description.hasPrefix("fuzz.yml"))
                #expect(error.description.utf8.count < 4_000, "a huge message: \(error.description.prefix(300))")
            } catch {
                Issue.record("not a JobFileError: \(error) for \(text.prefix(200).debugDescription)")
            }
        }
        do {
            _ = try JobDefinition.parse("name: x\nconcurrency:\n  global: 1\n  global: 2\n", file: "dup.yml")
            Issue.record("a duplicated key was accepted")
        } catch let error as JobFileError {
            #expect(error.line == 3 || error.line == 4, "\(error)")
            #expect(error.message.contains("'global'"), "\(error)")
        }
        #expect(withoutLine.isEmpty, "refused without a line: \(withoutLine.prefix(5))")
        #expect(refused > count / 3 && accepted > 0)
        print("fuzzed job files: \(extras.count) inputs, \(accepted) accepted, \(refused) refused with a line, \(withoutLine.count) without")
    }

    /// `nianjian run --job BAD` exits non-zero with the file and line, and writes nothing.
    @Test func runWithABadJobFileWritesNothing() async throws {
        let handle = try TestDatabase.fresh()
        defer { handle.drop() }
        let db = handle.open()
        defer { db.close() }
        try Scenario.load(db, tenants: [.init(slug: "bad-job", companies: 5)])
        var random = SeededRandom(seed: 4_040)
        var bad: [String] = ["concurrency:\n  global: many\n", "retry:\n  max_attempts: 0\n", "lease:\n  seconds: 2\n  heartbeat_seconds: 5\n",
                             "console:\n  adapter: nonsense\n", "name: [unclosed\n", "nonsense: 1\n"]
        while bad.count < 12 {
            let text = Self.mutate(Self.nightly, &random)
            if (try? JobDefinition.parse(text)) == nil { bad.append(text) }
        }
        let before = try Scenario.scalar(db, "SELECT count(*) FROM inspection_events")
        for text in bad {
            let path = try Child.tempFile(text, name: "bad.yml")
            defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
            let outcome = try await offThePool { try Child.run(["run", "--job", path, "--as-of", "2026-12-01", "--json"], url: handle.url, timeout: 60) }
            #expect(!outcome.signaled && outcome.status != 0, "accepted: \(text.prefix(200).debugDescription)")
            #expect(outcome.stderr.contains("bad.yml"), "\(outcome.stderr)")
            #expect(outcome.stdout.isEmpty)
        }
        #expect(try Scenario.scalar(db, "SELECT count(*) FROM runs") == 0)
        #expect(try Scenario.scalar(db, "SELECT count(*) FROM inspection_events") == before)
        #expect(try Scenario.states(db) == ["pending": 5])
        print("bad job files through nianjian run: \(bad.count) refused, nothing written")
    }

    // MARK: - Fuzzed DATABASE_URL

    /// Garbage, huge, quoted and password-carrying DATABASE_URL values: `nianjian migrate` exits non-zero with
    /// a clear message and never prints the password.
    @Test func fuzzedDatabaseURLsFailClearlyWithoutLeakingThePassword() async throws {
        var random = SeededRandom(seed: 31_337)
        // (value, secrets that must not appear)
        var cases: [(String, [String])] = [
            ("not a url", []),
            ("postgres://", []),
            ("postgresql://u:Pw-Alpha-1@127.0.0.1:1/db", ["Pw-Alpha-1"]),
            ("postgres://u:Pw-Beta-2@127.0.0.1:1/db?sslmode=disable&password=Pw-Gamma-3", ["Pw-Beta-2", "Pw-Gamma-3"]),
            ("postgresql://u:Pw%2DDelta%404@127.0.0.1:1/db", ["Pw%2DDelta%404", "Pw-Delta@4"]),
            ("postgresql://u:Pw@Eps@5@127.0.0.1:1/db", ["Pw@Eps@5"]),
            ("postgresql://u:Pw-Zeta-6@/db?host=/nonexistent-nj", ["Pw-Zeta-6"]),
            ("postgres://u:Pw-Eta-7@127.0.0.1:99999/db", ["Pw-Eta-7"]),
            ("postgres://u:Pw-Theta-8@[::1/db", ["Pw-Theta-8"]),
            ("postgres://u:Pw-Iota-9@127.0.0.1:1/db?bogus_option=1", ["Pw-Iota-9"]),
            ("host=/nonexistent-nj user=u password=Pw-Kappa-10 dbname=x", ["Pw-Kappa-10"]),
            ("host=/nonexistent-nj password='Pw Lambda 11' dbname=x", ["Pw Lambda 11"]),
            ("host=/nonexistent-nj password='Pw\\'Mu-12' dbname=x", ["Pw'Mu-12"]),
            ("password=Pw-Nu-13 host=127.0.0.1 port=1", ["Pw-Nu-13"]),
            ("password=Pw-Xi-14 host=127.0.0.1 port=abc", ["Pw-Xi-14"]),
            ("password=Pw-Omicron-15 bogus=1", ["Pw-Omicron-15"]),
            ("password = Pw-Pi-16 host=127.0.0.1 port=1", ["Pw-Pi-16"]),
            ("'; DROP TABLE runs; --", []),
            ("\"quoted\" 'single' \\backslash", []),
            ("postgres://u:Pw-Rho-17@127.0.0.1:1/" + String(repeating: "d", count: 70_000), ["Pw-Rho-17"]),
            (String(repeating: "host=x ", count: 5_000), []),
            ("postgres://u:Pw-Sigma-18@127.0.0.1:1/db\nsecond line", ["Pw-Sigma-18"]),
            ("数据库://用户:Pw-Tau-19@主机/库", ["Pw-Tau-19"]),
        ]
        // Random mutations of a URL carrying a password.
        let alphabet = Array("abc:/@?&=%'\" \\#[]0123456789-_.数")
        for index in 0..<(soak ? 400 : 40) {
            let secret = "Pw-Fuzz-\(index)-Q"
            var chars = Array("postgresql://user:\(secret)@127.0.0.1:1/nj?connect_timeout=2")
            let secretRange = 18..<(18 + secret.count)
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                var position = Int.random(in: 0...chars.count, using: &random)
                // Keep the password itself intact, so that any trace of it is a leak.
                if secretRange.contains(position) || position == secretRange.upperBound { position = 0 }
                chars.insert(alphabet.randomElement(using: &random) ?? "x", at: position)
            }
            cases.append((String(chars), [secret]))
        }
        var leaks: [String] = []
        for (url, secrets) in cases {
            let outcome = try await offThePool { try Child.run(["migrate"], url: url, timeout: 60) }
            let output = outcome.stdout + outcome.stderr
            #expect(!outcome.signaled && outcome.status != 0, "\(url.prefix(120).debugDescription): exit \(outcome.status)")
            let clear = ["PostgreSQL", "DATABASE_URL", "数据库", "connection"].contains { output.contains($0) }
            #expect(clear, "unclear message for \(url.prefix(120).debugDescription): \(output.prefix(400))")
            #expect(output.utf8.count < 20_000, "the message echoes a huge value: \(output.utf8.count) bytes")
            for secret in secrets where output.contains(secret) {
                leaks.append("\(url.prefix(100).debugDescription) → \(output.prefix(300).debugDescription)")
            }
        }
        #expect(leaks.isEmpty, "password printed: \(leaks)")
        print("fuzzed DATABASE_URL: \(cases.count) values through nianjian migrate, \(leaks.count) leaks")
    }
}
