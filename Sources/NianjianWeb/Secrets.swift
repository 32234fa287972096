import Crypto
import Dispatch
import Foundation
import HummingbirdBcrypt
import NianjianPostgres

/// Random tokens and their hashes. Secrets are stored only as SHA-256 (tokens) or bcrypt (passwords).
public enum Secrets {
    /// 32 random bytes as URL-safe base64 without padding (cookie- and header-safe).
    public static func randomToken(prefix: String = "") -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let text = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return prefix + text
    }

    public static func sha256(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
    }

    /// The CSRF token of a session: derived from the session token, so it is never stored and cannot be
    /// computed without the cookie.
    public static func csrfToken(sessionToken: String) -> String {
        let key = SymmetricKey(data: Data(sessionToken.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Data("nianjian-csrf-v1".utf8), using: key)
        return Data(mac).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Compares without an early exit (no timing hint of how much matched).
    public static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }

    /// bcrypt is slow by design: it runs on a thread of its own, never on Swift's cooperative pool.
    public static func hashPassword(_ password: String, cost: UInt8) async -> String {
        await BlockingWork.run { Bcrypt.hash(password, cost: cost) }
    }

    public static func verifyPassword(_ password: String, hash: String) async -> Bool {
        await BlockingWork.run { Bcrypt.verify(password, hash: hash) }
    }

    /// A password for `user add` without one: 20 characters from an unambiguous alphabet.
    public static func generatedPassword() -> String {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<20).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }
}

/// Runs blocking work (libpq through `runBlocking`, the importer, the report builder) on a thread of its
/// own and awaits it, so Swift's cooperative pool never blocks (see `BlockingWork`).
func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await BlockingWork.run(body)
}
