import CLibPQ
import Dispatch
import Foundation
import Logging

/// One libpq connection, confined to its own serial DispatchQueue.
///
/// libpq blocks the calling thread, so every call happens on `queue` — never on Swift's cooperative
/// pool. Async callers hop there with `run`; Dispatch callers use `submit`.
public final class PostgresConnection: @unchecked Sendable {
    // Every mutable field below is touched only on `queue`.
    public let queue: DispatchQueue
    var handle: OpaquePointer?
    var preparedNames: [String: String] = [:]
    /// Names prepared statements: never reused on a connection, even for a statement whose preparing failed.
    private var preparedSerial = 0
    var transactionDepth = 0
    let connectionString: ConnectionString
    let logger: Logger

    /// A connection that opens at its first use.
    init(unopened connectionString: ConnectionString, label: String, logger: Logger) {
        self.connectionString = connectionString
        self.queue = DispatchQueue(label: "nianjian.postgres.\(label)")
        self.logger = logger
    }

    deinit {
        if let handle { PQfinish(handle) }
    }

    func close(onQueue: Void) { closeOnQueue() }

    /// Connects; the blocking work happens on the new connection's queue.
    public static func connect(_ connectionString: ConnectionString, label: String = "connection",
                               logger: Logger = Logger(label: "nianjian.postgres")) async throws -> PostgresConnection {
        let connection = PostgresConnection(unopened: connectionString, label: label, logger: logger)
        try await connection.run { _ in }
        return connection
    }

    /// Connects from a thread that may block (not the cooperative pool).
    public static func connectBlocking(_ connectionString: ConnectionString, label: String = "connection",
                                       logger: Logger = Logger(label: "nianjian.postgres")) throws -> PostgresConnection {
        let connection = PostgresConnection(unopened: connectionString, label: label, logger: logger)
        try connection.queue.sync { try connection.openIfNeeded() }
        return connection
    }

