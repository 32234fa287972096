import Dispatch
import Foundation
import Logging

/// A pool of at most `maximumConnections` connections, each on its own serial queue.
///
/// A connection whose backend died (server restart, `pg_terminate_backend`) is noticed when it is handed
/// out or when a statement fails on it, closed, and replaced by a new one: the next caller is not broken.
public final class PostgresPool: @unchecked Sendable {
    public let connectionString: ConnectionString
    public let maximumConnections: Int
    private let logger: Logger
    private let lock = NSLock()
    // Guarded by `lock`.
    private var idle: [PostgresConnection] = []
    private var created = 0
    private var waiters: [(PostgresConnection) -> Void] = []
    private var closed = false
    private var serial = 0

    public init(_ connectionString: ConnectionString, maximumConnections: Int = 4,
                logger: Logger = Logger(label: "nianjian.postgres")) {
        self.connectionString = connectionString
        self.maximumConnections = max(1, maximumConnections)
        self.logger = logger
    }

    /// Runs `body` on a pooled connection's queue.
    @discardableResult
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresSession) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            withConnection(body) { continuation.resume(with: $0) }
        }
    }

    /// Runs `body` on a pooled connection's queue and calls `completion` there: for Dispatch-based callers.
    public func withConnection<T>(_ body: @escaping @Sendable (PostgresSession) throws -> T,
                                  completion: @escaping @Sendable (Result<T, any Error>) -> Void) {
        checkout(onClosed: {
            completion(.failure(PostgresError(kind: .usage, message: "the connection pool is closed")))
        }) { connection in
            connection.submit(body, completion: { result in
                connection.discardIfBrokenOnQueue()
                self.checkin(connection)
                completion(result)
            })
        }
    }

    /// Runs `body` on a pooled connection, blocking the caller (not for the cooperative pool).
    @discardableResult
    public func withConnectionBlocking<T>(_ body: @escaping @Sendable (PostgresSession) throws -> T) throws -> T {
        let semaphore = DispatchSemaphore(value: 0)
        let box = ResultBox<T>()
        withConnection(body) { result in
            box.result = result
            semaphore.signal()
        }
        semaphore.wait()
        guard let result = box.result else { preconditionFailure("completion ran without a result") }
        return try result.get()
    }

    private func checkout(onClosed: () -> Void, _ handler: @escaping (PostgresConnection) -> Void) {
        lock.lock()
        if closed {
            lock.unlock()
            onClosed()
            return
        }
        if let connection = idle.popLast() {
            lock.unlock()
            handler(connection)
            return
        }
        if created < maximumConnections {
            created += 1
            serial += 1
            let label = "pool-\(serial)"
            lock.unlock()
            // The connection opens lazily on its own queue at first use.
            handler(PostgresConnection.lazy(connectionString, label: label, logger: logger))
            return
        }
        waiters.append(handler)
        lock.unlock()
    }

    private func checkin(_ connection: PostgresConnection) {
        lock.lock()
        if closed {
            created -= 1
            lock.unlock()
            connection.closeAsync()
            return
        }
        if !waiters.isEmpty {
            let waiter = waiters.removeFirst()
            lock.unlock()
            waiter(connection)
            return
        }
        idle.append(connection)
        lock.unlock()
    }

    /// Closes idle connections; busy ones close when they come back.
    public func close() {
        lock.lock()
        closed = true
        let toClose = idle
        idle.removeAll()
        created -= toClose.count
        lock.unlock()
        toClose.forEach { $0.close() }
    }
}

final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}

extension PostgresConnection {
    /// A connection that opens at its first use, on its own queue.
    static func lazy(_ connectionString: ConnectionString, label: String, logger: Logger) -> PostgresConnection {
        PostgresConnection(unopened: connectionString, label: label, logger: logger)
    }

    func closeAsync() {
        queue.async { self.close(onQueue: ()) }
    }
}
