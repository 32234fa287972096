import NianjianDomain
import NianjianPostgres

/// Conversions between PostgreSQL values and domain values, in one place.
enum StoreDecoding {
    /// A claimed inspection from the thirteen columns every claim returns: tenant_id, slug, id, service_id,
    /// company_id, cycle, due_on, state, attempts, generation, idempotency_key, console_ticket, lease token.
    static func claimedInspection(_ row: PostgresRow) throws -> ClaimedInspection {
        guard let state = InspectionState(rawValue: try row.requireString(7)) else {
            throw PostgresError(kind: .decoding, message: "unknown inspection state '\(row.string(7) ?? "")'")
        }
        return ClaimedInspection(
            tenantId: try row.requireInt64(0), tenantSlug: try row.requireString(1), id: try row.requireInt64(2),
            serviceId: try row.requireInt64(3), companyId: try row.requireInt64(4), cycle: try row.requireInt(5),
            dueOn: try date(row, 6), state: state, attempts: try row.requireInt(8),
            generation: try row.requireInt(9), idempotencyKey: row.string(10), ticket: row.string(11),
            leaseToken: try row.requireInt64(12))
    }

    /// A service from nine columns starting at `first`: service_ref, console_instance_id, service_type, region,
    /// expires_on, renewal_amount, renewal_method, contract_number, term_months.
    static func service(_ row: PostgresRow, from first: Int) throws -> Service {
        Service(ref: try row.requireString(first), consoleInstanceId: try row.requireString(first + 1),
                serviceType: try row.requireString(first + 2), region: row.string(first + 3) ?? "",
                expiresOn: try date(row, first + 4), renewalAmount: try money(row, first + 5),
                renewalMethod: row.string(first + 6).flatMap(RenewalMethod.init(rawValue:)),
                contractNumber: row.string(first + 7) ?? "", termMonths: try row.requireInt(first + 8))
    }

    static func date(_ row: PostgresRow, _ column: Int) throws -> CivilDate {
        guard let value = try optionalDate(row, column) else {
            throw PostgresError(kind: .decoding, message: "column \(column) is NULL, a date was expected")
        }
        return value
    }

    static func optionalDate(_ row: PostgresRow, _ column: Int) throws -> CivilDate? {
        guard let parts = try row.date(column) else { return nil }
        guard let date = CivilDate(year: parts.year, month: parts.month, day: parts.day) else {
            throw PostgresError(kind: .decoding, message: "column \(column) holds a date out of range")
        }
        return date
    }

    static func money(_ row: PostgresRow, _ column: Int) throws -> Money {
        guard let value = try optionalMoney(row, column) else {
            throw PostgresError(kind: .decoding, message: "column \(column) is NULL, an amount was expected")
        }
        return value
    }

    static func optionalMoney(_ row: PostgresRow, _ column: Int) throws -> Money? {
        guard let numeric = try row.numeric(column) else { return nil }
        guard let fen = numeric.scaledInteger(scale: 2) else {
            throw PostgresError(kind: .decoding, message: "column \(column) holds an amount with more than two decimals")
        }
        return Money(fen: fen)
    }

    static func timestamp(_ row: PostgresRow, _ column: Int) throws -> Timestamp? {
        try row.timestampMicroseconds(column).map(Timestamp.init(microseconds:))
    }
}
