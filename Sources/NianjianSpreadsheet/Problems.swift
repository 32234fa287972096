import NianjianDomain

/// One thing wrong with an import, located as `file:line:column`.
///
/// - `line` is the 1-based physical line of the file where the offending field starts (CR, LF and CRLF each
///   end one line, also inside quoted fields). `0` means the problem is about the whole file (or, with an
///   empty `file`, about the whole set of files).
/// - `column` is the 1-based index of the field in its record (the spreadsheet column: A = 1, B = 2…),
///   not a character offset. `0` when no single field is at fault.
public struct ImportProblem: Error, Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public var messageEn: String
    public var messageZh: String

    public init(file: String, line: Int, column: Int, messageEn: String, messageZh: String) {
        self.file = file; self.line = line; self.column = column
        self.messageEn = messageEn; self.messageZh = messageZh
    }

    /// `file:line:column: ` (or `file: ` for a whole-file problem, nothing for a whole-import problem).
    public var location: String {
        if file.isEmpty && line == 0 { return "" }
        if line == 0 { return "\(file): " }
        return "\(file):\(line):\(max(column, 1)): "
    }

    /// `file:line:column: english / 中文`.
    public var description: String { "\(location)\(messageEn) / \(messageZh)" }

    /// `file:line:column: message` in one language.
    public func description(in language: Language) -> String {
        location + (language == .zh ? messageZh : messageEn)
    }
}

/// Why an import was refused: every problem found in every file, in file order, then line, then column.
public struct ImportFailure: Error, Hashable, Sendable, CustomStringConvertible {
    public var problems: [ImportProblem]

    public init(problems: [ImportProblem]) { self.problems = problems }

    /// One problem per line (bilingual), with a leading count.
    public var description: String {
        var text = "import refused: \(problems.count) problem\(problems.count == 1 ? "" : "s") / 导入被拒绝：共 \(problems.count) 个问题"
        for problem in problems { text += "\n" + problem.description }
        return text
    }

    /// One problem per line in one language.
    public func description(in language: Language) -> String {
        var text = language == .zh
            ? "导入被拒绝：共 \(problems.count) 个问题"
            : "import refused: \(problems.count) problem\(problems.count == 1 ? "" : "s")"
        for problem in problems { text += "\n" + problem.description(in: language) }
        return text
    }
}

/// Collects the problems of one file, up to a cap, then counts the rest.
struct ProblemCollector {
    let file: String
    let cap: Int
    private(set) var problems: [ImportProblem] = []
    private(set) var suppressed = 0

    init(file: String, cap: Int) { self.file = file; self.cap = max(cap, 1) }

    var isFull: Bool { problems.count >= cap }
    var total: Int { problems.count + suppressed }

    mutating func add(line: Int, column: Int, en: String, zh: String) {
        add(ImportProblem(file: file, line: line, column: column, messageEn: en, messageZh: zh))
    }

    mutating func add(_ problem: ImportProblem) {
        if problems.count < cap { problems.append(problem) } else { suppressed += 1 }
    }

    mutating func append(contentsOf others: [ImportProblem], notListed: Int = 0) {
        for problem in others { add(problem) }
        suppressed += notListed
    }

    /// The problems sorted by line and column (whole-file problems first).
    func sorted() -> [ImportProblem] {
        problems.enumerated().sorted { lhs, rhs in
            (lhs.element.line, lhs.element.column, lhs.offset) < (rhs.element.line, rhs.element.column, rhs.offset)
        }.map(\.element)
    }

    /// The problems, sorted by line and column, with a closing note when some were left out.
    func finished() -> [ImportProblem] {
        var sorted = problems.enumerated().sorted { lhs, rhs in
            (lhs.element.line, lhs.element.column, lhs.offset) < (rhs.element.line, rhs.element.column, rhs.offset)
        }.map(\.element)
        if suppressed > 0 {
            sorted.append(ImportProblem(
                file: file, line: 0, column: 0,
                messageEn: "\(suppressed) more problem\(suppressed == 1 ? "" : "s") not listed (only the first \(cap) are shown)",
                messageZh: "另有 \(suppressed) 个问题未列出（只显示前 \(cap) 个）"))
        }
        return sorted
    }
}

/// Quotes a cell value for a message, shortened so a huge field cannot flood the output.
func quoted(_ value: String, limit: Int = 40) -> String {
    var out = "\""
    var count = 0
    for scalar in value.unicodeScalars {
        if count == limit { out += "…"; break }
        switch scalar {
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\"": out += "\\\""
        default:
            if NameText.isForbidden(scalar) {
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        count += 1
    }
    return out + "\""
}
