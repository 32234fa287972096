import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// One signed RPC call from arrival to answer: signature, date window and nonce; the action; the
/// injected latency, throttling and faults; the handler; a lost answer after an order was made.
struct RPCResponder: Sendable {
    let verifier: SignatureVerifier
    let nonces: NonceCache
    let faults: FaultInjector
    let handlers: ActionHandlers
    let stats: SimulatorStats
    let hangSeconds: Double

    func respond(_ request: Request, context: SimulatorContext) async throws -> Response {
        await stats.add("requests")
        let requestId = UUID().uuidString
        var headers: [String: String] = [:]
        for field in request.headers {
            let name = field.name.canonicalName.lowercased()
            headers[name] = headers[name].map { $0 + "," + field.value } ?? field.value
        }
        if let authority = request.head.authority { headers["host"] = authority }
        let host = headers["host"] ?? ""
        let body = try await request.body.collect(upTo: 1 << 20)
        let arrived = ArrivedRequest(method: request.method.rawValue, path: request.uri.path, rawQuery: request.uri.query ?? "",
                                     headers: headers, body: Array(buffer: body))
        do {
            let now = RealClock.seconds()
            let call: VerifiedCall
            do {
                call = try verifier.verify(arrived, now: now)
            } catch let error as CloudError {
                await stats.add(Self.rejectionCounter(error.code))
                throw error
            }
            guard await nonces.use(call.nonce, accessKeyId: call.accessKeyId, now: now) else {
                await stats.add("rejected_nonce")
                throw CloudError.nonceUsed
            }
            await stats.add("signatures_verified")
            guard let action = CloudAction(action: call.action, version: call.version) else {
                throw CloudError.unknownAction(call.action, call.version)
            }
            let (latency, decision) = await faults.decide(accessKeyId: call.accessKeyId, isOrder: action.isOrder)
            if latency > 0 { try await Task.sleep(nanoseconds: UInt64(latency * 1e9)) }
            switch decision {
            case .throttle(let milliseconds):
                await stats.add("throttled")
                throw CloudError.throttled(retryAfterMilliseconds: milliseconds)
            case .fault(let fault):
                await stats.add("faults_injected")
                await stats.add("faults." + fault.rawValue)
                switch fault {
                case .serviceUnavailable: throw CloudError.serviceUnavailable
                case .internalError: throw CloudError.internalError
                case .timeout:
                    try await Task.sleep(nanoseconds: UInt64(hangSeconds * 1e9))
                    await context.dropConnection()
                    return Self.error(.serviceUnavailable, requestId: requestId, host: host)
                case .connectionDrop:
                    await context.dropConnection()
                    return Self.error(.serviceUnavailable, requestId: requestId, host: host)
                }
            case .proceed(let lostAnswer):
                let answer = try await handlers.handle(action, call, now: now)
                switch answer.renewal {
                case .created?: await stats.add("orders_created")
                case .duplicate?: await stats.add("duplicate_submissions")
                case nil: break
                }
                if let lostAnswer, case .created? = answer.renewal {
                    await stats.add("lost_answers")
                    await stats.add("lost_answers." + lostAnswer.rawValue)
                    if lostAnswer == .connectionClosed {
                        await context.dropConnection()
                    }
                    return Self.error(.serviceUnavailable, requestId: requestId, host: host)
                }
                return Self.json(.object([("RequestId", .string(requestId))] + answer.body), status: .ok, requestId: requestId)
            }
        } catch let error as CloudError {
            if error.code == "IdempotentParameterMismatch" { await stats.add("idempotency_mismatches") }
            if error.status == 400 || error.status == 404 { await stats.add("client_errors") }
            return Self.error(error, requestId: requestId, host: host)
        }
    }

    static func rejectionCounter(_ code: String) -> String {
        switch code {
        case "InvalidAccessKeyId.NotFound": return "rejected_unknown_key"
        case "SignatureDoesNotMatch": return "rejected_signature"
        case "InvalidTimeStamp.Expired", "InvalidTimeStamp.Format": return "rejected_date"
        default: return "rejected_incomplete_signature"
        }
    }

    static func error(_ error: CloudError, requestId: String, host: String) -> Response {
        var response = json(.object([
            ("RequestId", .string(requestId)),
            ("HostId", .string(host)),
            ("Code", .string(error.code)),
            ("Message", .string(error.message)),
            ("Recommend", .string("https://api.aliyun.com/troubleshoot?q=\(error.code)")),
        ]), status: HTTPResponse.Status(code: error.status), requestId: requestId)
        if let retryAfter = error.retryAfterMilliseconds, let name = HTTPField.Name("x-acs-retry-after") {
            response.headers[name] = String(retryAfter)
        }
        return response
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status, requestId: String?) -> Response {
        var fields = HTTPFields()
        fields[.contentType] = "application/json;charset=utf-8"
        if let requestId, let name = HTTPField.Name("x-acs-request-id") { fields[name] = requestId }
        return Response(status: status, headers: fields,
                        body: ResponseBody(byteBuffer: ByteBuffer(string: value.serialized)))
    }
}
