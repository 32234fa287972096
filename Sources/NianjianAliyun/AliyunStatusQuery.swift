import NianjianConsole
import NianjianDomain

/// The service status check before a renewal: queries grouped by the AccessKey they are signed with, the API,
/// the product and the region, at most 100 instances a call (`QueryAvailableInstances` takes 100 ids;
/// `DescribeInstances` and `DescribeDBInstanceAttribute` are asked the same way). An instance the answer does
/// not list is not on the account.
extension AliyunConsole {
    /// The largest batch one call asks about.
    public static let statusBatch = 100

    public func queryStatus(_ queries: [StatusQuery], completion: @escaping @Sendable ([StatusAnswer]) -> Void) {
        Task {
            completion(await self.queryStatus(queries))
        }
    }

    /// The answers, in the order asked.
    public func queryStatus(_ queries: [StatusQuery]) async -> [StatusAnswer] {
        var order: [String] = []
        var groups: [String: [Int]] = [:]
        for (index, query) in queries.enumerated() {
            let signer = credentials(for: query.account, owner: query.owner)?.accessKeyId ?? "account:" + query.account
            let api = AliyunAPI.forServiceType(query.serviceType)
            let region = query.region.isEmpty ? settings.region : query.region
            let key = [signer, api.rawValue, AliyunAPI.productCode(query.serviceType), region].joined(separator: "\u{1}")
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(index)
        }
        var batches: [[Int]] = []
        for key in order {
            let indices = groups[key] ?? []
            var start = 0
            while start < indices.count {
                batches.append(Array(indices[start..<min(start + Self.statusBatch, indices.count)]))
                start += Self.statusBatch
            }
        }
        var answers = [StatusAnswer](repeating: .success(nil), count: queries.count)
        await withTaskGroup(of: [(Int, StatusAnswer)].self) { group in
            for batch in batches {
                let asked = batch.map { (index: $0, query: queries[$0]) }
                group.addTask { await self.answer(asked) }
            }
            for await part in group {
                for (index, answer) in part { answers[index] = answer }
            }
        }
        return answers
    }

    /// One call for queries of one group; an RDS answer "not found" for several ids is asked again one by one
    /// (that API refuses the whole call when one id is unknown).
    private func answer(_ asked: [(index: Int, query: StatusQuery)]) async -> [(Int, StatusAnswer)] {
        guard let first = asked.first?.query else { return [] }
        let result = await describe(serviceType: first.serviceType, instanceIds: asked.map(\.query.instanceId),
                                    region: first.region, account: first.account, owner: first.owner)
        switch result {
        case .success(let list):
            var byId: [String: CloudInstanceStatus] = [:]
            for status in list { byId[status.instanceId] = status }
            return asked.map { ($0.index, .success(byId[$0.query.instanceId])) }
        case .failure(let error):
            guard Self.isInstanceNotFound(error) else { return asked.map { ($0.index, .failure(error)) } }
            if asked.count == 1 { return [(asked[0].index, .success(nil))] }
            var answers: [(Int, StatusAnswer)] = []
            for one in asked { answers += await answer([one]) }
            return answers
        }
    }

    /// The cloud's "no such instance" (ECS and RDS answer with an error where BSS leaves the instance out).
    static func isInstanceNotFound(_ error: ConsoleError) -> Bool {
        guard case .permanent(let code) = error.kind else { return false }
        return ["InvalidDBInstanceId.NotFound", "InvalidInstanceId.NotFound", "InvalidInstance.NotFound"].contains(code)
    }
}
