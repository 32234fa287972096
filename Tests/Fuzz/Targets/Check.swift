// Shared by every fuzz target (compiled into each by scripts/fuzz, never by SwiftPM).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A broken invariant: printed, then abort() so that libFuzzer records the input as a crash artifact.
/// (A Swift `precondition` would work too, but its message is lost in an -O build.)
func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
             file: StaticString = #fileID, line: UInt = #line) {
    guard !condition() else { return }
    // write(2) rather than stderr: the C global is shared mutable state to Swift 6.
    let text = Array("fuzz invariant broken at \(file):\(line): \(message())\n".utf8)
    _ = text.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    abort()
}

/// The fuzzer's bytes as an array (the pointer is only valid during the call).
func bytes(_ data: UnsafePointer<UInt8>, _ size: Int) -> [UInt8] {
    Array(UnsafeBufferPointer(start: data, count: size))
}

/// A short, printable rendering of a value for a failure message.
func shown(_ value: some Any, limit: Int = 300) -> String {
    let text = String(reflecting: value)
    return text.count > limit ? String(text.prefix(limit)) + "…" : text
}
