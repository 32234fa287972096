import NianjianDomain

/// A failure an operator can act on: what went wrong and what to do, in Chinese and English.
public struct OperationsError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable code for scripts and tests (`unknown_tenant`, `tenant_exists`, `bad_directory`…).
    public var code: String
    public var messageEn: String
    public var messageZh: String

    public init(code: String, en: String, zh: String) {
        self.code = code; self.messageEn = en; self.messageZh = zh
    }

    public var description: String { "\(messageEn)\n\(messageZh)" }

    public func message(_ language: Language) -> String { language == .zh ? messageZh : messageEn }

    static func unknownTenant(_ slug: String) -> OperationsError {
        OperationsError(code: "unknown_tenant",
                        en: "unknown tenant \(quoted(slug)): list the tenants with `nianjian tenant list`, or add it with `nianjian tenant add`",
                        zh: "未知租户 \(quoted(slug))：用 `nianjian tenant list` 查看租户，或用 `nianjian tenant add` 添加")
    }
}

/// A value quoted for a message (`OperationsError.quoted`).
func quoted(_ value: String, limit: Int = 80) -> String { OperationsError.quoted(value, limit: limit) }

extension OperationsError {
    /// A value quoted for a message, shortened and with control characters made visible.
    public static func quoted(_ value: String, limit: Int = 80) -> String {
        var out = ""
        for scalar in value.unicodeScalars.prefix(limit) {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        if value.unicodeScalars.count > limit { out += "…" }
        return "'\(out)'"
    }
}
