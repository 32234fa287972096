import NianjianDomain

/// Bounds and tolerances of an import.
public struct ReadOptions: Hashable, Sendable {
    public var limits: CSVLimits
    /// Longest ref, number or other identifier, in characters.
    public var maxIdentifierLength: Int
    /// Longest free-text cell (names, contacts, region…), in characters.
    public var maxTextLength: Int

    public init(limits: CSVLimits = CSVLimits(), maxIdentifierLength: Int = 200, maxTextLength: Int = 1_000) {
        self.limits = limits; self.maxIdentifierLength = maxIdentifierLength; self.maxTextLength = maxTextLength
    }
}

/// Reads an agency's spreadsheets (the CSV files of one directory) into typed rows, all or nothing.
///
/// Per file: the encoding is detected (`TextDecoding`), the CSV is read (`CSVReader`), the first non-blank
/// record is the header. Header names are compared without case, spaces and hyphens counting as `_`, and
/// each column may also be named in Chinese (`ColumnNames.chinese`: 公司编号, 金额, 到期日…); the
/// documented columns must all be present (order free), a known column may not appear twice, other
/// columns are ignored (listed in `SpreadsheetImport.notes`). Every cell is trimmed of white space.
///
/// Values:
/// - refs and numbers (`company_ref`, `contract_number`, `service_ref`, `console_instance_id`, material
///   `number`): non-empty, at most 200 characters, no control characters; compared exactly (case matters);
/// - `name`, `kind`, `amount`, `starts_on`, `ends_on`, `expires_on`, `renewal_amount`: non-empty;
/// - names (`name`, `legal_representative`, `contact_name`, `holder_name`): no control, line-break or
///   bidirectional-override character (`NameText`, the rule `tenant add` applies too);
/// - dates: from 1990-01-01 through 2199-12-31 (`RowReader.earliestYear`, `latestYear`) —
///   `0001-01-01` or `9999-12-31` is a typing slip, refused here rather than skipped later by `plan`;
///   `YYYY-MM-DD`; also accepted, since Excel in China writes them, `YYYY/M/D` and `YYYY-M-D`, with an
///   optional midnight time (`2026/3/5 0:00`); `valid_from` and `valid_until` may be empty (no expiry);
/// - amounts in yuan with at most two decimals (`1234.50`), not negative, at most 999,999,999,999.99 (the
///   database's numeric(14,2), `RowReader.maximumAmountFen`); a leading `¥`/`￥` and
///   thousands separators in groups of three (`1,234.50`) are accepted;
/// - `renewal_method`: `auto` or `manual` (also `自动`, `手动`), any case; empty means unknown (nil), left to
///   the domain's validation;
/// - `kind`: a `MaterialKind` raw value, any case, or its Chinese name (`营业执照`, `税务登记证`,
///   `组织机构代码证`, `身份证`, `护照`, `服务合同`, with or without `副本`);
/// - `term_months` (optional column of services.csv): 1…120, default 12;
/// - `contact_email`, when given, must contain `@`.
///
/// Rows: a row must have exactly as many fields as the header (Excel always writes them so); a row with
/// more or fewer is refused as a whole (one problem), since an unquoted comma in a value shifts every
/// later cell into the wrong column. Keys: companies by `company_ref`; contracts by (`company_ref`,
/// `contract_number`); services by `service_ref`; materials by (`company_ref`, `kind`, `number`).
/// Cross-file: every `company_ref` must be in companies.csv or `existing.companyRefs`; a service's
/// (`company_ref`, `contract_number`) must be in contracts.csv or `existing.contracts`; `ends_on` may not
/// precede `starts_on`, nor `valid_until` precede `valid_from`. These checks are skipped against a file
/// that could not be read at all (its own problems are reported instead), so one bad file does not bury
/// the others under follow-on errors.
public enum SpreadsheetReader {
    /// Reads the files of a directory, by file name (a bare name or a path). Only companies.csv,
    /// contracts.csv, services.csv and materials.csv are read (names compared without case); others are
    /// listed in `notes` and otherwise ignored.
    public static func read(files: [String: [UInt8]], existing: ExistingRefs = ExistingRefs(),
                            options: ReadOptions = ReadOptions()) -> Result<SpreadsheetImport, ImportFailure> {
        var globalProblems: [ImportProblem] = []
        var notes: [ImportProblem] = []
        var chosen: [SpreadsheetFile: (name: String, bytes: [UInt8])] = [:]
        for name in files.keys.sorted() {
            guard let kind = SpreadsheetFile(fileName: name) else {
                notes.append(ImportProblem(file: name, line: 0, column: 0,
                                           messageEn: "not read: only companies.csv, contracts.csv, services.csv and materials.csv are imported",
                                           messageZh: "未读取：只导入 companies.csv、contracts.csv、services.csv 和 materials.csv"))
                continue
            }
            if let first = chosen[kind] {
                globalProblems.append(ImportProblem(
                    file: name, line: 0, column: 0,
                    messageEn: "two files for \(kind.rawValue): \(first.name) and \(name); keep one",
                    messageZh: "\(kind.rawValue) 有两个文件：\(first.name) 和 \(name)；请只保留一个"))
            } else if let bytes = files[name] {
                chosen[kind] = (name, bytes)
            }
        }
        if chosen.isEmpty {
            globalProblems.append(ImportProblem(
                file: "", line: 0, column: 0,
                messageEn: "none of companies.csv, contracts.csv, services.csv, materials.csv found: nothing to import",
                messageZh: "未找到 companies.csv、contracts.csv、services.csv、materials.csv 中的任何一个：没有可导入的内容"))
            return .failure(ImportFailure(problems: globalProblems))
        }

        var sheets: [SpreadsheetFile: Sheet] = [:]
        for (kind, file) in chosen {
            sheets[kind] = Sheet(kind: kind, name: file.name, bytes: file.bytes, options: options)
        }
        var result = SpreadsheetImport(notes: notes)
        var keys = Keys()
        if var sheet = sheets[.companies] {
            result.companies = readCompanies(&sheet, keys: &keys)
            sheets[.companies] = sheet
        }
        if var sheet = sheets[.contracts] {
            result.contracts = readContracts(&sheet, keys: &keys)
            sheets[.contracts] = sheet
        }
        if var sheet = sheets[.services] {
            result.services = readServices(&sheet, keys: &keys)
            sheets[.services] = sheet
        }
        if var sheet = sheets[.materials] {
            result.materials = readMaterials(&sheet, keys: &keys)
            sheets[.materials] = sheet
        }

        // Cross-file references.
        let companiesReadable = sheets[.companies].map(\.isReadable) ?? true
        let contractsReadable = sheets[.contracts].map(\.isReadable) ?? true
        func companyKnown(_ ref: String) -> Bool { keys.companies.keys.contains(ref) || existing.companyRefs.contains(ref) }
        if companiesReadable {
            for use in keys.companyUses {
                guard !companyKnown(use.ref) else { continue }
                sheets[use.file]?.problems.add(
                    line: use.line, column: use.column,
                    en: "company_ref: unknown company \(quoted(use.ref)): not in companies.csv nor already imported",
                    zh: "company_ref：未知公司 \(quoted(use.ref))：既不在 companies.csv 中，也未曾导入")
            }
        }
        if contractsReadable {
            for use in keys.contractUses {
                guard !companiesReadable || companyKnown(use.key.companyRef) else { continue }
                guard !keys.contracts.keys.contains(use.key), !existing.contracts.contains(use.key) else { continue }
                // Importable all the same: the service's inspection reports `contract.not_found` naming the
                // number until the contract is on file, and the note says which sheet to fix now.
                let servicesName = sheets[.services]?.name ?? SpreadsheetFile.services.rawValue
                sheets[.services]?.notes.append(ImportProblem(
                    file: servicesName, line: use.line, column: use.column,
                    messageEn: "contract_number: company \(quoted(use.key.companyRef)) has no contract \(quoted(use.key.contractNumber)) in contracts.csv nor already imported: the service is imported, and its inspection will need the contract (add it to contracts.csv)",
                    messageZh: "contract_number：公司 \(quoted(use.key.companyRef)) 没有合同 \(quoted(use.key.contractNumber))（contracts.csv 中没有，也未曾导入）：服务已导入，其年检需要该合同（请在 contracts.csv 中补充）"))
            }
        }

        var problems = globalProblems
        for kind in SpreadsheetFile.allCases {
            guard let sheet = sheets[kind] else { continue }
            problems += sheet.problems.finished()
            if let encoding = sheet.encoding { result.encodings[kind] = encoding }
            result.notes += sheet.notes
        }
        guard problems.isEmpty else { return .failure(ImportFailure(problems: problems)) }
        return .success(result)
    }

