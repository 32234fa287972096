import Foundation

/// Waits for `condition` to hold, checking it every `every` seconds, for at most `timeout` seconds. Returns
/// whether it held (the last check is made at the deadline). Tests synchronise on this, never on a fixed
/// sleep: a fixed sleep is too short on a loaded machine and wasted time on an idle one.
///
/// A condition that throws counts as not (yet) holding: a database that is restarting answers with errors.
@discardableResult
public func waitUntil(timeout: Double, every: Double = 0.01, _ condition: () throws -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        if (try? condition()) == true { return true }
        if Date() >= deadline { return false }
        usleep(UInt32(max(0.001, every) * 1_000_000))
    }
}

/// The same from async code: the blocking wait runs off Swift's cooperative pool.
@discardableResult
public func waitUntil(timeout: Double, every: Double = 0.01,
                      _ condition: @escaping @Sendable () throws -> Bool) async throws -> Bool {
    try await offThePool { waitUntil(timeout: timeout, every: every, condition) }
}

/// A value shared between a test and the work it watches (set from one thread, read from another).
public final class Flag<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    public init(_ value: Value) { stored = value }

    public var value: Value {
        get { lock.lock(); defer { lock.unlock() }; return stored }
        set { lock.lock(); stored = newValue; lock.unlock() }
    }
}
