import Foundation
import Logging
import NianjianDomain

/// Log output of the CLI: plain lines, or one JSON object per line (`--log-format json`) for machines.
enum LogSetup {
    nonisolated(unsafe) private static var bootstrapped = false

    static func bootstrap(format: String, level: String) throws {
        guard !bootstrapped else { return }
        guard format == "json" || format == "plain" else {
            throw UserFacingError(description: """
                --log-format must be plain or json, not '\(NameText.escaped(String(format.prefix(40))))'
                --log-format 应为 plain 或 json
                """, exitCode: 2)
        }
        // From here on errors follow the chosen format, even a bad --log-level.
        ErrorOutput.json = format == "json"
        guard let logLevel = Logger.Level(rawValue: level.lowercased()) else {
            throw UserFacingError(description: """
                --log-level must be one of trace, debug, info, notice, warning, error, critical
                --log-level 应为 trace、debug、info、notice、warning、error、critical 之一
                """, exitCode: 2)
        }
        bootstrapped = true
        if format == "json" {
            LoggingSystem.bootstrap { label in
                var handler = JSONLogHandler(label: label)
                handler.logLevel = logLevel
                return handler
            }
        } else {
            LoggingSystem.bootstrap { label in
                var handler = PlainLogHandler(label: label)
                handler.logLevel = logLevel
                return handler
            }
        }
    }
}

/// One JSON object per line, written by hand so that the output is exact: keys in a fixed order (time, level,
/// label, message, then the metadata sorted), numbers as JSON numbers, booleans as booleans.
enum JSONLine {
    indirect enum Value {
        case string(String)
        /// JSON number text, already valid (`12`, `-3.5`, `1e-3`).
        case number(String)
        case bool(Bool)
        case null
        case object([(String, Value)])
        case array([Value])
    }

    /// Keys whose values stay text even when they look like numbers (a tenant slug may be `2024`).
    static let textKeys: Set<String> = ["tenant", "tenants_named", "slug", "runner", "runner_id", "operation", "error",
                                        "status", "as_of", "now", "ticket", "key", "company", "company_ref",
                                        "service", "service_ref", "label", "message", "level", "time", "job", "file"]

    static func event(level: String, label: String, message: String, fields: [(String, Value)]) -> String {
        var object: [(String, Value)] = [
            ("time", .string(ISO8601DateFormatter().string(from: Date()))),
            ("level", .string(level)),
            ("label", .string(label)),
            ("message", .string(message)),
        ]
        let reserved = Set(object.map(\.0))
        for (key, value) in fields.sorted(by: { $0.0 < $1.0 }) {
            object.append((reserved.contains(key) ? "meta_" + key : key, value))
        }
        return render(.object(object))
    }

    /// A metadata value as typed JSON: numbers and booleans written as text by the runner become numbers and
    /// booleans (unless the key names text), nested dictionaries and arrays become objects and arrays.
    static func value(_ metadata: Logger.MetadataValue, key: String) -> Value {
        switch metadata {
        case .string(let text): return typed(text, key: key)
        case .stringConvertible(let value):
            switch value {
            case let flag as Bool: return .bool(flag)
            case let number as any BinaryInteger: return .number("\(number)")
            case let number as Double where number.isFinite: return .number("\(number)")
            default: return typed(value.description, key: key)
            }
        case .dictionary(let dictionary):
            return .object(dictionary.sorted { $0.key < $1.key }.map { ($0.key, value($0.value, key: $0.key)) })
        case .array(let values):
            return .array(values.map { value($0, key: key) })
        }
    }

    static func typed(_ text: String, key: String) -> Value {
        if textKeys.contains(key) { return .string(text) }
        if text == "true" { return .bool(true) }
        if text == "false" { return .bool(false) }
        return isNumber(text) ? .number(text) : .string(text)
    }

    /// The JSON number grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, at most 30 characters.
    static func isNumber(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= 30 else { return false }
        var index = 0
        func digits() -> Int {
            let start = index
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 { index += 1 }
            return index - start
        }
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count else { return false }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else if digits() == 0 {
            return false
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { return false }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { return false }
        }
        return index == bytes.count
    }

    static func render(_ value: Value) -> String {
        switch value {
        case .string(let text): return quote(text)
        case .number(let text): return text
        case .bool(let flag): return flag ? "true" : "false"
        case .null: return "null"
        case .object(let members): return "{" + members.map { quote($0.0) + ":" + render($0.1) }.joined(separator: ",") + "}"
        case .array(let values): return "[" + values.map(render).joined(separator: ",") + "]"
        }
    }

    /// A JSON string; control characters (and U+2028/2029, bidi controls) escaped, so a line stays one line.
    static func quote(_ text: String) -> String { JSONLiteral.string(text) }
}

/// `--log-format json`: one JSON object per line on stderr (time, level, label, message, typed metadata).
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 })
        let fields = merged.map { ($0.key, JSONLine.value($0.value, key: $0.key)) }
        let line = JSONLine.event(level: event.level.rawValue, label: label, message: event.message.description, fields: fields)
        TerminalLine.shared.write(line + "\n")
    }
}

/// `--log-format plain`: `time level label: message key=value…` on stderr, ending the progress bar's line first.
struct PlainLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 })
        let pairs = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let time = ISO8601DateFormatter().string(from: Date())
        let text = "\(time) \(event.level.rawValue) \(label): \(event.message)\(pairs.isEmpty ? "" : " " + pairs)"
        TerminalLine.shared.write(NameText.escaped(text) + "\n")
    }
}

/// Stderr shared by the progress bar and the log: a log line first erases the bar (so it never starts glued
/// to it), then the bar is drawn again below it.
final class TerminalLine: @unchecked Sendable {
    static let shared = TerminalLine()
    private let lock = NSLock()
    private var bar: String?

    /// Writes text that ends with a line break, keeping the bar (if any) as the last line.
    func write(_ text: String) {
        lock.lock(); defer { lock.unlock() }
        var output = ""
        if bar != nil { output += "\r\u{1B}[2K" }
        output += text
        if let bar { output += bar }
        FileHandle.standardError.write(Data(output.utf8))
    }

    /// Draws (or redraws) the bar on the current line.
    func showBar(_ line: String) {
        lock.lock(); defer { lock.unlock() }
        bar = line
        FileHandle.standardError.write(Data("\r\u{1B}[2K\(line)".utf8))
    }

    /// Erases the bar and leaves the cursor at the start of an empty line.
    func clearBar() {
        lock.lock(); defer { lock.unlock() }
        guard bar != nil else { return }
        bar = nil
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
    }
}
