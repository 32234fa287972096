import NianjianDomain

// The reader's parts: keys across files (duplicates, references between the sheets) and one file read into
// typed rows with file:line:column problems. `SpreadsheetReader` puts them together.

// MARK: - Keys across files

struct MaterialKey: Hashable {
    var companyRef: String
    var kind: MaterialKind
    var number: String
}

struct CompanyUse {
    var ref: String
    var file: SpreadsheetFile
    var line: Int
    var column: Int
}

struct ContractUse {
    var key: ContractKey
    var line: Int
    var column: Int
}

/// Every key seen (with its first line), and every reference to check once all files are read.
struct Keys {
    var companies: [String: Int] = [:]
    var contracts: [ContractKey: Int] = [:]
    var services: [String: Int] = [:]
    var materials: [MaterialKey: Int] = [:]
    var companyUses: [CompanyUse] = []
    var contractUses: [ContractUse] = []

    /// Records `key`'s first line, or reports the row as a duplicate of it.
    mutating func noteKey<Key: Hashable>(_ key: Key, in table: WritableKeyPath<Keys, [Key: Int]>, row: inout RowReader,
                                         column: String, what: String, zh: String) {
        if let first = self[keyPath: table][key] {
            row.fail(column, en: "duplicate \(what): already on line \(first)", zh: "重复的 \(zh)：第 \(first) 行已有")
        } else {
            self[keyPath: table][key] = row.record.line
        }
    }
}

// MARK: - One file

struct Sheet {
    let kind: SpreadsheetFile
    let name: String
    let options: ReadOptions
    var problems: ProblemCollector
    var notes: [ImportProblem] = []
    var encoding: TextEncoding?
    /// Header name → field index, for the known columns.
    var columns: [String: Int] = [:]
    var headerCount = 0
    var rows: ArraySlice<CSVRecord> = []
    /// False when the file could not be decoded or has no usable header: its rows were not read.
    var isReadable = false

    init(kind: SpreadsheetFile, name: String, bytes: [UInt8], options: ReadOptions) {
        self.kind = kind
        self.name = name
        self.options = options
        self.problems = ProblemCollector(file: name, cap: options.limits.maxProblems)
        let text: DecodedText
        switch TextDecoding.decode(bytes, file: name) {
        case .success(let decoded): text = decoded
        case .failure(let problem): problems.add(problem); return
        }
        encoding = text.encoding
        let document = CSVReader.parse(utf8: text.utf8, file: name, limits: options.limits)
        problems.append(contentsOf: document.problems, notListed: document.problemsNotListed)
        guard let header = document.records.first else {
            problems.add(line: 0, column: 0,
                         en: "the file is empty: expected a header line \(kind.requiredColumns.joined(separator: ","))",
                         zh: "文件为空：应有表头 \(kind.requiredColumns.joined(separator: ","))")
            return
        }
        readHeader(header)
        if isReadable { rows = document.records.dropFirst() }
    }

    static func normalizedHeader(_ name: String) -> String {
        var out = ""
        for scalar in trimmed(name).unicodeScalars {
            switch scalar {
            case "A"..."Z": out.unicodeScalars.append(Unicode.Scalar(scalar.value + 32) ?? scalar)
            case " ", "-": out += "_"
            case "\u{FF08}": out += "("
            case "\u{FF09}": out += ")"
            case "\u{FEFF}": continue
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private mutating func readHeader(_ header: CSVRecord) {
        let known = Set(kind.requiredColumns + kind.optionalColumns)
        var ignored: [String] = []
        for (index, field) in header.fields.enumerated() {
            let written = Sheet.normalizedHeader(field.value)
            let name = ColumnNames.column(forNormalized: written)
            if known.contains(name) {
                if let first = columns[name] {
                    problems.add(line: field.line, column: index + 1,
                                 en: "column \(name) appears twice in the header (columns \(first + 1) and \(index + 1))",
                                 zh: "表头中 \(name) 列出现了两次（第 \(first + 1) 列和第 \(index + 1) 列）")
                } else {
                    columns[name] = index
                }
            } else if !written.isEmpty {
                ignored.append(written)
            }
        }
        headerCount = header.fields.count
        let missing = kind.requiredColumns.filter { columns[$0] == nil }
        if missing.count == kind.requiredColumns.count {
            problems.add(line: header.line, column: 1,
                         en: "the first line is not the header: expected the columns \(kind.requiredColumns.joined(separator: ",")), found \(quoted(header.values.joined(separator: ","), limit: 120))",
                         zh: "第一行不是表头：应包含列 \(kind.requiredColumns.joined(separator: ","))，实际为 \(quoted(header.values.joined(separator: ","), limit: 120))")
            return
        }
        for name in missing {
            problems.add(line: header.line, column: 1,
                         en: "missing column \(name) in the header",
                         zh: "表头缺少 \(ColumnNames.withChinese(name)) 列")
        }
        guard missing.isEmpty, !header.isDamaged,
              problems.problems.allSatisfy({ $0.line != header.line }) else { return }
        if !ignored.isEmpty {
            notes.append(ImportProblem(file: name, line: header.line, column: 0,
                                       messageEn: "columns ignored: \(ignored.joined(separator: ", "))",
                                       messageZh: "已忽略的列：\(ignored.joined(separator: "、"))"))
        }
        isReadable = true
    }

    func reader(for record: CSVRecord) -> RowReader {
        RowReader(record: record, columns: columns, headerCount: headerCount, file: name, options: options)
    }

    mutating func absorb(_ row: RowReader) {
        problems.append(contentsOf: row.problems)
    }
}

/// Trims white space (ASCII, no-break and ideographic spaces, line ends) around a cell.
func trimmed(_ value: String) -> String {
    let scalars = value.unicodeScalars
    guard let first = scalars.first, let last = scalars.last,
          first.properties.isWhitespace || last.properties.isWhitespace else { return value }
    var start = scalars.startIndex
    var end = scalars.endIndex
    while start < end, scalars[start].properties.isWhitespace { start = scalars.index(after: start) }
    while end > start, scalars[scalars.index(before: end)].properties.isWhitespace { end = scalars.index(before: end) }
    return String(scalars[start..<end])
}
