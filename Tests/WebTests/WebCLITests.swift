import Foundation
import Hummingbird
import HummingbirdTesting
import NianjianTestSupport
import NianjianWeb
import Testing

/// `nianjian user` and `nianjian token` as a user runs them: secrets printed once, stored only hashed.
@Suite(.serialized) struct WebCLITests {
    static func run(_ arguments: [String], url: String, stdin: String?) throws -> (status: Int32, stdout: String, stderr: String)? {
        guard let path = NianjianBinary.path else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments + ["--lang", "en"]
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = url
        process.environment = environment
        let input = Pipe()
        let out = Pipe()
        let err = Pipe()
        process.standardInput = input
        process.standardOutput = out
        process.standardError = err
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    @Test func usersAndTokensFromTheCommandLine() async throws {
        let fixture = try await WebFixture()
        defer { fixture.close() }
        let url = fixture.handle.url
        guard let generated = try Self.run(["user", "add", "New@Alpha.example", "--tenant", "alpha", "--role", "operator"],
                                           url: url, stdin: nil) else {
            Issue.record("the nianjian binary was not found next to the tests")
            return
        }
        #expect(generated.status == 0, "\(generated.stderr)")
        let password = generated.stdout.components(separatedBy: "password (shown this once): ").last?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        #expect(password.count == 20)
        let piped = try Self.run(["user", "add", "piped@alpha.example", "--tenant", "alpha", "--role", "viewer"], url: url,
                                 stdin: "a piped passphrase\n")
        #expect(piped?.status == 0)
        #expect(piped?.stdout.contains("a piped passphrase") == false)
        let duplicate = try Self.run(["user", "add", "piped@alpha.example", "--tenant", "alpha"], url: url, stdin: "another passphrase\n")
        #expect(duplicate?.status == 1)
        #expect(duplicate?.stderr.contains("already exists") == true)
        let unknownTenant = try Self.run(["user", "add", "x@y.example", "--tenant", "nope"], url: url, stdin: "another passphrase\n")
        #expect(unknownTenant?.status == 1)
        let hashes = try fixture.database.runBlocking { session in
            try session.query("SELECT password_hash FROM web_users WHERE email IN ('new@alpha.example', 'piped@alpha.example')")
                .rows.map { try $0.requireString(0) }
        }
        #expect(hashes.count == 2 && hashes.allSatisfy { $0.hasPrefix("$2") && !$0.contains(password) })
        let list = try Self.run(["user", "list"], url: url, stdin: nil)
        #expect(list?.stdout.contains("new@alpha.example\talpha\toperator") == true)
        #expect(list?.stdout.contains("$2") == false)

        let token = try Self.run(["token", "create", "--tenant", "alpha", "--role", "viewer", "--name", "export"], url: url, stdin: nil)
        let secret = token?.stdout.split(separator: "\n").last.map(String.init) ?? ""
        #expect(secret.hasPrefix("njt_"))
        let stored = try fixture.database.runBlocking { try $0.query("SELECT token_hash FROM api_tokens")[0].requireString(0) }
        #expect(stored == Secrets.sha256(secret))
        let tokens = try Self.run(["token", "list"], url: url, stdin: nil)
        #expect(tokens?.stdout.contains(secret) == false)

        try await fixture.application().test(.router) { client in
            let (cookie, _) = try await Web.login(client, "new@alpha.example", password)
            #expect(cookie != nil)
            let api = try await client.execute(uri: "/api/v1/tenants/alpha/inspections", method: .get,
                                               headers: [.authorization: "Bearer \(secret)"])
            #expect(api.status == .ok)
            let disabled = try Self.run(["user", "disable", "new@alpha.example"], url: url, stdin: nil)
            #expect(disabled?.status == 0)
            let after = try await client.execute(uri: "/api/v1/session", method: .get, headers: [.cookie: "nianjian_session=\(cookie ?? "")"])
            #expect(after.status == .unauthorized)
            let revoked = try Self.run(["token", "revoke", "1"], url: url, stdin: nil)
            #expect(revoked?.status == 0)
            let refused = try await client.execute(uri: "/api/v1/tenants/alpha/inspections", method: .get,
                                                   headers: [.authorization: "Bearer \(secret)"])
            #expect(refused.status == .unauthorized)
        }
    }
}
