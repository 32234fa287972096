import NianjianDomain

/// Reads the typed values of one record, collecting a problem per bad cell.
struct RowReader {
    let record: CSVRecord
    let columns: [String: Int]
    let headerCount: Int
    let file: String
    let options: ReadOptions
    private(set) var problems: [ImportProblem] = []
    /// False when the record's shape is wrong (reported once): its cells are not read one by one.
    private(set) var shapeIsValid = true

    init(record: CSVRecord, columns: [String: Int], headerCount: Int, file: String, options: ReadOptions) {
        self.record = record
        self.columns = columns
        self.headerCount = headerCount
        self.file = file
        self.options = options
        checkShape()
    }

    private mutating func checkShape() {
        if record.isDamaged {
            shapeIsValid = false // Its structural problem is already reported by the CSV reader.
            return
        }
        let count = record.fields.count
        if count < headerCount {
            shapeIsValid = false
            problems.append(ImportProblem(
                file: file, line: record.fields.last?.line ?? record.line, column: count + 1,
                messageEn: "the row has \(count) field\(count == 1 ? "" : "s") but the header has \(headerCount) (a missing comma, or a line break outside quotes?)",
                messageZh: "该行有 \(count) 个字段，而表头有 \(headerCount) 个（缺少逗号，或引号外有换行？）"))
        } else if count > headerCount {
            shapeIsValid = false
            let extra = record.fields[headerCount]
            problems.append(ImportProblem(
                file: file, line: extra.line, column: headerCount + 1,
                messageEn: "the row has \(count) fields but the header has \(headerCount) (a comma in a value that is not quoted?)",
                messageZh: "该行有 \(count) 个字段，而表头只有 \(headerCount) 个（值中的逗号没有加引号？）"))
        }
    }

    func location(_ column: String) -> (line: Int, column: Int) {
        guard let index = columns[column] else { return (record.line, 1) }
        if index < record.fields.count { return (record.fields[index].line, index + 1) }
        return (record.fields.last?.line ?? record.line, index + 1)
    }

    /// The trimmed cell, or "" when the column or the field is absent.
    func raw(_ column: String) -> String {
        guard let index = columns[column], index < record.fields.count else { return "" }
        return trimmed(record.fields[index].value)
    }

    func use(of ref: String, column: String, file kind: SpreadsheetFile) -> CompanyUse {
        let at = location(column)
        return CompanyUse(ref: ref, file: kind, line: at.line, column: at.column)
    }

    mutating func fail(_ column: String, en: String, zh: String) {
        let at = location(column)
        problems.append(ImportProblem(file: file, line: at.line, column: at.column,
                                      messageEn: "\(column): \(en)", messageZh: "\(column)：\(zh)"))
    }

    private mutating func required(_ column: String) {
        fail(column, en: "empty, but required", zh: "不能为空")
    }

    /// A ref or number: non-empty (unless `required` is false, then "" is returned for an empty cell), no
    /// control characters, bounded length. nil after a problem.
    mutating func identifier(_ column: String, required isRequired: Bool = true) -> String? {
        let value = raw(column)
        if value.isEmpty {
            if isRequired { required(column); return nil }
            return ""
        }
        if value.unicodeScalars.contains(where: { [.control, .format].contains($0.properties.generalCategory) }) {
            fail(column, en: "\(quoted(value)) contains a control or invisible formatting character",
                 zh: "\(quoted(value)) 含有控制字符或不可见的格式字符")
            return nil
        }
        if value.unicodeScalars.count > options.maxIdentifierLength {
            fail(column, en: "\(quoted(value)) is longer than \(options.maxIdentifierLength) characters",
                 zh: "\(quoted(value)) 超过 \(options.maxIdentifierLength) 个字符")
            return nil
        }
        return value
    }

