import Foundation
import NianjianDomain
import NianjianPostgres
import NianjianSpreadsheet
import NianjianStore

/// Rows of one file by what the import did with them.
public struct ImportFileCounts: Sendable, Hashable, Codable {
    public var created = 0
    public var updated = 0
    public var unchanged = 0
    public init() {}
}

/// One row the import created or changed.
public struct ImportChange: Sendable, Hashable, Codable {
    public var file: String
    public var line: Int
    /// The row's key, e.g. `C001` or `C001/HT-2026-01`.
    public var key: String
    /// `created` or `updated`.
    public var action: String
    /// The columns that changed (updates only).
    public var fields: [String]
}

/// A services row whose expiry is older than the renewal the product recorded: the renewal is kept.
public struct SheetBehind: Sendable, Hashable, Codable {
    public var file: String
    public var line: Int
    public var serviceRef: String
    /// What the sheet says.
    public var sheetExpiresOn: CivilDate
    /// What the product renewed the service until (and keeps).
    public var renewedUntil: CivilDate
    /// The inspection whose approval renewed it.
    public var inspectionId: Int64

    enum CodingKeys: String, CodingKey {
        case file, line
        case serviceRef = "service_ref"
        case sheetExpiresOn = "sheet_expires_on"
        case renewedUntil = "renewed_until"
        case inspectionId = "inspection_id"
    }

    public func message(_ language: Language) -> String {
        language == .zh
            ? "\(file):\(line)：服务 \(serviceRef)：表格落后：已续费至 \(renewedUntil)（年检 \(inspectionId)），表格中的到期日 \(sheetExpiresOn) 未采用"
            : "\(file):\(line): service \(serviceRef): sheet behind: renewed until \(renewedUntil), inspection \(inspectionId) (the sheet's expires_on \(sheetExpiresOn) was not applied)"
    }
}

/// What an import did (or, with --dry-run, would do).
public struct ImportSummary: Sendable, Hashable, Codable {
    public var tenant: String
    public var source: String
    public var dryRun: Bool
    /// By file name (`companies.csv`…), for the files present.
    public var files: [String: ImportFileCounts]
    /// By file name: `utf-8`, `utf-8-bom`, `gb18030`…
    public var encodings: [String: String]
    public var changes: [ImportChange]
    /// Columns ignored, files not read.
    public var notes: [String]
    /// The import_batches row recording it (nil for a dry run).
    public var batchId: Int64?
    /// Services rows older than a recorded renewal: the renewal was kept.
    public var sheetBehind: [SheetBehind] = []

    enum CodingKeys: String, CodingKey {
        case tenant, source, files, encodings, changes, notes
        case sheetBehind = "sheet_behind"
        case dryRun = "dry_run"
        case batchId = "batch_id"
    }

    public var totalChanged: Int { files.values.reduce(0) { $0 + $1.created + $1.updated } }
}

