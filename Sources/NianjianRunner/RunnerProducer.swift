import Dispatch
import Foundation
import Logging
import NianjianConsole
import NianjianDomain
import NianjianPostgres
import NianjianStore

/// The producer: claim sizing, the fair claim, idle and next-due, the end of the night.
extension NightRunner {
    /// How much work the runner holds at most: a batch being claimed and validated while up to `batch.writers`
    /// batches are written back. (Holding one batch left the pipeline empty while its writes ran: claim, load,
    /// write and write again took turns instead of overlapping.)
    var holdLimit: Int { job.batch.claim * (1 + max(1, job.batch.writers)) }

    func claim() {
        guard !stopping, !finishing, !claiming, held < holdLimit else { return }
        claiming = true
        // The first claim of a run is a quarter batch: every tenant's first share reaches the console sooner.
        let size = claimedCount == 0 ? max(1, job.batch.claim / 4) : job.batch.claim
        let request = ClaimRequest(owner: options.runnerId, leaseSeconds: job.lease.seconds, batchSize: size,
                                   now: clock.now(), tenantIds: tenantIds)
        // A claim retried after a lost connection may have committed the first time: before claiming again, the
        // retry adopts what this runner holds under a token it never received (same owner, same token).
        let owner = options.runnerId, lease = job.lease.seconds
        let retry: @Sendable () -> @Sendable (any RunnerStoreSession) throws -> [ClaimedInspection] = { [self] in
            let known = Array(receivedTokens)
            var fresh = request
            fresh.now = clock.now()
            return { [fresh] session in
                let adopted = try session.adoptLeases(owner: owner, knownTokens: known, leaseSeconds: lease)
                return adopted + (try session.claim(fresh))
            }
        }
        let began = DispatchTime.now().seconds
        databaseCall("claim", { try $0.claim(request) }, retry: retry) { [self] claimed in
            claiming = false
            // Full: a whole batch (the first claim's quarter batch is not the same claim).
            claimTimes.record(returned: claimed.count, asked: job.batch.claim, seconds: DispatchTime.now().seconds - began)
            receivedTokens.formUnion(claimed.map(\.leaseToken))
            claimedCount += claimed.count
            held += claimed.count
            if claimed.isEmpty {
                // A stop that came while this claim was in flight can finish now.
                if stopping { finishAfterStop() } else if held == 0 && loading == 0 { checkIdle() }
                return
            }
            accept(claimed)
            // More may be due: keep the pipeline full.
            claim()
        }
    }

    /// Sorts claimed work: polls go straight to their tenant's lane; pending and resumed submissions need
    /// their company file first.
    func accept(_ claimed: [ClaimedInspection]) {
        var needFiles: [ClaimedInspection] = []
        for item in claimed {
            if stopping {
                release([item])
                continue
            }
            switch item.state {
            case .inReview:
                guard let ticket = item.ticket else {
                    writeOutcome(item, snapshot(of: item), event: .permanentError(message: "in review without a ticket"), file: nil)
                    continue
                }
                enqueue(WorkItem(claim: item, snapshot: snapshot(of: item), file: nil, action: .poll(ticket: ticket)))
            case .pending, .submitting:
                needFiles.append(item)
            default:
                release([item])
            }
        }
        guard !needFiles.isEmpty else { dispatchWork(); return }
        loading += 1
        let toValidate = needFiles
        databaseCall("load files", { try $0.loadFiles(for: toValidate) }) { [self] files in
            loading -= 1
            checkStatusThenValidate(toValidate, files: files)
        }
    }

    /// Nothing is held: wait for work due later tonight (retries, polls, leases of dead runners), or end.
    func checkIdle() {
        guard !stopping, !finishing, !claimScheduled, !idleCheckInFlight else { return }
        idleCheckInFlight = true
        let ids = tenantIds, owner = options.runnerId
        databaseCall("next due", { try $0.nextDue(tenantIds: ids, owner: owner) }) { [self] next in
            idleCheckInFlight = false
            guard !stopping, held == 0, !claiming else { finishAfterStop(); return }
            let now = clock.now()
            logger.debug("idle check", metadata: ["due": "\(next.businessDue.map { "\($0)" } ?? "none")", "now": "\(now)",
                                                  "lease_expiry_in": "\(next.secondsUntilLeaseExpiry.map { "\($0)" } ?? "none")"])
            var wait: Double?
            if let due = next.businessDue {
                let seconds = (due.seconds - now.seconds)
                if seconds <= 0 { claim(); return }
                if options.watch || due <= nightEnd { wait = seconds }
            }
            if let leaseSeconds = next.secondsUntilLeaseExpiry,
               options.watch || now.adding(seconds: max(0, leaseSeconds)) <= nightEnd {
                // A runner died holding work: rescue it once its lease runs out.
                wait = min(wait ?? .infinity, max(0.05, leaseSeconds + 0.05))
            }
            if options.watch && wait == nil { wait = 5 }
            guard let wait else { handle(.nightOver); return }
            claimScheduled = true
            queue.asyncAfter(deadline: .now() + min(wait, 5)) { [self] in
                claimScheduled = false
                rescueThenClaim()
            }
        }
    }

    func rescueThenClaim() {
        let now = clock.now(), actor = "rescuer:\(options.runnerId)"
        let lease = job.lease.seconds, owner = options.runnerId
        databaseCall("rescue", { try $0.extendThenRescue(owner: owner, businessNow: now, actor: actor, leaseSeconds: lease) }) { [self] _ in
            claim()
            if held == 0 && !claiming { checkIdle() }
        }
    }
}
