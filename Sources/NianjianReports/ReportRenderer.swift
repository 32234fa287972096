// The entry points: a report value + a language in, text out. Pure and deterministic (no clock, no I/O):
// the same value always renders to the same bytes.

import NianjianDomain

public enum ReportFormat: String, CaseIterable, Sendable, Codable {
    case table
    case json
    case csv
    case html
}

public enum ReportRenderer {
    /// Renders one tenant's report. The CLI writes the string to stdout or `--output FILE` (UTF-8).
    public static func render(_ report: TenantReport, format: ReportFormat, language: Language) -> String {
        switch format {
        case .table: return table(report, language: language)
        case .json: return json(report, language: language)
        case .csv: return csv(report, language: language)
        case .html: return html(report, language: language)
        }
    }

    /// Renders the platform summary (`report --all`).
    public static func render(_ summary: PlatformSummary, format: ReportFormat, language: Language) -> String {
        switch format {
        case .table: return platformTable(summary, language: language)
        case .json: return platformJSON(summary, language: language)
        case .csv: return platformCSV(summary, language: language)
        case .html: return platformHTML(summary, language: language)
        }
    }
}