    /// Free text: line ends and tabs allowed, other control characters not; bounded length.
    mutating func text(_ column: String, required isRequired: Bool = false) -> String {
        let value = raw(column)
        if value.isEmpty {
            if isRequired { required(column) }
            return value
        }
        if value.unicodeScalars.contains(where: {
            $0.properties.generalCategory == .control && $0 != "\n" && $0 != "\r" && $0 != "\t"
        }) {
            fail(column, en: "\(quoted(value)) contains a control character", zh: "\(quoted(value)) 含有控制字符")
        } else if value.unicodeScalars.count > options.maxTextLength {
            fail(column, en: "\(quoted(value)) is longer than \(options.maxTextLength) characters",
                 zh: "\(quoted(value)) 超过 \(options.maxTextLength) 个字符")
        }
        return value
    }

    /// A name (of a company, a representative, a holder): free text under `NameText`'s rule, no line breaks.
    mutating func name(_ column: String, required isRequired: Bool = false) -> String {
        let value = raw(column)
        if let problem = NameText.problem(in: value, what: quoted(value)) {
            fail(column, en: problem.en, zh: problem.zh)
            return value
        }
        return text(column, required: isRequired)
    }

    /// The dates an import accepts: anything earlier or later is a typing slip (`0001-01-01`, `9999-12-31`).
    /// Whole years: 1990-01-01 through 2199-12-31.
    static let earliestYear = 1990
    static let latestYear = 2199

    /// The largest amount the database holds (numeric(14,2)): 999,999,999,999.99 yuan.
    static let maximumAmountFen: Int64 = 99_999_999_999_999

    /// A date; nil when empty (a problem when required) or bad (a problem).
    mutating func date(_ column: String, required isRequired: Bool) -> CivilDate? {
        let value = raw(column)
        if value.isEmpty {
            if isRequired { required(column) }
            return nil
        }
        switch RowReader.parseDate(value) {
        case .date(let date):
            guard (RowReader.earliestYear...RowReader.latestYear).contains(date.year) else {
                fail(column, en: "\(quoted(value)) is outside the accepted dates \(RowReader.earliestYear)-01-01 to \(RowReader.latestYear)-12-31: check the year",
                     zh: "\(quoted(value)) 超出可接受的日期范围 \(RowReader.earliestYear)-01-01 至 \(RowReader.latestYear)-12-31：请检查年份")
                return nil
            }
            return date
        case .noSuchDay:
            fail(column, en: "\(quoted(value)) is not a day of the calendar", zh: "\(quoted(value)) 不是真实存在的日期")
        case .malformed:
            fail(column, en: "\(quoted(value)) is not a date: write YYYY-MM-DD, e.g. 2026-03-05",
                 zh: "\(quoted(value)) 不是日期：应写作 YYYY-MM-DD，例如 2026-03-05")
        }
        return nil
    }

    enum ParsedDate: Equatable { case date(CivilDate), noSuchDay, malformed }

    /// `YYYY-MM-DD`, `YYYY-M-D`, `YYYY/M/D`, optionally followed by a midnight time (`0:00`, `00:00:00`).
    static func parseDate(_ text: String) -> ParsedDate {
        if let date = CivilDate(iso: text) { return .date(date) }
        var utf8 = Array(text.utf8)
        if let space = utf8.firstIndex(of: 0x20) {
            let time = utf8[(space + 1)...].filter { $0 != 0x20 }
            let midnight: Set<[UInt8]> = [Array("0:00".utf8), Array("00:00".utf8), Array("0:00:00".utf8), Array("00:00:00".utf8)]
            guard midnight.contains(Array(time)) else { return .malformed }
            utf8 = Array(utf8[..<space])
        }
        guard let separator = utf8.first(where: { $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "/") }) else {
            return .malformed
        }
        let parts = utf8.split(separator: separator, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, (1...2).contains(parts[1].count), (1...2).contains(parts[2].count) else {
            return .malformed
        }
        var numbers: [Int] = []
        for part in parts {
            var value = 0
            for byte in part {
                guard byte >= 48, byte <= 57 else { return .malformed }
                value = value * 10 + Int(byte - 48)
            }
            numbers.append(value)
        }
        guard let date = CivilDate(year: numbers[0], month: numbers[1], day: numbers[2]) else { return .noSuchDay }
        return .date(date)
    }

