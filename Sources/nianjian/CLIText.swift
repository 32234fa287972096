import NianjianDomain
import NianjianReports

/// Words and tables the command line shows, in both languages (the reports' labels where they exist).
enum CLIText {
    /// A state's name (`in_review` → 审核中 / in review); unknown names as they are.
    static func stateName(_ raw: String, _ language: Language) -> String {
        guard let state = InspectionState(rawValue: raw) else { return raw }
        return language == .zh ? ReportLabels.zh.stateName(state) : raw
    }

    static func runStatus(_ status: String, _ language: Language) -> String {
        guard language == .zh else { return status }
        switch status {
        case "completed": return "已完成"
        case "interrupted": return "已中断"
        case "failed": return "失败"
        case "running": return "运行中"
        default: return status
        }
    }

    /// Terminal columns of a text (CJK 2).
    static func width(_ text: String) -> Int { DisplayWidth.of(text) }

    /// A table aligned by display width; cells are escaped by the caller.
    static func table(header: [String], rows: [[String]], rightAligned: Set<Int> = []) -> String {
        PlainTable.render(header: header, rows: rows, rightAligned: rightAligned)
    }
}
