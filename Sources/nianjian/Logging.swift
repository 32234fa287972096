import Foundation
import Logging

/// Log output of the CLI: plain lines, or one JSON object per line (`--log-format json`) for machines.
enum LogSetup {
    nonisolated(unsafe) private static var bootstrapped = false

    static func bootstrap(format: String, level: String) throws {
        guard !bootstrapped else { return }
        bootstrapped = true
        guard let logLevel = Logger.Level(rawValue: level.lowercased()) else {
            throw UserFacingError(description: "--log-level must be one of trace, debug, info, notice, warning, error, critical / 日志级别无效")
        }
        switch format {
        case "json":
            LoggingSystem.bootstrap { label in
                var handler = JSONLogHandler(label: label)
                handler.logLevel = logLevel
                return handler
            }
        case "plain":
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = logLevel
                return handler
            }
        default:
            throw UserFacingError(description: "--log-format must be plain or json / 日志格式应为 plain 或 json")
        }
    }
}

/// One JSON object per line on stderr: time, level, label, message and metadata (tenant, inspection…).
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var object: [String: Any] = [
            "time": ISO8601DateFormatter().string(from: Date()),
            "level": event.level.rawValue,
            "label": label,
            "message": event.message.description,
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            object[key] = value.description
        }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        FileHandle.standardError.write(data + Data("\n".utf8))
    }
}