    /// A required, non-negative amount in yuan.
    mutating func money(_ column: String) -> Money? {
        let value = raw(column)
        if value.isEmpty { required(column); return nil }
        guard let money = RowReader.parseMoney(value) else {
            fail(column, en: "\(quoted(value)) is not an amount in yuan: write e.g. 1234.50 (at most two decimals)",
                 zh: "\(quoted(value)) 不是以元为单位的金额：应写作例如 1234.50（最多两位小数）")
            return nil
        }
        guard money.fen >= 0 else {
            fail(column, en: "\(quoted(value)) is negative", zh: "\(quoted(value)) 是负数")
            return nil
        }
        guard money.fen <= RowReader.maximumAmountFen else {
            fail(column, en: "\(quoted(value)) is too large: amounts go up to 999,999,999,999.99 yuan (check for extra digits)",
                 zh: "\(quoted(value)) 过大：金额最多为 999,999,999,999.99 元（请检查是否多输了数字）")
            return nil
        }
        return money
    }

    /// `Money(yuan:)`, also accepting a leading `¥`/`￥` and thousands separators in groups of three.
    static func parseMoney(_ text: String) -> Money? {
        var value = Substring(text)
        var negative = false
        if value.hasPrefix("-") { negative = true; value = value.dropFirst() }
        if value.hasPrefix("¥") || value.hasPrefix("￥") { value = value.dropFirst() }
        value = Substring(trimmed(String(value)))
        if value.contains(",") {
            let whole = value.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)[0]
            let groups = whole.split(separator: ",", omittingEmptySubsequences: false)
            guard let first = groups.first, (1...3).contains(first.count),
                  groups.dropFirst().allSatisfy({ $0.count == 3 }) else { return nil }
            value = Substring(value.filter { $0 != "," })
        }
        guard !value.hasPrefix("-"), !value.hasPrefix("+") else { return nil }
        return Money(yuan: negative ? "-" + value : value)
    }

    /// `auto` / `manual`; nil for an empty cell (unknown, left to validation).
    mutating func renewalMethod(_ column: String) -> RenewalMethod? {
        let value = raw(column)
        if value.isEmpty { return nil }
        switch value.lowercased() {
        case "auto", "automatic", "自动", "自动续费": return .auto
        case "manual", "手动", "手动续费": return .manual
        default:
            fail(column, en: "\(quoted(value)) is not a renewal method: write auto or manual",
                 zh: "\(quoted(value)) 不是续费方式：应为 auto（自动）或 manual（手动）")
            return nil
        }
    }

    static let kindAliases: [String: MaterialKind] = {
        var aliases: [String: MaterialKind] = [:]
        for kind in MaterialKind.allCases { aliases[kind.rawValue] = kind }
        let chinese: [(String, MaterialKind)] = [
            ("营业执照", .businessLicense), ("税务登记证", .taxRegistration), ("组织机构代码证", .organizationCode),
            ("身份证", .idCard), ("护照", .passport), ("服务合同", .serviceContract),
        ]
        for (name, kind) in chinese {
            aliases[name] = kind
            aliases[name + "副本"] = kind
        }
        aliases["合同"] = .serviceContract
        return aliases
    }()

    mutating func materialKind(_ column: String) -> MaterialKind? {
        let value = raw(column)
        if value.isEmpty { required(column); return nil }
        let key = Sheet.normalizedHeader(value)
        if let kind = RowReader.kindAliases[key] { return kind }
        let accepted = MaterialKind.allCases.map(\.rawValue).joined(separator: ", ")
        fail(column, en: "unknown kind \(quoted(value)): write one of \(accepted)",
             zh: "未知的材料类型 \(quoted(value))：应为 \(accepted) 之一")
        return nil
    }

    /// The optional term in months: 12 when the column or the cell is absent.
    mutating func termMonths(_ column: String) -> Int? {
        let value = raw(column)
        if value.isEmpty { return 12 }
        guard value.utf8.count <= 3, value.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let months = Int(value),
              (1...120).contains(months) else {
            fail(column, en: "\(quoted(value)) is not a number of months from 1 to 120",
                 zh: "\(quoted(value)) 不是 1 到 120 之间的月数")
            return nil
        }
        return months
    }
}
