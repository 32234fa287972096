import Foundation
import Testing
import Yams

/// docker-compose.yml is for users (no Docker engine runs here): it must at least parse and wire what the
/// README promises.
@Suite("deployment files")
struct DeploymentFilesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func composeFileParsesAndWiresTheRunner() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("docker-compose.yml"), encoding: .utf8)
        let document = try #require(try Yams.load(yaml: text) as? [String: Any])
        let services = try #require(document["services"] as? [String: Any])
        let db = try #require(services["db"] as? [String: Any])
        let runner = try #require(services["runner"] as? [String: Any])
        #expect((db["image"] as? String)?.hasPrefix("postgres:") == true)
        #expect(db["healthcheck"] != nil)
        #expect((db["volumes"] as? [String])?.isEmpty == false)
        let environment = try #require(runner["environment"] as? [String: Any])
        #expect((environment["DATABASE_URL"] as? String)?.contains("@db:5432/") == true)
        let dependsOn = try #require(runner["depends_on"] as? [String: Any])
        #expect((dependsOn["db"] as? [String: Any])?["condition"] as? String == "service_healthy")
        let command = (runner["command"] as? [String])?.joined(separator: " ") ?? ""
        #expect(command.contains("nianjian migrate") && command.contains("nianjian run"))
        #expect(((runner["build"] as? [String: Any])?["dockerfile"] as? String) == "Dockerfile")
    }

    @Test func dockerfileBuildsWithLibpqAndRunsWithLibpq5() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("Dockerfile"), encoding: .utf8)
        #expect(text.contains("libpq-dev"))
        #expect(text.contains("libpq5"))
        #expect(text.contains("--product nianjian"))
    }
}
