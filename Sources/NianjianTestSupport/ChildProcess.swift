#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// What a child process wrote and how it ended.
public struct ChildOutput: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    /// stdout then stderr, for scanning everything a command printed.
    public var combined: String { stdout + stderr }
}

/// A child that did not finish in time, with what it had written (it was killed).
public struct ChildProcessTimeout: Error, CustomStringConvertible {
    public var command: String
    public var seconds: Double
    public var stdout: String
    public var stderr: String

    public var description: String {
        "\(command) did not finish within \(seconds) s and was killed.\n--- stdout so far:\n\(stdout.suffix(4_000))\n--- stderr so far:\n\(stderr.suffix(4_000))"
    }
}

/// Running a child process from a test: both pipes are read concurrently (a child filling one pipe while the
/// test waits on the other cannot deadlock), and a deadline kills it (SIGTERM, then SIGKILL) and fails with
/// what it had written, instead of hanging the suite.
public enum ChildProcess {
    /// With `terminalColumns`, stderr is a pseudo-terminal that many columns wide (what a progress bar sees on
    /// a real terminal), read like a pipe.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                           currentDirectory: String? = nil, timeout seconds: Double = 120,
                           terminalColumns: Int? = nil, standardInput: String? = nil) throws -> ChildOutput {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        let out = Pipe()
        process.standardOutput = out
        let input = standardInput.map { _ in Pipe() }
        process.standardInput = input ?? FileHandle.nullDevice
        let stdout = Collector(out.fileHandleForReading)
        let stderr: any OutputSource
        var terminal: Terminal?
        if let terminalColumns {
            let pty = try Terminal(columns: terminalColumns)
            process.standardError = FileHandle(fileDescriptor: pty.secondary, closeOnDealloc: false)
            terminal = pty
            stderr = pty
        } else {
            let err = Pipe()
            process.standardError = err
            stderr = Collector(err.fileHandleForReading)
        }
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        terminal?.closeSecondary()
        if let input, let standardInput {
            // Small inputs (a secret, a password): written at once, then closed so the child sees the end.
            input.fileHandleForWriting.write(Data(standardInput.utf8))
            try? input.fileHandleForWriting.close()
        }
        var timedOut = false
        if exited.wait(timeout: .now() + seconds) == .timedOut {
            timedOut = true
            process.terminate()
            if exited.wait(timeout: .now() + 3) == .timedOut {
                kill(process.processIdentifier, SIGKILL)
                _ = exited.wait(timeout: .now() + 5)
            }
        }
        // A grandchild (say, a server the command started) may hold the pipes open: take what is there.
        let grace = DispatchTime.now() + 5
        stdout.waitForEnd(until: grace)
        stderr.waitForEnd(until: grace)
        let output = ChildOutput(status: timedOut ? -1 : process.terminationStatus, stdout: stdout.text(), stderr: stderr.text())
        if timedOut {
            throw ChildProcessTimeout(command: ([executable] + arguments).joined(separator: " "), seconds: seconds,
                                      stdout: output.stdout, stderr: output.stderr)
        }
        return output
    }

    private protocol OutputSource {
        func waitForEnd(until deadline: DispatchTime)
        func text() -> String
    }

    /// A pseudo-terminal for the child's stderr: the parent reads the primary side on a thread of its own.
    private final class Terminal: OutputSource, @unchecked Sendable {
        let primary: Int32
        private(set) var secondary: Int32
        private let lock = NSLock()
        private var data = Data()
        private let ended = DispatchSemaphore(value: 0)

        struct OpenFailed: Error {}

        /// posix_openpt, grantpt, unlockpt and ptsname_r from the C library (Swift's Glibc module leaves them out).
        private typealias OpenPT = @convention(c) (Int32) -> Int32
        private typealias PTName = @convention(c) (Int32, UnsafeMutablePointer<CChar>?, Int) -> Int32
        private static func function<T>(_ name: String, as type: T.Type) throws -> T {
            guard let symbol = dlsym(dlopen(nil, RTLD_NOW), name) else { throw OpenFailed() }
            return unsafeBitCast(symbol, to: type)
        }

        init(columns: Int) throws {
            let openpt = try Self.function("posix_openpt", as: OpenPT.self)
            let grant = try Self.function("grantpt", as: OpenPT.self)
            let unlock = try Self.function("unlockpt", as: OpenPT.self)
            let ptsname = try Self.function("ptsname_r", as: PTName.self)
            primary = openpt(O_RDWR | O_NOCTTY)
            var name = [CChar](repeating: 0, count: 128)
            guard primary >= 0, grant(primary) == 0, unlock(primary) == 0, ptsname(primary, &name, name.count) == 0 else {
                throw OpenFailed()
            }
            let path = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            secondary = open(path, O_RDWR | O_NOCTTY)
            guard secondary >= 0 else { throw OpenFailed() }
            var size = winsize(ws_row: 24, ws_col: UInt16(clamping: columns), ws_xpixel: 0, ws_ypixel: 0)
            _ = ioctl(secondary, UInt(TIOCSWINSZ), &size)
            let thread = Thread { [self] in
                var buffer = [UInt8](repeating: 0, count: 4096)
                while true {
                    let count = buffer.withUnsafeMutableBytes { read(primary, $0.baseAddress, 4096) }
                    if count <= 0 { break } // EIO once the child's side is closed
                    lock.lock(); data.append(contentsOf: buffer[0..<count]); lock.unlock()
                }
                ended.signal()
            }
            thread.start()
        }

        /// The parent's copy of the child's side: closed once the child has it.
        func closeSecondary() {
            if secondary >= 0 { close(secondary); secondary = -1 }
        }

        func waitForEnd(until deadline: DispatchTime) {
            _ = ended.wait(timeout: deadline)
        }

        func text() -> String {
            lock.lock(); defer { lock.unlock() }
            // The terminal turns "\n" into "\r\n": give back what the child wrote.
            return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
        }
    }

    /// Accumulates one pipe as the data arrives, with blocking reads on a thread of its own. Not
    /// `FileHandle.readabilityHandler`: its dispatch read source races the descriptor's close on Linux and
    /// crashes the process in `_dispatch_event_loop_drain` (swift-corelibs-foundation #3276); a blocking read
    /// registers nothing with libdispatch's event loop.
    private final class Collector: OutputSource, @unchecked Sendable {
        private let lock = NSLock()
        private var data = Data()
        private let ended = DispatchSemaphore(value: 0)

        init(_ handle: FileHandle) {
            let descriptor = handle.fileDescriptor
            let thread = Thread { [self] in
                var buffer = [UInt8](repeating: 0, count: 65_536)
                while true {
                    let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                    if count < 0, errno == EINTR { continue }
                    if count <= 0 { break }
                    lock.lock(); data.append(contentsOf: buffer[0..<count]); lock.unlock()
                }
                // The handle (and so the descriptor) lives until the end of the stream was read.
                withExtendedLifetime(handle) {}
                ended.signal()
            }
            thread.start()
        }

        func waitForEnd(until deadline: DispatchTime) {
            _ = ended.wait(timeout: deadline)
        }

        func text() -> String {
            lock.lock(); defer { lock.unlock() }
            return String(decoding: data, as: UTF8.self)
        }
    }
}

