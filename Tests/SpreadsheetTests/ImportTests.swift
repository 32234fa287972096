import NianjianDomain
import NianjianSpreadsheet
import Testing

@Suite struct ImportTests {
    @Test func goodSetParses() throws {
        let result = try SpreadsheetReader.read(files: Fixtures.files).get()
        #expect(result.companies.map(\.companyRef) == ["C001", "C002"])
        #expect(result.companies[1].company.name == "Shanghai Star, Ltd.")
        #expect(result.companies[1].line == 3)
        #expect(result.companies[0].company == Company(ref: "C001", name: "北京云帆科技有限公司", legalRepresentative: "张伟",
                                                       contactName: "李娜", contactPhone: "13800138000", contactEmail: "lina@example.com"))
        #expect(result.contracts.first?.contract.amount == Money(fen: 123_450))
        #expect(result.contracts.first?.contract.endsOn == CivilDate(iso: "2025-12-31"))
        #expect(result.services.map(\.service.renewalMethod) == [.auto, .manual])
        #expect(result.services[1].companyRef == "C002")
        #expect(result.services[1].service.termMonths == 12)
        #expect(result.materials.count == 3)
        #expect(result.materials[0].material.validUntil == nil)
        #expect(result.materials[2].material.validFrom == nil)
        #expect(result.materials[2].material.kind == .passport)
        #expect(result.files == SpreadsheetFile.allCases)
        #expect(result.encodings[.companies] == .utf8)
        #expect(result.notes.isEmpty)
    }

    @Test func excelVariantsParse() throws {
        // CRLF, a BOM, reordered and extra columns, quoted newlines, Excel date and amount formats, GB18030.
        let contracts = "\u{FEFF}Amount,Company_Ref,note,contract_number,starts_on,ends_on\r\n" +
            "\"¥1,234.50\",C001,\"first line\r\nsecond, line\",HT-2025-001,2025/1/1,2025/12/31 0:00\r\n" +
            "800,C002,,HT-2025-002,2025-3-1,2026-02-28"
        var files = Fixtures.with("contracts.csv", contracts)
        files["services.csv"] = encode(Fixtures.services +
                                       "C001,S003,i-x,ECS,华东1（杭州）,2026-05-01,5,自动,HT-2025-001\n", as: "GB18030")
        files["materials.csv"] = Array((Fixtures.materials + "C002,营业执照副本,91310000MA1FL0000X,Star,,\n").utf8)
        let result = try SpreadsheetReader.read(files: files).get()
        #expect(result.contracts.map(\.contract.amount) == [Money(fen: 123_450), Money(fen: 80_000)])
        #expect(result.contracts.map(\.contract.startsOn) == [CivilDate(iso: "2025-01-01"), CivilDate(iso: "2025-03-01")])
        #expect(result.contracts[1].line == 4)
        #expect(result.encodings[.contracts] == .utf8BOM)
        #expect(result.encodings[.services] == .gb18030)
        #expect(result.services.last?.service.region == "华东1（杭州）")
        #expect(result.services.last?.service.renewalMethod == .auto)
        #expect(result.materials.last?.material.kind == .businessLicense)
        #expect(result.notes.map(\.messageEn) == ["columns ignored: note"])
    }

    @Test func bomAndGB18030FilesImport() throws {
        var files: [String: [UInt8]] = [:]
        for (name, text) in Fixtures.texts {
            files[name] = name.hasPrefix("c") ? [0xEF, 0xBB, 0xBF] + Array(text.utf8) : encode(text, as: "GB18030")
        }
        let result = try SpreadsheetReader.read(files: files).get()
        #expect(result.encodings == [.companies: .utf8BOM, .contracts: .utf8BOM, .services: .utf8, .materials: .gb18030])
        #expect(result.materials[1].material.holderName == "张伟")
        #expect(result == (try SpreadsheetReader.read(files: Fixtures.files).get()).with(encodings: result.encodings))
    }

    /// (file, replacement text, expected description prefix)
    static let badRows: [(String, String, String)] = [
        ("contracts.csv", "company_ref,contract_number,amount,starts_on,ends_on\nC001,HT-1,1.00,2025-01-01,2025-12-31\nC999,HT-2,1.00,2025-01-01,2025-12-31\n",
         "contracts.csv:3:1: company_ref: unknown company \"C999\""),
        ("contracts.csv", "company_ref,contract_number,amount,starts_on,ends_on\nC001,HT-2025-001,1.00,2025-13-01,2025-12-31\n",
         "contracts.csv:2:4: starts_on: \"2025-13-01\" is not a day of the calendar"),
        ("contracts.csv", "company_ref,contract_number,amount,starts_on,ends_on\nC001,HT-2025-001,1.00,2025-01-01,31.12.2025\n",
         "contracts.csv:2:5: ends_on: \"31.12.2025\" is not a date"),
        ("contracts.csv", "company_ref,contract_number,amount,starts_on,ends_on\nC001,HT-2025-001,12a,2025-01-01,2025-12-31\n",
         "contracts.csv:2:3: amount: \"12a\" is not an amount in yuan"),
        ("contracts.csv", "company_ref,contract_number,amount,starts_on,ends_on\nC001,HT-2025-001,-3.20,2025-01-01,2025-12-31\n",
         "contracts.csv:2:3: amount: \"-3.20\" is negative"),
        ("contracts.csv", "company_ref,contract_number,amount,starts_on,ends_on\nC001,HT-2025-001,1.005,2025-01-01,2025-12-31\n",
         "contracts.csv:2:3: amount: \"1.005\" is not an amount"),
        ("contracts.csv", "company_ref,contract_number,amount,starts_on,ends_on\nC001,HT-2025-001,1,2025-02-01,2025-01-31\n",
         "contracts.csv:2:5: ends_on: the contract ends (2025-01-31) before it starts (2025-02-01)"),
        ("materials.csv", "company_ref,kind,number,holder_name,valid_from,valid_until\nC001,drivers_license,X1,张伟,,\n",
         "materials.csv:2:2: kind: unknown kind \"drivers_license\""),
        ("materials.csv", "company_ref,kind,number,holder_name,valid_from,valid_until\nC001,id_card,X1,张伟,2020-01-01,2019-01-01\n",
         "materials.csv:2:6: valid_until: valid until 2019-01-01"),
        ("companies.csv", "company_ref,name,legal_representative,contact_name,contact_phone,contact_email\nC001,A,B,,,\nC002,B,C,,,\nC001,D,E,,,\n",
         "companies.csv:4:1: company_ref: duplicate company_ref \"C001\": already on line 2"),
        ("contracts.csv", "company_ref,contract_number,amount,starts_on,ends_on\nC001,HT-2025-001,1,2025-01-01,2025-12-31\nC002,HT-2025-002,1,2025-01-01,2025-12-31\nC001,HT-2025-001,2,2025-01-01,2025-12-31\n",
         "contracts.csv:4:2: contract_number: duplicate contract \"HT-2025-001\" of company \"C001\": already on line 2"),
        ("services.csv", Fixtures.services + "C001,S001,i-2,ECS,cn,2026-01-01,1,auto,HT-2025-001\n",
         "services.csv:4:2: service_ref: duplicate service_ref \"S001\": already on line 2"),
        ("materials.csv", Fixtures.materials + "C001,ID_CARD,110101199003071234,张伟,,\n",
         "materials.csv:5:3: number: duplicate id_card \"110101199003071234\" of company \"C001\": already on line 3"),
        ("services.csv", Fixtures.services + "C001,S009,i-9,ECS,cn,2026-01-01,1,sometimes,HT-2025-001\n",
         "services.csv:4:8: renewal_method: \"sometimes\" is not a renewal method"),
        ("services.csv", Fixtures.services + "C001,S009,,ECS,cn,2026-01-01,1,auto,HT-2025-001\n",
         "services.csv:4:3: console_instance_id: empty, but required"),
        ("contracts.csv", "company_ref,contract_number,starts_on,ends_on\nC001,HT-2025-001,2025-01-01,2025-12-31\n",
         "contracts.csv:1:1: missing column amount in the header"),
        ("contracts.csv", "company_ref,contract_number,amount,starts_on,ends_on,Amount\nC001,HT-2025-001,1,2025-01-01,2025-12-31,2\n",
         "contracts.csv:1:6: column amount appears twice in the header (columns 3 and 6)"),
        ("companies.csv", "company_ref,name,legal_representative,contact_name,contact_phone,contact_email\nC001,\"Open quote,B,,,\nC002,B,C,,,\n",
         "companies.csv:2:2: a quoted field opened here is never closed"),
        ("companies.csv", "company_ref,name,legal_representative,contact_name,contact_phone,contact_email\nC001,A,B,,\n",
         "companies.csv:2:6: the row has 5 fields but the header has 6"),
        ("companies.csv", "company_ref,name,legal_representative,contact_name,contact_phone,contact_email\nC001,Star, Ltd.,B,,,\n",
         "companies.csv:2:7: the row has 7 fields but the header has 6"),
        ("companies.csv", "company_ref,name,legal_representative,contact_name,contact_phone,contact_email\nC001,,B,,,\n",
         "companies.csv:2:2: name: empty, but required"),
        ("companies.csv", "company_ref,name,legal_representative,contact_name,contact_phone,contact_email\nC001,A,B,,,not-an-address\n",
         "companies.csv:2:6: contact_email: \"not-an-address\" is not an e-mail address"),
        ("companies.csv", "", "companies.csv: the file is empty"),
        ("contracts.csv", "company_ref,contract_number,amount,starts_on,ends_on\nC001,HT\u{200B}-1,1,2025-01-01,2025-12-31\n",
         "contracts.csv:2:2: contract_number: \"HT\u{200B}-1\" contains a control or invisible formatting character"),
        ("companies.csv", "\u{FEFF}\r\n,,,\r\n", "companies.csv: the file is empty"),
        ("companies.csv", "C001,A,B,,,\n", "companies.csv:1:1: the first line is not the header"),
        ("services.csv", "company_ref,service_ref,console_instance_id,service_type,region,expires_on,renewal_amount,renewal_method,contract_number,term_months\nC001,S1,i,ECS,cn,2026-01-01,1,auto,HT-2025-001,0\n",
         "services.csv:2:10: term_months: \"0\" is not a number of months from 1 to 120"),
    ]

    @Test(arguments: ImportTests.badRows)
    func badRowIsLocated(file: String, text: String, expected: String) {
        let problems = Fixtures.problems(Fixtures.with(file, text))
        #expect(problems.contains { $0.hasPrefix(expected) }, "\(problems)")
    }

    @Test func wrongEncodingIsLocated() {
        var files = Fixtures.files
        files["materials.csv"] = Array(Fixtures.materials.utf8) + [0x80, 0x0A]
        let problems = Fixtures.problems(files)
        #expect(problems == ["materials.csv:5:1: not UTF-8 or GB18030 text (byte \(Fixtures.materials.utf8.count + 1), line 5); save the file as \"CSV UTF-8\""])
    }

    @Test func everyProblemOfEveryFileIsListed() throws {
        let files = [
            "companies.csv": Array("company_ref,name,legal_representative,contact_name,contact_phone,contact_email\nC001,,X,,,\nC001,A,B,,,\n".utf8),
            "contracts.csv": Array("company_ref,contract_number,amount,starts_on,ends_on\nC001,H1,x,2025-01-01,bad\nC404,H2,1,2025-01-01,2025-02-01\n".utf8),
            "services.csv": [0xFF, 0xFE, 0x41],
            "materials.csv": Array("company_ref,kind,number,holder_name,valid_from,valid_until\nC001,visa,,A,,\n".utf8),
        ]
        guard case .failure(let failure) = SpreadsheetReader.read(files: files) else { Issue.record("read"); return }
        #expect(failure.problems.map { "\($0.file):\($0.line):\($0.column)" } == [
            "companies.csv:2:2", "companies.csv:3:1",
            "contracts.csv:2:3", "contracts.csv:2:5", "contracts.csv:3:1",
            "services.csv:1:1",
            "materials.csv:2:2", "materials.csv:2:3",
        ])
        #expect(failure.description.hasPrefix("import refused: 8 problems / 导入被拒绝：共 8 个问题\ncompanies.csv:2:2: name: empty, but required / name：不能为空"))
        #expect(failure.description(in: .zh).contains("contracts.csv:3:1: company_ref：未知公司 \"C404\""))
    }

    @Test func existingRefsAllowPartialImports() throws {
        let services = Array(Fixtures.services.utf8)
        let refused = Fixtures.problems(["services.csv": services])
        // Both companies unknown (the contract check is not repeated for an unknown company).
        #expect(refused.count == 2)
        let existing = ExistingRefs(companyRefs: ["C001", "C002"],
                                    contracts: [ContractKey(companyRef: "C001", contractNumber: "HT-2025-001"),
                                                ContractKey(companyRef: "C002", contractNumber: "HT-2025-002")])
        let result = try SpreadsheetReader.read(files: ["/data/acme/Services.CSV": services], existing: existing).get()
        #expect(result.services.count == 2)
        #expect(result.files == [.services])
    }

    @Test func directoryWithoutKnownFiles() {
        let problems = Fixtures.problems(["readme.txt": Array("hi".utf8), "companies.xlsx": [0x50, 0x4B]])
        #expect(problems == ["none of companies.csv, contracts.csv, services.csv, materials.csv found: nothing to import"])
        #expect(Fixtures.problems([:]).count == 1)
    }

    @Test func otherFilesAreIgnoredAndNoted() throws {
        var files = Fixtures.files
        files["notes.txt"] = [0xFF, 0x00]
        let result = try SpreadsheetReader.read(files: files).get()
        #expect(result.notes.map(\.description) == ["notes.txt: not read: only companies.csv, contracts.csv, services.csv and materials.csv are imported / 未读取：只导入 companies.csv、contracts.csv、services.csv 和 materials.csv"])
    }

    @Test func aBrokenFileDoesNotBuryTheOthers() {
        // companies.csv unreadable: no "unknown company" follow-on errors in the other files.
        let problems = Fixtures.problems(Fixtures.with("companies.csv", "ref,nom\n"))
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("companies.csv:1:1: the first line is not the header") == true)
    }

    @Test func termMonthsAndFormulaLikeCellsAreData() throws {
        let services = "company_ref,service_ref,console_instance_id,service_type,region,expires_on,renewal_amount,renewal_method,contract_number,term_months\n" +
            "C001,S001,i-1,=cmd|' /C calc'!A0,cn,2026-01-01,1,,HT-2025-001,24\nC002,S002,i-2,ECS,cn,2026-01-01,1,Manual,HT-2025-002,\n"
        let result = try SpreadsheetReader.read(files: Fixtures.with("services.csv", services)).get()
        #expect(result.services.map(\.service.termMonths) == [24, 12])
        #expect(result.services[0].service.serviceType == "=cmd|' /C calc'!A0")
        #expect(result.services[0].service.renewalMethod == nil)
        #expect(result.services[1].service.renewalMethod == .manual)
    }

    @Test func fiftyThousandRows() throws {
        func sheets(services count: Int) -> [String: [UInt8]] {
            var companies = "company_ref,name,legal_representative,contact_name,contact_phone,contact_email\n"
            var contracts = "company_ref,contract_number,amount,starts_on,ends_on\n"
            var services = "company_ref,service_ref,console_instance_id,service_type,region,expires_on,renewal_amount,renewal_method,contract_number\n"
            var materials = "company_ref,kind,number,holder_name,valid_from,valid_until\n"
            let companyCount = count / 10
            for index in 0..<companyCount {
                companies += "C\(index),\"公司 \(index), Ltd.\",张伟,李娜,13800138000,a@b.cn\n"
                contracts += "C\(index),HT-\(index),1234.50,2025-01-01,2025-12-31\n"
                materials += "C\(index),business_license,9111\(index),公司,2020-01-01,\n"
            }
            for index in 0..<count {
                services += "C\(index % companyCount),S\(index),i-\(index),ECS,cn-hangzhou,2026-03-31,1234.50,auto,HT-\(index % companyCount)\r\n"
            }
            return ["companies.csv": companies, "contracts.csv": contracts, "services.csv": services, "materials.csv": materials]
                .mapValues { Array($0.utf8) }
        }
        let clock = ContinuousClock()
        let small = sheets(services: 5_000), files = sheets(services: 50_000)
        let smallElapsed = clock.measure { _ = try? SpreadsheetReader.read(files: small).get() }
        var result: SpreadsheetImport?
        let elapsed = clock.measure { result = try? SpreadsheetReader.read(files: files).get() }
        #expect(result?.services.count == 50_000)
        #expect(result?.services.last?.line == 50_001)
        // Linear in the rows (ten times the rows, about ten times the time; quadratic would be a hundred), a
        // ratio that holds on a loaded machine where a wall-clock limit would not.
        #expect(elapsed < smallElapsed * 30, "50,000 rows took \(elapsed), 5,000 took \(smallElapsed)")
        print("50,000 service rows + 15,000 other rows read in \(elapsed)")
    }
}

extension SpreadsheetImport {
    func with(encodings: [SpreadsheetFile: TextEncoding]) -> SpreadsheetImport {
        var copy = self
        copy.encodings = encodings
        return copy
    }
}
