import ArgumentParser
import Foundation
import Logging
import NianjianDomain
import NianjianPostgres
import NianjianStore

/// Opening the database the way every command does: DATABASE_URL, or the embedded cluster.
enum CommandDatabase {
    /// Resolves, connects and checks the schema is current. Errors are user-facing (bilingual, no secrets).
    static func open(requireCurrentSchema: Bool = true, maximumConnections: Int = 4) throws -> Database {
        let location = try DatabaseLocation.resolve()
        let database = Database(location.connectionString, maximumConnections: maximumConnections)
        if requireCurrentSchema {
            try database.requireCurrentSchema()
        }
        return database
    }
}

struct LanguageOption: ParsableArguments {
    @Option(name: .long, help: "Language of messages: zh or en (default from LANG).")
    var lang: String?

    var language: Language {
        if let lang { return lang.lowercased().hasPrefix("zh") ? .zh : .en }
        let environment = ProcessInfo.processInfo.environment
        return Language.from(locale: environment["LC_ALL"] ?? environment["LANG"])
    }
}

/// A failure a user can act on: printed as is (it already says what to do), exit code 1 unless given.
struct UserFacingError: Error, CustomStringConvertible {
    let description: String
    var exitCode: Int32 = 1
}

/// Runs a command body, turning errors into clear messages on stderr and an exit code.
func runCommand(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as UserFacingError {
        printError(error.description)
        throw ExitCode(error.exitCode)
    } catch let error as PostgresError {
        printError(describe(error))
        if ProcessInfo.processInfo.environment["NIANJIAN_DEBUG"] != nil { printError(error.debugDescription) }
        throw ExitCode(1)
    } catch let error as CleanExit {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch {
        printError("\(error)")
        throw ExitCode(1)
    }
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