    // MARK: Per-file readers

    static func readCompanies(_ sheet: inout Sheet, keys: inout Keys) -> [CompanyRow] {
        var rows: [CompanyRow] = []
        rows.reserveCapacity(sheet.rows.count)
        for record in sheet.rows {
            var row = sheet.reader(for: record)
            let ref = row.identifier("company_ref")
            if let ref { keys.noteKey(ref, in: \.companies, row: &row, column: "company_ref", what: "company_ref \(quoted(ref))", zh: "company_ref \(quoted(ref))") }
            guard row.shapeIsValid else { sheet.absorb(row); continue }
            let name = row.name("name", required: true)
            let legal = row.name("legal_representative")
            let contactName = row.name("contact_name")
            let phone = row.text("contact_phone")
            let email = row.text("contact_email")
            if !email.isEmpty, !email.contains("@") {
                row.fail("contact_email", en: "\(quoted(email)) is not an e-mail address", zh: "\(quoted(email)) 不是电子邮件地址")
            }
            if let ref, row.problems.isEmpty {
                rows.append(CompanyRow(company: Company(ref: ref, name: name, legalRepresentative: legal, contactName: contactName,
                                                        contactPhone: phone, contactEmail: email), line: record.line))
            }
            sheet.absorb(row)
        }
        return rows
    }

