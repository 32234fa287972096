import NianjianStore

/// The minimal pure-SQL lifecycle (`MinimalFloorQueries`) the throughput target is measured against:
/// runner ≥ 0.5 × this, on the same server in the same run.
enum BenchMinimalFloor {
    /// The yardstick batch: one transaction per 500 jobs.
    static let batch = 500

    /// Jobs per second through the minimal lifecycle, for `count` jobs; refuses a figure whose outcome is wrong.
    static func measure(_ database: Database, count: Int, tenants: Int) throws -> Double {
        try database.runBlocking { session -> Double in
            try MinimalFloorQueries.create(session, count: count, tenants: tenants)
            defer { try? MinimalFloorQueries.drop(session) }
            let started = Bench.seconds()
            var carried = 0
            while true {
                let done = try MinimalFloorQueries.lifecycleBatch(session, owner: "minimal-floor", batchSize: batch)
                if done == 0 { break }
                carried += done
                if carried > count { throw BenchError("the minimal floor carried \(carried) jobs of \(count)") }
            }
            let seconds = Bench.seconds() - started
            let verified = try MinimalFloorQueries.verified(session)
            guard verified == count else {
                throw BenchError("the minimal floor's outcome is wrong: \(verified) of \(count) approved and renewed once")
            }
            return Double(count) / seconds
        }
    }
}