    /// Runs `body` on this connection's queue and returns its result.
    @discardableResult
    public func run<T: Sendable>(_ body: @escaping @Sendable (PostgresSession) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try self.runOnQueue(body) })
            }
        }
    }

    /// Runs `body` on this connection's queue and calls `completion` there with the outcome.
    public func submit<T>(_ body: @escaping @Sendable (PostgresSession) throws -> T,
                          completion: @escaping @Sendable (Result<T, any Error>) -> Void) {
        queue.async {
            completion(Result { try self.runOnQueue(body) })
        }
    }

    /// Runs `body` on the queue, blocking the caller. Never call from the cooperative pool or the queue itself.
    @discardableResult
    public func runBlocking<T>(_ body: (PostgresSession) throws -> T) throws -> T {
        dispatchPrecondition(condition: .notOnQueue(queue))
        return try queue.sync { try runOnQueue(body) }
    }

    private func runOnQueue<T>(_ body: (PostgresSession) throws -> T) throws -> T {
        dispatchPrecondition(condition: .onQueue(queue))
        try openIfNeeded()
        return try body(PostgresSession(connection: self))
    }

    /// Closes the connection. Later calls reconnect.
    public func close() {
        queue.sync { closeOnQueue() }
    }

    func closeOnQueue() {
        if let handle { PQfinish(handle) }
        handle = nil
        preparedNames.removeAll()
        transactionDepth = 0
    }

    /// True when the connection is open and, as far as can be told without a round trip, alive: a backend
    /// that was terminated has left an error and EOF on the socket, which this reads.
    func isHealthyOnQueue() -> Bool {
        guard let handle, PQstatus(handle) == CONNECTION_OK else { return false }
        let socket = PQsocket(handle)
        guard socket >= 0 else { return false }
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        // An idle connection that never LISTENs has nothing to read: data or EOF here means the server
        // ended the session (terminated backend, restart). Reconnecting is cheaper than failing a caller.
        return poll(&descriptor, 1, 0) == 0
    }

    /// Drops a broken connection so the next use opens a new one.
    func discardIfBrokenOnQueue() {
        if !isHealthyOnQueue() { closeOnQueue() }
    }

    private func openIfNeeded() throws {
        // A connection that died while idle is replaced before it is used.
        if handle != nil, isHealthyOnQueue() { return }
        closeOnQueue()
        // connect_timeout comes before dbname so that a value in the user's string wins.
        // A second dbname is a plain database name that overrides the one in the expanded string.
        var keywords = ["connect_timeout", "dbname", "client_encoding", "fallback_application_name"]
        var values = ["10", connectionString.libpq, "UTF8", "nianjian"]
        if let database = connectionString.databaseOverride {
            keywords.append("dbname"); values.append(database)
        }
        let newHandle: OpaquePointer? = withCStringArray(keywords) { keywordPointers in
            withCStringArray(values) { valuePointers in
                PQconnectdbParams(keywordPointers, valuePointers, 1)
            }
        }
        guard let newHandle else {
            throw PostgresError(kind: .connection, message: "could not allocate a libpq connection (out of memory)")
        }
        guard PQstatus(newHandle) == CONNECTION_OK else {
            let raw = PQerrorMessage(newHandle).map { String(cString: $0) } ?? "unknown error"
            PQfinish(newHandle)
            throw PostgresError(kind: .connection,
                                message: connectionString.redact(raw.trimmingSpaces()),
                                hint: "check DATABASE_URL (host, port, user, password, database) and that the server is running")
        }
        handle = newHandle
        // Timestamps come back in UTC and ISO form whatever the server's settings; the timeouts asked for. Behind a
        // transaction pooler this lands on one server connection only: every transaction repeats it (SET LOCAL).
        let setup = PQexec(newHandle, connectionString.settings.sessionSQL)
        let status = PQresultStatus(setup)
        PQclear(setup)
        if status != PGRES_COMMAND_OK {
            let raw = PQerrorMessage(newHandle).map { String(cString: $0) } ?? "unknown error"
            closeOnQueue()
            throw PostgresError(kind: .connection, message: connectionString.redact(raw.trimmingSpaces()))
        }
    }

    // MARK: - Statement execution (on queue)

    /// A statement of `PostgresSession.query`: named and prepared once per connection, or, when the session
    /// cannot be relied on (transaction pooling), unnamed and inside a transaction that carries the settings.
    fileprivate func statement(_ sql: String, _ binds: [PostgresBind]) throws -> PostgresResult {
        let settings = connectionString.settings
        if settings.preparedStatements { return try execute(sql, binds, prepare: true) }
        if transactionDepth > 0 { return try execute(sql, binds, prepare: false) }
        try beginTransaction()
        let result: PostgresResult
        do {
            result = try execute(sql, binds, prepare: false)
        } catch {
            do { try endTransaction(commit: false) } catch { resetTransactionDepth() }
            throw error
        }
        try endTransaction(commit: true)
        return result
    }

    func execute(_ sql: String, _ binds: [PostgresBind], prepare: Bool) throws -> PostgresResult {
        dispatchPrecondition(condition: .onQueue(queue))
        guard let handle else { throw PostgresError(kind: .usage, message: "connection is closed") }
        let result: OpaquePointer?
        if binds.isEmpty && !prepare {
            result = PQexec(handle, sql)
        } else if prepare {
            let name: String
            if let existing = preparedNames[sql] {
                name = existing
            } else {
                name = nextPreparedName()
                let prepared = PQprepare(handle, name, sql, Int32(binds.count), nil)
                defer { PQclear(prepared) }
                do {
                    try check(prepared, sql: sql)
                } catch {
                    if PQstatus(handle) != CONNECTION_OK { closeOnQueue() }
                    throw error
                }
                preparedNames[sql] = name
            }
            result = withParameters(binds) { values, lengths, formats in
                PQexecPrepared(handle, name, Int32(binds.count), values, lengths, formats, 0)
            }
        } else {
            result = withParameters(binds) { values, lengths, formats in
                PQexecParams(handle, sql, Int32(binds.count), nil, values, lengths, formats, 0)
            }
        }
        do {
            try check(result, sql: sql)
        } catch {
            PQclear(result)
            // A read-only server (a demoted primary, a standby behind a proxy) is dropped like a lost one: the
            // next connection finds the primary again (target_session_attrs=read-write).
            let postgres = error as? PostgresError
            if PQstatus(handle) != CONNECTION_OK || postgres?.isReadOnlyServer == true || postgres?.kind == .connection { closeOnQueue() }
            throw error
        }
        return PostgresResult(handle: result)
    }

    func nextPreparedName() -> String {
        preparedSerial += 1
        return "nj_\(preparedSerial)"
    }

    func check(_ result: OpaquePointer?, sql: String) throws {
        let status = result.map { PQresultStatus($0) } ?? PGRES_FATAL_ERROR
        switch status {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_COPY_IN, PGRES_EMPTY_QUERY:
            return
        default:
            throw makeError(result, sql: sql)
        }
    }

    func makeError(_ result: OpaquePointer?, sql: String?) -> PostgresError {
        func field(_ code: UInt8) -> String? {
            guard let result, let pointer = PQresultErrorField(result, Int32(code)) else { return nil }
            return connectionString.redact(String(cString: pointer))
        }
        let sqlState = field(UInt8(ascii: "C"))
        var message = field(UInt8(ascii: "M"))
        if message == nil, let handle, let pointer = PQerrorMessage(handle) {
            message = connectionString.redact(String(cString: pointer).trimmingSpaces())
        }
        let lost = handle.map { PQstatus($0) != CONNECTION_OK } ?? true
        // An error the server did not send (no SQLSTATE, no message field) is libpq's own: the link failed.
        // After a failed write ("server closed the connection unexpectedly") libpq may still say CONNECTION_OK
        // until it reads again, so the status alone would call a dead server's answer a server error.
        let fromLibpq = sqlState == nil && field(UInt8(ascii: "M")) == nil
        return PostgresError(kind: sqlState == nil && (lost || fromLibpq) ? .connection : .server,
                             sqlState: sqlState,
                             message: message ?? "unknown error",
                             detail: field(UInt8(ascii: "D")),
                             hint: field(UInt8(ascii: "H")),
                             statement: sql)
    }

    fileprivate func copyIn(_ sql: String, chunks: (inout [UInt8]) -> Bool) throws -> Int {
        dispatchPrecondition(condition: .onQueue(queue))
        guard let handle else { throw PostgresError(kind: .usage, message: "connection is closed") }
        let start = PQexec(handle, sql)
        guard PQresultStatus(start) == PGRES_COPY_IN else {
            let error = makeError(start, sql: sql)
            PQclear(start)
            throw error
        }
        PQclear(start)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 16)
        var failure: PostgresError?
        while true {
            buffer.removeAll(keepingCapacity: true)
            let more = chunks(&buffer)
            if !buffer.isEmpty {
                let sent = buffer.withUnsafeBufferPointer { pointer -> Int32 in
                    guard let base = pointer.baseAddress else { return 1 }
                    return base.withMemoryRebound(to: CChar.self, capacity: pointer.count) {
                        PQputCopyData(handle, $0, Int32(pointer.count))
                    }
                }
                if sent != 1 {
                    failure = PostgresError(kind: .copy, message: connectionString.redact(String(cString: PQerrorMessage(handle))), statement: sql)
                    break
                }
            }
            if !more { break }
        }
        _ = PQputCopyEnd(handle, failure == nil ? nil : "client error")
        var affected = 0
        while let result = PQgetResult(handle) {
            defer { PQclear(result) }
            if PQresultStatus(result) == PGRES_COMMAND_OK {
                affected += Int(String(cString: PQcmdTuples(result))) ?? 0
            } else if failure == nil {
                failure = makeError(result, sql: sql)
            }
        }
        if let failure { throw failure }
        return affected
    }

    fileprivate func beginTransaction() throws {
        if transactionDepth == 0 {
            // Without a reliable session the settings travel with every transaction (one round trip with BEGIN).
            let settings = connectionString.settings
            _ = try execute(settings.preparedStatements ? "BEGIN" : "BEGIN; " + settings.transactionSQL, [], prepare: false)
        } else {
            _ = try execute("SAVEPOINT nj_\(transactionDepth)", [], prepare: false)
        }
        transactionDepth += 1
    }

    fileprivate func endTransaction(commit: Bool) throws {
        transactionDepth -= 1
        if transactionDepth == 0 {
            _ = try execute(commit ? "COMMIT" : "ROLLBACK", [], prepare: false)
        } else if commit {
            _ = try execute("RELEASE SAVEPOINT nj_\(transactionDepth)", [], prepare: false)
        } else {
            _ = try execute("ROLLBACK TO SAVEPOINT nj_\(transactionDepth)", [], prepare: false)
        }
    }

    fileprivate func resetTransactionDepth() { transactionDepth = 0 }
}

