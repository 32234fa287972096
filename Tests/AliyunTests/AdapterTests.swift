import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NianjianConsole
import NianjianDomain
import Testing
@testable import NianjianAliyun

/// A recording peer on loopback: it checks each request's signature as the cloud would (rebuilding the
/// canonical request from what arrived) and answers from a script.
final class RecordingPeer: @unchecked Sendable {
    struct Seen: Sendable { var action: String; var query: [String: String]; var nonce: String; var date: String; var signatureOK: Bool }
    typealias Answer = (status: HTTPResponseStatus, headers: [(String, String)], body: String)

    private let lock = NSLock()
    private var seen: [Seen] = []
    private let script: @Sendable (Seen, Int) -> Answer
    let secret: String
    private var channel: Channel?
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    init(secret: String, script: @escaping @Sendable (Seen, Int) -> Answer) { self.secret = secret; self.script = script }

    var requests: [Seen] { lock.lock(); defer { lock.unlock() }; return seen }

    func start() throws -> Int {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap { channel.pipeline.addHandler(Handler(peer: self)) }
            }
        let channel = try bootstrap.bind(host: "127.0.0.1", port: 0).wait()
        self.channel = channel
        return channel.localAddress?.port ?? 0
    }

    func stop() {
        try? channel?.close().wait()
        try? group.syncShutdownGracefully()
    }

    func handle(_ head: HTTPRequestHead) -> Answer {
        let headers = Dictionary(head.headers.map { ($0.name.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        let rawQuery = head.uri.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
        var pairs: [(String, String)] = []
        for part in rawQuery.split(separator: "&") {
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map { String($0).removingPercentEncoding ?? "" }
            pairs.append((kv[0], kv.count > 1 ? kv[1] : ""))
        }
        let request = ACS3Signer.Request(host: headers["host"] ?? "", action: headers["x-acs-action"] ?? "",
                                         version: headers["x-acs-version"] ?? "", query: pairs,
                                         date: headers["x-acs-date"] ?? "", nonce: headers["x-acs-signature-nonce"] ?? "")
        let expected = ACS3Signer().sign(request, credentials: AliyunCredentials(accessKeyId: "LTAI5tPeerKey", accessKeySecret: secret))
        let entry = Seen(action: request.action, query: Dictionary(pairs, uniquingKeysWith: { first, _ in first }),
                         nonce: request.nonce, date: request.date,
                         signatureOK: expected.header("authorization") == headers["authorization"])
        lock.lock()
        seen.append(entry)
        let index = seen.count
        lock.unlock()
        guard entry.signatureOK else {
            return (.badRequest, [], #"{"RequestId":"R-sig","Code":"SignatureDoesNotMatch","Message":"bad signature"}"#)
        }
        return script(entry, index)
    }

    final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let peer: RecordingPeer
        var head: HTTPRequestHead?
        init(peer: RecordingPeer) { self.peer = peer }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head): self.head = head
            case .body: break
            case .end:
                guard let head else { return }
                let answer = peer.handle(head)
                var headers = HTTPHeaders([("content-type", "application/json"), ("content-length", String(answer.body.utf8.count))])
                for (name, value) in answer.headers { headers.add(name: name, value: value) }
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: answer.status, headers: headers))), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: answer.body)))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}

@Suite("Alibaba Cloud adapter over loopback", .serialized)
struct AdapterTests {
    func console(port: Int, secret: String = "peer-secret") -> (AliyunConsole, HTTPClient) {
        var settings = CloudSettings()
        for api in AliyunAPI.allCases { settings.endpoints[api.rawValue] = "http://127.0.0.1:\(port)" }
        settings.timeoutSeconds = 5
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let credentials = AliyunCredentials(accessKeyId: "LTAI5tPeerKey", accessKeySecret: secret)
        return (AliyunConsole(settings: settings, client: client, credentials: { _ in credentials }), client)
    }

    func submit(_ console: AliyunConsole, _ request: SubmitRequest) async -> Result<SubmitReceipt, ConsoleError> {
        await withCheckedContinuation { continuation in console.submit(request) { continuation.resume(returning: $0) } }
    }

    func poll(_ console: AliyunConsole, _ ticket: String) async -> Result<ReviewStatus, ConsoleError> {
        await withCheckedContinuation { continuation in
            console.poll(PollRequest(account: "acme", ticket: ticket)) { continuation.resume(returning: $0) }
        }
    }

    static let request = SubmitRequest(account: "acme", idempotencyKey: "nj-1-42-2026-g0", instanceId: "i-bp1aaa",
                                       serviceType: "ECS", termMonths: 12, amount: Money(fen: 120_000),
                                       contactName: "李娜", contactPhone: "13800138000", region: "cn-shanghai")

