#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NianjianDomain
import NianjianSpreadsheet

/// A small, valid set of the four files.
enum Fixtures {
    static let companies = """
    company_ref,name,legal_representative,contact_name,contact_phone,contact_email
    C001,北京云帆科技有限公司,张伟,李娜,13800138000,lina@example.com
    C002,"Shanghai Star, Ltd.",王芳,,,

    """

    static let contracts = """
    company_ref,contract_number,amount,starts_on,ends_on
    C001,HT-2025-001,1234.50,2025-01-01,2025-12-31
    C002,HT-2025-002,800,2025-03-01,2026-02-28

    """

    static let services = """
    company_ref,service_ref,console_instance_id,service_type,region,expires_on,renewal_amount,renewal_method,contract_number
    C001,S001,i-bp1abc,ECS,cn-hangzhou,2026-03-31,1234.50,auto,HT-2025-001
    C002,S002,i-bp2def,RDS,cn-shanghai,2026-04-30,800.00,manual,HT-2025-002

    """

    static let materials = """
    company_ref,kind,number,holder_name,valid_from,valid_until
    C001,business_license,91110108MA01ABCD1X,北京云帆科技有限公司,2020-01-01,
    C001,id_card,110101199003071234,张伟,2019-05-01,2039-05-01
    C002,passport,E12345678,王芳,,2030-01-01

    """

    static var texts: [String: String] {
        ["companies.csv": companies, "contracts.csv": contracts, "services.csv": services, "materials.csv": materials]
    }

    static var files: [String: [UInt8]] { texts.mapValues { Array($0.utf8) } }

    /// The good set with one file replaced.
    static func with(_ name: String, _ text: String) -> [String: [UInt8]] {
        var files = self.files
        files[name] = Array(text.utf8)
        return files
    }

    /// Reads and expects failure; returns the problems' descriptions in one language.
    static func problems(_ files: [String: [UInt8]], existing: ExistingRefs = ExistingRefs(),
                         options: ReadOptions = ReadOptions()) -> [String] {
        switch SpreadsheetReader.read(files: files, existing: existing, options: options) {
        case .success: return []
        case .failure(let failure): return failure.problems.map { $0.description(in: .en) }
        }
    }
}

/// Text in another encoding (the spreadsheet module's iconv transcoding).
func encode(_ text: String, as encoding: String) -> [UInt8] {
    TextDecoding.encode(text, as: encoding) ?? []
}

/// The domain's seeded SplitMix64, so every fuzz run is reproducible.
typealias SplitMix64 = SeededRandom
