import NianjianDomain
import NianjianSpreadsheet
import Testing

/// Issue 10, items 2–4: amounts and dates out of range, Chinese headers, names with terminal controls.
@Suite struct RangeAndHeaderTests {
    static let contractsHeader = "company_ref,contract_number,amount,starts_on,ends_on\n"
    static let servicesHeader = "company_ref,service_ref,console_instance_id,service_type,region,expires_on,renewal_amount,renewal_method,contract_number\n"
    static let companiesHeader = "company_ref,name,legal_representative,contact_name,contact_phone,contact_email\n"

    static func problems(_ file: String, _ text: String) -> [ImportProblem] {
        switch SpreadsheetReader.read(files: Fixtures.with(file, text)) {
        case .success: return []
        case .failure(let failure): return failure.problems
        }
    }

    // MARK: Amounts (numeric(14,2))

    @Test func amountsBeyondTheDatabaseColumnAreRefusedWithTheirPlace() {
        let contracts = Self.contractsHeader + "C001,HT-2025-001,1234567890123.00,2025-01-01,2025-12-31\nC002,HT-2025-002,800,2025-03-01,2026-02-28\n"
        let found = Self.problems("contracts.csv", contracts)
        #expect(found.map { $0.description(in: .en) }.contains {
            $0.hasPrefix("contracts.csv:2:3: amount: \"1234567890123.00\" is too large: amounts go up to 999,999,999,999.99 yuan")
        }, "\(found)")
        #expect(found.contains { $0.messageZh.contains("过大") && $0.messageZh.contains("999,999,999,999.99") })

        let services = Fixtures.services + "C001,S009,i-9,ECS,cn,2026-01-01,\"¥1,000,000,000,000.00\",auto,HT-2025-001\n"
        #expect(Self.problems("services.csv", services).map { $0.description(in: .en) }
            .contains { $0.hasPrefix("services.csv:4:7: renewal_amount: \"¥1,000,000,000,000.00\" is too large") })

        // The largest amount the column holds is accepted.
        let largest = Self.contractsHeader + "C001,HT-2025-001,999999999999.99,2025-01-01,2025-12-31\nC002,HT-2025-002,\"999,999,999,999.99\",2025-03-01,2026-02-28\n"
        let read = SpreadsheetReader.read(files: Fixtures.with("contracts.csv", largest).merging(
            ["services.csv": Array((Self.servicesHeader).utf8)]) { $1 })
        #expect((try? read.get())?.contracts.map(\.contract.amount.fen) == [99_999_999_999_999, 99_999_999_999_999])
    }

    // MARK: Dates (1990-01-01 … 2199-12-31)

    @Test func datesOutsideTheAcceptedRangeAreRefusedWithTheirPlace() {
        for (value, column) in [("0001-01-01", 6), ("9999-12-31", 6), ("1989-12-31", 6), ("2200-01-01", 6)] {
            let services = Fixtures.services + "C001,S009,i-9,ECS,cn,\(value),1,auto,HT-2025-001\n"
            let found = Self.problems("services.csv", services)
            #expect(found.map { $0.description(in: .en) }.contains {
                $0.hasPrefix("services.csv:4:\(column): expires_on: \"\(value)\" is outside the accepted dates 1990-01-01 to 2199-12-31")
            }, "\(value): \(found)")
            #expect(found.contains { $0.messageZh.contains("超出可接受的日期范围") })
        }
        let materials = Fixtures.materials + "C002,id_card,X9,王芳,0001-01-01,9999-12-31\n"
        let found = Self.problems("materials.csv", materials).map { $0.description(in: .en) }
        #expect(found.contains { $0.hasPrefix("materials.csv:5:5: valid_from: \"0001-01-01\" is outside") }, "\(found)")
        #expect(found.contains { $0.hasPrefix("materials.csv:5:6: valid_until: \"9999-12-31\" is outside") }, "\(found)")
        // The bounds themselves are accepted.
        let edges = Fixtures.materials + "C002,id_card,X9,王芳,1990-01-01,2199-12-31\n"
        #expect(Self.problems("materials.csv", edges).isEmpty)
    }

    // MARK: Chinese headers

    @Test func chineseHeadersReadLikeTheEnglishOnes() throws {
        let files: [String: [UInt8]] = [
            "companies.csv": Array("""
                公司编号,公司名称,法定代表人,联系人,联系电话,邮箱
                C001,北京云帆科技有限公司,张伟,李娜,13800138000,lina@example.com

                """.utf8),
            "contracts.csv": Array("""
                公司编号,合同编号,合同金额,开始日期,结束日期
                C001,HT-2025-001,1234.50,2025-01-01,2025-12-31

                """.utf8),
            "services.csv": Array("""
                公司编号,服务编号,实例ID,服务类型,地域,到期日,续费金额,续费方式,合同编号,续费期限（月）
                C001,S001,i-bp1abc,ECS,cn-hangzhou,2026-03-31,1234.50,自动,HT-2025-001,24

                """.utf8),
            "materials.csv": Array("""
                公司编号,证件类型,证件号码,持有人,有效期起,有效期至
                C001,营业执照,91110108MA01ABCD1X,北京云帆科技有限公司,2020-01-01,

                """.utf8),
        ]
        let read = try SpreadsheetReader.read(files: files).get()
        #expect(read.companies.first?.company.contactEmail == "lina@example.com")
        #expect(read.companies.first?.company.name == "北京云帆科技有限公司")
        #expect(read.contracts.first?.contract.amount.fen == 123_450)
        #expect(read.services.first?.service.termMonths == 24)
        #expect(read.services.first?.service.region == "cn-hangzhou")
        #expect(read.materials.first?.material.kind == .businessLicense)
        #expect(read.notes.isEmpty, "\(read.notes)")

        // The other documented names, mixed with English ones.
        let mixed = "company_ref,名称,legal_representative,联系人,contact_phone,联系邮箱\nC001,A,B,,,\nC002,B,C,,,\n"
        #expect(Self.problems("companies.csv", mixed).isEmpty)
        let materials = "公司编号,材料类型,编号,holder_name,有效期起,有效期至\nC001,id_card,X1,张伟,2020-01-01,\n"
        #expect(Self.problems("materials.csv", materials).isEmpty)
        let contracts = "公司编号,合同编号,金额,开始日期,结束日期\nC001,HT-2025-001,1,2025-01-01,2025-12-31\nC002,HT-2025-002,1,2025-01-01,2025-12-31\n"
        #expect(Self.problems("contracts.csv", contracts).isEmpty)
        let services = "公司编号,服务编号,实例id,服务类型,区域,到期日,续费金额,续费方式,合同编号,续费期限(月)\nC001,S001,i,ECS,cn,2026-01-01,1,手动,HT-2025-001,12\nC002,S002,i,RDS,cn,2026-01-01,1,auto,HT-2025-002,12\n"
        #expect(Self.problems("services.csv", services).isEmpty)

        // Every documented Chinese name maps to a column some sheet has.
        let known = Set(SpreadsheetFile.allCases.flatMap { $0.requiredColumns + $0.optionalColumns })
        #expect(ColumnNames.chinese.allSatisfy { known.contains($0.column) })
        #expect(Set(ColumnNames.chinese.map(\.column)) == known)
    }

    @Test func aColumnNamedTwiceInTwoLanguagesIsADuplicate() {
        let contracts = "company_ref,contract_number,amount,starts_on,ends_on,金额\nC001,HT-2025-001,1,2025-01-01,2025-12-31,2\n"
        #expect(Self.problems("contracts.csv", contracts).map { $0.description(in: .en) }
            .contains("contracts.csv:1:6: column amount appears twice in the header (columns 3 and 6)"))
        let missing = "公司编号,合同编号,开始日期,结束日期\nC001,HT-2025-001,2025-01-01,2025-12-31\n"
        #expect(Self.problems("contracts.csv", missing).map { $0.description(in: .zh) }
            .contains("contracts.csv:1:1: 表头缺少 amount（金额） 列"))
    }

    // MARK: Names with terminal controls

    @Test func namesWithControlOrBidiCharactersAreRefusedWithTheirPlace() {
        for (name, code) in [("Evil\u{1B}[2J Ltd", "U+001B"), ("Acme\u{202E}dtl", "U+202E"), ("Line\u{2066}x", "U+2066"),
                             ("Two\u{85}lines", "U+0085")] {
            let companies = Self.companiesHeader + "C001,\"\(name)\",B,,,\nC002,B,C,,,\n"
            let found = Self.problems("companies.csv", companies)
            let english = found.map { $0.description(in: .en) }
            #expect(english.contains { $0.hasPrefix("companies.csv:2:2: name: ") && $0.contains(code) }, "\(english)")
            #expect(found.contains { $0.messageZh.contains(code) && $0.messageZh.contains("请删除后重试") })
            // The message itself carries no raw control or bidi character.
            #expect(found.allSatisfy { NameText.forbiddenScalar(in: $0.messageEn + $0.messageZh) == nil }, "\(found)")
        }
        let newline = Self.companiesHeader + "C001,\"Two\nlines\",B,,,\nC002,B,C,,,\n"
        #expect(Self.problems("companies.csv", newline).map { $0.description(in: .en) }
            .contains { $0.hasPrefix("companies.csv:2:2: name: ") && $0.contains("line break") })
        let holder = Fixtures.materials + "C002,id_card,X9,\"王\u{202D}芳\",,\n"
        #expect(Self.problems("materials.csv", holder).map { $0.description(in: .en) }
            .contains { $0.hasPrefix("materials.csv:5:4: holder_name: ") })
    }

    @Test func theNameRuleIsOnePureFunction() {
        #expect(NameText.forbiddenScalar(in: "华夏云服务 Co., Ltd. (北京) — ü ✓") == nil)
        for scalar in [0x00, 0x09, 0x0A, 0x0D, 0x1B, 0x7F, 0x85, 0x9B, 0x2028, 0x2029, 0x202A, 0x202B, 0x202C, 0x202D,
                       0x202E, 0x2066, 0x2067, 0x2068, 0x2069] {
            let text = "a" + String(Character(Unicode.Scalar(UInt32(scalar)) ?? "?")) + "b"
            #expect(NameText.forbiddenScalar(in: text) != nil, "U+\(String(scalar, radix: 16))")
            #expect(NameText.forbiddenScalar(in: NameText.escaped(text)) == nil)
        }
        #expect(NameText.escaped("x\u{1B}[31my\u{202E}") == "x\\u{1B}[31my\\u{202E}")
        #expect(NameText.problem(in: "ok", what: "--name") == nil)
        #expect(NameText.problem(in: "a\u{202E}", what: "--name")?.en.contains("U+202E (bidirectional override)") == true)
    }
}