/// What a body can do with a connection while it holds it: valid only inside `run`/`submit`, on the
/// connection's queue.
public struct PostgresSession {
    let connection: PostgresConnection

    /// Runs a statement with bound parameters (a prepared statement, cached per connection).
    @discardableResult
    public func query(_ sql: String, _ binds: [PostgresBind] = []) throws -> PostgresResult {
        try connection.statement(sql, binds)
    }

    /// Runs a statement with bound parameters, planned afresh for these values and the tables' current size
    /// (an unnamed statement, never a cached generic plan): for statements whose best plan changes as a small,
    /// busy table grows and shrinks within minutes (the claim's lease check).
    @discardableResult
    public func queryPlannedEachTime(_ sql: String, _ binds: [PostgresBind]) throws -> PostgresResult {
        try connection.execute(sql, binds, prepare: false)
    }

    /// Runs one or more statements with no parameters (migrations, DDL).
    public func executeScript(_ sql: String) throws {
        _ = try connection.execute(sql, [], prepare: false)
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    /// Nested calls become savepoints.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try connection.beginTransaction()
        let value: T
        do {
            value = try body()
        } catch {
            do { try connection.endTransaction(commit: false) } catch { connection.resetTransactionDepth() }
            throw error
        }
        try connection.endTransaction(commit: true)
        return value
    }

    /// COPY … FROM STDIN in text format. `rows` yields each row's fields (nil is NULL).
    @discardableResult
    public func copyIn<S: Sequence>(_ sql: String, rows: S) throws -> Int where S.Element == [String?] {
        var iterator = rows.makeIterator()
        return try connection.copyIn(sql) { buffer in
            while buffer.count < 1 << 16 {
                guard let row = iterator.next() else { return false }
                CopyTextEncoder.append(row: row, to: &buffer)
            }
            return true
        }
    }
}
