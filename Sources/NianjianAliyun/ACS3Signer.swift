import Crypto

/// Alibaba Cloud's V3 request signature, ACS3-HMAC-SHA256, as a pure function of the request: the same
/// request, credentials, date and nonce give the same headers. The caller supplies the date (the REAL UTC
/// time, never the business clock: the cloud refuses more than 15 minutes of skew) and a fresh nonce per
/// attempt.
public struct ACS3Signer: Sendable {
    public static let algorithm = "ACS3-HMAC-SHA256"

    /// One request to sign.
    public struct Request: Sendable, Hashable {
        public var method: String
        public var host: String
        public var action: String
        public var version: String
        /// Query parameters (RPC style: the action's parameters), in any order.
        public var query: [(String, String)]
        public var body: [UInt8]
        /// `x-acs-date`, e.g. `2023-10-26T10:22:32Z`.
        public var date: String
        /// `x-acs-signature-nonce`: unique per attempt.
        public var nonce: String

        public init(method: String = "POST", host: String, action: String, version: String, query: [(String, String)],
                    body: [UInt8] = [], date: String, nonce: String) {
            self.method = method; self.host = host; self.action = action; self.version = version; self.query = query
            self.body = body; self.date = date; self.nonce = nonce
        }

        public static func == (lhs: Request, rhs: Request) -> Bool {
            lhs.method == rhs.method && lhs.host == rhs.host && lhs.action == rhs.action && lhs.version == rhs.version
                && lhs.query.map(\.0) == rhs.query.map(\.0) && lhs.query.map(\.1) == rhs.query.map(\.1)
                && lhs.body == rhs.body && lhs.date == rhs.date && lhs.nonce == rhs.nonce
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(method); hasher.combine(host); hasher.combine(action); hasher.combine(date); hasher.combine(nonce)
        }
    }

    /// What a signed request carries: every header to send (the signed ones and `Authorization`).
    public struct Signed: Sendable, Hashable {
        public var headers: [(name: String, value: String)]
        public var canonicalRequest: String
        public var stringToSign: String
        public var signature: String

        public func header(_ name: String) -> String? { headers.first { $0.name == name }?.value }

        public static func == (lhs: Signed, rhs: Signed) -> Bool { lhs.signature == rhs.signature && lhs.canonicalRequest == rhs.canonicalRequest }
        public func hash(into hasher: inout Hasher) { hasher.combine(signature) }
    }

    public init() {}

    public func sign(_ request: Request, credentials: AliyunCredentials) -> Signed {
        let payloadHash = Self.hex(SHA256.hash(data: request.body))
        var headers: [(String, String)] = [
            ("host", request.host),
            ("x-acs-action", request.action),
            ("x-acs-content-sha256", payloadHash),
            ("x-acs-date", request.date),
            ("x-acs-signature-nonce", request.nonce),
            ("x-acs-version", request.version),
        ]
        if let token = credentials.securityToken { headers.append(("x-acs-security-token", token)) }
        let canonical = Self.canonicalRequest(method: request.method, query: request.query, headers: headers,
                                              payloadHash: payloadHash)
        let stringToSign = Self.algorithm + "\n" + Self.hex(SHA256.hash(data: Array(canonical.utf8)))
        let key = SymmetricKey(data: Array(credentials.accessKeySecret.utf8))
        let signature = Self.hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key))
        let signedNames = Self.signedHeaderNames(headers)
        var all = headers.map { (name: $0.0, value: $0.1) }
        all.append((name: "authorization",
                    value: "\(Self.algorithm) Credential=\(credentials.accessKeyId),SignedHeaders=\(signedNames),Signature=\(signature)"))
        return Signed(headers: all, canonicalRequest: canonical, stringToSign: stringToSign, signature: signature)
    }

    /// method \n / \n sorted encoded query \n `name:value\n` per header \n signed names \n payload hash.
    /// Public for the verifying side (the cloud simulator rebuilds it from what arrived).
    public static func canonicalRequest(method: String, query: [(String, String)], headers: [(String, String)],
                                 payloadHash: String) -> String {
        let canonicalHeaders = headers.map { (name: $0.0.lowercased(), value: trimmed($0.1)) }
            .sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
            .map { "\($0.name):\($0.value)\n" }.joined()
        return [method.uppercased(), "/", canonicalQuery(query), canonicalHeaders, signedHeaderNames(headers), payloadHash]
            .joined(separator: "\n")
    }

    /// Parameters sorted by name (then value) in byte order, names and values RFC 3986 encoded.
    public static func canonicalQuery(_ query: [(String, String)]) -> String {
        query.map { (percentEncode($0.0), percentEncode($0.1)) }
            .sorted { $0.0 == $1.0 ? $0.1.utf8.lexicographicallyPrecedes($1.1.utf8) : $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
            .map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    static func signedHeaderNames(_ headers: [(String, String)]) -> String {
        headers.map { $0.0.lowercased() }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.joined(separator: ";")
    }

    /// RFC 3986: unreserved characters (A–Z a–z 0–9 - _ . ~) as they are, every other UTF-8 byte as %XX
    /// (so a space is %20 and `*` is %2A, never `+`).
    public static func percentEncode(_ text: String) -> String {
        let hexDigits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.append(byte)
            default:
                out.append(UInt8(ascii: "%")); out.append(hexDigits[Int(byte >> 4)]); out.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func trimmed(_ value: String) -> String {
        var scalars = Substring(value)
        while let first = scalars.first, first == " " || first == "\t" { scalars = scalars.dropFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars = scalars.dropLast() }
        return String(scalars)
    }

    public static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in digest { out.append(digits[Int(byte >> 4)]); out.append(digits[Int(byte & 0x0F)]) }
        return String(decoding: out, as: UTF8.self)
    }
}

/// An AccessKey pair (and an STS token): never printed, logged or stored in plain text.
public struct AliyunCredentials: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    public var accessKeyId: String
    public var accessKeySecret: String
    public var securityToken: String?

    public init(accessKeyId: String, accessKeySecret: String, securityToken: String? = nil) {
        self.accessKeyId = accessKeyId; self.accessKeySecret = accessKeySecret; self.securityToken = securityToken
    }

    /// The SDKs' environment variables: `ALIBABA_CLOUD_ACCESS_KEY_ID`, `ALIBABA_CLOUD_ACCESS_KEY_SECRET`,
    /// optional `ALIBABA_CLOUD_SECURITY_TOKEN`.
    public static func fromEnvironment(_ environment: [String: String]) -> AliyunCredentials? {
        guard let id = environment["ALIBABA_CLOUD_ACCESS_KEY_ID"], !id.isEmpty,
              let secret = environment["ALIBABA_CLOUD_ACCESS_KEY_SECRET"], !secret.isEmpty else { return nil }
        let token = environment["ALIBABA_CLOUD_SECURITY_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        return AliyunCredentials(accessKeyId: id, accessKeySecret: secret, securityToken: token)
    }

    /// The key id masked (`LTAI****abcd`), the secret and token never.
    public var maskedKeyId: String {
        let id = Array(accessKeyId)
        guard id.count > 8 else { return "****" }
        return String(id.prefix(4)) + "****" + String(id.suffix(4))
    }

    public var description: String { "AliyunCredentials(\(maskedKeyId))" }
    public var debugDescription: String { description }
}
