import CLibPQ
import Dispatch

/// One statement of a pipeline: its text and bound parameters.
public struct PipelineStatement {
    public let sql: String
    public let binds: [PostgresBind]
    /// Planned afresh for its values (an unnamed statement) rather than prepared once per connection.
    public let plannedEachTime: Bool

    public init(_ sql: String, _ binds: [PostgresBind] = [], plannedEachTime: Bool = false) {
        self.sql = sql; self.binds = binds; self.plannedEachTime = plannedEachTime
    }
}

extension PostgresSession {
    /// Runs `statements` in one round trip (libpq pipeline mode) and one transaction, and returns each
    /// statement's result in order. When one fails, none of them takes effect and its error is thrown.
    ///
    /// Outside a transaction the statements form the implicit transaction that ends at the pipeline's sync;
    /// inside `transaction { }` they join it. Without reliable sessions (transaction pooling) the settings
    /// travel with the pipeline, as they do with every transaction.
    ///
    /// `localSettings` (name, value) hold for this transaction only (`SET LOCAL`, which makes it an explicit
    /// one; inside `transaction { }`, for the rest of that transaction). Names and values are the caller's
    /// constants, never user text.
    public func pipeline(_ statements: [PipelineStatement],
                         localSettings: [(name: String, value: String)] = []) throws -> [PostgresResult] {
        try connection.pipeline(statements, localSettings: localSettings)
    }
}

extension PostgresConnection {
    /// What each message sent in the pipeline answers with, in the order the server answers.
    private enum Answer {
        case prepared(name: String, sql: String)
        case statement(index: Int)
        case framing
    }

    func pipeline(_ statements: [PipelineStatement], localSettings: [(name: String, value: String)]) throws -> [PostgresResult] {
        dispatchPrecondition(condition: .onQueue(queue))
        guard !statements.isEmpty else { return [] }
        guard let handle else { throw PostgresError(kind: .usage, message: "connection is closed") }
        let settings = connectionString.settings
        // Without a session to rely on, an explicit transaction carries the settings (SET LOCAL), one message each:
        // a pipeline sends the extended protocol, which takes one statement per message.
        let carried = (settings.preparedStatements ? [] : settings.assignments) + localSettings
        let explicit = !carried.isEmpty && transactionDepth == 0
        let framing = (explicit ? ["BEGIN"] : []) + carried.map { "SET LOCAL \($0.name) TO \($0.value)" }
        guard PQenterPipelineMode(handle) == 1 else { throw makeError(nil, sql: nil) }
        var answers: [Answer] = []
        func sendFailed(_ sql: String) -> PostgresError {
            let error = makeError(nil, sql: sql)
            // The pipeline's state is unknown: the connection is dropped, and the next call opens a fresh one.
            closeOnQueue()
            return PostgresError(kind: .connection, sqlState: error.sqlState, message: error.message, statement: sql)
        }
        for sql in framing {
            guard PQsendQueryParams(handle, sql, 0, nil, nil, nil, nil, 0) == 1 else { throw sendFailed(sql) }
            answers.append(.framing)
        }
        var preparing: [String: String] = [:]
        for (index, statement) in statements.enumerated() {
            let count = Int32(statement.binds.count)
            let sent: Int32
            if settings.preparedStatements && !statement.plannedEachTime {
                let name: String
                if let known = preparedNames[statement.sql] ?? preparing[statement.sql] {
                    name = known
                } else {
                    name = nextPreparedName()
                    guard PQsendPrepare(handle, name, statement.sql, count, nil) == 1 else { throw sendFailed(statement.sql) }
                    preparing[statement.sql] = name
                    answers.append(.prepared(name: name, sql: statement.sql))
                }
                sent = withParameters(statement.binds) { values, lengths, formats in
                    PQsendQueryPrepared(handle, name, count, values, lengths, formats, 0)
                }
            } else {
                sent = withParameters(statement.binds) { values, lengths, formats in
                    PQsendQueryParams(handle, statement.sql, count, nil, values, lengths, formats, 0)
                }
            }
            guard sent == 1 else { throw sendFailed(statement.sql) }
            answers.append(.statement(index: index))
        }
        if explicit {
            guard PQsendQueryParams(handle, "COMMIT", 0, nil, nil, nil, nil, 0) == 1 else { throw sendFailed("COMMIT") }
            answers.append(.framing)
        }
        // (The messages are small — prepared statements send their names, not their text — and results are read
        // only after the sync: fine for the batches the runner sends, which fit the socket buffers both ways.)
        guard PQpipelineSync(handle) == 1 else { throw sendFailed("pipeline sync") }

        var results = [PostgresResult?](repeating: nil, count: statements.count)
        var failure: PostgresError?
        for answer in answers {
            // Each message's results end with a NULL; the first result is the one that counts.
            guard let first = PQgetResult(handle) else { throw sendFailed("pipeline result") }
            while let extra = PQgetResult(handle) { PQclear(extra) }
            let status = PQresultStatus(first)
            if status == PGRES_PIPELINE_ABORTED { PQclear(first); continue }
            let sql: String
            switch answer {
            case .prepared(_, let text): sql = text
            case .statement(let index): sql = statements[index].sql
            case .framing: sql = "transaction framing"
            }
            do {
                try check(first, sql: sql)
            } catch {
                PQclear(first)
                if failure == nil { failure = error as? PostgresError }
                continue
            }
            switch answer {
            case .prepared(let name, let text): PQclear(first); preparedNames[text] = name
            case .statement(let index): results[index] = PostgresResult(handle: first)
            case .framing: PQclear(first)
            }
        }
        guard let sync = PQgetResult(handle) else { throw sendFailed("pipeline sync") }
        let synced = PQresultStatus(sync) == PGRES_PIPELINE_SYNC
        PQclear(sync)
        guard synced, PQexitPipelineMode(handle) == 1 else { throw sendFailed("pipeline sync") }
        if let failure {
            // An explicit transaction that failed stays open, aborted, until it is rolled back.
            if explicit { _ = try? execute("ROLLBACK", [], prepare: false) }
            // (A ROLLBACK that failed on a lost link has closed the connection: read the handle again.)
            let lost = self.handle.map { PQstatus($0) != CONNECTION_OK } ?? true
            if lost || failure.isReadOnlyServer || failure.kind == .connection { closeOnQueue() }
            throw failure
        }
        return try results.map { result in
            guard let result else { throw PostgresError(kind: .usage, message: "a pipelined statement returned no result") }
            return result
        }
    }
}
