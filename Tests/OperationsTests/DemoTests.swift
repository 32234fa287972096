import Foundation
import NianjianDemo
import NianjianDomain
import NianjianOperations
import NianjianPostgres
import NianjianStore
import NianjianTestSupport
import Testing

@Suite("demo")
struct DemoTests {
    /// What the demo must have left in the database and the output folder, whoever ran it.
    static func expectDemoResults(_ fixture: OpsFixture, output: String) throws {
        for slug in Demo.agencies.map(\.slug) {
            let approved = try fixture.scalar("""
                SELECT count(*) FROM inspections i JOIN tenants t ON t.id = i.tenant_id
                 WHERE t.slug = $1 AND i.state = 'approved'
                """, [.text(slug)])
            #expect((Int(approved ?? "0") ?? 0) > 0, "no approved inspection for \(slug)")
            let renewals = try fixture.scalar("""
                SELECT count(*) FROM service_renewals r JOIN tenants t ON t.id = r.tenant_id WHERE t.slug = $1
                """, [.text(slug)])
            #expect(renewals == approved, "every approval renews its service once (\(slug))")

            let html = (output as NSString).appendingPathComponent("\(slug).html")
            let text = try String(contentsOfFile: html, encoding: .utf8)
            #expect(text.count > 1000)
            #expect(text.contains("<svg"))
            // Self-contained: no external scripts, styles, images or fonts.
            for external in ["src=\"http", "href=\"http", "src='http", "href='http", "url(http", "@import", "<link ", "<script src"] {
                #expect(!text.lowercased().contains(external), "\(slug).html refers to an external resource (\(external))")
            }
            let spreadsheets = ((output as NSString).appendingPathComponent("spreadsheets") as NSString).appendingPathComponent(slug)
            for file in ["companies.csv", "contracts.csv", "services.csv", "materials.csv"] {
                let size = (try? FileManager.default.attributesOfItem(atPath: (spreadsheets as NSString).appendingPathComponent(file))[.size]
                    as? Int) ?? 0
                #expect(size > 0, "\(slug)/\(file) is missing")
            }
        }
        let platform = try String(contentsOfFile: (output as NSString).appendingPathComponent("platform.html"), encoding: .utf8)
        #expect(platform.contains("huaxia-cloud") && platform.contains("nanfeng-ops"))

        #expect((Int(try fixture.scalar("SELECT count(*) FROM inspections WHERE state = 'needs_materials'") ?? "0") ?? 0) >= 1)
        #expect((Int(try fixture.scalar("SELECT count(*) FROM inspection_events WHERE kind = 'requeued'") ?? "0") ?? 0) >= 1)
        // The spreadsheets went through the real import (one batch per agency, plus the corrections).
        #expect((Int(try fixture.scalar("SELECT count(*) FROM import_batches") ?? "0") ?? 0) >= 4)
        // GB18030 and BOM files were read as such: the spreadsheets the demo wrote and imported are detected, by
        // the import path, in the encodings the demo says it wrote (import_batches keeps no encodings).
        for slug in Demo.agencies.map(\.slug) {
            let tenant = try TenantAdmin.resolve(database: fixture.database, slug: slug)
            let folder = (((output as NSString).appendingPathComponent("spreadsheets") as NSString).appendingPathComponent(slug))
            let encodings = try Importer.importDirectory(database: fixture.database, tenant: tenant, directory: folder, dryRun: true)
                .map(\.encodings)
            #expect((try? encodings.get()) == ["companies.csv": "GB18030", "contracts.csv": "UTF-8 (BOM)", "services.csv": "UTF-8",
                                               "materials.csv": "UTF-8"], "\(slug): \(encodings)")
        }
        // Nothing left in flight.
        #expect(try fixture.scalar("SELECT count(*) FROM inspection_leases") == "0")
    }

    /// The demo blocks while its nights and its cloud simulator work: it runs off the cooperative pool.
    static func runDemo(_ fixture: OpsFixture, _ options: Demo.Options) async throws -> (Demo.Outcome, [String]) {
        let database = fixture.database
        return try await offThePool {
            let lines = Lines()
            let outcome = try Demo.run(database: database, options: options, log: { lines.append($0) })
            return (outcome, lines.all)
        }
    }

    final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [String] = []
        func append(_ line: String) { lock.lock(); items.append(line); lock.unlock() }
        var all: [String] { lock.lock(); defer { lock.unlock() }; return items }
    }

    @Test func runsEndToEndInProcess() async throws {
        let fixture = try OpsFixture()
        defer { fixture.close() }
        let output = NSTemporaryDirectory() + "nianjian-demo-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: output) }
        let (outcome, lines) = try await Self.runDemo(fixture, Demo.Options(companies: 30, outputDirectory: output, language: .en, seed: 7,
                                                                           printReports: true))
        #expect(outcome.tenants.map(\.slug) == ["huaxia-cloud", "jinghong-it", "nanfeng-ops"])
        #expect(outcome.companies.values.reduce(0, +) == 30)
        #expect(outcome.nights.count == 6)
        #expect(outcome.requeued >= 1)
        #expect(outcome.corrected >= 1)
        #expect(outcome.defects.values.allSatisfy { !$0.isEmpty })
        #expect(outcome.nights.last?.totals["approved"] ?? 0 > 0)
        #expect(lines.contains { $0.hasPrefix("night 1 2026-12-01") })
        // Multi-service portfolios are the normal case: shown at import and in the reports' company grouping.
        #expect(outcome.services.values.reduce(0, +) > 45, "\(outcome.services)")
        #expect(outcome.companiesByServiceCount.keys.contains { $0 >= 3 }, "\(outcome.companiesByServiceCount)")
        #expect(outcome.sharedContracts > 0)
        #expect(lines.contains { $0.contains("portfolios: 30 companies with") && $0.contains("contracts covering several services") })
        let grouped = lines.joined(separator: "\n").components(separatedBy: "\n")
            .filter { $0.hasPrefix("    Services: ") && $0.contains(" · ") }
        #expect(!grouped.isEmpty, "a company needing attention is shown once with its several services' states")
        #expect(lines.contains { $0.contains("re-queued") })
        try Self.expectDemoResults(fixture, output: output)
        let requeueNotes = try fixture.scalar("""
            SELECT count(*) FROM inspection_events WHERE actor = 'demo-operator' AND kind = 'requeued'
            """)
        #expect(requeueNotes == String(outcome.requeued))
        // The nights went through the adapter to the simulator: signed requests, none refused, one order per
        // submitted inspection, the figures printed.
        let cloud = outcome.cloud
        #expect(cloud.signed > 0 && cloud.refusedSignatures == 0 && cloud.orders > 0 && cloud.paid > 0, "\(cloud)")
        // Each idempotency key's submission is one `submitted` event: the cloud made exactly one order for each.
        let submitted = Int(try fixture.scalar("SELECT count(*) FROM inspection_events WHERE kind = 'submitted'") ?? "") ?? -1
        #expect(cloud.orders == submitted, "orders \(cloud.orders), submissions \(submitted)")
        #expect(try fixture.scalar("SELECT count(*) FROM inspections WHERE console_ticket !~ '^[0-9]+$'") == "0", "tickets are the cloud's order ids")
        #expect(lines.contains { $0.hasPrefix("cloud simulator: http://127.0.0.1:") })
        #expect(lines.contains { $0.hasPrefix("  cloud: ") && $0.contains("requests signed") })
        #expect(lines.contains { $0.hasPrefix("simulated nights, the cloud's figures: ") })
        print(lines.filter { $0.contains("cloud") }.joined(separator: "\n"))

        // Running it again resets the demo agencies instead of failing or doubling.
        let (again, _) = try await Self.runDemo(fixture, Demo.Options(companies: 30, outputDirectory: output, language: .zh, seed: 7,
                                                                     printReports: false))
        #expect(try fixture.scalar("SELECT count(*) FROM tenants") == "3")
        #expect(try fixture.scalar("SELECT count(*) FROM companies") == "30")
        #expect(again.nights.last?.totals == outcome.nights.last?.totals, "the demo is deterministic for a seed")
    }

    @Test func defectPlanCoversEveryKindPerAgency() {
        for total in [300, 120] {
            for size in Demo.sizes(total: total) {
                let kinds = Set(Demo.defectPlan(count: size).values)
                #expect(kinds == Set(SyntheticCompanies.Defect.allCases), "size \(size)")
                #expect(Demo.defectPlan(count: size).count <= max(SyntheticCompanies.Defect.allCases.count, size / 8))
            }
        }
        #expect(Demo.sizes(total: 300) == [160, 100, 40])
        #expect(Demo.sizes(total: 30).reduce(0, +) == 30)
    }

    @Test func commandLineRunsTheDemo() throws {
        let fixture = try OpsFixture()
        defer { fixture.close() }
        let output = NSTemporaryDirectory() + "nianjian-demo-cli-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: output) }
        guard let result = try CLITests.run(["demo", "--companies", "24", "--output-dir", output, "--lang", "zh", "--quiet"],
                                            url: fixture.handle.url) else {
            Issue.record("the nianjian binary was not found next to the tests")
            return
        }
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("第 1 夜 2026-12-01"), "\(result.stdout)")
        #expect(result.stdout.contains("platform.html"))
        try Self.expectDemoResults(fixture, output: output)

        let bad = try CLITests.run(["demo", "--companies", "0"], url: fixture.handle.url)
        #expect(bad?.status != 0)
        #expect(bad?.stderr.contains("--companies") == true)
    }
}
