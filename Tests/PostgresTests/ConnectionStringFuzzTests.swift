import NianjianPostgres
import Testing

/// Inputs the `connection-string` fuzz target (scripts/fuzz, Tests/Fuzz) found: libpq read them otherwise than
/// ConnectionString did, so a password showed in the redacted form or libpq was given another string.
@Suite("connection strings found by fuzzing")
struct ConnectionStringFuzzTests {
    /// libpq separates keywords by any ASCII white space, not only spaces (seed `seed-11`).
    @Test func tabsAndLineBreaksSeparateKeywords() {
        let tabs = ConnectionString("dbname=nj\tpassword=tabbed\tuser=u")
        #expect(tabs.redacted == "dbname=nj\tpassword=***\tuser=u")
        let lines = ConnectionString("host=h\npassword = multi-line\r\nuser=u")
        #expect(!lines.redacted.contains("multi-line") && lines.redacted.contains("user=u"))
    }

    /// libpq undoes a backslash escape in an unquoted value too: the password is `x y=z` (seed `seed-10`).
    @Test func backslashEscapesInUnquotedValues() {
        let escaped = ConnectionString(#"host=h password=x\ y\=z dbname=nj"#)
        #expect(escaped.redacted == "host=h password=*** dbname=nj")
        #expect(escaped.redact(#"password "x y=z" refused"#) == #"password "***" refused"#)
    }

    /// A combining mark after '=' or ':' fuses with it into one Character; libpq reads bytes.
    @Test func combiningMarksDoNotHideDelimiters() {
        let keyword = ConnectionString("host=h password=\u{301}secret")
        #expect(!keyword.redacted.contains("secret"))
        let uri = ConnectionString("postgresql://u:\u{301}secret@h/nj")
        #expect(!uri.redacted.contains("secret"))
        #expect(ConnectionString("host=h password=pw").redact("pw\u{301}") == "***\u{301}")
    }

    /// A `password` query parameter after a password holding '?', and a percent-encoded key, as libpq decodes it.
    @Test func queryPasswordsAnywhere() {
        let odd = ConnectionString("postgresql://u:p?x@h/nj?password=second")
        #expect(!odd.redacted.contains("second") && !odd.redacted.contains("p?x"))
        let encoded = ConnectionString("postgresql://u@h/nj?pass%77ord=hidden")
        #expect(!encoded.redacted.contains("hidden"))
    }

    /// Without Nianjian's own keys libpq gets the string as given: not trimmed of a trailing CR (a CRLF .env
    /// file), empty pairs kept (crash artifact `crash-uri-trailing-cr`).
    @Test func libpqGetsTheStringAsGiven() {
        for raw in ["postgresql://a/alice:s3cret@db.example.com:5431/lice9s1cret@db.example.com:5432/nianjian?sslmode=requi\r",
                    "postgresql://u@h/nj?sslmode=require\r", "postgresql://u@h/nj?a=1&&b=2"] {
            #expect(ConnectionString(raw).libpq == raw)
        }
        #expect(ConnectionString("postgresql://u@h/nj?a=1&&prepare=off").libpq == "postgresql://u@h/nj?a=1")
    }

    /// An escaped space keeps `prepare=off` inside the password, where libpq reads it; a tab or CRLF separates
    /// (crash artifact `crash-escaped-space-before-prepare`).
    @Test func nianjianKeysAreWordsAsLibpqSplitsThem() {
        let inside = ConnectionString(#"host=h password=a\ prepare=off"#)
        #expect(inside.libpq == #"host=h password=a\ prepare=off"# && inside.settings.preparedStatements)
        let tabbed = ConnectionString("host=h\tprepare=off\r\ndbname=nj")
        #expect(tabbed.libpq == "host=h dbname=nj" && !tabbed.settings.preparedStatements)
    }
}
