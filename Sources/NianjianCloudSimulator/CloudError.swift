/// An error answer of the cloud: HTTP status and `Code`, `Message` (and for throttling the retry-after).
/// The body is `{"RequestId","HostId","Code","Message","Recommend"}`.
public struct CloudError: Error, Sendable, Hashable, CustomStringConvertible {
    public var status: Int
    public var code: String
    public var message: String
    public var retryAfterMilliseconds: Int?

    public init(status: Int, code: String, message: String, retryAfterMilliseconds: Int? = nil) {
        self.status = status; self.code = code; self.message = message; self.retryAfterMilliseconds = retryAfterMilliseconds
    }

    public var description: String { "\(status) \(code): \(message)" }

    // Authentication (SignatureVerifier).
    static func incompleteSignature(_ message: String) -> CloudError {
        CloudError(status: 400, code: "IncompleteSignature", message: message)
    }
    static let unknownAccessKey = CloudError(status: 404, code: "InvalidAccessKeyId.NotFound",
                                             message: "Specified access key is not found.")
    static let signatureMismatch = CloudError(status: 400, code: "SignatureDoesNotMatch",
                                              message: "Specified signature does not match our calculation.")
    static let timestampExpired = CloudError(status: 400, code: "InvalidTimeStamp.Expired",
                                             message: "Specified time stamp or date value is expired (more than 15 minutes from the server's time).")
    static func timestampFormat(_ value: String) -> CloudError {
        CloudError(status: 400, code: "InvalidTimeStamp.Format", message: "x-acs-date \(value.prefix(40)) is not yyyy-MM-ddTHH:mm:ssZ.")
    }
    static let nonceUsed = CloudError(status: 400, code: "SignatureNonceUsed",
                                      message: "Specified signature nonce was used already.")

    // Routing and parameters (ActionHandlers).
    static func unknownAction(_ action: String, _ version: String) -> CloudError {
        CloudError(status: 404, code: "InvalidAction.NotFound",
                   message: "Specified api \(action.prefix(64)) (version \(version.prefix(16))) is not found.")
    }
    static func missing(_ name: String) -> CloudError {
        CloudError(status: 400, code: "MissingParameter", message: "The input parameter \(name) that is mandatory for processing this request is not supplied.")
    }
    static func invalid(_ name: String, _ why: String) -> CloudError {
        CloudError(status: 400, code: "InvalidParameter", message: "The specified parameter \(name) is not valid: \(why)")
    }
    static func instanceNotFound(_ id: String) -> CloudError {
        CloudError(status: 400, code: "InvalidInstance.NotFound", message: "The specified instance \(id.prefix(100)) does not exist.")
    }
    static func dbInstanceNotFound(_ id: String) -> CloudError {
        CloudError(status: 404, code: "InvalidDBInstanceId.NotFound", message: "The specified instance \(id.prefix(100)) is not found.")
    }
    static func instanceStatus(_ id: String, _ status: String) -> CloudError {
        CloudError(status: 400, code: "Instance.StatusError", message: "The instance \(id.prefix(100)) is \(status): it cannot be renewed.")
    }
    static func orderNotFound(_ id: String) -> CloudError {
        CloudError(status: 400, code: "InvalidOrderId.NotFound", message: "The specified order \(id.prefix(64)) does not exist.")
    }
    static let idempotentMismatch = CloudError(status: 400, code: "IdempotentParameterMismatch",
                                               message: "The ClientToken was used before with other parameters.")

    // Injected faults (FaultInjector).
    static func throttled(retryAfterMilliseconds: Int) -> CloudError {
        CloudError(status: 400, code: "Throttling.User", message: "Request was denied due to user flow control.",
                   retryAfterMilliseconds: retryAfterMilliseconds)
    }
    static let serviceUnavailable = CloudError(status: 503, code: "ServiceUnavailable",
                                               message: "The request has failed due to a temporary failure of the server.")
    static let internalError = CloudError(status: 500, code: "InternalError",
                                          message: "The request processing has failed due to some unknown error, exception or failure.")
    static let notFound = CloudError(status: 404, code: "NotFound", message: "No such path.")
}
