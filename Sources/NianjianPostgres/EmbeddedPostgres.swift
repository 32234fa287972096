import Foundation

/// A private PostgreSQL cluster under a folder of the user's (default `.nianjian/`), used when no
/// `DATABASE_URL` is given, and by the test harness as a throwaway cluster.
///
/// It listens on a unix socket only (no TCP port), trusts local connections, and is left running after a
/// command so the next command starts at once; `stop()` (`nianjian db stop`) ends it. As root it runs the
/// server as the `postgres` system user, because initdb and postgres refuse to run as root.
public struct EmbeddedPostgres: Sendable {
    public struct Options: Sendable {
        /// Folder holding the cluster (`pgdata/`), its log and socket.
        public var home: String
        /// Faster, not crash-safe: for throwaway test clusters only.
        public var durable: Bool = true
        /// Port number; with a unix socket only, it names the socket file.
        public var port: Int = 5432
        public var databaseName: String = "nianjian"
        /// Roles other than `postgres` log in with a password (the test cluster, to test bad passwords).
        public var passwordsForOtherRoles: Bool = false
        /// TCP addresses to listen on besides the socket (e.g. 127.0.0.1 for a replicated pair); none by default.
        public var listenAddresses: String = ""
        /// More postgresql.conf lines, after ours (later lines win).
        public var extraSettings: [String] = []

