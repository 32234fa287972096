import Foundation
import NianjianDomain

/// How `nianjian serve` runs.
public struct WebOptions: Sendable {
    public var host: String
    public var port: Int
    /// The address users reach the console at (behind a reverse proxy: its https URL). `https` makes the
    /// session cookie Secure.
    public var publicURL: String?
    /// A session unused for this long ends.
    public var idleTimeoutSeconds: Double
    /// A session ends this long after login whatever its use.
    public var absoluteTimeoutSeconds: Double
    public var login: LoginPolicy
    /// Overview pages refresh this often while a run is going.
    public var refreshSeconds: Int
    /// The business date reports are as of (nil: today in China).
    public var asOf: CivilDate?
    /// Largest accepted request body (spreadsheet uploads).
    public var maxUploadBytes: Int
    public var pageSize: Int

    public init(host: String = "127.0.0.1", port: Int = 8080, publicURL: String? = nil, idleTimeoutSeconds: Double = 1800,
                absoluteTimeoutSeconds: Double = 12 * 3600, login: LoginPolicy = LoginPolicy(), refreshSeconds: Int = 5,
                asOf: CivilDate? = nil, maxUploadBytes: Int = 20 * 1024 * 1024, pageSize: Int = 50) {
        self.host = host; self.port = port; self.publicURL = publicURL; self.idleTimeoutSeconds = idleTimeoutSeconds
        self.absoluteTimeoutSeconds = absoluteTimeoutSeconds; self.login = login; self.refreshSeconds = refreshSeconds
        self.asOf = asOf; self.maxUploadBytes = maxUploadBytes; self.pageSize = pageSize
    }

    /// Cookies carry Secure when the console is reached over https.
    public var secureCookies: Bool { publicURL?.lowercased().hasPrefix("https://") ?? false }
}

/// Failed logins: each failure after `freeFailures` slows the answer by `delayPerFailure` seconds (at most
/// `maxDelaySeconds`); `lockAfter` failures lock the address for `lockSeconds`.
public struct LoginPolicy: Sendable {
    public var freeFailures: Int
    public var delayPerFailure: Double
    public var maxDelaySeconds: Double
    public var lockAfter: Int
    public var lockSeconds: Double

    public init(freeFailures: Int = 2, delayPerFailure: Double = 0.5, maxDelaySeconds: Double = 3, lockAfter: Int = 5,
                lockSeconds: Double = 900) {
        self.freeFailures = freeFailures; self.delayPerFailure = delayPerFailure; self.maxDelaySeconds = maxDelaySeconds
        self.lockAfter = lockAfter; self.lockSeconds = lockSeconds
    }

    /// The pause before answering after `failures` failures.
    public func delay(afterFailures failures: Int) -> Double {
        min(maxDelaySeconds, Double(max(0, failures - freeFailures)) * delayPerFailure)
    }
}
