import NianjianDomain

/// What someone may do.
public enum WebRole: String, Sendable, CaseIterable {
    case viewer, `operator`, platform

    /// Requeue, cancel, import.
    public var canAct: Bool { self != .viewer }
}

/// Who is asking: a logged-in user (browser session) or a script (bearer token).
public struct Principal: Sendable, Hashable {
    /// The e-mail address, or `token:NAME`.
    public var name: String
    public var role: WebRole
    /// nil: the platform operator (every tenant).
    public var tenantId: Int64?
    public var tenantSlug: String?
    /// The session's CSRF token (nil for bearer tokens, which need none).
    public var csrfToken: String?
    /// SHA-256 of the session token (to end it at logout).
    public var sessionHash: String?

    public var isPlatform: Bool { role == .platform }
    /// Recorded as the actor of events.
    public var actor: String { "web:" + name }
}
