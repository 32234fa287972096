import Foundation
import Hummingbird
import NIOCore
import NianjianDomain

/// JSON answers with exactly the field names of the API contract.
indirect enum JSONValue: Sendable {
    case string(String)
    case int(Int)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([(String, JSONValue)])
    /// Already-serialised JSON (the report renderer's output).
    case raw(String)

    static func optional(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }

    func write(into out: inout String) {
        switch self {
        case .string(let text): JSONValue.quote(text, into: &out)
        case .int(let number): out += String(number)
        case .bool(let flag): out += flag ? "true" : "false"
        case .null: out += "null"
        case .raw(let text): out += text
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                item.write(into: &out)
            }
            out += "]"
        case .object(let fields):
            out += "{"
            for (index, field) in fields.enumerated() {
                if index > 0 { out += "," }
                JSONValue.quote(field.0, into: &out)
                out += ":"
                field.1.write(into: &out)
            }
            out += "}"
        }
    }

    var text: String {
        var out = ""
        write(into: &out)
        return out
    }

    static func quote(_ text: String, into out: inout String) {
        out += JSONLiteral.string(text, htmlSafe: true)
    }
}

enum JSONOut {
    static func response(_ fields: KeyValuePairs<String, JSONValue>, status: HTTPResponse.Status = .ok) -> Response {
        response(.object(fields.map { ($0.key, $0.value) }), status: status)
    }

    static func response(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        raw(value.text, status: status)
    }

    static func raw(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
