// Fuzz target `csv`: encoding detection (UTF-8, BOM, UTF-16, GB18030) and the CSV reader.
import NianjianSpreadsheet

private let file = "fuzz.csv"
private let tiny = CSVLimits(maxFieldBytes: 8, maxRecords: 4, maxFieldsPerRecord: 3, maxProblems: 2)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = bytes(data, size)
    switch TextDecoding.decode(input, file: file) {
    case .failure(let problem):
        require(problem.file == file && problem.line >= 1 && problem.column == 1, "decode failure not located: \(problem)")
        require(!problem.messageEn.isEmpty && !problem.messageZh.isEmpty, "decode failure without a message")
        // Valid UTF-8 without a byte order mark is refused only for a NUL (binary file).
        if TextDecoding.firstInvalidUTF8(input) == nil, !input.starts(with: [0xEF, 0xBB, 0xBF]) {
            require(input.contains(0), "valid UTF-8 refused: \(problem)")
        }
    case .success(let text):
        checkDecoded(text, input: input)
        checkDocument(text.utf8, limits: CSVLimits())
        checkDocument(text.utf8, limits: tiny)
    }
    return 0
}

/// Decoding gives valid UTF-8 without a mark or NUL; plain UTF-8 comes back unchanged; GB18030 survives
/// encoding and decoding again.
private func checkDecoded(_ text: DecodedText, input: [UInt8]) {
    require(TextDecoding.firstInvalidUTF8(text.utf8) == nil, "decoded text is not UTF-8 (\(text.encoding))")
    require(!text.utf8.contains(0), "decoded text holds a NUL")
    require(!text.utf8.starts(with: [0xEF, 0xBB, 0xBF]), "decoded text still starts with a byte order mark")
    if TextDecoding.firstInvalidUTF8(input) == nil, !input.starts(with: [0xEF, 0xBB, 0xBF]) {
        require(text.encoding == .utf8 && text.utf8 == input, "valid UTF-8 changed by decoding (\(text.encoding))")
    }
    if text.encoding == .gb18030, let again = TextDecoding.encode(text.string, as: "GB18030"),
       TextDecoding.firstInvalidUTF8(again) != nil {
        // (Re-encoded bytes that happen to be valid UTF-8 are read as UTF-8: the detection's documented order.)
        switch TextDecoding.decode(again, file: file) {
        case .success(let back):
            require(back.utf8 == text.utf8, "GB18030 text changed by encoding and decoding again")
        case .failure(let problem):
            require(false, "GB18030 text refused once encoded again: \(problem)")
        }
    }
}

/// Every record and problem is located and within the limits; a clean document reads back the same after
/// `CSVWriter` writes it.
private func checkDocument(_ utf8: [UInt8], limits: CSVLimits) {
    let document = CSVReader.parse(utf8: utf8, file: file, limits: limits)
    let lastLine = lineCount(utf8)
    require(document.delimiter == 0x2C || document.delimiter == 0x09, "delimiter \(document.delimiter)")
    require(document.problems.count <= limits.maxProblems, "\(document.problems.count) problems listed over the cap")
    require(document.problemsNotListed == 0 || document.problems.count == limits.maxProblems,
            "problems counted as not listed while the list has room")
    var previous = (line: 0, column: 0)
    for problem in document.problems {
        require(problem.file == file && problem.line >= 1 && problem.line <= lastLine && problem.column >= 1,
                "problem not located in the file (\(lastLine) lines): \(problem)")
        require((problem.line, problem.column) >= previous, "problems not sorted: \(shown(document.problems))")
        previous = (problem.line, problem.column)
    }
    require(document.records.count <= limits.maxRecords, "\(document.records.count) records over the limit")
    var lastRecordLine = 0
    for record in document.records {
        require(record.line > lastRecordLine && record.line <= lastLine, "record line \(record.line) after \(lastRecordLine)")
        lastRecordLine = record.line
        require(!record.fields.isEmpty && record.fields.count <= limits.maxFieldsPerRecord, "\(record.fields.count) fields")
        var fieldLine = record.line
        for field in record.fields {
            require(field.line >= fieldLine && field.line <= lastLine, "field line \(field.line) in record of line \(record.line)")
            fieldLine = field.line
            require(field.value.utf8.count <= limits.maxFieldBytes, "a field over maxFieldBytes")
        }
        require(record.isDamaged || record.fields.contains { !$0.value.isEmpty }, "a blank record was kept")
    }
    guard document.problems.isEmpty, document.problemsNotListed == 0 else { return }
    require(document.records.allSatisfy { !$0.isDamaged }, "a damaged record without a problem")
    // Round trip: what the reader gives, the writer writes so that the reader gives it again.
    let values = document.records.map(\.values)
    let written = CSVWriter.document(values, byteOrderMark: false, neutralize: false)
    let again = CSVReader.parse(written, file: file, delimiter: 0x2C, limits: limits)
    require(again.problems.isEmpty, "written CSV has problems: \(shown(again.problems)) for \(shown(values))")
    require(again.records.map(\.values) == values,
            "round trip changed the values: \(shown(values)) became \(shown(again.records.map(\.values)))")
}

/// Lines in the text (CR, LF and CRLF each end one; a last line without an end counts).
private func lineCount(_ utf8: [UInt8]) -> Int {
    var lines = 1
    var index = 0
    while index < utf8.count {
        if utf8[index] == 0x0A || (utf8[index] == 0x0D && (index + 1 == utf8.count || utf8[index + 1] != 0x0A)) { lines += 1 }
        index += 1
    }
    return lines
}