    static func readContracts(_ sheet: inout Sheet, keys: inout Keys) -> [ContractRow] {
        var rows: [ContractRow] = []
        rows.reserveCapacity(sheet.rows.count)
        for record in sheet.rows {
            var row = sheet.reader(for: record)
            let companyRef = row.identifier("company_ref")
            let number = row.identifier("contract_number")
            if let companyRef {
                keys.companyUses.append(row.use(of: companyRef, column: "company_ref", file: sheet.kind))
                if let number {
                    let key = ContractKey(companyRef: companyRef, contractNumber: number)
                    keys.noteKey(key, in: \.contracts, row: &row, column: "contract_number",
                                 what: "contract \(quoted(number)) of company \(quoted(companyRef))",
                                 zh: "公司 \(quoted(companyRef)) 的合同 \(quoted(number))")
                }
            }
            guard row.shapeIsValid else { sheet.absorb(row); continue }
            let amount = row.money("amount")
            let startsOn = row.date("starts_on", required: true)
            let endsOn = row.date("ends_on", required: true)
            if let startsOn, let endsOn, endsOn < startsOn {
                row.fail("ends_on", en: "the contract ends (\(endsOn)) before it starts (\(startsOn))",
                         zh: "合同结束日期（\(endsOn)）早于开始日期（\(startsOn)）")
            }
            if let companyRef, let number, let amount, let startsOn, let endsOn, row.problems.isEmpty {
                rows.append(ContractRow(companyRef: companyRef,
                                        contract: Contract(number: number, amount: amount, startsOn: startsOn, endsOn: endsOn),
                                        line: record.line))
            }
            sheet.absorb(row)
        }
        return rows
    }

