import Foundation
import NianjianCloudSimulator
import NianjianDomain
import Testing

/// The state store alone: concurrent retries, a torn journal.
@Suite("cloud simulator: state")
struct StateTests {
    func command(_ token: String, period: Int = 12) -> CloudState.RenewCommand {
        CloudState.RenewCommand(accessKeyId: alice.accessKeyId, clientToken: token, fingerprint: "bss?period=\(period)",
                                product: "ecs", region: nil, instanceId: "i-bp1sim0001", periodMonths: period, now: 0)
    }

    @Test func concurrentRetriesOfOneClientTokenMakeOneOrder() async throws {
        let sim = try await simulator()
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<40 {
                group.addTask {
                    switch try await sim.state.renew(command("same-token")) {
                    case .created(let order), .duplicate(let order): return order.orderId
                    }
                }
            }
            var ids: Set<String> = []
            for try await id in group { ids.insert(id) }
            return ids
        }
        #expect(ids.count == 1)
        #expect(try await sim.state.totals().orders == 1)
    }

    @Test func aTornLastJournalLineIsDroppedAndTheRestReplayed() async throws {
        let folder = try temporaryFolder()
        let first = try await simulator(stateDirectory: folder)
        guard case .created(let order) = try await first.state.renew(command("torn-1")) else {
            Issue.record("the first order was not created"); return
        }
        // The process died in the middle of its next write.
        let path = folder + "/" + CloudState.journalName
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data("{\"order\":{\"orderId\":\"21".utf8))
        try handle.close()
        let second = try await CloudSimulator(settings: settings(), stateDirectory: folder)
        #expect(try await second.state.order(order.orderId, accessKeyId: alice.accessKeyId)?.clientToken == "torn-1")
        #expect(await second.state.businessDate() == CivilDate(year: 2026, month: 12, day: 3))
        guard case .duplicate(let again) = try await second.state.renew(command("torn-1")) else {
            Issue.record("the token was forgotten"); return
        }
        #expect(again.orderId == order.orderId)
        guard case .created(let next) = try await second.state.renew(command("torn-2")) else {
            Issue.record("no new order after the torn line"); return
        }
        #expect(next.orderId != order.orderId)
        // And that new order is itself readable after another restart (the torn bytes were cut, not glued to it).
        let third = try await CloudSimulator(settings: settings(), stateDirectory: folder)
        #expect(try await third.state.totals().orders == 2)
    }
}
