import Foundation
import NianjianDomain
import NianjianSpreadsheet

/// The instances behind an agency's services.csv, read by the project's own spreadsheet reader (encodings,
/// Chinese headers, date forms, all its checks): instance id = `console_instance_id`, product =
/// `service_type` lower-cased, `region`, expiry = `expires_on`, renewal from `renewal_method`.
public enum InstanceLoader {
    public static func instances(fromServicesCSV bytes: [UInt8], file: String = "services.csv") throws -> [CloudInstance] {
        // services.csv alone: the companies it names are taken as known (the simulator does not hold them),
        // so the reader's cross-file check passes and every other check applies.
        var companies: Set<String> = []
        if let column = ColumnNames.position(of: "company_ref", inHeaderOf: bytes, file: file),
           case .success(let text) = TextDecoding.decode(bytes, file: file) {
            for record in CSVReader.parse(utf8: text.utf8, file: file).records.dropFirst() where record.fields.count >= column {
                companies.insert(record.fields[column - 1].value.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
        switch SpreadsheetReader.read(files: [SpreadsheetFile.services.rawValue: bytes],
                                      existing: ExistingRefs(companyRefs: companies)) {
        case .failure(let failure):
            throw LoadError(problems: failure.problems.map(\.description))
        case .success(let imported):
            return imported.services.map { row in
                let service = row.service
                let renewal: RenewalSetting
                switch service.renewalMethod {
                case .auto?: renewal = .auto
                case .manual?: renewal = .manual
                case nil: renewal = .none
                }
                return CloudInstance(instanceId: service.consoleInstanceId, product: service.serviceType.lowercased(),
                                     region: service.region, expiresOn: service.expiresOn, renewal: renewal)
            }
        }
    }

    /// `<dir>/services.csv`.
    public static func instances(inDirectory directory: String) throws -> [CloudInstance] {
        let path = directory + "/" + SpreadsheetFile.services.rawValue
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadError(problems: ["cannot read \(path)"])
        }
        return try instances(fromServicesCSV: [UInt8](data), file: path)
    }

    public struct LoadError: Error, Sendable, CustomStringConvertible {
        public var problems: [String]
        public var description: String { problems.prefix(20).joined(separator: "\n") }
    }
}