/// Connection strings for another role on a test database, in both libpq forms, whatever form the test
/// server's own connection string has (the embedded cluster's keywords, or a DATABASE_URL URI).
public enum TestConnectionStrings {
    /// (`host=… port=… user=… password=… dbname=…`, `postgresql://user:password@…/dbname?…`).
    public static func forms(of handle: TestDatabaseHandle, user: String, password: String) -> (keywords: String, uri: String) {
        let raw = handle.connectionString.raw
        var settings: [(String, String)] = []
        if raw.contains("://"), let components = URLComponents(string: raw) {
            if let host = components.host, !host.isEmpty { settings.append(("host", host)) }
            if let port = components.port { settings.append(("port", String(port))) }
            for item in components.queryItems ?? [] { settings.append((item.name, item.value ?? "")) }
        } else {
            for token in raw.split(whereSeparator: \.isWhitespace) {
                let parts = token.split(separator: "=", maxSplits: 1).map(String.init)
                if parts.count == 2 { settings.append((parts[0], parts[1])) }
            }
        }
        settings.removeAll { ["user", "password", "dbname"].contains($0.0) }
        let keywords = (settings + [("user", user), ("password", password), ("dbname", handle.name)])
            .map { "\($0.0)=\($0.1)" }.joined(separator: " ")
        func encoded(_ text: String) -> String {
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "-._~")
            return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
        }
        // host and port as query parameters: the host may be a socket folder.
        let query = settings.map { "\(encoded($0.0))=\(encoded($0.1))" }.joined(separator: "&")
        let uri = "postgresql://\(encoded(user)):\(encoded(password))@/\(encoded(handle.name))" + (query.isEmpty ? "" : "?" + query)
        return (keywords, uri)
    }
}
