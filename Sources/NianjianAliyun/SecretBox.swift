import Crypto
import Foundation

/// Seals secrets (AccessKey secrets, STS tokens) with AES-256-GCM before they reach the database, and opens
/// them for a call. The key is never in the database: `NIANJIAN_SECRET_KEY` (32 bytes, base64 or hex), or
/// the key file `NIANJIAN_SECRET_KEY_FILE` (default `$NIANJIAN_HOME/secret.key`, created 0600 on first use).
public struct SecretBox: Sendable {
    /// The raw 32 key bytes (SymmetricKey itself is not Sendable; one is made per use).
    let keyBytes: [UInt8]

    public init(key: SymmetricKey) { keyBytes = key.withUnsafeBytes { Array($0) } }

    var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    public struct KeyError: Error, CustomStringConvertible {
        public let description: String
    }

    /// nonce (12) || ciphertext || tag (16).
    public func seal(_ secret: String) throws -> [UInt8] {
        let box = try AES.GCM.seal(Array(secret.utf8), using: key)
        guard let combined = box.combined else { throw KeyError(description: "AES-GCM produced no combined form") }
        return Array(combined)
    }

    public func open(_ sealed: [UInt8]) throws -> String {
        do {
            let box = try AES.GCM.SealedBox(combined: sealed)
            return String(decoding: try AES.GCM.open(box, using: key), as: UTF8.self)
        } catch {
            throw KeyError(description: """
                a stored cloud secret cannot be opened with this key: NIANJIAN_SECRET_KEY (or the key file) is not the one it was sealed with; restore that key or set the account again with `nianjian account set`
                无法用当前密钥解开已保存的云账号密钥：NIANJIAN_SECRET_KEY（或密钥文件）不是当初加密所用的密钥；请恢复原密钥，或用 nianjian account set 重新设置账号
                """)
        }
    }

    /// The key from the environment, or the key file (created when `create` and missing).
    public static func fromEnvironment(_ environment: [String: String], create: Bool) throws -> SecretBox {
        if let text = environment["NIANJIAN_SECRET_KEY"], !text.isEmpty {
            return SecretBox(key: try parse(text, from: "NIANJIAN_SECRET_KEY"))
        }
        let home = environment["NIANJIAN_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? ".nianjian"
        let path = environment["NIANJIAN_SECRET_KEY_FILE"].flatMap { $0.isEmpty ? nil : $0 } ?? home + "/secret.key"
        if let data = FileManager.default.contents(atPath: path) {
            return SecretBox(key: try parse(String(decoding: data, as: UTF8.self), from: path))
        }
        guard create else {
            throw KeyError(description: """
                no secret key: set NIANJIAN_SECRET_KEY (32 bytes, base64) or NIANJIAN_SECRET_KEY_FILE; \(path) does not exist
                没有加密密钥：请设置 NIANJIAN_SECRET_KEY（32 字节，base64）或 NIANJIAN_SECRET_KEY_FILE；\(path) 不存在
                """)
        }
        let key = SymmetricKey(size: .bits256)
        let text = key.withUnsafeBytes { Data($0).base64EncodedString() } + "\n"
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw KeyError(description: "cannot write the new key file \(path): check the folder / 无法写入新的密钥文件 \(path)，请检查目录")
        }
        return SecretBox(key: key)
    }

    static func parse(_ text: String, from source: String) throws -> SymmetricKey {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        var bytes: [UInt8]?
        if trimmed.utf8.count == 64, trimmed.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) || ($0 >= 65 && $0 <= 70) }) {
            var out: [UInt8] = []
            var index = trimmed.startIndex
            while index < trimmed.endIndex {
                let next = trimmed.index(index, offsetBy: 2)
                out.append(UInt8(trimmed[index..<next], radix: 16) ?? 0)
                index = next
            }
            bytes = out
        } else if let data = Data(base64Encoded: trimmed) {
            bytes = Array(data)
        }
        guard let bytes, bytes.count == 32 else {
            throw KeyError(description: """
                \(source) is not a 32-byte key (base64 or 64 hex digits): make one with `head -c 32 /dev/urandom | base64`
                \(source) 不是 32 字节的密钥（base64 或 64 位十六进制）：可用 head -c 32 /dev/urandom | base64 生成
                """)
        }
        return SymmetricKey(data: bytes)
    }
}
