import NianjianDomain
import NianjianSpreadsheet
import Testing

@Suite struct DecodingTests {
    @Test func plainUTF8() throws {
        let decoded = try TextDecoding.decode(Array("a,b\n营业执照\n".utf8), file: "x.csv").get()
        #expect(decoded.encoding == .utf8)
        #expect(decoded.string == "a,b\n营业执照\n")
    }

    @Test func utf8ByteOrderMarkIsRemoved() throws {
        let decoded = try TextDecoding.decode([0xEF, 0xBB, 0xBF] + Array("company_ref,x".utf8), file: "x.csv").get()
        #expect(decoded.encoding == .utf8BOM)
        #expect(decoded.string == "company_ref,x")
    }

    @Test func gb18030KnownBytes() throws {
        // "营业执照" in GB18030.
        let decoded = try TextDecoding.decode([0xD3, 0xAA, 0xD2, 0xB5, 0xD6, 0xB4, 0xD5, 0xD5], file: "x.csv").get()
        #expect(decoded.encoding == .gb18030)
        #expect(decoded.string == "营业执照")
    }

    @Test func gb18030FourByteSequence() throws {
        // U+20000 "𠀀" is 95 32 82 36 in GB18030; "€" is A2 E3.
        let decoded = try TextDecoding.decode([0x95, 0x32, 0x82, 0x36, 0x2C, 0xA2, 0xE3], file: "x.csv").get()
        #expect(decoded.string == "\u{20000},€")
    }

    @Test func gb18030ByIconvRoundTrips() throws {
        let text = Fixtures.companies + "C003,广州市天河区测试有限公司,欧阳娜娜,,,\n"
        let bytes = encode(text, as: "GB18030")
        #expect(bytes.count > 0 && bytes != Array(text.utf8))
        let decoded = try TextDecoding.decode(bytes, file: "companies.csv").get()
        #expect(decoded.encoding == .gb18030)
        #expect(decoded.string == text)
    }

    @Test func utf16WithByteOrderMarks() throws {
        let text = "company_ref\tname\nC001\t营业执照 𠀀\n"
        var little: [UInt8] = [0xFF, 0xFE]
        var big: [UInt8] = [0xFE, 0xFF]
        for unit in text.utf16 {
            little += [UInt8(unit & 0xFF), UInt8(unit >> 8)]
            big += [UInt8(unit >> 8), UInt8(unit & 0xFF)]
        }
        #expect(try TextDecoding.decode(little, file: "x").get() == DecodedText(utf8: Array(text.utf8), encoding: .utf16LE))
        #expect(try TextDecoding.decode(big, file: "x").get() == DecodedText(utf8: Array(text.utf8), encoding: .utf16BE))
        // Odd length and lone surrogates are refused.
        #expect(throws: ImportProblem.self) { try TextDecoding.decode(little + [0x41], file: "x").get() }
        #expect(throws: ImportProblem.self) { try TextDecoding.decode([0xFF, 0xFE, 0x00, 0xDC], file: "x").get() }
    }

    @Test func neitherUTF8NorGB18030() {
        let bytes = Array("company_ref,name\nC001,".utf8) + [0xFF, 0x80, 0xFF] + Array("\n".utf8)
        let result = TextDecoding.decode(bytes, file: "companies.csv")
        guard case .failure(let problem) = result else { Issue.record("decoded \(result)"); return }
        #expect(problem.file == "companies.csv")
        #expect(problem.line == 2)
        #expect(problem.column == 1)
        #expect(problem.messageEn.contains("not UTF-8 or GB18030"))
        #expect(problem.messageZh.contains("不是 UTF-8 或 GB18030"))
        #expect(problem.description.hasPrefix("companies.csv:2:1: not UTF-8 or GB18030 text"))
    }

    @Test func nulMeansBinary() {
        let result = TextDecoding.decode(Array("a,b\nc".utf8) + [0] + Array("d\n".utf8), file: "x.csv")
        guard case .failure(let problem) = result else { Issue.record("decoded"); return }
        #expect(problem.line == 2)
        #expect(problem.messageEn.contains("NUL"))
        // An .xlsx file (a zip archive) is refused the same way.
        let zip: [UInt8] = [0x50, 0x4B, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00]
        #expect(throws: ImportProblem.self) { try TextDecoding.decode(zip, file: "x").get() }
    }

    @Test func truncatedUTF8SequenceFallsBackOrFails() {
        // "营" is E8 90 A5 in UTF-8; cut after two bytes.
        let bytes: [UInt8] = [0x61, 0xE8, 0x90]
        #expect(TextDecoding.firstInvalidUTF8(bytes) == 1)
        #expect(TextDecoding.firstInvalidUTF8(Array("营业执照".utf8)) == nil)
        // Overlong and surrogate encodings are not UTF-8.
        #expect(TextDecoding.firstInvalidUTF8([0xC0, 0xAF]) == 0)
        #expect(TextDecoding.firstInvalidUTF8([0xED, 0xA0, 0x80]) == 0)
        #expect(TextDecoding.firstInvalidUTF8([0xF4, 0x90, 0x80, 0x80]) == 0)
    }
}
