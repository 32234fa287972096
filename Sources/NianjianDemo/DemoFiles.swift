import Foundation
import NianjianDomain
import NianjianOperations
import NianjianPostgres
import NianjianSpreadsheet
import NianjianStore

/// The demo's files (spreadsheets written and imported, reports) and its wording.
extension Demo {
    // MARK: Files

    static func importOrThrow(database: Database, tenant: TenantRecord, directory: String,
                              language: Language) throws -> ImportSummary {
        switch try Importer.importDirectory(database: database, tenant: tenant, directory: directory, dryRun: false) {
        case .success(let summary):
            return summary
        case .failure(let failure):
            throw OperationsError(code: "demo_import_refused",
                                  en: "the demo's own spreadsheets in \(directory) were refused (a bug, please report it):\n\(failure.description(in: .en))",
                                  zh: "演示生成的表格（\(directory)）被拒绝（这是缺陷，请报告）：\n\(failure.description(in: .zh))")
        }
    }

    /// Writes the four files an agency keeps (`AgencySheets.render`) into `directory`, replacing it.
    static func writeSpreadsheets(_ companies: [CompanyFile], to directory: String) throws {
        try? FileManager.default.removeItem(atPath: directory)
        try makeDirectory(directory)
        for (name, bytes) in try AgencySheets.render(companies) {
            try write(bytes, to: (directory as NSString).appendingPathComponent(name))
        }
    }

    static func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw OperationsError(code: "bad_output_dir",
                                  en: "cannot create the folder \(OperationsError.quoted(path)): \(error.localizedDescription); choose another with --output-dir",
                                  zh: "无法创建目录 \(OperationsError.quoted(path))：请用 --output-dir 指定其他目录")
        }
    }

    static func write(_ text: String, to path: String) throws { try write(Array(text.utf8), to: path) }

    static func write(_ bytes: [UInt8], to path: String) throws {
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw OperationsError(code: "unwritable_file",
                                  en: "cannot write \(OperationsError.quoted(path)): \(error.localizedDescription); check the folder is writable or choose another with --output-dir",
                                  zh: "无法写入 \(OperationsError.quoted(path))：请检查目录可写，或用 --output-dir 指定其他目录")
        }
    }

    // MARK: Text

    static func describe(_ counts: [String: Int], empty: String) -> String {
        let order = ["approved", "in_review", "submitting", "pending", "needs_materials", "rejected", "failed", "cancelled"]
        let keys = counts.keys.sorted { (order.firstIndex(of: $0) ?? order.count, $0) < (order.firstIndex(of: $1) ?? order.count, $1) }
        let parts = keys.compactMap { key in counts[key].flatMap { $0 > 0 ? "\(key) \($0)" : nil } }
        return parts.isEmpty ? empty : parts.joined(separator: ", ")
    }

    static func weekdayEn(_ date: CivilDate) -> String {
        ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][(date.isoWeekday - 1) % 7]
    }

    static func weekdayZh(_ date: CivilDate) -> String {
        ["周一", "周二", "周三", "周四", "周五", "周六", "周日"][(date.isoWeekday - 1) % 7]
    }
}
