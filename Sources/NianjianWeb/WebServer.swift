import Dispatch
import Foundation
import Hummingbird
import Logging
import NianjianStore

/// Runs the console until SIGINT/SIGTERM, from a synchronous caller (the CLI): the server runs on Swift's
/// concurrency runtime while the calling thread waits.
public enum WebServer {
    public static func serveBlocking(database: Database, readDatabase: Database? = nil, options: WebOptions,
                                     announce: @escaping @Sendable (Int) -> Void) throws {
        final class Outcome: @unchecked Sendable {
            var error: (any Error)?
        }
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        Task {
            do {
                let console = await WebConsole(database: database, readDatabase: readDatabase, options: options)
                let app = console.application { port in announce(port) }
                try await app.runService()
            } catch {
                outcome.error = error
            }
            done.signal()
        }
        done.wait()
        if let error = outcome.error { throw error }
    }
}
