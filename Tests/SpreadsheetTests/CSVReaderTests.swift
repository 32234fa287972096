import NianjianSpreadsheet
import Testing

@Suite struct CSVReaderTests {
    func values(_ text: String) -> [[String]] { CSVReader.parse(text, file: "t.csv").records.map(\.values) }

    @Test func lineEndsAreEquivalent() {
        let expected = [["a", "b"], ["c", "d"], ["e", "f"]]
        #expect(values("a,b\r\nc,d\r\ne,f\r\n") == expected)
        #expect(values("a,b\nc,d\ne,f") == expected)
        #expect(values("a,b\rc,d\re,f\r") == expected)
        let lines = CSVReader.parse("a,b\r\nc,d\r\n\r\ne,f", file: "t.csv").records.map(\.line)
        #expect(lines == [1, 2, 4])
    }

    @Test func quotedFields() {
        let document = CSVReader.parse("name,note\r\n\"Star, Ltd.\",\"say \"\"hi\"\"\"\r\n\"multi\r\nline\",x\r\nnext,\"\"\r\n", file: "t.csv")
        #expect(document.problems.isEmpty)
        #expect(document.records.map(\.values) == [["name", "note"], ["Star, Ltd.", "say \"hi\""], ["multi\r\nline", "x"], ["next", ""]])
        #expect(document.records.map(\.line) == [1, 2, 3, 5])
        #expect(document.records[2].fields[1].line == 4)
        #expect(document.records[1].fields[0].wasQuoted)
    }

    @Test func trimmingAndBlankRows() {
        #expect(values("  a  , b\t,\" c \"  \n\n,,,\n  \nd,e,f") == [["a", "b", " c "], ["d", "e", "f"]])
        // A quote inside an unquoted field is a literal, as in Excel.
        #expect(values("ab\"c,d") == [["ab\"c", "d"]])
        // A trailing comma makes a trailing empty field.
        #expect(values("a,b,\n") == [["a", "b", ""]])
    }

    @Test func tabSeparatedIsDetected() {
        let document = CSVReader.parse("a\tb c\n1\t2,3\n", file: "t.csv")
        #expect(document.delimiter == 0x09)
        #expect(document.records.map(\.values) == [["a", "b c"], ["1", "2,3"]])
    }

    @Test func unterminatedQuoteIsReportedAndReadingResumes() {
        let document = CSVReader.parse("a,b\n1,\"open\n2,x\n3,y\n", file: "t.csv")
        #expect(document.problems.map(\.description).contains { $0.hasPrefix("t.csv:2:2: a quoted field opened here is never closed") })
        // Reading resumed on line 3.
        #expect(document.records.map(\.values).contains(["2", "x"]))
        #expect(document.records.map(\.values).contains(["3", "y"]))
    }

    @Test func textAfterClosingQuote() {
        let document = CSVReader.parse("a,b\n\"x\"y,z\n", file: "t.csv")
        #expect(document.problems.count == 1)
        #expect(document.problems.first?.line == 2)
        #expect(document.problems.first?.column == 1)
        #expect(document.records.last?.isDamaged == true)
    }

    @Test func limits() {
        let limits = CSVLimits(maxFieldBytes: 8, maxRecords: 3, maxFieldsPerRecord: 4, maxProblems: 10)
        let long = CSVReader.parse("a,b\n123456789,x\n\"123456789\",y\n", file: "t.csv", limits: limits)
        #expect(long.problems.map(\.line) == [2, 3])
        #expect(long.problems.allSatisfy { $0.messageEn.contains("longer than 8 bytes") })
        let rows = CSVReader.parse("a\nb\nc\nd\ne\n", file: "t.csv", limits: limits)
        #expect(rows.records.count == 3)
        #expect(rows.problems.first?.line == 4)
        let wide = CSVReader.parse("a,b,c,d,e,f\n", file: "t.csv", limits: limits)
        #expect(wide.records.first?.fields.count == 4)
        #expect(wide.problems.first?.column == 5)
        let many = CSVReader.parse(String(repeating: "\"x\"y\n", count: 25), file: "t.csv",
                                  limits: CSVLimits(maxProblems: 10))
        #expect(many.problems.count == 10)
        #expect(many.problemsNotListed == 15)
    }

    @Test func hugeFieldDoesNotHoldMemory() {
        // 4 MiB in one quoted field, never closed: one problem for the length, one for the quote.
        let bytes = Array("a,b\n1,\"".utf8) + [UInt8](repeating: 0x41, count: 4 << 20)
        let document = CSVReader.parse(utf8: bytes, file: "t.csv")
        #expect(document.problems.count == 2)
        #expect(document.problems.contains { $0.messageEn.contains("longer than 65536 bytes") })
        #expect(document.problems.contains { $0.messageEn.contains("never closed") })
    }
}
