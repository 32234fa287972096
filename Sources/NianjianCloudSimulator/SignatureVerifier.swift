import Crypto
import NianjianAliyun
import NianjianDomain

/// A request as it arrived, before anything is trusted: header names lower-cased, the query still
/// percent-encoded.
public struct ArrivedRequest: Sendable {
    public var method: String
    public var path: String
    public var rawQuery: String
    /// Lower-cased name → value (repeated headers joined with `,`).
    public var headers: [String: String]
    public var body: [UInt8]

    public init(method: String, path: String, rawQuery: String, headers: [String: String], body: [UInt8]) {
        self.method = method; self.path = path; self.rawQuery = rawQuery; self.headers = headers; self.body = body
    }
}

/// A call whose signature checked out: who made it, which action, its parameters.
public struct VerifiedCall: Sendable {
    public var accessKeyId: String
    public var action: String
    public var version: String
    public var host: String
    public var nonce: String
    public var parameters: Parameters
}

/// The action's parameters, decoded from the query string.
public struct Parameters: Sendable {
    public var pairs: [(String, String)]

    public init(_ pairs: [(String, String)]) { self.pairs = pairs }

    public subscript(_ name: String) -> String? { pairs.first { $0.0 == name }?.1 }

    /// Every parameter but `excluded`, sorted, as one string: what "the same parameters" means for a ClientToken.
    public func fingerprint(excluding excluded: Set<String>) -> String {
        ACS3Signer.canonicalQuery(pairs.filter { !excluded.contains($0.0) })
    }
}

/// Checks ACS3-HMAC-SHA256 the way the cloud does: the canonical request is rebuilt from what arrived
/// (the decoded query re-encoded, the signed headers' values) and signed again with the account's secret.
/// Then the date window against the REAL clock; the nonce is checked by `NonceCache` afterwards.
public struct SignatureVerifier: Sendable {
    public static let required: Set<String> = ["host", "x-acs-action", "x-acs-version", "x-acs-date",
                                               "x-acs-signature-nonce", "x-acs-content-sha256"]
    /// ±15 minutes.
    public static let windowSeconds: Int64 = 15 * 60

    let accounts: [String: String]

    public init(accounts: [String: String]) { self.accounts = accounts }

