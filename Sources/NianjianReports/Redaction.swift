// Last line of defence for free text that comes from errors (`FailedItem.lastError`): whoever wrote the
// error should already have redacted it, but a report is forwarded by email, so the renderers scrub again.

enum Redaction {
    static let mask = "***"
    static let secretKeys = ["password", "passwd", "pwd", "secret", "token", "api_key", "apikey", "access_key",
                             "accesskey", "credential"]

    /// Masks the password of `scheme://user:password@host` and the value of `password=…`, `token: …` and
    /// similar key/value pairs (keys matched case-insensitively, also inside names like `PGPASSWORD`).
    static func scrub(_ text: String) -> String {
        scrubKeyValues(scrubURLPasswords(text))
    }

    static func scrubURLPasswords(_ text: String) -> String {
        var characters = Array(text)
        var index = 0
        while index + 2 < characters.count {
            guard characters[index] == ":", characters[index + 1] == "/", characters[index + 2] == "/" else {
                index += 1
                continue
            }
            let start = index + 3
            var end = start
            while end < characters.count, !"/ \t\n\r?#\"'".contains(characters[end]) { end += 1 }
            let authority = characters[start..<end]
            if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
                characters.replaceSubrange((colon + 1)..<at, with: Array(mask))
                index = colon + 1 + mask.count
            } else {
                index = end
            }
        }
        return String(characters)
    }

    static func scrubKeyValues(_ text: String) -> String {
        var characters = Array(text)
        var lower = characters.map { $0.isASCII ? Character($0.lowercased()) : $0 }
        var index = 0
        while index < characters.count {
            guard let key = secretKeys.first(where: { matches($0, in: lower, at: index) }) else {
                index += 1
                continue
            }
            var cursor = index + key.count
            // Rest of an identifier (PGPASSWORD_FILE, token_id…), then spaces, then = or :.
            while cursor < characters.count, characters[cursor].isLetter || characters[cursor] == "_" { cursor += 1 }
            while cursor < characters.count, characters[cursor] == " " { cursor += 1 }
            guard cursor < characters.count, characters[cursor] == "=" || characters[cursor] == ":" else {
                index += key.count
                continue
            }
            cursor += 1
            while cursor < characters.count, characters[cursor] == " " { cursor += 1 }
            var quote: Character?
            if cursor < characters.count, characters[cursor] == "\"" || characters[cursor] == "'" {
                quote = characters[cursor]
                cursor += 1
            }
            var end = cursor
            while end < characters.count {
                let character = characters[end]
                if let quote { if character == quote { break } } else if character.isWhitespace || ",;&\"')".contains(character) { break }
                end += 1
            }
            if end > cursor {
                characters.replaceSubrange(cursor..<end, with: Array(mask))
                lower.replaceSubrange(cursor..<end, with: Array(mask))
            }
            index = cursor + (end > cursor ? mask.count : 0)
        }
        return String(characters)
    }

    private static func matches(_ key: String, in lower: [Character], at index: Int) -> Bool {
        var position = index
        for character in key {
            guard position < lower.count, lower[position] == character else { return false }
            position += 1
        }
        return true
    }
}
