/// How sessions behave: what Nianjian sets on every connection (or every transaction), and whether it may keep
/// per-connection state (named prepared statements).
///
/// Behind PgBouncer in transaction (or statement) pooling, consecutive transactions of one client connection
/// may run on different server connections: nothing set on "the session" is there for the next transaction.
/// With `preparedStatements` false (`?nianjian_prepare=off` in `DATABASE_URL`, or the job file's
/// `database.prepared_statements: false`) the layer keeps no session state at all: statements are unnamed
/// (`PQexecParams`), and every transaction starts with `SET LOCAL` of the settings below.
public struct SessionSettings: Sendable, Hashable {
    /// Named prepared statements cached per connection (the default). Off: unnamed statements, and every
    /// statement runs in a transaction that begins with `SET LOCAL` (transaction pooling).
    public var preparedStatements: Bool = true
    /// `statement_timeout`, `lock_timeout`, `idle_in_transaction_session_timeout` in milliseconds; nil leaves
    /// the server's setting, 0 turns the limit off.
    public var statementTimeoutMilliseconds: Int?
    public var lockTimeoutMilliseconds: Int?
    public var idleInTransactionTimeoutMilliseconds: Int?

    public init(preparedStatements: Bool = true, statementTimeoutMilliseconds: Int? = nil, lockTimeoutMilliseconds: Int? = nil,
                idleInTransactionTimeoutMilliseconds: Int? = nil) {
        self.preparedStatements = preparedStatements
        self.statementTimeoutMilliseconds = statementTimeoutMilliseconds
        self.lockTimeoutMilliseconds = lockTimeoutMilliseconds
        self.idleInTransactionTimeoutMilliseconds = idleInTransactionTimeoutMilliseconds
    }

    /// The settings as `(name, value)` pairs, fixed output formats first. Values are integers or constants:
    /// nothing here comes from untrusted text.
    var assignments: [(name: String, value: String)] {
        // JIT off: our statements are short, and a server's default JIT (on in Debian's PostgreSQL) compiled the
        // fair claim once its cost estimate grew with the backlog: ~0.7 s of every claim at 1,000,000 due,
        // against 0.08 s at 10,000 (auto_explain showed the time outside every plan node).
        var pairs: [(String, String)] = [("TimeZone", "'UTC'"), ("DateStyle", "'ISO, YMD'"), ("IntervalStyle", "'iso_8601'"),
                                         ("client_min_messages", "warning"), ("jit", "off")]
        if let statementTimeoutMilliseconds { pairs.append(("statement_timeout", String(max(0, statementTimeoutMilliseconds)))) }
        if let lockTimeoutMilliseconds { pairs.append(("lock_timeout", String(max(0, lockTimeoutMilliseconds)))) }
        if let idleInTransactionTimeoutMilliseconds {
            pairs.append(("idle_in_transaction_session_timeout", String(max(0, idleInTransactionTimeoutMilliseconds))))
        }
        return pairs
    }

    /// Run once when a connection opens (session level).
    var sessionSQL: String { assignments.map { "SET \($0.name) TO \($0.value)" }.joined(separator: "; ") }

    /// Run at the start of every transaction when the session cannot be relied on (transaction pooling).
    var transactionSQL: String { assignments.map { "SET LOCAL \($0.name) TO \($0.value)" }.joined(separator: "; ") }

    /// These settings with `other`'s explicit values on top (a job file's over the URL's).
    public func merged(with other: SessionSettings) -> SessionSettings {
        SessionSettings(preparedStatements: preparedStatements && other.preparedStatements,
                        statementTimeoutMilliseconds: other.statementTimeoutMilliseconds ?? statementTimeoutMilliseconds,
                        lockTimeoutMilliseconds: other.lockTimeoutMilliseconds ?? lockTimeoutMilliseconds,
                        idleInTransactionTimeoutMilliseconds: other.idleInTransactionTimeoutMilliseconds ?? idleInTransactionTimeoutMilliseconds)
    }
}

/// Nianjian's own parameters in a connection string, which libpq does not know: read, then removed before
/// the rest goes to libpq. `nianjian_prepare=off` (alias `prepare=off`): no named prepared statements.
enum NianjianParameters {
    static let prepareKeys: Set<String> = ["nianjian_prepare", "prepare"]

    /// The string without our parameters, and the settings they give.
    static func split(_ raw: String) -> (libpq: String, settings: SessionSettings) {
        var settings = SessionSettings()
        let trimmed = raw.trimmingSpaces()
        if trimmed.hasPrefix("postgres://") || trimmed.hasPrefix("postgresql://") {
            // The query starts at the first '?' after the userinfo (a password may hold an unencoded '?').
            guard let schemeEnd = trimmed.firstRange(of: "://") else { return (raw, settings) }
            let afterUser = trimmed[schemeEnd.upperBound...].lastIndex(of: "@").map { trimmed.index(after: $0) } ?? schemeEnd.upperBound
            guard let question = trimmed[afterUser...].firstIndex(of: "?") else { return (raw, settings) }
            var kept: [Substring] = []
            var removed = false
            for pair in trimmed[trimmed.index(after: question)...].split(separator: "&", omittingEmptySubsequences: true) {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                if prepareKeys.contains(String(parts[0])) {
                    settings.preparedStatements = parts.count < 2 || isOn(String(parts[1]))
                    removed = true
                } else {
                    kept.append(pair)
                }
            }
            // Nothing of ours: libpq gets the string exactly as given (not trimmed, empty pairs kept).
            guard removed else { return (raw, settings) }
            let base = String(trimmed[..<question])
            return (kept.isEmpty ? base : base + "?" + kept.joined(separator: "&"), settings)
        }
        // key=value text: drop our pairs (unquoted values), keep the rest as written.
        var kept: [String] = []
        var removed = false
        for word in keywordWords(trimmed) {
            let parts = word.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = parts.first.map { $0.trimmingSpaces() } ?? ""
            if prepareKeys.contains(key), parts.count == 2 {
                settings.preparedStatements = isOn(parts[1].trimmingSpaces())
                removed = true
            } else {
                kept.append(word)
            }
        }
        return (removed ? kept.joined(separator: " ") : raw, settings)
    }

    static func isOn(_ value: String) -> Bool {
        !["off", "false", "0", "no"].contains(value.lowercased())
    }

    /// Splits key=value text into `key=value` words as libpq does: ASCII white space separates, a backslash
    /// escapes the next character (quoted or not), quoted values stay whole; spaces around '=' are folded away.
    /// By scalar: a Character would fuse "\r\n", or a delimiter with a combining mark.
    static func keywordWords(_ text: String) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        var inQuote = false
        var escaped = false
        for scalar in text.unicodeScalars {
            if escaped || scalar == "\\" {
                escaped = !escaped
                current.append(scalar)
                continue
            }
            if inQuote {
                current.append(scalar)
                if scalar == "'" { inQuote = false }
                continue
            }
            if scalar == "'" { inQuote = true; current.append(scalar); continue }
            if scalar == " " || ("\t"..."\r").contains(scalar) {
                if current.last == "=" { continue }
                if !current.isEmpty { words.append(String(current)); current = String.UnicodeScalarView() }
                continue
            }
            if scalar == "=", current.isEmpty, let last = words.popLast() {
                current = last.unicodeScalars
            }
            current.append(scalar)
        }
        if !current.isEmpty { words.append(String(current)) }
        return words
    }
}
