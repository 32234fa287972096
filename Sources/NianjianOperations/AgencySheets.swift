import NianjianDomain
import NianjianSpreadsheet

/// An agency's four spreadsheets for a list of company files (every service of each portfolio), as Excel in
/// China saves them: companies.csv in GB18030 (plain "CSV"), contracts.csv in UTF-8 with a byte order mark
/// ("CSV UTF-8"), the others UTF-8; CRLF. The demo writes them to disk; tests import them from memory.
public enum AgencySheets {
    public static func render(_ companies: [CompanyFile]) throws -> [String: [UInt8]] {
        var companyRows = [["company_ref", "name", "legal_representative", "contact_name", "contact_phone", "contact_email"]]
        var contractRows = [["company_ref", "contract_number", "amount", "starts_on", "ends_on"]]
        var serviceRows = [["company_ref", "service_ref", "console_instance_id", "service_type", "region", "expires_on",
                            "renewal_amount", "renewal_method", "contract_number", "term_months"]]
        var materialRows = [["company_ref", "kind", "number", "holder_name", "valid_from", "valid_until"]]
        for file in companies {
            let company = file.company
            let ref = company.ref
            companyRows.append([ref, company.name, company.legalRepresentative, company.contactName, company.contactPhone,
                                company.contactEmail])
            for contract in file.contracts {
                contractRows.append([ref, contract.number, contract.amount.yuanString, contract.startsOn.description,
                                     contract.endsOn.description])
            }
            for service in file.services {
                serviceRows.append([ref, service.ref, service.consoleInstanceId, service.serviceType, service.region,
                                    service.expiresOn.description, service.renewalAmount.yuanString,
                                    service.renewalMethod?.rawValue ?? "", service.contractNumber, String(service.termMonths)])
            }
            for material in file.materials {
                materialRows.append([ref, material.kind.rawValue, material.number, material.holderName,
                                     material.validFrom?.description ?? "", material.validUntil?.description ?? ""])
            }
        }
        let companiesText = CSVWriter.document(companyRows, byteOrderMark: false)
        guard let gb18030 = TextDecoding.encode(companiesText, as: "GB18030") else {
            throw OperationsError(code: "iconv", en: "this system's iconv cannot write GB18030",
                                  zh: "本系统的 iconv 无法写出 GB18030 编码")
        }
        return [
            "companies.csv": gb18030,
            "contracts.csv": Array(CSVWriter.document(contractRows, byteOrderMark: true).utf8),
            "services.csv": Array(CSVWriter.document(serviceRows, byteOrderMark: false).utf8),
            "materials.csv": Array(CSVWriter.document(materialRows, byteOrderMark: false).utf8),
        ]
    }
}
