import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NianjianConsole
import NianjianDomain

/// Counts of what the adapter did, for the run's log and the closing figures. Thread-safe.
public final class AliyunCallCounters: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String: Int] = [:]

    public init() {}

    func add(_ name: String, _ amount: Int = 1) {
        lock.lock(); defer { lock.unlock() }
        values[name, default: 0] += amount
    }

    /// `signed`, `throttled`, `transient`, `permanent`, `orders`, `polls`, `described` …
    public var snapshot: [String: Int] {
        lock.lock(); defer { lock.unlock() }
        return values
    }
}

/// The console adapter for Alibaba Cloud's OpenAPI (and the simulator that speaks it): renewals through
/// `RenewInstance` with the inspection's key as `ClientToken`, polls through `GetOrderDetail`, the status
/// check through `QueryAvailableInstances` / `DescribeInstances` / `DescribeDBInstanceAttribute`. Every
/// attempt is signed anew with the real UTC time and a fresh nonce; retries are the runner's (the key
/// stays, so a lost answer never makes a second order). A call in flight holds no thread (AsyncHTTPClient).
public final class AliyunConsole: ConsoleAdapter, Sendable {
    /// The credentials for a call: the company's own account when it has one, else the account's default.
    public typealias CredentialsLookup = @Sendable (_ account: String, _ owner: AccountOwner?) -> AliyunCredentials?

    let settings: CloudSettings
    let client: HTTPClient
    let credentials: CredentialsLookup
    let signer = ACS3Signer()
    /// The real time, for `x-acs-date` (never the business clock).
    let now: @Sendable () -> Date
    public let counters = AliyunCallCounters()

    public init(settings: CloudSettings, client: HTTPClient, credentials: @escaping CredentialsLookup,
                now: @escaping @Sendable () -> Date = Date.init) {
        self.settings = settings; self.client = client; self.credentials = credentials; self.now = now
    }

    public func submit(_ request: SubmitRequest, completion: @escaping @Sendable (Result<SubmitReceipt, ConsoleError>) -> Void) {
        guard RenewPeriod.isAllowed(request.termMonths) else {
            completion(.failure(ConsoleError(.permanent(code: "InvalidParameter"),
                                             "a renewal term of \(request.termMonths) months is not offered (1-9, 12, 24 or 36)")))
            return
        }
        let call = AliyunActions.renew(serviceType: request.serviceType, instanceId: request.instanceId,
                                       region: request.region.isEmpty ? settings.region : request.region,
                                       months: request.termMonths, clientToken: request.idempotencyKey)
        Task {
            let answer = await self.send(call, account: request.account, owner: request.owner)
            completion(answer.flatMap { body in
                guard let order = AliyunActions.orderId(from: body) else {
                    return .failure(ConsoleError(.transient(.server), "RenewInstance answered without an OrderId"))
                }
                self.counters.add("orders")
                return .success(SubmitReceipt(ticket: order))
            })
        }
    }

    public func poll(_ request: PollRequest, completion: @escaping @Sendable (Result<ReviewStatus, ConsoleError>) -> Void) {
        let call = AliyunActions.orderDetail(orderId: request.ticket)
        Task {
            let answer = await self.send(call, account: request.account, owner: request.owner)
            completion(answer.flatMap { body in
                guard let status = AliyunActions.reviewStatus(from: body) else {
                    return .failure(ConsoleError(.transient(.server), "GetOrderDetail answered without a PaymentStatus"))
                }
                self.counters.add("polls")
                return .success(status)
            })
        }
    }

    /// The status of up to 100 instances of one product (the check before a renewal).
    public func describe(serviceType: String, instanceIds: [String], region: String,
                         account: String, owner: AccountOwner? = nil) async -> Result<[CloudInstanceStatus], ConsoleError> {
        let call = AliyunActions.describe(serviceType: serviceType, instanceIds: Array(instanceIds.prefix(100)),
                                          region: region.isEmpty ? settings.region : region)
        return await send(call, account: account, owner: owner).flatMap { body in
            guard let list = AliyunActions.instances(from: body, api: call.api) else {
                return .failure(ConsoleError(.transient(.server), "\(call.action) answered something unreadable"))
            }
            counters.add("described", list.count)
            return .success(list)
        }
    }

    /// The credentials a call for this account and owner is signed with (nil: none known).
    public func credentials(for account: String, owner: AccountOwner?) -> AliyunCredentials? { credentials(account, owner) }

    /// Signs and sends one call; the body of a 2xx answer, or the classified error.
    func send(_ call: AliyunCall, account: String, owner: AccountOwner?) async -> Result<[UInt8], ConsoleError> {
        guard let credentials = credentials(account, owner) else {
            return .failure(ConsoleError(.permanent(code: "MissingCredentials"),
                                         "no AccessKey for account \(account): set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or `nianjian account set`"))
        }
        let endpoint = endpoint(for: call)
        guard let components = URLComponents(string: endpoint), let host = components.host else {
            return .failure(ConsoleError(.permanent(code: "InvalidEndpoint"), "the endpoint \(endpoint) is not a URL"))
        }
        let hostHeader = components.port.map { "\(host):\($0)" } ?? host
        let query = call.query
        let signed = signer.sign(ACS3Signer.Request(host: hostHeader, action: call.action, version: call.api.version,
                                                    query: query, date: Self.utc(now()), nonce: Self.nonce()),
                                 credentials: credentials)
        counters.add("signed")
        var request = HTTPClientRequest(url: endpoint + "/?" + ACS3Signer.canonicalQuery(query))
        request.method = .POST
        for header in signed.headers { request.headers.replaceOrAdd(name: header.name, value: header.value) }
        do {
            let response = try await client.execute(request, timeout: .milliseconds(Int64(settings.timeoutSeconds * 1000)))
            let body = Array(buffer: try await response.body.collect(upTo: 4 * 1024 * 1024))
            let retryAfter = response.headers.first(name: "x-acs-retry-after")
            if (200..<300).contains(Int(response.status.code)) && retryAfter == nil { return .success(body) }
            let error = AliyunErrorClassifier.classify(status: Int(response.status.code), body: AliyunErrorBody.decode(body),
                                                       retryAfterMilliseconds: retryAfter)
            count(error)
            return .failure(error)
        } catch {
            let failure = AliyunErrorClassifier.noAnswer("\(call.action) to \(hostHeader): \(error)")
            count(failure)
            return .failure(failure)
        }
    }

    func endpoint(for call: AliyunCall) -> String {
        if let configured = settings.endpoints[call.api.rawValue] { return configured }
        return call.api.defaultEndpoint(region: call.region.isEmpty ? settings.region : call.region)
    }

    private func count(_ error: ConsoleError) {
        switch error.kind {
        case .throttled: counters.add("throttled")
        case .transient: counters.add("transient")
        case .permanent: counters.add("permanent")
        }
    }

    /// `2026-12-01T01:02:03Z`.
    static func utc(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let stamp = Timestamp(microseconds: seconds * 1_000_000).description  // 2026-12-01T01:02:03.000000Z
        return String(stamp.prefix(19)) + "Z"
    }

    /// 32 hex characters, fresh for every attempt.
    static func nonce() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let value = generator.next() as UInt64
            let text = String(value, radix: 16)
            return String(repeating: "0", count: 16 - text.count) + text
        }.joined()
    }
}
