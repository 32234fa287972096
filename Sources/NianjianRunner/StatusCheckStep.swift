import Dispatch
import Foundation
import NianjianConsole
import NianjianDomain
import NianjianStore

/// The service status check before a submission (issue 12): the console is asked about every claimed pending
/// inspection's instance in one batched call (the adapter groups by account and product, up to 100 instances
/// a call); the answers become findings through the pure `ServiceStatusCheck` in the inspection step.
extension NightRunner {
    func checkStatusThenValidate(_ items: [ClaimedInspection], files: [InspectionKey: InspectionFile]) {
        var keys: [InspectionKey] = []
        var queries: [StatusQuery] = []
        // Only before the first try: a pending inspection that already has its key was sent before (the answer
        // was lost or refused for now), and the cloud may already show our own order (a later expiry); the retry
        // with the same key gets that order, so the check does not run again.
        for item in items where item.state == .pending && item.idempotencyKey == nil {
            guard let file = files[item.key] else { continue }
            let service = file.file.service
            keys.append(item.key)
            queries.append(StatusQuery(account: item.tenantSlug, owner: AccountOwner(tenantId: item.tenantId, companyId: item.companyId),
                                       instanceId: service.consoleInstanceId, serviceType: service.serviceType,
                                       region: service.region, recordedExpiry: service.expiresOn,
                                       recordedRenewal: service.renewalMethod))
        }
        guard !queries.isEmpty, !stopping else {
            validateAndSubmit(items, files: files, statuses: [:])
            return
        }
        loading += 1
        let asked = keys
        console.queryStatus(queries) { [self] answers in
            queue.async { [self] in
                loading -= 1
                var statuses: [InspectionKey: StatusAnswer] = [:]
                for (key, answer) in zip(asked, answers) { statuses[key] = answer }
                validateAndSubmit(items, files: files, statuses: statuses)
            }
        }
    }

    /// The inspection event for a status check that failed: like a submission's, with the check named.
    func statusCheckEvent(for error: ConsoleError) -> InspectionEvent {
        event(for: ConsoleError(error.kind, "service status check: \(error.message)"))
    }
}
