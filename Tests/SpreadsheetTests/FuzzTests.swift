import NianjianDomain
import NianjianSpreadsheet
import Testing

/// Hostile and broken input: every read ends in a clean import or in located problems, never a crash, and a
/// clean import always satisfies the cross-file rules.
@Suite struct FuzzTests {
    static let interesting: [[UInt8]] = [
        [0x2C], [0x22], [0x0D], [0x0A], [0x0D, 0x0A], [0x20], [0x09], [0x00], [0xFF], [0x80], [0xEF, 0xBB, 0xBF],
        [0xFF, 0xFE], [0xD3, 0xAA], [0x95, 0x32, 0x82, 0x36], Array("营业".utf8), Array("=1+1".utf8), Array("@x".utf8),
        Array("-3.20".utf8), Array("2025-02-30".utf8), Array("C001".utf8), Array("C404".utf8), Array("\"\"".utf8),
        Array("HT-2025-001".utf8), Array("business_license".utf8), Array(",,,,,,,,,,".utf8),
    ]

    /// Checks what every result must satisfy; returns true for a clean import.
    @discardableResult
    static func check(_ files: [String: [UInt8]], existing: ExistingRefs = ExistingRefs(),
                      options: ReadOptions = ReadOptions(), sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        switch SpreadsheetReader.read(files: files, existing: existing, options: options) {
        case .success(let result):
            let companies = Set(result.companies.map(\.companyRef)).union(existing.companyRefs)
            #expect(Set(result.companies.map(\.companyRef)).count == result.companies.count, sourceLocation: sourceLocation)
            let contracts = Set(result.contracts.map { ContractKey(companyRef: $0.companyRef, contractNumber: $0.contract.number) })
            #expect(contracts.count == result.contracts.count, sourceLocation: sourceLocation)
            #expect(Set(result.services.map(\.service.ref)).count == result.services.count, sourceLocation: sourceLocation)
            for row in result.contracts {
                #expect(companies.contains(row.companyRef), sourceLocation: sourceLocation)
                #expect(row.contract.startsOn <= row.contract.endsOn && row.contract.amount.fen >= 0, sourceLocation: sourceLocation)
            }
            for row in result.services {
                #expect(companies.contains(row.companyRef), sourceLocation: sourceLocation)
                let key = ContractKey(companyRef: row.companyRef, contractNumber: row.service.contractNumber)
                // A service whose contract is not on file is imported with a note naming its line.
                #expect(contracts.contains(key) || existing.contracts.contains(key)
                        || result.notes.contains { $0.line == row.line && $0.messageEn.contains("has no contract") },
                        sourceLocation: sourceLocation)
                #expect(row.service.renewalAmount.fen >= 0, sourceLocation: sourceLocation)
            }
            for row in result.materials {
                #expect(companies.contains(row.companyRef) && !row.material.number.isEmpty, sourceLocation: sourceLocation)
            }
            return true
        case .failure(let failure):
            #expect(!failure.problems.isEmpty, sourceLocation: sourceLocation)
            for problem in failure.problems {
                #expect(problem.file.isEmpty || files.keys.contains(problem.file), sourceLocation: sourceLocation)
                #expect(problem.line >= 0 && problem.column >= 0, sourceLocation: sourceLocation)
                #expect(!problem.messageEn.isEmpty && !problem.messageZh.isEmpty, sourceLocation: sourceLocation)
                // Messages quote cells briefly: a huge field is never echoed back.
                #expect(problem.description.utf8.count < 2_000, sourceLocation: sourceLocation)
            }
            #expect(failure.problems.count <= 4 * (options.limits.maxProblems + 1) + 1, sourceLocation: sourceLocation)
            return false
        }
    }

    @Test func randomBytes() {
        var random = SplitMix64(seed: 7)
        var clean = 0
        for iteration in 0..<3_000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0...300, using: &random) {
                if Bool.random(using: &random) {
                    bytes += FuzzTests.interesting.randomElement(using: &random) ?? []
                } else {
                    bytes.append(UInt8.random(in: 0...255, using: &random))
                }
            }
            let name = SpreadsheetFile.allCases[iteration % 4].rawValue
            var files = Fixtures.files
            files[name] = bytes
            for input in [files, [name: bytes]] {
                if FuzzTests.check(input) { clean += 1 }
                // Random bytes have no header naming the required columns: refused, and the fuzzed file is named.
                if case .failure(let failure) = SpreadsheetReader.read(files: input) {
                    #expect(failure.problems.contains { $0.file == name },
                            "random bytes in \(name): the problems name other files only: \(failure.problems.prefix(3))")
                }
            }
        }
        #expect(clean == 0, "random bytes imported cleanly \(clean) times")
        print("random bytes: 6,000 inputs fuzzed, \(clean) clean imports")
    }

    /// The key of each row of one file of a read (what a truncation may shorten, never change).
    static func keys(_ result: SpreadsheetImport, _ name: String) -> [String] {
        switch SpreadsheetFile(rawValue: name) {
        case .companies?: return result.companies.map(\.companyRef)
        case .contracts?: return result.contracts.map { $0.companyRef + "/" + $0.contract.number }
        case .services?: return result.services.map(\.service.ref)
        case .materials?: return result.materials.map { $0.companyRef + "/" + $0.material.number }
        case nil: return []
        }
    }

    /// Every truncation of every file: the whole file imports as the untruncated set; a cut in the header is
    /// refused in that file; a clean read keeps a prefix of the file's rows (never a changed or invented one);
    /// a cut at a line end of a file nothing refers to (services, materials) imports exactly the rows before it.
    @Test func truncations() throws {
        let full = try SpreadsheetReader.read(files: Fixtures.files).get()
        var inputs = 0, clean = 0
        for encoding in ["UTF-8", "GB18030"] {
            for (name, text) in Fixtures.texts {
                let bytes = encoding == "UTF-8" ? Array(text.utf8) : encode(text, as: encoding)
                let headerEnd = bytes.firstIndex(of: 0x0A) ?? bytes.count
                let fullKeys = Self.keys(full, name)
                for cut in 0...bytes.count {
                    var files = Fixtures.files
                    let prefix = Array(bytes[..<cut])
                    files[name] = prefix
                    FuzzTests.check(files)
                    inputs += 1
                    let lines = prefix.split(separator: 0x0A, omittingEmptySubsequences: true).count
                    let atLineEnd = cut > headerEnd && bytes[cut - 1] == 0x0A
                    switch SpreadsheetReader.read(files: files) {
                    case .success(let result):
                        clean += 1
                        let kept = Self.keys(result, name)
                        #expect(Array(fullKeys.prefix(kept.count)) == kept, "\(encoding) \(name) cut at \(cut): rows \(kept) are not a prefix of \(fullKeys)")
                        #expect(cut >= headerEnd, "\(encoding) \(name) cut at \(cut), inside the header: imported")
                        for other in Fixtures.texts.keys where other != name {
                            #expect(Self.keys(result, other) == Self.keys(full, other), "\(encoding) \(name) cut at \(cut) changed \(other)")
                        }
                        if cut == bytes.count { #expect(result.companies.count == full.companies.count && kept == fullKeys) }
                        if atLineEnd { #expect(kept.count == lines - 1, "\(encoding) \(name) cut after \(lines - 1) rows: \(kept)") }
                    case .failure(let failure):
                        #expect(cut < bytes.count, "\(encoding) \(name): the whole file was refused: \(failure.problems.prefix(3))")
                        if cut < headerEnd {
                            #expect(failure.problems.contains { $0.file == name }, "\(encoding) \(name) cut at \(cut): \(failure.problems.prefix(3))")
                        }
                        if atLineEnd && (name == "services.csv" || name == "materials.csv") {
                            Issue.record("\(encoding) \(name) cut after \(lines - 1) whole rows was refused: \(failure.problems.prefix(3))")
                        }
                    }
                }
            }
        }
        print("truncations: \(inputs) inputs fuzzed, \(clean) clean")
        #expect(clean > 0)
    }

    @Test func mutations() {
        var random = SplitMix64(seed: 2026)
        var clean = 0
        let count = 4_000
        for _ in 0..<count {
            var files = Fixtures.files
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                guard let name = files.keys.sorted().randomElement(using: &random), var bytes = files[name], !bytes.isEmpty else { continue }
                let at = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<6, using: &random) {
                case 0: bytes[at] ^= UInt8(1 << Int.random(in: 0..<8, using: &random))
                case 1: bytes.insert(contentsOf: FuzzTests.interesting.randomElement(using: &random) ?? [], at: at)
                case 2: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...20, using: &random)))
                case 3:
                    // Duplicate a line (duplicate keys), or a part of one (wrong column counts).
                    let end = bytes[at...].firstIndex(of: 0x0A) ?? bytes.count
                    bytes.insert(contentsOf: bytes[at..<end] + [0x0A], at: end < bytes.count ? end + 1 : end)
                case 4: bytes = encode(String(decoding: bytes, as: UTF8.self), as: "GB18030")
                default: bytes.insert(contentsOf: [0xEF, 0xBB, 0xBF], at: 0)
                }
                files[name] = bytes
            }
            if FuzzTests.check(files) { clean += 1 }
        }
        print("mutations: \(count) inputs fuzzed, \(clean) clean imports")
        #expect(clean > 0)
    }

    @Test func hugeAndWideInput() {
        let header = "company_ref,name,legal_representative,contact_name,contact_phone,contact_email\n"
        let hugeUnquoted = header + "C001," + String(repeating: "名", count: 1 << 20) + ",B,,,\n"
        let hugeQuoted = header + "C001,\"" + String(repeating: "x,\n", count: 30_000) + "\",B,,,\n"
        let wide = header + "C001,A,B" + String(repeating: ",x", count: 200_000) + "\n"
        let manyLines = header + String(repeating: "C001,A,B,,,\n", count: 200_000)
        for text in [hugeUnquoted, hugeQuoted, wide, manyLines] {
            #expect(!FuzzTests.check(Fixtures.with("companies.csv", text)))
        }
        let problems = Fixtures.problems(Fixtures.with("companies.csv", hugeUnquoted))
        #expect(problems.first == "companies.csv:2:2: field longer than 65536 bytes (is a closing quote missing?)")
        // 200,000 duplicates: listed up to the cap, the rest counted.
        let duplicates = Fixtures.problems(["companies.csv": Array(manyLines.utf8)])
        #expect(duplicates.count == 1_001)
        #expect(duplicates.first == "companies.csv:3:1: company_ref: duplicate company_ref \"C001\": already on line 2")
        #expect(duplicates.last == "companies.csv: 198999 more problems not listed (only the first 1000 are shown)")
        // Small row limits refuse a big file cleanly.
        let limited = ReadOptions(limits: CSVLimits(maxRecords: 1_000))
        #expect(Fixtures.problems(Fixtures.with("companies.csv", manyLines), options: limited)
            .contains("companies.csv:1001:1: more than 1000 rows; split the file"))
    }

    @Test func formulaLikeCellsAreKeptAsData() throws {
        let companies = Fixtures.companies + "C003,=cmd|' /C calc'!A0,@SUM(1+1),+1,-2,x@y\n"
        let result = try SpreadsheetReader.read(files: Fixtures.with("companies.csv", companies)).get()
        let company = try #require(result.companies.last?.company)
        #expect(company.name == "=cmd|' /C calc'!A0")
        #expect(CSVWriter.row([company.name, company.legalRepresentative, company.contactName, company.contactPhone]) ==
            "'=cmd|' /C calc'!A0,'@SUM(1+1),'+1,'-2")
    }
}