    static func readServices(_ sheet: inout Sheet, keys: inout Keys) -> [ServiceRow] {
        var rows: [ServiceRow] = []
        rows.reserveCapacity(sheet.rows.count)
        for record in sheet.rows {
            var row = sheet.reader(for: record)
            let companyRef = row.identifier("company_ref")
            let serviceRef = row.identifier("service_ref")
            let contractNumber = row.identifier("contract_number")
            if let companyRef { keys.companyUses.append(row.use(of: companyRef, column: "company_ref", file: sheet.kind)) }
            if let serviceRef {
                keys.noteKey(serviceRef, in: \.services, row: &row, column: "service_ref",
                             what: "service_ref \(quoted(serviceRef))", zh: "service_ref \(quoted(serviceRef))")
            }
            guard row.shapeIsValid else { sheet.absorb(row); continue }
            if let companyRef, let contractNumber {
                let location = row.location("contract_number")
                keys.contractUses.append(ContractUse(key: ContractKey(companyRef: companyRef, contractNumber: contractNumber),
                                                     line: location.line, column: location.column))
            }
            let instance = row.identifier("console_instance_id")
            let serviceType = row.text("service_type")
            let region = row.text("region")
            let expiresOn = row.date("expires_on", required: true)
            let amount = row.money("renewal_amount")
            let method = row.renewalMethod("renewal_method")
            let term = row.termMonths("term_months")
            if let companyRef, let serviceRef, let contractNumber, let instance, let expiresOn, let amount, let term,
               row.problems.isEmpty {
                rows.append(ServiceRow(
                    companyRef: companyRef,
                    service: Service(ref: serviceRef, consoleInstanceId: instance, serviceType: serviceType, region: region,
                                     expiresOn: expiresOn, renewalAmount: amount, renewalMethod: method,
                                     contractNumber: contractNumber, termMonths: term),
                    line: record.line))
            }
            sheet.absorb(row)
        }
        return rows
    }

    static func readMaterials(_ sheet: inout Sheet, keys: inout Keys) -> [MaterialRow] {
        var rows: [MaterialRow] = []
        rows.reserveCapacity(sheet.rows.count)
        for record in sheet.rows {
            var row = sheet.reader(for: record)
            let companyRef = row.identifier("company_ref")
            let kind = row.materialKind("kind")
            let number = row.identifier("number")
            if let companyRef {
                keys.companyUses.append(row.use(of: companyRef, column: "company_ref", file: sheet.kind))
                if let kind, let number {
                    keys.noteKey(MaterialKey(companyRef: companyRef, kind: kind, number: number), in: \.materials, row: &row,
                                 column: "number",
                                 what: "\(kind.rawValue) \(quoted(number)) of company \(quoted(companyRef))",
                                 zh: "公司 \(quoted(companyRef)) 的 \(kind.rawValue) \(quoted(number))")
                }
            }
            guard row.shapeIsValid else { sheet.absorb(row); continue }
            let holder = row.name("holder_name")
            let validFrom = row.date("valid_from", required: false)
            let validUntil = row.date("valid_until", required: false)
            if let validFrom, let validUntil, validUntil < validFrom {
                row.fail("valid_until", en: "valid until \(validUntil), before it is valid from \(validFrom)",
                         zh: "有效期截止日（\(validUntil)）早于起始日（\(validFrom)）")
            }
            if let companyRef, let kind, let number, row.problems.isEmpty {
                rows.append(MaterialRow(companyRef: companyRef,
                                        material: Material(kind: kind, number: number, holderName: holder,
                                                           validFrom: validFrom, validUntil: validUntil),
                                        line: record.line))
            }
            sheet.absorb(row)
        }
        return rows
    }
}

// The keys that tie the files together and one file read row by row are in SheetParts.swift.