    /// A renewal whose answer is lost, retried with the same ClientToken: the same order, signed anew each time
    /// (fresh nonce, the real UTC time), then polled through Unpaid to Paid.
    @Test func lostAnswerRetriedWithTheSameTokenGivesTheSameOrder() async throws {
        let peer = RecordingPeer(secret: "peer-secret") { seen, index in
            switch seen.action {
            case "RenewInstance":
                // The first attempt makes the order and loses the answer (503); the retry gets the same order.
                return index == 1 ? (.serviceUnavailable, [], #"{"RequestId":"R1","Code":"ServiceUnavailable","Message":"busy"}"#)
                    : (.ok, [], #"{"RequestId":"R2","OrderId":"21000000\#(seen.query["ClientToken"] == "nj-1-42-2026-g0" ? "42" : "99")"}"#)
            case "GetOrderDetail":
                return (.ok, [], #"{"RequestId":"R3","Data":{"OrderList":{"Order":[{"OrderId":"2100000042","PaymentStatus":"\#(index < 4 ? "Unpaid" : "Paid")"}]}}}"#)
            default:
                return (.badRequest, [], #"{"RequestId":"R4","Code":"InvalidParameter","Message":"?"}"#)
            }
        }
        let port = try peer.start()
        defer { peer.stop() }
        let (console, client) = console(port: port)
        defer { shutDown(client) }

        let first = await submit(console, Self.request)
        guard case .failure(let error) = first, case .transient = error.kind else { Issue.record("\(first)"); return }
        #expect(error.message.contains("[RequestId R1]"))
        let second = await submit(console, Self.request)
        #expect((try? second.get())?.ticket == "2100000042")
        #expect(await poll(console, "2100000042").map { $0 == .reviewing } == .success(true))
        #expect(await poll(console, "2100000042").map { $0 == .approved } == .success(true))

        let seen = peer.requests
        #expect(seen.count == 4 && seen.allSatisfy(\.signatureOK))
        #expect(Set(seen.map(\.nonce)).count == 4, "a fresh nonce for every attempt")
        let renewals = seen.filter { $0.action == "RenewInstance" }
        #expect(renewals.map { $0.query["ClientToken"] } == ["nj-1-42-2026-g0", "nj-1-42-2026-g0"])
        #expect(renewals.first?.query == ["RegionId": "cn-shanghai", "InstanceId": "i-bp1aaa", "Period": "12", "PeriodUnit": "Month",
                                          "ClientToken": "nj-1-42-2026-g0"])
        // x-acs-date is the real UTC time, whatever business date the runner simulates.
        let formatter = ISO8601DateFormatter()
        for entry in seen {
            let date = try #require(formatter.date(from: entry.date), "\(entry.date)")
            #expect(abs(date.timeIntervalSinceNow) < 120)
        }
        #expect(console.counters.snapshot["signed"] == 4 && console.counters.snapshot["orders"] == 1)
    }

    /// Throttling (with its retry-after), a wrong secret, and a refused term are classed as the runner needs.
    @Test func throttlingSignatureAndTermsAreClassed() async throws {
        let peer = RecordingPeer(secret: "peer-secret") { _, _ in
            (.badRequest, [("x-acs-retry-after", "1500")], #"{"RequestId":"R-t","Code":"Throttling.User","Message":"slow down"}"#)
        }
        let port = try peer.start()
        defer { peer.stop() }
        let (good, goodClient) = console(port: port)
        defer { shutDown(goodClient) }
        let throttled = await submit(good, Self.request)
        guard case .failure(let error) = throttled, case .throttled(let seconds) = error.kind else { Issue.record("\(throttled)"); return }
        #expect(seconds == 1.5)

        let (bad, badClient) = console(port: port, secret: "wrong-secret")
        defer { shutDown(badClient) }
        let refused = await submit(bad, Self.request)
        guard case .failure(let signature) = refused, case .permanent(let code) = signature.kind else { Issue.record("\(refused)"); return }
        #expect(code == "SignatureDoesNotMatch")
        #expect(!signature.message.contains("wrong-secret"))

        var long = Self.request
        long.termMonths = 10
        let term = await submit(good, long)
        guard case .failure(let termError) = term, case .permanent("InvalidParameter") = termError.kind else { Issue.record("\(term)"); return }
        #expect(peer.requests.count == 2, "a term the cloud does not offer is refused before any call")
    }
}

/// Shuts a client down from a `defer` in an async test (`syncShutdown` is unavailable in async contexts; the
/// client's event loops are NIO's own threads, so blocking here for the shutdown is safe).
private func shutDown(_ client: HTTPClient) {
    try? client.syncShutdown()
}
