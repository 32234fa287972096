/// One cell of a CSV record.
public struct CSVField: Hashable, Sendable {
    /// The cell's text: quotes removed and doubled quotes undone for a quoted field; spaces and tabs around
    /// an unquoted field trimmed (a quoted field keeps everything between its quotes).
    public var value: String
    /// The 1-based line where the field starts.
    public var line: Int
    public var wasQuoted: Bool

    public init(value: String, line: Int, wasQuoted: Bool = false) {
        self.value = value; self.line = line; self.wasQuoted = wasQuoted
    }
}

/// One record (row) of a CSV file. A field's column is its index in `fields` plus one.
public struct CSVRecord: Hashable, Sendable {
    /// The 1-based line where the record starts.
    public var line: Int
    public var fields: [CSVField]
    /// The record had a structural problem (reported): its values are unreliable.
    public var isDamaged: Bool

    public init(line: Int, fields: [CSVField], isDamaged: Bool = false) {
        self.line = line; self.fields = fields; self.isDamaged = isDamaged
    }

    /// The record's values, in column order.
    public var values: [String] { fields.map(\.value) }
}

/// Bounds that keep a hostile or broken file from exhausting memory.
public struct CSVLimits: Hashable, Sendable {
    /// Largest field, in UTF-8 bytes (64 KiB).
    public var maxFieldBytes: Int
    /// Most records (the header included).
    public var maxRecords: Int
    /// Most fields in one record.
    public var maxFieldsPerRecord: Int
    /// Most problems listed per file; the rest are counted.
    public var maxProblems: Int

    public init(maxFieldBytes: Int = 65_536, maxRecords: Int = 1_000_000, maxFieldsPerRecord: Int = 1_024,
                maxProblems: Int = 1_000) {
        self.maxFieldBytes = maxFieldBytes; self.maxRecords = maxRecords
        self.maxFieldsPerRecord = maxFieldsPerRecord; self.maxProblems = maxProblems
    }
}

/// The records of a CSV file and the structural problems found while reading it.
public struct CSVDocument: Hashable, Sendable {
    public var records: [CSVRecord]
    public var problems: [ImportProblem]
    /// The separator used: `,` or, for tab-separated text (Excel "Unicode text"), a tab.
    public var delimiter: UInt8
    /// Problems found beyond `CSVLimits.maxProblems`, counted but not listed.
    public var problemsNotListed: Int

    public init(records: [CSVRecord], problems: [ImportProblem], delimiter: UInt8, problemsNotListed: Int = 0) {
        self.records = records; self.problems = problems; self.delimiter = delimiter
        self.problemsNotListed = problemsNotListed
    }
}

/// An RFC 4180 reader over UTF-8 bytes.
///
/// - Separator `,`; when the first line has a tab and no comma the file is read as tab-separated.
/// - Records end at CRLF, LF or CR; the last record needs no line end.
/// - A field starting with `"` (after optional spaces) is quoted: it may hold separators, line ends and
///   doubled quotes `""`; spaces after the closing quote are ignored, anything else there is a problem.
///   A `"` inside an unquoted field is kept as a literal character (as Excel does).
/// - Unquoted fields are trimmed of spaces and tabs on both sides; quoted fields are kept exactly.
/// - Blank records (an empty line, or only separators such as Excel's `,,,,` rows) are skipped.
/// - Problems: an unterminated quote (reported at the line it opened; reading resumes on the next line),
///   text after a closing quote, a field over `maxFieldBytes`, a record with over `maxFieldsPerRecord`
///   fields, over `maxRecords` records (reading stops).
public enum CSVReader {
    private static let quote: UInt8 = 0x22
    private static let cr: UInt8 = 0x0D
    private static let lf: UInt8 = 0x0A
    private static let space: UInt8 = 0x20
    private static let tab: UInt8 = 0x09
    private static let comma: UInt8 = 0x2C

    /// Reads `text` (a String) as CSV.
    public static func parse(_ text: String, file: String, delimiter: UInt8? = nil,
                             limits: CSVLimits = CSVLimits()) -> CSVDocument {
        parse(utf8: Array(text.utf8), file: file, delimiter: delimiter, limits: limits)
    }

