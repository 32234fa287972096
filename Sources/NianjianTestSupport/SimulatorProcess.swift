#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import AsyncHTTPClient
import Foundation
import NianjianPostgres
import NIOCore
import NIOHTTP1

/// `nianjian cloud serve` as its own process on a free loopback port, for tests whose runner is killed while the
/// cloud lives on. Its control plane (`/_simulator/…`) is read over HTTP.
public final class SimulatorProcess: @unchecked Sendable {
    public struct Failed: Error, CustomStringConvertible { public var description: String }

    let process = Process()
    public let port: Int
    public let stderrPath: String
    public var url: String { "http://127.0.0.1:\(port)" }

    /// `arguments` after `cloud serve --listen 127.0.0.1:0` (`--state`, `--settings`, `--instances` …).
    public init(_ arguments: [String], timeout: Double = 180) throws {
        guard let binary = NianjianBinary.path else { throw Failed(description: "the nianjian binary is not built (swift build)") }
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["cloud", "serve", "--listen", "127.0.0.1:0"] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["ALIBABA_CLOUD_ACCESS_KEY_ID"] = nil
        environment["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] = nil
        environment["ALIBABA_CLOUD_SECURITY_TOKEN"] = nil
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        process.standardInput = FileHandle.nullDevice
        stderrPath = NSTemporaryDirectory() + "nianjian-sim-\(getpid())-\(UUID().uuidString).err"
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        try process.run()
        let line = LockedText()
        let done = DispatchSemaphore(value: 0)
        let handle = out.fileHandleForReading
        BlockingWork.start {
            var data = Data()
            while !data.contains(UInt8(ascii: "\n")) {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                data.append(chunk)
            }
            line.set(String(decoding: data, as: UTF8.self))
            done.signal()
            // Keep draining stdout so the simulator never blocks on a full pipe.
            while !handle.availableData.isEmpty {}
        }
        let ready = done.wait(timeout: .now() + timeout) == .success
        let first = line.text.split(separator: "\n").first.map(String.init) ?? ""
        guard ready, first.hasPrefix("listening on http://127.0.0.1:"),
              let port = first.split(separator: ":").last.flatMap({ Int($0) }) else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let errors = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
            throw Failed(description: "cloud serve did not announce its address: stdout \(first.debugDescription), stderr \(errors)")
        }
        self.port = port
    }

    public var isRunning: Bool { process.isRunning }

    /// SIGTERM, and the exit status. The stderr file is removed unless `keepingLog` (to read it after).
    @discardableResult
    public func stop(keepingLog: Bool = false) -> Int32 {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        process.waitUntilExit()
        if !keepingLog { try? FileManager.default.removeItem(atPath: stderrPath) }
        return process.terminationStatus
    }

    /// SIGKILL: the simulator dies at once, as in a crash (its state folder must carry it).
    public func kill9() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// A control-plane call (`GET /_simulator/stats`, `POST /_simulator/clock` …): the answer's JSON text.
    public func control(_ method: HTTPMethod, _ path: String, body: String? = nil) async throws -> String {
        var request = HTTPClientRequest(url: url + path)
        request.method = method
        if let body {
            request.body = .bytes(ByteBuffer(string: body))
            request.headers.add(name: "content-type", value: "application/json")
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let buffer = try await response.body.collect(upTo: 64 * 1024 * 1024)
        let text = String(buffer: buffer)
        guard response.status.code < 300 else { throw Failed(description: "\(method) \(path): \(response.status.code) \(text.prefix(500))") }
        return text
    }

    /// `GET /_simulator/stats` as numbers (counters and order totals).
    public func stats() async throws -> [String: Int] {
        let text = try await control(.GET, "/_simulator/stats")
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return [:] }
        var numbers: [String: Int] = [:]
        for (key, value) in object { if let number = value as? Int { numbers[key] = number } }
        return numbers
    }

    /// `GET /_simulator/instances`: instance id → expiry date (`YYYY-MM-DD`) and status.
    public func instances() async throws -> [String: (expiresOn: String, status: String)] {
        let text = try await control(.GET, "/_simulator/instances")
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              let list = object["instances"] as? [[String: Any]] else { return [:] }
        var found: [String: (expiresOn: String, status: String)] = [:]
        for item in list {
            guard let id = item["instance_id"] as? String else { continue }
            found[id] = (item["expires_on"] as? String ?? "", item["status"] as? String ?? "")
        }
        return found
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

private final class LockedText: @unchecked Sendable {
    private let lock = NSLock()
    private var value = ""
    func set(_ text: String) { lock.lock(); value = text; lock.unlock() }
    var text: String { lock.lock(); defer { lock.unlock() }; return value }
}
