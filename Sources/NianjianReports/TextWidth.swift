// Terminal display width (East Asian Wide/Fullwidth count 2) and safe terminal text.

/// Columns a string takes in a terminal.
public enum DisplayWidth {
    /// Sum of the scalars' widths: East Asian Wide and Fullwidth scalars count 2, combining marks,
    /// format characters and variation selectors 0, everything else 1.
    public static func of(_ text: String) -> Int {
        text.unicodeScalars.reduce(0) { $0 + of($1) }
    }

    public static func of(_ scalar: Unicode.Scalar) -> Int {
        let value = scalar.value
        if value == 0 { return 0 }
        if value < 0x20 || (0x7F..<0xA0).contains(value) { return 0 }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        if (0x1160...0x11FF).contains(value) { return 0 } // Hangul medial vowels / final consonants
        return isWide(value) ? 2 : 1
    }

    /// East Asian Wide (W) and Fullwidth (F) ranges (Unicode 15, EastAsianWidth.txt, condensed).
    static func isWide(_ value: UInt32) -> Bool {
        switch value {
        case 0x1100...0x115F,       // Hangul Jamo initials
             0x231A...0x231B, 0x2329...0x232A, 0x23E9...0x23EC, 0x23F0, 0x23F3,
             0x25FD...0x25FE, 0x2614...0x2615, 0x2648...0x2653, 0x267F, 0x2693, 0x26A1,
             0x26AA...0x26AB, 0x26BD...0x26BE, 0x26C4...0x26C5, 0x26CE, 0x26D4, 0x26EA,
             0x26F2...0x26F3, 0x26F5, 0x26FA, 0x26FD, 0x2705, 0x270A...0x270B, 0x2728, 0x274C,
             0x274E, 0x2753...0x2755, 0x2757, 0x2795...0x2797, 0x27B0, 0x27BF, 0x2B1B...0x2B1C,
             0x2B50, 0x2B55,
             0x2E80...0x303E,       // CJK radicals, Kangxi, ideographic description, CJK symbols & punctuation
             0x3041...0x33FF,       // Hiragana, Katakana, Bopomofo, Hangul compat, Kanbun, CJK strokes, enclosed, compat
             0x3400...0x4DBF,       // CJK Extension A
             0x4E00...0x9FFF,       // CJK Unified Ideographs
             0xA000...0xA4CF,       // Yi
             0xA960...0xA97F,       // Hangul Jamo Extended-A
             0xAC00...0xD7A3,       // Hangul syllables
             0xF900...0xFAFF,       // CJK compatibility ideographs
             0xFE10...0xFE19,       // vertical forms
             0xFE30...0xFE6F,       // CJK compatibility forms, small form variants
             0xFF00...0xFF60,       // Fullwidth forms
             0xFFE0...0xFFE6,       // Fullwidth signs
             0x16FE0...0x16FE4, 0x17000...0x18CFF, 0x1B000...0x1B2FF,
             0x1F004, 0x1F0CF, 0x1F18E, 0x1F191...0x1F19A, 0x1F200...0x1F251,
             0x1F300...0x1F320, 0x1F32D...0x1F335, 0x1F337...0x1F37C, 0x1F37E...0x1F393,
             0x1F3A0...0x1F3CA, 0x1F3CF...0x1F3D3, 0x1F3E0...0x1F3F0, 0x1F3F4, 0x1F3F8...0x1F43E,
             0x1F440, 0x1F442...0x1F4FC, 0x1F4FF...0x1F53D, 0x1F54B...0x1F54E, 0x1F550...0x1F567,
             0x1F57A, 0x1F595...0x1F596, 0x1F5A4, 0x1F5FB...0x1F64F, 0x1F680...0x1F6C5, 0x1F6CC,
             0x1F6D0...0x1F6D2, 0x1F6D5...0x1F6D7, 0x1F6DC...0x1F6DF, 0x1F6EB...0x1F6EC,
             0x1F6F4...0x1F6FC, 0x1F7E0...0x1F7EB, 0x1F7F0, 0x1F90C...0x1F93A, 0x1F93C...0x1F945,
             0x1F947...0x1F9FF, 0x1FA70...0x1FAFF,
             0x20000...0x2FFFD,     // CJK Extensions B…F, compatibility supplement
             0x30000...0x3FFFD:     // CJK Extension G…
            return true
        default:
            return false
        }
    }
}