/// `nianjian import`: reads an agency's spreadsheets and upserts them, all or nothing.
public enum Importer {
    /// The `.csv` files of a directory, by file name.
    public static func readDirectory(_ path: String) throws -> [String: [UInt8]] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw OperationsError(code: "bad_directory",
                                  en: "\(quoted(path)) is not a directory: give the folder that holds companies.csv, contracts.csv, services.csv, materials.csv",
                                  zh: "\(quoted(path)) 不是目录：请指定存放 companies.csv、contracts.csv、services.csv、materials.csv 的文件夹")
        }
        var files: [String: [UInt8]] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: path).sorted()
        where name.lowercased().hasSuffix(".csv") {
            let full = (path as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: full) else {
                throw OperationsError(code: "unreadable_file", en: "cannot read \(quoted(full)): check its permissions",
                                      zh: "无法读取 \(quoted(full))：请检查文件权限")
            }
            files[name] = [UInt8](data)
        }
        return files
    }

    /// Imports a directory for `tenant`.
    public static func importDirectory(database: Database, tenant: TenantRecord, directory: String,
                                       dryRun: Bool) throws -> Result<ImportSummary, ImportFailure> {
        let files = try readDirectory(directory)
        return try importFiles(database: database, tenant: tenant, files: files, source: directory, dryRun: dryRun)
    }

    /// Reads `files` against the tenant's existing rows and, when every row is good, writes everything in one
    /// transaction (through the tenant's row-level security). Any problem: nothing is written.
    public static func importFiles(database: Database, tenant: TenantRecord, files: [String: [UInt8]], source: String,
                                   dryRun: Bool) throws -> Result<ImportSummary, ImportFailure> {
        try database.runBlocking { session in
            do {
                return .success(try session.asTenant(tenant.id) {
                    try ImportQueries.lockTenantImports(session, tenantId: tenant.id)
                    let snapshot = try ImportQueries.loadSnapshot(session)
                    var existing = ExistingRefs(companyRefs: Set(snapshot.companies.keys))
                    for key in snapshot.contracts.keys {
                        existing.contracts.insert(ContractKey(companyRef: key.companyRef, contractNumber: key.contractNumber))
                    }
                    let parsed: SpreadsheetImport
                    switch SpreadsheetReader.read(files: files, existing: existing) {
                    case .success(let value): parsed = value
                    case .failure(let failure): throw failure
                    }
                    var plan = try diff(parsed, snapshot: snapshot, files: files)
                    plan.summary.tenant = tenant.slug
                    plan.summary.source = source
                    plan.summary.dryRun = dryRun
                    guard !dryRun else { return plan.summary }
                    try ImportQueries.upsertCompanies(session, tenantId: tenant.id, plan.companies)
                    try ImportQueries.upsertContracts(session, tenantId: tenant.id, plan.contracts)
                    try ImportQueries.upsertServices(session, tenantId: tenant.id, plan.services)
                    try ImportQueries.upsertMaterials(session, tenantId: tenant.id, plan.materials)
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.sortedKeys]
                    let summaryJSON = String(decoding: try encoder.encode(plan.summary.files), as: UTF8.self)
                    let changesJSON = String(decoding: try encoder.encode(plan.summary.changes), as: UTF8.self)
                    plan.summary.batchId = try ImportQueries.insertImportBatch(
                        session, tenantId: tenant.id, source: source, summaryJSON: summaryJSON, changesJSON: changesJSON)
                    return plan.summary
                })
            } catch let failure as ImportFailure {
                return .failure(failure)
            }
        }
    }

    struct WritePlan {
        var summary = ImportSummary(tenant: "", source: "", dryRun: false, files: [:], encodings: [:], changes: [], notes: [],
                                    batchId: nil)
        var companies: [Company] = []
        var contracts: [(companyRef: String, contract: Contract)] = []
        var services: [StoredService] = []
        var materials: [(companyRef: String, material: Material)] = []
    }

    /// Compares the rows read with the stored ones: what to create, what to update, what is unchanged.
    static func diff(_ parsed: SpreadsheetImport, snapshot: ImportSnapshot, files: [String: [UInt8]]) throws -> WritePlan {
        var plan = WritePlan()
        var fileNames: [SpreadsheetFile: String] = [:]
        for name in files.keys { if let kind = SpreadsheetFile(fileName: name), fileNames[kind] == nil { fileNames[kind] = name } }
        for (kind, encoding) in parsed.encodings {
            let name = fileNames[kind] ?? kind.rawValue
            plan.summary.files[name] = ImportFileCounts()
            plan.summary.encodings[name] = encoding.rawValue
        }
        plan.summary.notes = parsed.notes.map(\.description)

        func record(_ kind: SpreadsheetFile, line: Int, key: String, changed: [String]?) {
            let name = fileNames[kind] ?? kind.rawValue
            var counts = plan.summary.files[name] ?? ImportFileCounts()
            switch changed {
            case nil:
                counts.created += 1
                plan.summary.changes.append(ImportChange(file: name, line: line, key: key, action: "created", fields: []))
            case let fields? where !fields.isEmpty:
                counts.updated += 1
                plan.summary.changes.append(ImportChange(file: name, line: line, key: key, action: "updated", fields: fields))
            default:
                counts.unchanged += 1
            }
            plan.summary.files[name] = counts
        }

        for row in parsed.companies {
            let new = row.company
            let changed = snapshot.companies[new.ref].map { old in
                fields([("name", old.name != new.name), ("legal_representative", old.legalRepresentative != new.legalRepresentative),
                        ("contact_name", old.contactName != new.contactName), ("contact_phone", old.contactPhone != new.contactPhone),
                        ("contact_email", old.contactEmail != new.contactEmail)])
            }
            record(.companies, line: row.line, key: new.ref, changed: changed)
            if changed?.isEmpty != true { plan.companies.append(new) }
        }
        for row in parsed.contracts {
            let new = row.contract
            let key = StoredContractKey(companyRef: row.companyRef, contractNumber: new.number)
            let changed = snapshot.contracts[key].map { old in
                fields([("amount", old.amount != new.amount), ("starts_on", old.startsOn != new.startsOn),
                        ("ends_on", old.endsOn != new.endsOn)])
            }
            record(.contracts, line: row.line, key: "\(row.companyRef)/\(new.number)", changed: changed)
            if changed?.isEmpty != true { plan.contracts.append((row.companyRef, new)) }
        }
        var problems: [ImportProblem] = []
        let serviceFile = fileNames[.services] ?? SpreadsheetFile.services.rawValue
        let serviceRefColumn = files[serviceFile].flatMap { ColumnNames.position(of: "service_ref", inHeaderOf: $0, file: serviceFile) } ?? 0
        for row in parsed.services {
            var new = row.service
            // Renewals are facts the product recorded: a sheet whose expiry predates the latest renewal is behind,
            // and keeps the renewed expiry (an expiry past the renewal, e.g. renewed elsewhere, is taken).
            if let renewal = snapshot.renewals[new.ref], let stored = snapshot.services[new.ref],
               new.expiresOn < renewal.renewedUntil, stored.service.expiresOn >= renewal.renewedUntil {
                plan.summary.sheetBehind.append(SheetBehind(file: serviceFile, line: row.line, serviceRef: new.ref,
                                                            sheetExpiresOn: new.expiresOn, renewedUntil: stored.service.expiresOn,
                                                            inspectionId: renewal.inspectionId))
                new.expiresOn = stored.service.expiresOn
            }
            if let old = snapshot.services[new.ref], old.companyRef != row.companyRef {
                problems.append(ImportProblem(
                    file: serviceFile, line: row.line, column: serviceRefColumn,
                    messageEn: "service_ref \(quoted(new.ref)) already belongs to company \(quoted(old.companyRef)), not \(quoted(row.companyRef)): a service cannot move to another company; fix the company_ref or use a new service_ref",
                    messageZh: "service_ref \(quoted(new.ref)) 已属于公司 \(quoted(old.companyRef))，而不是 \(quoted(row.companyRef))：服务不能转到其他公司；请更正 company_ref 或使用新的 service_ref"))
                continue
            }
            let changed = snapshot.services[new.ref].map { stored in
                let old = stored.service
                return fields([("console_instance_id", old.consoleInstanceId != new.consoleInstanceId),
                               ("service_type", old.serviceType != new.serviceType), ("region", old.region != new.region),
                               ("expires_on", old.expiresOn != new.expiresOn), ("renewal_amount", old.renewalAmount != new.renewalAmount),
                               ("renewal_method", old.renewalMethod != new.renewalMethod),
                               ("contract_number", old.contractNumber != new.contractNumber),
                               ("term_months", old.termMonths != new.termMonths)])
            }
            record(.services, line: row.line, key: new.ref, changed: changed)
            if changed?.isEmpty != true { plan.services.append(StoredService(companyRef: row.companyRef, service: new)) }
        }
        if !problems.isEmpty { throw ImportFailure(problems: problems) }
        for row in parsed.materials {
            let new = row.material
            let key = StoredMaterialKey(companyRef: row.companyRef, kind: new.kind, number: new.number)
            let changed = snapshot.materials[key].map { old in
                fields([("holder_name", old.holderName != new.holderName), ("valid_from", old.validFrom != new.validFrom),
                        ("valid_until", old.validUntil != new.validUntil)])
            }
            record(.materials, line: row.line, key: "\(row.companyRef)/\(new.kind.rawValue)/\(new.number)", changed: changed)
            if changed?.isEmpty != true { plan.materials.append((row.companyRef, new)) }
        }
        return plan
    }

    static func fields(_ pairs: [(String, Bool)]) -> [String] { pairs.filter(\.1).map(\.0) }
}