    /// Reads valid UTF-8 bytes (as `TextDecoding.decode` gives) as CSV.
    public static func parse(utf8 bytes: [UInt8], file: String, delimiter: UInt8? = nil,
                             limits: CSVLimits = CSVLimits()) -> CSVDocument {
        let separator = delimiter ?? detectDelimiter(bytes)
        var problems = ProblemCollector(file: file, cap: limits.maxProblems)
        var records: [CSVRecord] = []
        bytes.withUnsafeBufferPointer { buffer in
            let count = buffer.count
            var index = 0
            var line = 1
            var rewinds = 0
            var scratch: [UInt8] = []
            func isPadding(_ byte: UInt8) -> Bool { byte == space || (byte == tab && separator != tab) }
            func isEnd(_ byte: UInt8) -> Bool { byte == separator || byte == cr || byte == lf }
            func text(_ start: Int, _ end: Int) -> String {
                String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<end]), as: UTF8.self)
            }
            func tooLong(_ line: Int, _ column: Int) {
                problems.add(line: line, column: column,
                             en: "field longer than \(limits.maxFieldBytes) bytes (is a closing quote missing?)",
                             zh: "字段超过 \(limits.maxFieldBytes) 字节（是否缺少右引号？）")
            }

            records: while index < count {
                let recordLine = line
                var fields: [CSVField] = []
                var damaged = false
                var tooManyReported = false
                fieldLoop: while true {
                    let fieldLine = line
                    let column = fields.count + 1
                    var start = index
                    while start < count, isPadding(buffer[start]) { start += 1 }
                    var value = ""
                    var wasQuoted = false
                    if start < count, buffer[start] == quote {
                        wasQuoted = true
                        let openedAt = start
                        index = start + 1
                        scratch.removeAll(keepingCapacity: true)
                        var overLimit = false
                        var closed = false
                        while index < count {
                            let byte = buffer[index]
                            if byte == quote {
                                if index + 1 < count, buffer[index + 1] == quote {
                                    if !overLimit { scratch.append(quote) }
                                    index += 2
                                } else {
                                    index += 1
                                    closed = true
                                    break
                                }
                            } else {
                                if byte == lf || (byte == cr && (index + 1 >= count || buffer[index + 1] != lf)) {
                                    line += 1
                                }
                                if !overLimit { scratch.append(byte) }
                                index += 1
                            }
                            if !overLimit, scratch.count > limits.maxFieldBytes {
                                overLimit = true
                                scratch.removeAll()
                                tooLong(fieldLine, column)
                                damaged = true
                            }
                        }
                        if !closed {
                            problems.add(line: fieldLine, column: column,
                                         en: "a quoted field opened here is never closed (missing \")",
                                         zh: "此处开始的带引号字段没有结束（缺少右引号 \"）")
                            // The fields before the quote are kept (damaged), within maxRecords like any record.
                            if !fields.isEmpty, records.count < limits.maxRecords {
                                records.append(CSVRecord(line: recordLine, fields: fields, isDamaged: true))
                            }
                            // Resume on the line after the opening quote, reading the rest of the file again.
                            guard rewinds < 3 else { index = count; break records }
                            rewinds += 1
                            var resume = openedAt + 1
                            while resume < count, buffer[resume] != lf, buffer[resume] != cr { resume += 1 }
                            if resume < count, buffer[resume] == cr { resume += 1 }
                            if resume < count, buffer[resume] == lf { resume += 1 }
                            index = resume
                            line = fieldLine + 1
                            continue records
                        }
                        value = String(decoding: scratch, as: UTF8.self)
                        while index < count, isPadding(buffer[index]) { index += 1 }
                        if index < count, !isEnd(buffer[index]) {
                            problems.add(line: line, column: column,
                                         en: "unexpected text after the closing quote of a quoted field (write a quote inside a quoted field as \"\")",
                                         zh: "带引号字段的右引号之后还有内容（引号内的引号应写成 \"\"）")
                            damaged = true
                            while index < count, !isEnd(buffer[index]) { index += 1 }
                        }
                    } else {
                        var end = start
                        while end < count, !isEnd(buffer[end]) { end += 1 }
                        index = end
                        while end > start, isPadding(buffer[end - 1]) { end -= 1 }
                        if end - start > limits.maxFieldBytes {
                            tooLong(fieldLine, column)
                            damaged = true
                        } else if end > start {
                            value = text(start, end)
                        }
                    }
                    if fields.count < limits.maxFieldsPerRecord {
                        fields.append(CSVField(value: value, line: fieldLine, wasQuoted: wasQuoted))
                    } else if !tooManyReported {
                        tooManyReported = true
                        damaged = true
                        problems.add(line: fieldLine, column: column,
                                     en: "a row with more than \(limits.maxFieldsPerRecord) fields",
                                     zh: "一行超过 \(limits.maxFieldsPerRecord) 个字段")
                    }
                    guard index < count else { break fieldLoop }
                    let byte = buffer[index]
                    index += 1
                    if byte == separator { continue fieldLoop }
                    if byte == cr, index < count, buffer[index] == lf { index += 1 }
                    line += 1
                    break fieldLoop
                }
                if fields.allSatisfy({ $0.value.isEmpty }) && !damaged { continue records }
                if records.count >= limits.maxRecords {
                    problems.add(line: recordLine, column: 1,
                                 en: "more than \(limits.maxRecords) rows; split the file",
                                 zh: "超过 \(limits.maxRecords) 行；请拆分文件")
                    break records
                }
                records.append(CSVRecord(line: recordLine, fields: fields, isDamaged: damaged))
            }
        }
        return CSVDocument(records: records, problems: problems.sorted(), delimiter: separator,
                           problemsNotListed: problems.suppressed)
    }

    /// `,`, unless the first line has a tab and no comma.
    static func detectDelimiter(_ bytes: [UInt8]) -> UInt8 {
        var sawTab = false
        for byte in bytes {
            if byte == comma { return comma }
            if byte == tab { sawTab = true }
            if byte == lf || byte == cr { break }
        }
        return sawTab ? tab : comma
    }
}
