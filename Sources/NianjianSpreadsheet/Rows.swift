import NianjianDomain

/// The four files an import reads. Raw values are the file names.
public enum SpreadsheetFile: String, CaseIterable, Sendable, Hashable, Comparable {
    case companies = "companies.csv"
    case contracts = "contracts.csv"
    case services = "services.csv"
    case materials = "materials.csv"

    /// The columns that must be in the header, in the documented order.
    public var requiredColumns: [String] {
        switch self {
        case .companies:
            return ["company_ref", "name", "legal_representative", "contact_name", "contact_phone", "contact_email"]
        case .contracts:
            return ["company_ref", "contract_number", "amount", "starts_on", "ends_on"]
        case .services:
            return ["company_ref", "service_ref", "console_instance_id", "service_type", "region", "expires_on",
                    "renewal_amount", "renewal_method", "contract_number"]
        case .materials:
            return ["company_ref", "kind", "number", "holder_name", "valid_from", "valid_until"]
        }
    }

    /// Columns read when present.
    public var optionalColumns: [String] {
        switch self {
        case .services: return ["term_months"]
        case .companies, .contracts, .materials: return []
        }
    }

    /// The file a name designates: the last path component, compared without case (`Companies.CSV`).
    public init?(fileName: String) {
        let last = fileName.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? fileName
        self.init(rawValue: last.lowercased())
    }

    var order: Int { SpreadsheetFile.allCases.firstIndex(of: self) ?? 0 }

    public static func < (lhs: SpreadsheetFile, rhs: SpreadsheetFile) -> Bool { lhs.order < rhs.order }
}

public struct CompanyRow: Hashable, Sendable {
    public var company: Company
    /// The 1-based line the row starts on in companies.csv.
    public var line: Int
    public var companyRef: String { company.ref }

    public init(company: Company, line: Int) { self.company = company; self.line = line }
}

public struct ContractRow: Hashable, Sendable {
    public var companyRef: String
    public var contract: Contract
    public var line: Int

    public init(companyRef: String, contract: Contract, line: Int) {
        self.companyRef = companyRef; self.contract = contract; self.line = line
    }
}

public struct ServiceRow: Hashable, Sendable {
    public var companyRef: String
    public var service: Service
    public var line: Int

    public init(companyRef: String, service: Service, line: Int) {
        self.companyRef = companyRef; self.service = service; self.line = line
    }
}

public struct MaterialRow: Hashable, Sendable {
    public var companyRef: String
    public var material: Material
    public var line: Int

    public init(companyRef: String, material: Material, line: Int) {
        self.companyRef = companyRef; self.material = material; self.line = line
    }
}

/// A contract's identity: contract numbers are unique within a company.
public struct ContractKey: Hashable, Sendable {
    public var companyRef: String
    public var contractNumber: String

    public init(companyRef: String, contractNumber: String) {
        self.companyRef = companyRef; self.contractNumber = contractNumber
    }
}

/// What the database already holds for the tenant, so that a partial import (say, services.csv alone)
/// may refer to companies and contracts imported before.
public struct ExistingRefs: Hashable, Sendable {
    public var companyRefs: Set<String>
    public var contracts: Set<ContractKey>

    public init(companyRefs: Set<String> = [], contracts: Set<ContractKey> = []) {
        self.companyRefs = companyRefs; self.contracts = contracts
    }
}

/// A whole import that passed every check: every row of every file read, in file order.
public struct SpreadsheetImport: Hashable, Sendable {
    public var companies: [CompanyRow]
    public var contracts: [ContractRow]
    public var services: [ServiceRow]
    public var materials: [MaterialRow]
    /// The files read and the encoding each was in.
    public var encodings: [SpreadsheetFile: TextEncoding]
    /// Things that did not refuse the import but an operator may want to see: columns that were ignored,
    /// files in the directory that were not read.
    public var notes: [ImportProblem]

    public init(companies: [CompanyRow] = [], contracts: [ContractRow] = [], services: [ServiceRow] = [],
                materials: [MaterialRow] = [], encodings: [SpreadsheetFile: TextEncoding] = [:],
                notes: [ImportProblem] = []) {
        self.companies = companies; self.contracts = contracts; self.services = services
        self.materials = materials; self.encodings = encodings; self.notes = notes
    }

    /// The files read, in order.
    public var files: [SpreadsheetFile] { encodings.keys.sorted() }
}
