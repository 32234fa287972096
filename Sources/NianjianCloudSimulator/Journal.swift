import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An append-only file of JSON lines, each written with one `write` and made durable with `fsync` before
/// the call returns. At open every whole line is replayed; a torn last line (the process died while
/// writing it) is cut off.
final class Journal {
    let path: String
    private let descriptor: Int32

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Opens (creating) the journal and returns the lines already in it.
    init(path: String) throws {
        self.path = path
        var lines: [[UInt8]] = []
        if let data = FileManager.default.contents(atPath: path) {
            let bytes = [UInt8](data)
            var start = 0
            for index in bytes.indices where bytes[index] == UInt8(ascii: "\n") {
                if index > start { lines.append(Array(bytes[start..<index])) }
                start = index + 1
            }
            if start < bytes.count {
                // A torn last record: never acknowledged, so dropped.
                guard truncate(path, off_t(start)) == 0 else {
                    throw Failure(description: "cannot cut the torn end of \(path): errno \(errno)")
                }
            }
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure(description: "cannot open \(path): errno \(errno)") }
        descriptor = fd
        replayed = lines
    }

    /// The lines found at open, oldest first.
    private(set) var replayed: [[UInt8]]

    func dropReplayed() { replayed = [] }

    func append(_ line: [UInt8]) throws {
        var bytes = line
        bytes.append(UInt8(ascii: "\n"))
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "cannot write \(path): errno \(errno)")
            }
            offset += written
        }
        guard fsync(descriptor) == 0 else { throw Failure(description: "cannot fsync \(path): errno \(errno)") }
    }

    deinit { close(descriptor) }
}
