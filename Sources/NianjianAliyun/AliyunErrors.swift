import Foundation
import NianjianConsole
import NianjianDomain

/// Alibaba Cloud's error body: `{RequestId, HostId, Code, Message, Recommend}`.
public struct AliyunErrorBody: Sendable, Hashable, Decodable {
    public var requestId: String?
    public var hostId: String?
    public var code: String?
    public var message: String?
    public var recommend: String?

    enum CodingKeys: String, CodingKey {
        case requestId = "RequestId", hostId = "HostId", code = "Code", message = "Message", recommend = "Recommend"
    }

    public init(requestId: String? = nil, hostId: String? = nil, code: String?, message: String?, recommend: String? = nil) {
        self.requestId = requestId; self.hostId = hostId; self.code = code; self.message = message; self.recommend = recommend
    }

    public static func decode(_ body: [UInt8]) -> AliyunErrorBody? {
        try? JSONDecoder().decode(AliyunErrorBody.self, from: Data(body))
    }
}

/// What an answer (or its absence) means for the runner. One table, tested row by row:
/// - any answer carrying `x-acs-retry-after` (milliseconds), or HTTP 400 with a `Throttling*` code → throttled:
///   the tenant's bucket pauses, no attempt is spent;
/// - HTTP 5xx, `ServiceUnavailable`, `InternalError`, timeouts and connection errors → transient (after a
///   `RenewInstance` whose answer was lost the order may exist: the retry carries the same `ClientToken`);
/// - any other 4xx → permanent: the inspection fails with the code and message.
/// The `RequestId` stays in the message, for the cloud's support desk.
public enum AliyunErrorClassifier {
    /// The throttling pause when the cloud does not say how long.
    public static let defaultRetryAfterSeconds = 1.0

    public static func classify(status: Int, body: AliyunErrorBody?, retryAfterMilliseconds: String?) -> ConsoleError {
        let code = body?.code ?? "HTTP\(status)"
        let message = describe(code: code, body: body, status: status)
        if let header = retryAfterMilliseconds, let milliseconds = Double(header.trimmingCharacters(in: .whitespaces)), milliseconds >= 0 {
            return ConsoleError(.throttled(retryAfterSeconds: max(milliseconds / 1000, 0.001)), message)
        }
        if code.lowercased().hasPrefix("throttling") {
            return ConsoleError(.throttled(retryAfterSeconds: defaultRetryAfterSeconds), message)
        }
        if status >= 500 || code == "ServiceUnavailable" || code == "InternalError" || code == "UnknownError" {
            return ConsoleError(.transient(.server), message)
        }
        return ConsoleError(.permanent(code: code), message)
    }

    /// A request that got no answer: timed out, refused, reset. Transient.
    public static func noAnswer(_ what: String) -> ConsoleError {
        ConsoleError(.transient(.network), "no answer from the cloud: \(what)")
    }

    static func describe(code: String, body: AliyunErrorBody?, status: Int) -> String {
        var text = "\(code): \(body?.message ?? "HTTP \(status)")"
        if let recommend = body?.recommend, !recommend.isEmpty { text += " (\(recommend))" }
        if let requestId = body?.requestId, !requestId.isEmpty { text += " [RequestId \(requestId)]" }
        return text
    }
}
