import Foundation
import NianjianDemo
import NianjianDomain
import NianjianPostgres
import NianjianStore

/// One soak night: `nianjian run` on the business date until a run completes it; SIGKILLs, the restart or the
/// failover once the night is under way (events are being written); then the invariants.
struct NightContext {
    let pair: ReplicatedPair
    let database: Database
    let cloud: DemoCloud
    let executable: String
    let jobPath: String
    let folder: String
    let leaseSeconds: Double

    /// `typicalSeconds`: how long a night's run lasts (the last quiet night's), to spread the moments over it.
    func night(_ number: Int, date: CivilDate, kills: Int, disruption: String, typicalSeconds: Double,
               random: inout SeededRandom) throws -> SoakNight {
        var night = SoakNight(number: number, date: date)
        night.disruption = disruption
        let started = Date()
        try cloud.setBusinessDate(date)
        let runsFrom = try retrying { try database.runBlocking { try SoakQueries.nextRunId($0) } }
        var killsLeft = kills
        var pendingDisruption = disruption
        var failoverStarted: Date?
        var completed = false
        while !completed {
            guard night.runs < kills + 4 else {
                throw BenchError("soak: night \(number) (\(date)) did not complete in \(night.runs) runs")
            }
            night.runs += 1
            // Some moment within the night (the last night's length is the guide), once work is leased.
            let delay = Double.random(in: 0...max(0.2, 0.7 * typicalSeconds), using: &random)
            let process = try SoakRunProcess(executable: executable, jobPath: jobPath, date: date, databaseURL: pair.url(),
                                             folder: folder, number: number * 100 + night.runs)
            var killed = false
            var workSeen: Date?
            while process.isRunning {
                Thread.sleep(forTimeInterval: 0.02)
                guard killsLeft > 0 || !pendingDisruption.isEmpty else { continue }
                if workSeen == nil, ((try? database.runBlocking { try SoakQueries.leasesHeld($0) }) ?? 0) > 0 { workSeen = Date() }
                guard let workSeen, Date().timeIntervalSince(workSeen) >= delay,
                      ((try? database.runBlocking { try SoakQueries.leasesHeld($0) }) ?? 0) > 0 else { continue }
                if killsLeft > 0 {
                    process.kill9()
                    killsLeft -= 1
                    night.kills += 1
                    killed = true
                    break
                }
                let at = Date()
                if pendingDisruption == "restart" {
                    try pair.restartPrimary()
                    night.restartSeconds = Date().timeIntervalSince(at)
                } else {
                    try pair.failOver()
                    failoverStarted = at
                    night.failoverSeconds = Date().timeIntervalSince(at)
                }
                pendingDisruption = ""
            }
            if killed { continue }
            let outcome = process.finish()
            if outcome.status != 0 && outcome.summaryStatus == nil {
                throw BenchError("soak: night \(number) run \(night.runs) failed (exit \(outcome.status)): \(process.errorTail)")
            }
            completed = outcome.summaryStatus == "completed"
        }
        night.seconds = Date().timeIntervalSince(started)
        // A night that ended before its moment came: the next night takes what was left over.
        night.leftOver = (killsLeft, pendingDisruption)
        if !pendingDisruption.isEmpty { night.disruption = "" }
        if let failoverStarted {
            let first = try retrying {
                try database.runBlocking { try SoakQueries.firstEventAfter($0, epochSeconds: failoverStarted.timeIntervalSince1970) }
            }
            night.firstWriteSeconds = first.map { $0 - failoverStarted.timeIntervalSince1970 }
            let rebuilding = Date()
            try pair.rejoin()
            night.rejoinSeconds = Date().timeIntervalSince(rebuilding)
        }
        night.invariants = try retrying {
            try database.runBlocking { try SoakQueries.invariants($0, leaseSeconds: leaseSeconds, runsFrom: runsFrom) }
        }
        try check(&night)
        return night
    }

    /// The cloud and the database agree on every service's expiry (renewed once on both sides), except where
    /// an inspection is still in review: the cloud may have settled what the database learns at the next poll.
    func check(_ night: inout SoakNight) throws {
        let state = cloud.simulator.state
        let (instances, totals) = try DemoCloud.blocking { (try await state.allInstances(), try await state.totals()) }
        let cloudExpiry = Dictionary(instances.map { ($0.instanceId, $0.expiresOn.description) }, uniquingKeysWith: { first, _ in first })
        let rows = try retrying { try database.runBlocking { try SoakQueries.serviceExpiries($0) } }
        night.cloudDisagreements = rows.filter { !$0.inReview && cloudExpiry[$0.instance] != $0.expiresOn }.count
        night.cloudOrders = totals.orders
    }

    /// The parent's own reads ride out the moments the soak itself takes the database away.
    func retrying<T>(_ body: () throws -> T) throws -> T {
        var attempt = 0
        while true {
            do { return try body() } catch let error as PostgresError where error.isTransient && attempt < 100 {
                attempt += 1
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
    }
}
