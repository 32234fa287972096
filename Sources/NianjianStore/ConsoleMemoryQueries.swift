import NianjianConsole
import NianjianDomain
import NianjianPostgres

/// The mock console's memory in PostgreSQL (its own table): a runner crash forgets nothing the console
/// was told, exactly as with a real console.
public final class PostgresConsoleMemory: MockConsoleMemory, Sendable {
    let database: Database

    public init(database: Database) { self.database = database }

    public func recordSubmissions(_ submissions: [MockSubmission],
                                  completion: @escaping @Sendable (Result<[String: MockSubmission], any Error>) -> Void) {
        database.pool.withConnection({ session in
            // A repeated key keeps its first request and ticket; the repeat is counted (and a mismatch too).
            let result = try session.query("""
                INSERT INTO mock_console_submissions AS m
                       (idempotency_key, account, request_fingerprint, ticket, submitted_at, decided_on, outcome, rejection_reason)
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::date[], $7::text[], $8::text[])
                ON CONFLICT (idempotency_key) DO UPDATE
                   SET submit_count = m.submit_count + 1,
                       mismatch_count = m.mismatch_count + (m.request_fingerprint <> EXCLUDED.request_fingerprint)::int
                RETURNING idempotency_key, account, request_fingerprint, ticket, submitted_at, decided_on, rejection_reason
                """, [
                    .textArray(submissions.map(\.idempotencyKey)), .textArray(submissions.map(\.account)),
                    .textArray(submissions.map(\.fingerprint)), .textArray(submissions.map(\.ticket)),
                    .textArray(submissions.map(\.submittedAt.description)), .textArray(submissions.map(\.decidedOn.description)),
                    .textArray(submissions.map { $0.rejection == nil ? "approved" : "rejected" }),
                    .textArray(submissions.map { $0.rejection?.rawValue }),
                ])
            return try PostgresConsoleMemory.decode(result, keyColumn: 0)
        }, completion: completion)
    }

    public func lookUpTickets(_ tickets: [String],
                              completion: @escaping @Sendable (Result<[String: MockSubmission], any Error>) -> Void) {
        database.pool.withConnection({ session in
            let result = try session.query("""
                UPDATE mock_console_submissions SET poll_count = poll_count + 1 WHERE ticket = ANY($1::text[])
                RETURNING idempotency_key, account, request_fingerprint, ticket, submitted_at, decided_on, rejection_reason
                """, [.textArray(tickets)])
            return try PostgresConsoleMemory.decode(result, keyColumn: 3)
        }, completion: completion)
    }

    static func decode(_ result: PostgresResult, keyColumn: Int) throws -> [String: MockSubmission] {
        var found: [String: MockSubmission] = [:]
        for index in 0..<result.rowCount {
            let row = result[index]
            let submission = MockSubmission(
                idempotencyKey: try row.requireString(0), account: try row.requireString(1), fingerprint: try row.requireString(2),
                ticket: try row.requireString(3), submittedAt: try StoreDecoding.timestamp(row, 4) ?? Timestamp(microseconds: 0),
                decidedOn: try StoreDecoding.date(row, 5), rejection: row.string(6).flatMap(RejectionReason.init(rawValue:)))
            found[try row.requireString(keyColumn)] = submission
        }
        return found
    }
}
