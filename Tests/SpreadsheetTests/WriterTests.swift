import NianjianDomain
import NianjianSpreadsheet
import Testing

@Suite struct WriterTests {
    @Test func neutralizesFormulaCells() {
        #expect(CSVWriter.neutralizeFormula("=1+2") == "'=1+2")
        #expect(CSVWriter.neutralizeFormula("+8613800138000") == "'+8613800138000")
        #expect(CSVWriter.neutralizeFormula("-3.20") == "'-3.20")
        #expect(CSVWriter.neutralizeFormula("@SUM(A1)") == "'@SUM(A1)")
        #expect(CSVWriter.neutralizeFormula("\tx") == "'\tx")
        #expect(CSVWriter.neutralizeFormula("\rx") == "'\rx")
        #expect(CSVWriter.neutralizeFormula("＝1+2") == "'＝1+2")
        for safe in ["", "a=1", "1234.50", "北京", "'=already", " =1"] {
            #expect(CSVWriter.neutralizeFormula(safe) == safe)
        }
    }

    @Test func quotesOnlyWhenNeeded() {
        #expect(CSVWriter.row(["a", "b c", "中文"]) == "a,b c,中文")
        #expect(CSVWriter.row(["Star, Ltd.", "say \"hi\"", "two\nlines", " pad", ""]) ==
            "\"Star, Ltd.\",\"say \"\"hi\"\"\",\"two\nlines\",\" pad\",")
        #expect(CSVWriter.row(["=cmd|' /C calc'!A0", "-1"]) == "'=cmd|' /C calc'!A0,'-1")
        #expect(CSVWriter.row(["=1"], neutralize: false) == "=1")
        #expect(CSVWriter.document([["a"], ["b"]]) == "\u{FEFF}a\r\nb\r\n")
        #expect(CSVWriter.document([["a"]], byteOrderMark: false) == "a\r\n")
    }

    @Test func randomRowsRoundTripThroughTheReader() {
        var random = SplitMix64(seed: 0x5EED_CAFE)
        let alphabet = ["a", "Z", "9", "中", "𠀀", ",", "\"", "\r", "\n", "\r\n", " ", "\t", "=", "+", "-", "@", "'", "."]
        for _ in 0..<3_000 {
            let fields = (0..<Int.random(in: 1...6, using: &random)).map { _ in
                (0..<Int.random(in: 0...6, using: &random)).map { _ in alphabet.randomElement(using: &random) ?? "" }.joined()
            }
            let expected = fields.map(CSVWriter.neutralizeFormula)
            let line = CSVWriter.row(fields)
            let document = CSVReader.parse(line + "\r\n", file: "t.csv", delimiter: 0x2C)
            #expect(document.problems.isEmpty, "\(fields)")
            if expected.allSatisfy(\.isEmpty) {
                #expect(document.records.isEmpty)
            } else {
                #expect(document.records.map(\.values) == [expected], "\(fields) → \(line)")
            }
        }
    }

    @Test func writtenFilesImport() throws {
        let companies = [
            Company(ref: "C001", name: "=HYPERLINK(\"http://evil\")", legalRepresentative: "张伟", contactEmail: "a@b.cn"),
            Company(ref: "C002", name: "Star, \"Ltd.\" Shanghai", legalRepresentative: " 王芳 ", contactPhone: "+86 21 1234"),
        ]
        let rows = [SpreadsheetFile.companies.requiredColumns] + companies.map {
            [$0.ref, $0.name, $0.legalRepresentative, $0.contactName, $0.contactPhone, $0.contactEmail]
        }
        let text = CSVWriter.document(rows)
        let result = try SpreadsheetReader.read(files: ["companies.csv": Array(text.utf8)]).get()
        #expect(result.encodings[.companies] == .utf8BOM)
        #expect(result.companies.map(\.company.name) == ["'=HYPERLINK(\"http://evil\")", "Star, \"Ltd.\" Shanghai"])
        // Cells are trimmed on import; a neutralised phone keeps its mark.
        #expect(result.companies[1].company.legalRepresentative == "王芳")
        #expect(result.companies[1].company.contactPhone == "'+86 21 1234")
        // Without neutralisation the values come back exactly (after trimming).
        let plain = CSVWriter.document(rows, neutralize: false)
        let exact = try SpreadsheetReader.read(files: ["companies.csv": Array(plain.utf8)]).get()
        #expect(exact.companies[0].company.name == companies[0].name)
        #expect(exact.companies[1].company.contactPhone == "+86 21 1234")
    }
}
