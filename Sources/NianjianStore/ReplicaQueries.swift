import NianjianPostgres

/// Reading from a standby (`NIANJIAN_READ_DATABASE_URL`): how stale what it shows may be.
public enum ReplicaQueries {
    /// nil on a primary. On a standby, the time of the last transaction it replayed (ISO 8601, UTC), or
    /// "unknown" before it replayed any: what a report read there is as of.
    public static func replayMark(_ session: PostgresSession) throws -> String? {
        let row = try session.query("""
            SELECT pg_is_in_recovery(),
                   to_char(pg_last_xact_replay_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
            """)[0]
        guard try row.bool(0) == true else { return nil }
        return row.string(1) ?? "unknown"
    }
}