    /// - Parameter now: the real time, seconds since 1970.
    public func verify(_ request: ArrivedRequest, now: Int64) throws -> VerifiedCall {
        guard let authorization = request.headers["authorization"] else {
            throw CloudError.incompleteSignature("the Authorization header is missing")
        }
        let parsed = try Self.parseAuthorization(authorization)
        guard let secret = accounts[parsed.keyId] else { throw CloudError.unknownAccessKey }
        let signedNames = parsed.signedHeaders
        for name in Self.required where !signedNames.contains(name) {
            throw CloudError.incompleteSignature("SignedHeaders must include \(name)")
        }
        if request.headers["x-acs-security-token"] != nil, !signedNames.contains("x-acs-security-token") {
            throw CloudError.incompleteSignature("SignedHeaders must include x-acs-security-token")
        }
        var headers: [(String, String)] = []
        for name in signedNames {
            guard let value = request.headers[name] else {
                throw CloudError.incompleteSignature("the signed header \(name.prefix(64)) is missing")
            }
            headers.append((name, value))
        }
        let payloadHash = request.headers["x-acs-content-sha256"] ?? ""
        let query = try Self.decodeQuery(request.rawQuery)
        let canonical = ACS3Signer.canonicalRequest(method: request.method, query: query, headers: headers,
                                                    payloadHash: payloadHash)
        let stringToSign = ACS3Signer.algorithm + "\n" + ACS3Signer.hex(SHA256.hash(data: Array(canonical.utf8)))
        let key = SymmetricKey(data: Array(secret.utf8))
        let expected = ACS3Signer.hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key))
        guard Self.constantTimeEqual(expected, parsed.signature.lowercased()),
              payloadHash == ACS3Signer.hex(SHA256.hash(data: request.body)),
              request.path == "/" else {
            throw CloudError.signatureMismatch
        }
        let date = request.headers["x-acs-date"] ?? ""
        guard let seconds = Self.parseDate(date) else { throw CloudError.timestampFormat(date) }
        guard abs(seconds - now) <= Self.windowSeconds else { throw CloudError.timestampExpired }
        return VerifiedCall(accessKeyId: parsed.keyId, action: request.headers["x-acs-action"] ?? "",
                            version: request.headers["x-acs-version"] ?? "", host: request.headers["host"] ?? "",
                            nonce: request.headers["x-acs-signature-nonce"] ?? "", parameters: Parameters(query))
    }

    struct Authorization {
        var keyId: String
        var signedHeaders: [String]
        var signature: String
    }

    /// `ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<a;b>,Signature=<hex>`.
    static func parseAuthorization(_ value: String) throws -> Authorization {
        let prefix = ACS3Signer.algorithm + " "
        guard value.hasPrefix(prefix) else {
            throw CloudError.incompleteSignature("Authorization must start with \(ACS3Signer.algorithm)")
        }
        var fields: [String: String] = [:]
        for part in value.dropFirst(prefix.count).split(separator: ",") {
            let trimmed = part.drop { $0 == " " }
            guard let equals = trimmed.firstIndex(of: "=") else { continue }
            fields[String(trimmed[..<equals])] = String(trimmed[trimmed.index(after: equals)...])
        }
        guard let keyId = fields["Credential"], !keyId.isEmpty,
              let names = fields["SignedHeaders"], !names.isEmpty,
              let signature = fields["Signature"], !signature.isEmpty else {
            throw CloudError.incompleteSignature("Authorization needs Credential, SignedHeaders and Signature")
        }
        return Authorization(keyId: keyId, signedHeaders: names.split(separator: ";").map { $0.lowercased() },
                             signature: signature)
    }

    /// `a=1&b=%20x` → [("a", "1"), ("b", " x")]. `+` stays a plus (RFC 3986, as the signer encodes).
    public static func decodeQuery(_ raw: String) throws -> [(String, String)] {
        var pairs: [(String, String)] = []
        for piece in raw.split(separator: "&", omittingEmptySubsequences: true) {
            let name: Substring
            let value: Substring
            if let equals = piece.firstIndex(of: "=") {
                name = piece[..<equals]; value = piece[piece.index(after: equals)...]
            } else {
                name = piece; value = ""
            }
            guard let decodedName = percentDecode(name), let decodedValue = percentDecode(value) else {
                throw CloudError.invalid("query", "bad percent-encoding")
            }
            pairs.append((decodedName, decodedValue))
        }
        return pairs
    }

    static func percentDecode(_ text: Substring) -> String? {
        var out: [UInt8] = []
        let bytes = Array(text.utf8)
        var index = 0
        func hexValue(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%") {
                guard index + 2 < bytes.count, let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) else {
                    return nil
                }
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    /// `2026-12-01T02:03:04Z` → seconds since 1970 (UTC).
    public static func parseDate(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count == 20, bytes[10] == UInt8(ascii: "T"), bytes[19] == UInt8(ascii: "Z"),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
              let date = CivilDate(iso: String(decoding: bytes[0..<10], as: UTF8.self)) else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for index in range {
                guard bytes[index] >= 48, bytes[index] <= 57 else { return nil }
                value = value * 10 + Int64(bytes[index] - 48)
            }
            return value
        }
        guard let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              hour < 24, minute < 60, second < 61 else { return nil }
        return Int64(date.daysSinceEpoch) * 86_400 + hour * 3600 + minute * 60 + second
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}

/// The nonces seen in the last 15 minutes (per AccessKeyId): a second use is refused.
public actor NonceCache {
    private var seen: [String: Int64] = [:]
    private var lastSweep: Int64 = 0
    let windowSeconds: Int64

    public init(windowSeconds: Int64 = SignatureVerifier.windowSeconds) { self.windowSeconds = windowSeconds }

    /// True when the nonce is new (and now remembered).
    public func use(_ nonce: String, accessKeyId: String, now: Int64) -> Bool {
        if now - lastSweep > 60 {
            // Twice the window: a date up to 15 minutes ahead stays refusable as long as it is accepted.
            seen = seen.filter { now - $0.value <= 2 * windowSeconds }
            lastSweep = now
        }
        let key = accessKeyId + "\n" + nonce
        if let first = seen[key], now - first <= 2 * windowSeconds { return false }
        seen[key] = now
        return true
    }
}
