import Foundation
import NianjianAliyun
import NianjianConsole
import NianjianDomain
import NianjianOperations
import NianjianRunner
import NianjianStore
import NianjianTestSupport
import Testing

// Per-company cloud accounts (issue 12): sealed with AES-GCM, shown masked, used for their company only.
@Suite("cloud accounts")
struct CloudAccountTests {
    static let secret = "Nj-AccessKey-Secret-7f3a9c"
    static let token = "CAIS-sts-token-value-91bd"
    static let key = Data((0..<32).map { UInt8($0 * 7 % 251) }).base64EncodedString()

    @Test func sealedShownMaskedAndUsedForItsCompanyOnly() throws {
        let fixture = try OpsFixture()
        defer { fixture.close() }
        let tenant = try fixture.tenant("acme")
        let other = try fixture.tenant("other")
        let files = try AgencySheets.render([SyntheticCompanies(seed: 2, servicesPerCompany: 1...1).portfolio(index: 1, referenceDate: Scenario.asOf).file,
                                             SyntheticCompanies(seed: 2, servicesPerCompany: 1...1).portfolio(index: 2, referenceDate: Scenario.asOf).file])
        try fixture.importOK(tenant, files)
        try fixture.importOK(other, files)
        let environment = ["NIANJIAN_SECRET_KEY": Self.key]
        let box = try SecretBox.fromEnvironment(environment, create: false)
        try CloudAccounts.set(database: fixture.database, tenant: tenant, companyRef: "C00001", accessKeyId: "LTAI5tCompanyOne99",
                              secret: Self.secret + "\n", securityToken: Self.token, box: box)
        #expect(throws: OperationsError.self) {
            try CloudAccounts.set(database: fixture.database, tenant: tenant, companyRef: "C99999", accessKeyId: "LTAI5tX",
                                  secret: Self.secret, securityToken: nil, box: box)
        }

        // Never in plain text in the database; listed masked; invisible to another tenant.
        let dump = try fixture.scalar("SELECT string_agg(t::text, '|') FROM cloud_accounts t") ?? ""
        #expect(!dump.contains(Self.secret) && !dump.contains(Self.token) && !dump.contains(Data(Self.secret.utf8).base64EncodedString()))
        let listed = try CloudAccounts.list(database: fixture.database, tenant: tenant)
        #expect(listed.map(\.companyRef) == ["C00001"] && listed.first?.accessKeyId == "LTAI****ne99" && listed.first?.hasSecurityToken == true)
        #expect(try CloudAccounts.list(database: fixture.database, tenant: other).isEmpty)

        // A run uses the company's own account for that company, the environment's for every other.
        var job = JobDefinition()
        job.consoleAdapter = "aliyun"
        var runEnvironment = environment
        runEnvironment["ALIBABA_CLOUD_ACCESS_KEY_ID"] = "LTAI5tAgencyDefault"
        runEnvironment["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] = "agency-secret"
        let opened = try ConsoleFactory.open(job: job, database: fixture.database, clock: SystemBusinessClock(), environment: runEnvironment)
        defer { opened.close() }
        let console = try #require(opened.adapter as? AliyunConsole)
        let companyOne = try #require(try fixture.scalar("SELECT id FROM companies WHERE tenant_id = $1 AND company_ref = 'C00001'", [.init(tenant.id)]))
        let companyTwo = try #require(try fixture.scalar("SELECT id FROM companies WHERE tenant_id = $1 AND company_ref = 'C00002'", [.init(tenant.id)]))
        let twin = try #require(try fixture.scalar("SELECT id FROM companies WHERE tenant_id = $1 AND company_ref = 'C00001'", [.init(other.id)]))
        let own = console.credentials(for: "acme", owner: AccountOwner(tenantId: tenant.id, companyId: Int64(companyOne) ?? 0))
        #expect(own?.accessKeyId == "LTAI5tCompanyOne99" && own?.accessKeySecret == Self.secret && own?.securityToken == Self.token)
        #expect(console.credentials(for: "acme", owner: AccountOwner(tenantId: tenant.id, companyId: Int64(companyTwo) ?? 0))?.accessKeyId == "LTAI5tAgencyDefault")
        #expect(console.credentials(for: "other", owner: AccountOwner(tenantId: other.id, companyId: Int64(twin) ?? 0))?.accessKeyId == "LTAI5tAgencyDefault")

        // Without the environment's AccessKey, the other companies get none (never the simulator's demo
        // account against the real cloud): their calls fail with MissingCredentials, saying what to set.
        var ownOnly = environment
        ownOnly["ALIBABA_CLOUD_ACCESS_KEY_ID"] = nil
        let partial = try ConsoleFactory.open(job: job, database: fixture.database, clock: SystemBusinessClock(), environment: ownOnly)
        defer { partial.close() }
        let partialConsole = try #require(partial.adapter as? AliyunConsole)
        #expect(partialConsole.credentials(for: "acme", owner: AccountOwner(tenantId: tenant.id, companyId: Int64(companyOne) ?? 0))?.accessKeyId == "LTAI5tCompanyOne99")
        #expect(partialConsole.credentials(for: "acme", owner: AccountOwner(tenantId: tenant.id, companyId: Int64(companyTwo) ?? 0)) == nil)

        // The wrong key cannot open them, and says what to do.
        var wrong = runEnvironment
        wrong["NIANJIAN_SECRET_KEY"] = Data(repeating: 9, count: 32).base64EncodedString()
        #expect { try ConsoleFactory.open(job: job, database: fixture.database, clock: SystemBusinessClock(), environment: wrong) } throws: { error in
            "\(error)".contains("NIANJIAN_SECRET_KEY") && !"\(error)".contains(Self.secret)
        }
        #expect(try CloudAccounts.remove(database: fixture.database, tenant: tenant, companyRef: "C00001"))
        #expect(try CloudAccounts.list(database: fixture.database, tenant: tenant).isEmpty)
    }

    /// From the command line: the secret from standard input, a key file created 0600 on first use, nothing
    /// secret printed.
    @Test func commandLineReadsTheSecretFromStandardInput() throws {
        let fixture = try OpsFixture()
        defer { fixture.close() }
        let tenant = try fixture.tenant("acme")
        try fixture.importOK(tenant, try AgencySheets.render([SyntheticCompanies(seed: 2).portfolio(index: 1, referenceDate: Scenario.asOf).file]))
        let home = NSTemporaryDirectory() + "nj-accounts-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: home) }
        let environment = ["NIANJIAN_HOME": home]
        let set = try CLITests.exec(["account", "set", "--tenant", "acme", "--company", "C00001", "--access-key-id", "LTAI5tCliCompany01"],
                                    url: fixture.handle.url, environment: environment, standardInput: Self.secret + "\n")
        #expect(set.status == 0, "\(set.stderr)")
        #expect(set.stdout.contains("LTAI****ny01") && !set.combined.contains(Self.secret))
        let attributes = try FileManager.default.attributesOfItem(atPath: home + "/secret.key")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let list = try CLITests.exec(["account", "list", "--tenant", "acme", "--json"], url: fixture.handle.url, environment: environment)
        #expect(list.status == 0 && list.stdout.contains("\"access_key_id\":\"LTAI****ny01\"") && !list.combined.contains("LTAI5tCliCompany01"))
        let empty = try CLITests.exec(["account", "set", "--tenant", "acme", "--company", "C00001", "--access-key-id", "LTAI5tX"],
                                      url: fixture.handle.url, environment: environment, standardInput: "")
        #expect(empty.status != 0 && empty.stderr.contains("standard input"))
    }
}
