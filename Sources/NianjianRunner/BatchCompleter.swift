import Dispatch
import Foundation
import Logging
import NianjianConsole
import NianjianDomain
import NianjianPostgres
import NianjianStore

/// The batch completer: the write-back buffer, flushes fenced by lease tokens, releases.
extension NightRunner {
    func addWrites(_ writes: [PendingWrite]) {
        // After the run finished, a late console answer has nowhere to go: its lease expires and the
        // next run resubmits with the same key.
        guard !writes.isEmpty, !finishing else { return }
        writeBuffer.append(contentsOf: writes)
        if writeBuffer.count >= job.batch.write || stopping {
            flush()
        } else if !flushScheduled {
            flushScheduled = true
            queue.asyncAfter(deadline: .now() + job.batch.flushMilliseconds / 1000) { [self] in
                flushScheduled = false
                flush()
            }
        }
    }

    func flush() {
        // Several write-backs may be in flight (`batch.writers`): their rows never overlap, since an inspection
        // has one write pending at a time and its next step waits for it.
        guard flushesInFlight < max(1, job.batch.writers), !finishing, !writeBuffer.isEmpty else { return }
        flushesInFlight += 1
        let batch = Array(writeBuffer.prefix(job.batch.write))
        writeBuffer.removeFirst(batch.count)
        let updates = batch.map(\.update)
        let actor = options.runnerId, run = runId
        databaseCall("write back", { try $0.writeBack(updates, actor: actor, runId: run) }) { [self] written in
            flushesInFlight -= 1
            for write in batch {
                guard written.contains(write.update.key) else {
                    // Fenced out: our lease expired and another runner has this inspection now.
                    fencedOut += 1
                    held -= 1
                    logger.warning("write refused by fencing (lease lost)", metadata: ["inspection": "\(write.update.key.id)"])
                    continue
                }
                if let then = write.then {
                    if stopping || finishing { release([then.claim]) } else { enqueue(then) }
                } else {
                    held -= 1
                    doneCount += 1
                    byTenantState[write.tenantId, default: [:]][write.update.to.rawValue, default: 0] += 1
                }
            }
            if !writeBuffer.isEmpty { flush() }
            dispatchWork()
            if stopping {
                finishAfterStop()
            } else {
                claim()
                if held == 0 && !claiming && loading == 0 && writeBuffer.isEmpty { checkIdle() }
            }
        }
    }

    /// Gives back leases of claimed work that will not be done by this run.
    func release(_ items: [ClaimedInspection]) {
        guard !items.isEmpty else { return }
        let claims = items.map { (key: $0.key, token: $0.leaseToken) }
        held -= items.count
        databaseCall("release", { try $0.releaseLeases(claims) }) { [self] _ in
            if stopping { finishAfterStop() }
        }
    }
}

/// A write-back waiting in the buffer; `then` is the console call to make once it is written.
struct PendingWrite: Sendable {
    var update: InspectionUpdate
    var tenantId: Int64
    var then: WorkItem?
}