/// A plain table for command-line output (tenant lists, migration status…): columns aligned by display
/// width, cells made terminal-safe (`TerminalText.sanitize`), long cells wrapped, no trailing spaces.
public enum PlainTable {
    public static func render(header: [String], rows: [[String]], rightAligned: Set<Int> = [], indent: String = "") -> String {
        var table = TextTable(header.enumerated().map {
            TextTable.Column(header: $0.element, alignment: rightAligned.contains($0.offset) ? .right : .left, maxWidth: 60)
        })
        for row in rows { table.add(row) }
        return table.render(indent: indent).joined(separator: "\n")
    }
}

enum TerminalText {
    /// Makes user data safe for one terminal cell: no control characters (so no escape sequences,
    /// no line breaks breaking the layout). Tabs and line breaks become spaces; other controls U+FFFD.
    static func sanitize(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x09, 0x0A, 0x0D: out.append(" ")
            // C0/C1 controls (escape sequences), line/paragraph separators, and bidirectional overrides
            // and isolates (which could visually reorder a line: "Trojan Source").
            case 0x00..<0x20, 0x7F..<0xA0, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069:
                out.append("\u{FFFD}")
            default: out.append(scalar)
            }
        }
        return String(out)
    }

    /// Breaks `text` into lines of at most `maxWidth` columns, never cutting anything off: at a space when
    /// there is one (the space is dropped), otherwise between two characters, and CJK text between any two
    /// ideographs (CJK is 2 columns wide). A character wider than `maxWidth` gets a line of its own.
    static func wrap(_ text: String, toWidth maxWidth: Int) -> [String] {
        let limit = max(1, maxWidth)
        guard DisplayWidth.of(text) > limit else { return [text] }
        var lines: [String] = []
        var line: [Character] = []
        var lineWidth = 0
        func width(_ characters: ArraySlice<Character>) -> Int {
            characters.reduce(0) { $0 + DisplayWidth.of(String($1)) }
        }
        func isWide(_ character: Character) -> Bool { DisplayWidth.of(String(character)) >= 2 }
        /// The last index a new line may start at (after a space, before or after a wide character), if any;
        /// `line.count` breaks before `next`.
        func lastBreak(before next: Character) -> Int? {
            var index = line.count
            while index > 0 {
                let following = index < line.count ? line[index] : next
                if line[index - 1] == " " || isWide(line[index - 1]) || isWide(following) { return index }
                index -= 1
            }
            return nil
        }
        func emit(_ characters: ArraySlice<Character>) {
            var end = characters.endIndex
            while end > characters.startIndex, characters[end - 1] == " " { end -= 1 }
            lines.append(String(characters[characters.startIndex..<end]))
        }
        for character in text {
            let characterWidth = DisplayWidth.of(String(character))
            if line.isEmpty, character == " " { continue } // no leading space on a continuation line
            while lineWidth + characterWidth > limit, !line.isEmpty {
                if character == " " {
                    emit(line[...]); line = []; lineWidth = 0
                    break
                }
                if let split = lastBreak(before: character) {
                    emit(line[..<split])
                    line = Array(line[split...].drop { $0 == " " })
                } else {
                    emit(line[...])
                    line = []
                }
                lineWidth = width(line[...])
            }
            if line.isEmpty, character == " " { continue }
            line.append(character)
            lineWidth += characterWidth
        }
        if !line.isEmpty { emit(line[...]) }
        return lines.isEmpty ? [""] : lines
    }

    /// Cuts `text` to at most `maxWidth` columns, ending with "..." when cut (never splitting a character).
    static func truncate(_ text: String, toWidth maxWidth: Int) -> String {
        guard DisplayWidth.of(text) > maxWidth else { return text }
        let budget = max(0, maxWidth - 3)
        var used = 0
        var out = ""
        for character in text {
            let width = DisplayWidth.of(String(character))
            if used + width > budget { break }
            used += width
            out.append(character)
        }
        return out + "..."
    }

    static func pad(_ text: String, toWidth width: Int, right: Bool) -> String {
        let fill = String(repeating: " ", count: max(0, width - DisplayWidth.of(text)))
        return right ? fill + text : text + fill
    }
}

enum NumberText {
    /// A finite double with exactly `places` decimals, rounded half away from zero ("2.5", "9.1", "3.0").
    static func fixed(_ value: Double, places: Int = 1) -> String {
        guard value.isFinite else { return "0" }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = Int64((value * scale).rounded(.toNearestOrAwayFromZero))
        let magnitude = scaled.magnitude
        let divisor = UInt64(scale)
        let whole = magnitude / divisor
        let sign = scaled < 0 ? "-" : ""
        guard places > 0 else { return sign + String(whole) }
        let fraction = String(magnitude % divisor)
        return sign + String(whole) + "." + String(repeating: "0", count: places - fraction.count) + fraction
    }
}
