// Reports group by company: an agency's client has several services, and a manager reads "this client, its
// three services, what each still needs" — not three unrelated rows. JSON keeps one row per service
// (`needs_materials[].service_ref`) and adds `companies`.

import NianjianDomain

/// One service of a company as the report sees it: its current inspection's state.
public struct ServiceStatus: Hashable, Sendable, Codable {
    public var serviceRef: String
    /// The contract the service renews under (nil when not known to the report).
    public var contractNumber: String?
    public var state: InspectionState
    public var inspectionId: Int64?

    public init(serviceRef: String, contractNumber: String?, state: InspectionState, inspectionId: Int64?) {
        self.serviceRef = serviceRef; self.contractNumber = contractNumber; self.state = state; self.inspectionId = inspectionId
    }
}

/// A distinct finding of a company and the services it holds back.
public struct CompanyFinding: Hashable, Sendable, Codable {
    public var finding: ReportFinding
    /// The services whose inspection carries it, in the company's service order.
    public var serviceRefs: [String]

    public init(finding: ReportFinding, serviceRefs: [String]) { self.finding = finding; self.serviceRefs = serviceRefs }
}

/// A company that needs attention (a service in needs_materials, rejected or failed), shown once with each
/// of its services' state and its distinct findings.
public struct CompanyStatus: Hashable, Sendable, Codable {
    public var companyRef: String
    public var companyName: String
    public var services: [ServiceStatus]
    public var findings: [CompanyFinding]

    public init(companyRef: String, companyName: String, services: [ServiceStatus], findings: [CompanyFinding]) {
        self.companyRef = companyRef; self.companyName = companyName; self.services = services; self.findings = findings
    }

    /// States that need a person.
    public static let attentionStates: Set<InspectionState> = [.needsMaterials, .rejected, .failed]

    /// Groups by company: every company with a service in an attention state, in the order first seen, each
    /// with all its services (`services`, any order within a company is kept) and the distinct findings of
    /// its needs_materials items, each naming the services it applies to. Pure.
    public static func grouping(services: [(companyRef: String, companyName: String, status: ServiceStatus)],
                                needsMaterials: [NeedsMaterialsItem]) -> [CompanyStatus] {
        var order: [String] = []
        var byCompany: [String: CompanyStatus] = [:]
        for entry in services {
            if byCompany[entry.companyRef] == nil {
                order.append(entry.companyRef)
                byCompany[entry.companyRef] = CompanyStatus(companyRef: entry.companyRef, companyName: entry.companyName,
                                                            services: [], findings: [])
            }
            byCompany[entry.companyRef]?.services.append(entry.status)
        }
        for item in needsMaterials {
            guard var company = byCompany[item.companyRef] else { continue }
            for finding in item.findings {
                if let index = company.findings.firstIndex(where: { $0.finding == finding }) {
                    if !company.findings[index].serviceRefs.contains(item.serviceRef) {
                        company.findings[index].serviceRefs.append(item.serviceRef)
                    }
                } else {
                    company.findings.append(CompanyFinding(finding: finding, serviceRefs: [item.serviceRef]))
                }
            }
            byCompany[item.companyRef] = company
        }
        return order.compactMap { byCompany[$0] }.filter { company in
            company.services.contains { attentionStates.contains($0.state) }
        }
    }
}

extension CompanyFinding {
    /// "all services" when it holds back every service of the company, else the refs.
    public func appliesTo(_ company: CompanyStatus, labels: ReportLabels) -> String {
        if company.services.count > 1, serviceRefs.count == company.services.count { return labels.allServices }
        return serviceRefs.joined(separator: ", ")
    }
}

// Labels of the company grouping (kept beside it; the other labels are in Labels.swift).
extension ReportLabels {
    public var companiesSection: String { language == .zh ? "需要处理的公司" : "Companies needing attention" }
    public var services: String { language == .zh ? "服务" : "Services" }
    public var appliesTo: String { language == .zh ? "涉及服务" : "Applies to" }
    public var allServices: String { language == .zh ? "全部服务" : "all services" }
    public var contract: String { language == .zh ? "合同" : "Contract" }

    /// `S1 approved · S2 needs materials (HT-1)`.
    public func serviceStates(_ company: CompanyStatus) -> String {
        company.services.map { "\($0.serviceRef) \(stateName($0.state))" }.joined(separator: " · ")
    }
}
