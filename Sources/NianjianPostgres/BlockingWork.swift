import Dispatch

/// Where blocking work (libpq calls through `runBlocking`, bcrypt, files) runs when async code awaits it.
///
/// Each call gets a serial queue of its own. On Linux a serial queue targets libdispatch's overcommit pool,
/// which starts a thread at once; `DispatchQueue.global()` does not: once its two threads per core are
/// blocked it adds one thread a second (measured here: the 12th of 12 blocked jobs started after 6 s), so
/// ten web requests waiting on PostgreSQL, or a test's waiting threads, held up everything queued behind them.
public enum BlockingWork {
    /// Runs `body` on a thread of its own and awaits its result; Swift's cooperative pool never blocks.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue(label: "nianjian.blocking").async { continuation.resume(with: Result { try body() }) }
        }
    }

    /// The same for work that cannot fail.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue(label: "nianjian.blocking").async { continuation.resume(returning: body()) }
        }
    }

    /// Starts `work` now on a thread of its own, without waiting for it (after `delay` seconds when given).
    public static func start(after delay: Double = 0, _ work: @escaping @Sendable () -> Void) {
        let queue = DispatchQueue(label: "nianjian.blocking")
        if delay > 0 { queue.asyncAfter(deadline: .now() + delay, execute: work) } else { queue.async(execute: work) }
    }
}
