/// The column names a sheet's header may use: the documented English names, and beside them the Chinese
/// names agencies write in Excel. This is the one table of them (README, "Spreadsheets", lists it too).
///
/// Header cells are compared after `Sheet.normalizedHeader` (ASCII letters lower-cased, spaces and hyphens
/// as `_`, full-width parentheses as ASCII ones), so `实例ID`, `实例id` and `续费期限（月）` all match.
/// A sheet may mix English and Chinese names; the same column named twice (say `amount` and `金额`) is
/// refused as a duplicate.
public enum ColumnNames {
    /// Chinese name → English column name, in the documented order.
    public static let chinese: [(name: String, column: String)] = [
        ("公司编号", "company_ref"),
        ("名称", "name"), ("公司名称", "name"),
        ("法定代表人", "legal_representative"),
        ("联系人", "contact_name"),
        ("联系电话", "contact_phone"),
        ("联系邮箱", "contact_email"), ("邮箱", "contact_email"),
        ("合同编号", "contract_number"),
        ("金额", "amount"), ("合同金额", "amount"),
        ("开始日期", "starts_on"),
        ("结束日期", "ends_on"),
        ("服务编号", "service_ref"),
        ("实例ID", "console_instance_id"),
        ("服务类型", "service_type"),
        ("地域", "region"), ("区域", "region"),
        ("到期日", "expires_on"),
        ("续费金额", "renewal_amount"),
        ("续费方式", "renewal_method"),
        ("续费期限(月)", "term_months"),
        ("材料类型", "kind"), ("证件类型", "kind"),
        ("证件号码", "number"), ("编号", "number"),
        ("持有人", "holder_name"),
        ("有效期起", "valid_from"),
        ("有效期至", "valid_until"),
    ]

    /// Normalized header text → English column name.
    static let aliases: [String: String] = {
        var map: [String: String] = [:]
        for (name, column) in chinese { map[Sheet.normalizedHeader(name)] = column }
        return map
    }()

    /// The English column a (normalized) header cell names: itself, or the column its Chinese name stands for.
    static func column(forNormalized header: String) -> String {
        aliases[header] ?? header
    }

    /// `amount（金额）`: a column with its first Chinese name, for messages.
    static func withChinese(_ column: String) -> String {
        guard let name = chinese.first(where: { $0.column == column })?.name else { return column }
        return "\(column)（\(name)）"
    }

    /// The 1-based position of `column` (English name) in a file's header, matched as the reader matches
    /// headers (Chinese names included); nil when the file cannot be read or has no such column.
    public static func position(of column: String, inHeaderOf bytes: [UInt8], file: String) -> Int? {
        guard case .success(let text) = TextDecoding.decode(bytes, file: file) else { return nil }
        guard let header = CSVReader.parse(utf8: text.utf8, file: file).records.first else { return nil }
        for (index, field) in header.fields.enumerated()
        where self.column(forNormalized: Sheet.normalizedHeader(field.value)) == column {
            return index + 1
        }
        return nil
    }
}