        public init(home: String, durable: Bool = true, port: Int = 5432, databaseName: String = "nianjian",
                    passwordsForOtherRoles: Bool = false, listenAddresses: String = "", extraSettings: [String] = []) {
            self.home = home; self.durable = durable; self.port = port; self.databaseName = databaseName
            self.passwordsForOtherRoles = passwordsForOtherRoles
            self.listenAddresses = listenAddresses; self.extraSettings = extraSettings
        }
    }

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
        public init(description: String) { self.description = description }
    }

    public let options: Options
    public let binaries: String
    /// Where the cluster's data lives (under home, or elsewhere when the server user cannot reach home).
    public let dataDirectory: String
    public let socketDirectory: String
    let runAsPostgresUser: Bool

    /// Finds initdb/pg_ctl and lays out the folders. Throws with what to install when PostgreSQL is missing.
    public init(options: Options) throws {
        self.options = options
        guard let binaries = EmbeddedPostgres.findBinaries() else {
            throw Failure(description: """
                PostgreSQL server programs (initdb, pg_ctl) were not found on PATH or under /usr/lib/postgresql/*/bin.
                Install them: sudo apt-get install postgresql   — or set DATABASE_URL to an existing server.
                未找到 PostgreSQL 服务器程序（initdb、pg_ctl）。请安装：sudo apt-get install postgresql，或设置 DATABASE_URL 指向已有的数据库。
                """)
        }
        self.binaries = binaries
        let home = EmbeddedPostgres.absolute(options.home)
        self.runAsPostgresUser = geteuid() == 0
        var data = home + "/pgdata"
        if runAsPostgresUser && !EmbeddedPostgres.postgresUserCanReach(home) {
            // The postgres user cannot traverse to home (e.g. under /root): keep the cluster in a folder it
            // can reach, named after home so the same home always finds the same cluster.
            data = "/var/tmp/nianjian-\(EmbeddedPostgres.stableHash(home))/pgdata"
        }
        self.dataDirectory = data
        // Unix socket paths are limited to 107 bytes.
        socketDirectory = data.utf8.count < 80 ? data : "/tmp/nianjian-\(EmbeddedPostgres.stableHash(data))"
    }

    /// libpq connection string for a database of this cluster.
    public func connectionString(database: String? = nil) -> ConnectionString {
        ConnectionString("host=\(socketDirectory) port=\(options.port) user=postgres dbname=\(database ?? options.databaseName)")
    }

    public var isInitialized: Bool { FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION") }

    public var isRunning: Bool {
        (try? run(binaries + "/pg_ctl", ["status", "-D", dataDirectory]).status) == 0
    }

    /// Initialises the cluster if needed and starts it if it is not running; returns the connection string of
    /// `options.databaseName` (the store creates that database: `DatabaseLocation.resolve`).
    @discardableResult
    public func start() throws -> ConnectionString {
        try prepareFolders()
        if !isInitialized {
            let result = try run(binaries + "/initdb", ["-D", dataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8",
                                                      "--locale=C", "--no-sync"])
            guard result.status == 0 else {
                throw Failure(description: "initdb failed (exit \(result.status)):\n\(result.output)")
            }
            try writeSettings()
        }
        if !isRunning {
            let log = dataDirectory + "/server.log"
            let result = try run(binaries + "/pg_ctl", ["start", "-D", dataDirectory, "-l", log, "-w", "-t", "60"])
            guard result.status == 0 else {
                let tail = (try? String(contentsOfFile: log, encoding: .utf8))?.split(separator: "\n").suffix(15).joined(separator: "\n") ?? ""
                throw Failure(description: "PostgreSQL did not start (pg_ctl exit \(result.status)):\n\(result.output)\n\(tail)\nlog: \(log)")
            }
        }
        return connectionString()
    }

    /// Stops the server (fast shutdown: sessions are ended, data is safe).
    public func stop(immediate: Bool = false) throws {
        guard isInitialized, isRunning else { return }
        let result = try run(binaries + "/pg_ctl", ["stop", "-D", dataDirectory, "-m", immediate ? "immediate" : "fast", "-w", "-t", "60"])
        guard result.status == 0 else { throw Failure(description: "pg_ctl stop failed: \(result.output)") }
    }

    /// Makes this (not yet initialised) cluster a streaming standby of `primary`: `pg_basebackup -R` over the
    /// primary's socket, then this cluster's own port, socket and listen addresses; start it with `start()`.
    public func cloneAsStandby(of primary: EmbeddedPostgres) throws {
        guard !isInitialized else { throw Failure(description: "\(dataDirectory) already holds a cluster") }
        try prepareFolders()
        let backup = try run(binaries + "/pg_basebackup", ["-D", dataDirectory, "-R", "-X", "stream", "-c", "fast",
                                                          "-h", primary.socketDirectory, "-p", String(primary.options.port),
                                                          "-U", "postgres", "--no-sync"])
        guard backup.status == 0 else { throw Failure(description: "pg_basebackup failed (exit \(backup.status)):\n\(backup.output)") }
        let own = """

            # Written by nianjian: this standby's own place (the primary's settings were copied with its files).
            port = \(options.port)
            unix_socket_directories = '\(socketDirectory)'
            listen_addresses = '\(options.listenAddresses)'
            \(options.extraSettings.joined(separator: "\n"))

            """
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dataDirectory + "/postgresql.auto.conf"))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(own.utf8))
    }

    /// Promotes a standby to primary and waits until it takes writes (`pg_ctl promote -w`).
    public func promote() throws {
        let result = try run(binaries + "/pg_ctl", ["promote", "-D", dataDirectory, "-w", "-t", "60"])
        guard result.status == 0 else { throw Failure(description: "pg_ctl promote failed: \(result.output)") }
    }

    /// Removes the cluster's files (test clusters).
    public func destroy() {
        try? stop(immediate: true)
        try? FileManager.default.removeItem(atPath: dataDirectory)
        if socketDirectory != dataDirectory { try? FileManager.default.removeItem(atPath: socketDirectory) }
    }

    private func prepareFolders() throws {
        let manager = FileManager.default
        let home = EmbeddedPostgres.absolute(options.home)
        try manager.createDirectory(atPath: home, withIntermediateDirectories: true)
        let parent = (dataDirectory as NSString).deletingLastPathComponent
        try manager.createDirectory(atPath: parent, withIntermediateDirectories: true)
        if !manager.fileExists(atPath: dataDirectory) {
            try manager.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true,
                                        attributes: [.posixPermissions: 0o700])
        }
        if socketDirectory != dataDirectory, !manager.fileExists(atPath: socketDirectory) {
            try manager.createDirectory(atPath: socketDirectory, withIntermediateDirectories: true,
                                        attributes: [.posixPermissions: 0o700])
        }
        if runAsPostgresUser {
            for folder in Set([dataDirectory, socketDirectory]) {
                let result = try run("/bin/chown", ["-R", "postgres:postgres", folder], asServerUser: false)
                guard result.status == 0 else { throw Failure(description: "could not give \(folder) to the postgres user: \(result.output)") }
            }
        }
    }

    private func writeSettings() throws {
        var settings = """

            # Written by nianjian: a private cluster reached through a unix socket only.
            listen_addresses = '\(options.listenAddresses)'
            unix_socket_directories = '\(socketDirectory)'
            port = \(options.port)
            max_connections = 200
            shared_buffers = 256MB
            """
        if !options.durable {
            settings += """

                # Throwaway test cluster: speed over durability.
                fsync = off
                synchronous_commit = off
                full_page_writes = off
                """
        }
        if !options.extraSettings.isEmpty { settings += "\n" + options.extraSettings.joined(separator: "\n") }
        if options.passwordsForOtherRoles {
            let hba = "local all postgres trust\nlocal all all scram-sha-256\n"
            try Data(hba.utf8).write(to: URL(fileURLWithPath: dataDirectory + "/pg_hba.conf"))
        }
        let path = dataDirectory + "/postgresql.conf"
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data((settings + "\n").utf8))
    }

    struct ProcessResult {
        var status: Int32
        var output: String
    }

    private func run(_ program: String, _ arguments: [String], asServerUser: Bool = true) throws -> ProcessResult {
        let executable: String
        let argv: [String]
        if runAsPostgresUser && asServerUser {
            executable = "/usr/sbin/runuser"
            argv = ["runuser", "-u", "postgres", "--", program] + arguments
        } else {
            executable = program
            argv = [program] + arguments
        }
        // The server must not inherit a client's settings for another server.
        var environment = ProcessInfo.processInfo.environment
        for key in ["PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD", "DATABASE_URL", "PGDATA"] { environment[key] = nil }
        environment["LC_ALL"] = "C"
        // posix_spawn and waitpid rather than Foundation.Process: `pg_ctl start` leaves a daemon behind, and
        // Foundation's exit monitoring can wait for it forever.
        let outputPath = NSTemporaryDirectory() + "nianjian-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).out"
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let status = try Subprocess.run(executable: executable, arguments: argv,
                                        environment: environment.map { "\($0.key)=\($0.value)" }, outputPath: outputPath)
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        return ProcessResult(status: status, output: text)
    }

    static func findBinaries() -> String? {
        let manager = FileManager.default
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for folder in path.split(separator: ":").map(String.init) {
            if manager.isExecutableFile(atPath: folder + "/initdb"), manager.isExecutableFile(atPath: folder + "/pg_ctl") {
                // /usr/local/bin may hold links into a versioned folder: resolve so postgres is found beside them.
                let resolved = (try? manager.destinationOfSymbolicLink(atPath: folder + "/pg_ctl")).map {
                    (($0.hasPrefix("/") ? $0 : folder + "/" + $0) as NSString).deletingLastPathComponent
                }
                if let resolved, manager.isExecutableFile(atPath: resolved + "/initdb"), manager.isExecutableFile(atPath: resolved + "/postgres") {
                    return resolved
                }
                if manager.isExecutableFile(atPath: folder + "/postgres") { return folder }
            }
        }
        let base = "/usr/lib/postgresql"
        let versions = ((try? manager.contentsOfDirectory(atPath: base)) ?? [])
            .compactMap { Int($0) }
            .sorted(by: >)
        for version in versions {
            let folder = "\(base)/\(version)/bin"
            if manager.isExecutableFile(atPath: folder + "/initdb"), manager.isExecutableFile(atPath: folder + "/pg_ctl") {
                return folder
            }
        }
        return nil
    }

    static func absolute(_ path: String) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return (expanded as NSString).standardizingPath }
        return ((FileManager.default.currentDirectoryPath + "/" + expanded) as NSString).standardizingPath
    }

    static func postgresUserCanReach(_ folder: String) -> Bool {
        // Every ancestor must be searchable by "others" (the postgres user is neither owner nor group).
        var current = ""
        for component in folder.split(separator: "/") {
            current += "/" + component
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: current) else { return true }
            let permissions = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0
            if permissions & 0o001 == 0 { return false }
        }
        return true
    }

    /// FNV-1a, hex: a short stable name for a path.
    static func stableHash(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}

/// Runs a program to completion with stdout and stderr into a file, stdin from /dev/null.
enum Subprocess {
    static func run(executable: String, arguments: [String], environment: [String], outputPath: String) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var pid: pid_t = 0
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        let spawned = posix_spawn(&pid, executable, &actions, nil, &argv, &envp)
        guard spawned == 0 else {
            throw EmbeddedPostgres.Failure(description: "could not start \(executable): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw EmbeddedPostgres.Failure(description: "waiting for \(executable) failed") }
        }
        // WIFEXITED / WEXITSTATUS, spelled out (the C macros are not imported).
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}

/// Quotes an SQL identifier (for the few statements where identifiers cannot be bound).
public func quoteIdentifier(_ name: String) -> String {
    "\"" + name.replacing("\"", with: "\"\"") + "\""
}
