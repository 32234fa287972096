import ArgumentParser
import Foundation
import Logging
import NianjianDomain
import NianjianPostgres
import NianjianStore

/// Opening the database the way every command does: DATABASE_URL, or the embedded cluster.
enum CommandDatabase {
    /// Resolves, connects and checks the schema is current. Errors are user-facing (bilingual, no secrets).
    /// The database reports read: `NIANJIAN_READ_DATABASE_URL` (a standby) when set, else the usual one.
    static func openRead(maximumConnections: Int = 1) throws -> Database {
        let database = Database(try DatabaseLocation.resolveRead().connectionString, maximumConnections: maximumConnections)
        try database.requireCurrentSchema()
        return database
    }

    static func open(requireCurrentSchema: Bool = true, maximumConnections: Int = 4, settings: SessionSettings? = nil) throws -> Database {
        let location = try DatabaseLocation.resolve()
        let connection = settings.map { location.connectionString.with($0) } ?? location.connectionString
        let database = Database(connection, maximumConnections: maximumConnections)
        if requireCurrentSchema {
            try database.requireCurrentSchema()
        }
        return database
    }
}

struct LanguageOption: ParsableArguments {
    @Option(name: .long, help: "Language of messages: zh or en (also zh-CN, zh_CN, en-US…; default from LANG). 语言：zh 或 en。")
    var lang: String?

    var language: Language {
        if let lang, let parsed = LanguageOption.parse(lang) { return parsed }
        return LanguageOption.fromEnvironment()
    }

    func validate() throws {
        if let lang, LanguageOption.parse(lang) == nil {
            throw ValidationError(LanguageOption.unknownMessage(lang))
        }
    }

    /// `zh`, `en`, or a locale of either (`zh-CN`, `zh_CN`, `zh-Hans`, `en-US`, `en_GB.UTF-8`), any case; nil otherwise.
    static func parse(_ text: String) -> Language? {
        let value = text.trimmingCharacters(in: .whitespaces).lowercased()
        var base = value
        if let cut = value.firstIndex(where: { $0 == "-" || $0 == "_" || $0 == "." }) {
            let rest = value[value.index(after: cut)...]
            guard !rest.isEmpty, rest.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
                return nil
            }
            base = String(value[..<cut])
        }
        switch base {
        case "zh": return .zh
        case "en": return .en
        default: return nil
        }
    }

    static func unknownMessage(_ text: String) -> String {
        let shown = NameText.escaped(String(text.prefix(40)))
        return """
            --lang '\(shown)' is not a language Nianjian speaks: use zh (中文) or en (English), e.g. --lang zh or --lang en-US
            --lang '\(shown)' 不是支持的语言：请使用 zh（中文）或 en（英文），例如 --lang zh 或 --lang zh-CN
            """
    }

    /// LC_ALL, else LANG: Chinese for a zh locale, English otherwise (an environment default is never refused).
    static func fromEnvironment() -> Language {
        let environment = ProcessInfo.processInfo.environment
        return Language.from(locale: environment["LC_ALL"] ?? environment["LANG"])
    }
}

/// A failure a user can act on: printed as is (it already says what to do), exit code 1 unless given.
struct UserFacingError: Error, CustomStringConvertible {
    let description: String
    var exitCode: Int32 = 1
}

/// Runs a command body, turning errors into clear messages on stderr and an exit code. With
/// `--log-format json` (`ErrorOutput.json`) the message is one JSON object on stderr instead.
func runCommand(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as UserFacingError {
        reportError(error.description, exitCode: error.exitCode)
        throw ExitCode(error.exitCode)
    } catch let error as PostgresError {
        reportError(describe(error), exitCode: 1, sqlState: error.sqlState)
        if ProcessInfo.processInfo.environment["NIANJIAN_DEBUG"] != nil {
            if ErrorOutput.json {
                printError(JSONLine.event(level: "debug", label: "nianjian", message: error.debugDescription, fields: []))
            } else {
                printError(error.debugDescription)
            }
        }
        throw ExitCode(1)
    } catch let error as CleanExit {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch {
        reportError("\(error)", exitCode: 1)
        throw ExitCode(1)
    }
}

/// How errors are written: plain text, or one JSON object per error (`--log-format json`).
enum ErrorOutput {
    nonisolated(unsafe) static var json = false
}

/// Writes a user-facing error: as is, or as `{"time","level":"error","label","message","exit_code"}`.
func reportError(_ text: String, exitCode: Int32, sqlState: String? = nil) {
    guard ErrorOutput.json else {
        printError(text)
        return
    }
    var fields: [(String, JSONLine.Value)] = [("exit_code", .number(String(exitCode)))]
    if let sqlState { fields.append(("sqlstate", .string(sqlState))) }
    printError(JSONLine.event(level: "error", label: "nianjian", message: text.trimmingCharacters(in: .newlines), fields: fields))
}

func describe(_ error: PostgresError) -> String {
    if error.isConnectionLoss {
        return """
            Could not reach PostgreSQL: \(error.message)
            Check DATABASE_URL and that the server is running, then run the command again.
            无法连接 PostgreSQL：请检查 DATABASE_URL 以及数据库是否在运行，然后重试。
            """
    }
    return """
        Database error\(error.sqlState.map { " [SQLSTATE \($0)]" } ?? ""): \(error.message)
        数据库错误\(error.sqlState.map { "（SQLSTATE \($0)）" } ?? "")：\(error.message)
        """
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
}

/// Writes to stdout without buffering surprises when piped.
func printOut(_ text: String) {
    FileHandle.standardOutput.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
}
