#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import NianjianPostgres

/// A PgBouncer the test starts in front of one of its own clusters: transaction pooling on 127.0.0.1 and a free
/// port, trust authentication with a generated userlist. Missing PgBouncer is a failure that says what to
/// install, never a silent skip.
public final class PgBouncer: @unchecked Sendable {
    public struct Missing: Error, CustomStringConvertible {
        public var description: String {
            "pgbouncer was not found (looked on PATH, /usr/sbin, /usr/bin): install it with `apt-get install pgbouncer` (scripts/setup does)"
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public let port: Int
    public let folder: String
    /// The database name clients use (`postgresql://postgres@127.0.0.1:PORT/NAME`).
    public let databaseName: String
    /// Our child (runuser or pgbouncer); touched only at start and stop.
    private let process = Process()

    /// Starts PgBouncer for database `database` of the cluster at `socketDirectory`/`port`.
    public init(socketDirectory: String, serverPort: Int, database: String, poolMode: String = "transaction",
                poolSize: Int = 3) throws {
        guard let program = PgBouncer.findProgram() else { throw Missing() }
        port = try FreePort.next()
        databaseName = database
        folder = "/tmp/nj-pgbouncer-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o777])
        let ini = """
            [databases]
            \(database) = host=\(socketDirectory) port=\(serverPort) dbname=\(database) user=postgres

            [pgbouncer]
            listen_addr = 127.0.0.1
            listen_port = \(port)
            unix_socket_dir =
            auth_type = trust
            auth_file = \(folder)/userlist.txt
            pool_mode = \(poolMode)
            default_pool_size = \(poolSize)
            max_client_conn = 200
            logfile = \(folder)/pgbouncer.log
            pidfile = \(folder)/pgbouncer.pid
            """
        try Data(ini.utf8).write(to: URL(fileURLWithPath: folder + "/pgbouncer.ini"))
        try Data("\"postgres\" \"\"\n".utf8).write(to: URL(fileURLWithPath: folder + "/userlist.txt"))
        // PgBouncer refuses to run as root: as root it runs as the postgres user, like the clusters. It runs in
        // the foreground as our child, its output in a file (a daemon would keep a pipe of ours open).
        var executable = program
        var arguments = [folder + "/pgbouncer.ini"]
        if geteuid() == 0 {
            _ = try ChildProcess.run("/bin/chown", ["-R", "postgres:postgres", folder], timeout: 30)
            arguments = ["-u", "postgres", "--", program] + arguments
            executable = "/usr/sbin/runuser"
        }
        let output = folder + "/start.log"
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        guard let handle = FileHandle(forWritingAtPath: output) else { throw Failure(description: "cannot write \(output)") }
        defer { try? handle.close() }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let port = self.port
        guard waitUntil(timeout: 20, every: 0.05, { FreePort.isListening(port) }) else {
            stop()
            throw Failure(description: "pgbouncer did not listen on 127.0.0.1:\(port) within 20 s\n\(log)")
        }
    }

    /// The client URL, with Nianjian's option for transaction pooling (`nianjian_prepare=off`) unless told otherwise.
    public func url(prepare: Bool = false) -> String {
        "postgresql://postgres@127.0.0.1:\(port)/\(databaseName)" + (prepare ? "" : "?nianjian_prepare=off")
    }

    var startLog: String { (try? String(contentsOfFile: folder + "/start.log", encoding: .utf8)) ?? "" }

    public var log: String { (try? String(contentsOfFile: folder + "/pgbouncer.log", encoding: .utf8)) ?? "" }

    public func stop() {
        // The pid file names pgbouncer itself (under runuser); our child ends with it.
        if let text = try? String(contentsOfFile: folder + "/pgbouncer.pid", encoding: .utf8),
           let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0 {
            kill(pid, SIGTERM)
            // SIGTERM may be ignored (a test process that ignores it passes that on): then SIGKILL.
            if !waitUntil(timeout: 1, every: 0.05, { kill(pid, 0) != 0 }) { kill(pid, SIGKILL) }
        }
        if process.isRunning {
            process.terminate()
            if !waitUntil(timeout: 5, every: 0.05, { !process.isRunning }) { kill(process.processIdentifier, SIGKILL) }
        }
        try? FileManager.default.removeItem(atPath: folder)
    }

    static func findProgram() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let folders = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/bin", "/usr/local/bin"]
        return folders.map { $0 + "/pgbouncer" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
