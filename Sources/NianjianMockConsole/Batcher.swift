import Dispatch

/// Collects items from many callers and hands them over in batches: at once when `maximum` are waiting,
/// otherwise right after the current burst of calls. Each item's caller gets its own answer.
/// Items with the same key never share a batch (one row must not be written twice by one statement).
final class Batcher<Item: Sendable, Answer: Sendable>: @unchecked Sendable {
    typealias Flush = @Sendable (_ items: [Item], _ deliver: @escaping @Sendable ([Answer]) -> Void) -> Void
    private let queue: DispatchQueue
    private let maximum: Int
    private let flush: Flush
    // On `queue`.
    private var items: [Item] = []
    private var keys: Set<String> = []
    private var waiting: [@Sendable (Answer) -> Void] = []
    private var deferred: [(Item, String, @Sendable (Answer) -> Void)] = []
    private var scheduled = false

    init(label: String, maximum: Int, flush: @escaping Flush) {
        self.queue = DispatchQueue(label: "nianjian.batcher.\(label)")
        self.maximum = maximum
        self.flush = flush
    }

    func add(_ item: Item, key: String, completion: @escaping @Sendable (Answer) -> Void) {
        queue.async { [self] in
            enqueue(item, key: key, completion: completion)
        }
    }

    private func enqueue(_ item: Item, key: String, completion: @escaping @Sendable (Answer) -> Void) {
        if keys.contains(key) {
            deferred.append((item, key, completion))
        } else {
            keys.insert(key)
            items.append(item)
            waiting.append(completion)
        }
        if items.count >= maximum {
            send()
        } else if !scheduled {
            scheduled = true
            queue.async { [self] in
                scheduled = false
                send()
            }
        }
    }

    private func send() {
        guard !items.isEmpty else { return }
        let batch = items
        let callbacks = waiting
        items.removeAll(keepingCapacity: true)
        waiting.removeAll(keepingCapacity: true)
        keys.removeAll(keepingCapacity: true)
        flush(batch) { answers in
            for (callback, answer) in zip(callbacks, answers) { callback(answer) }
        }
        let again = deferred
        deferred.removeAll()
        for (item, key, completion) in again { enqueue(item, key: key, completion: completion) }
    }
}
