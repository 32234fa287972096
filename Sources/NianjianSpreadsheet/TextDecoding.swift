#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The encodings a spreadsheet file may come in.
public enum TextEncoding: String, Sendable, CaseIterable {
    /// UTF-8 without a byte order mark (also plain ASCII).
    case utf8 = "UTF-8"
    /// UTF-8 with the EF BB BF mark Excel writes for "CSV UTF-8".
    case utf8BOM = "UTF-8 (BOM)"
    /// GB18030 (a superset of GBK and GB2312): what Excel in China writes for plain "CSV".
    case gb18030 = "GB18030"
    /// UTF-16 with a byte order mark (Excel "Unicode text").
    case utf16LE = "UTF-16LE"
    case utf16BE = "UTF-16BE"
}

/// A file's text, transcoded to valid UTF-8 with any byte order mark removed.
public struct DecodedText: Sendable, Hashable {
    public var utf8: [UInt8]
    public var encoding: TextEncoding

    public init(utf8: [UInt8], encoding: TextEncoding) { self.utf8 = utf8; self.encoding = encoding }

    public var string: String { String(decoding: utf8, as: UTF8.self) }
}

/// Detects a file's encoding and transcodes it to UTF-8.
///
/// Order: a byte order mark decides (UTF-8, UTF-16LE/BE, GB18030); otherwise valid UTF-8 is UTF-8; otherwise
/// GB18030 through iconv. Text containing a NUL character is refused as binary.
public enum TextDecoding {
    public static func decode(_ bytes: [UInt8], file: String) -> Result<DecodedText, ImportProblem> {
        func failure(line: Int, _ en: String, _ zh: String) -> Result<DecodedText, ImportProblem> {
            .failure(ImportProblem(file: file, line: line, column: 1, messageEn: en, messageZh: zh))
        }
        let decoded: DecodedText
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            let body = Array(bytes[3...])
            if let bad = firstInvalidUTF8(body) {
                let line = lineNumber(of: bad, in: body)
                return failure(line: line,
                               "the file starts with a UTF-8 byte order mark but byte \(bad + 4) (line \(line)) is not UTF-8; save the file again as \"CSV UTF-8\"",
                               "文件以 UTF-8 BOM 开头，但第 \(line) 行（第 \(bad + 4) 字节）不是 UTF-8 编码；请重新另存为“CSV UTF-8”")
            }
            decoded = DecodedText(utf8: body, encoding: .utf8BOM)
        } else if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
            let littleEndian = bytes[0] == 0xFF
            switch decodeUTF16(bytes[2...], littleEndian: littleEndian) {
            case .success(let utf8):
                decoded = DecodedText(utf8: utf8, encoding: littleEndian ? .utf16LE : .utf16BE)
            case .failure(let bad):
                let offset = bad.value
                return failure(line: 1,
                               "the file starts with a UTF-16 byte order mark but is not valid UTF-16 (byte \(offset + 1)); save the file as \"CSV UTF-8\"",
                               "文件以 UTF-16 BOM 开头，但不是有效的 UTF-16 编码（第 \(offset + 1) 字节）；请另存为“CSV UTF-8”")
            }
        } else if bytes.starts(with: [0x84, 0x31, 0x95, 0x33]) {
            switch iconvToUTF8(Array(bytes[4...]), from: "GB18030") {
            case .success(let utf8): decoded = DecodedText(utf8: utf8, encoding: .gb18030)
            case .failure(let bad):
                let line = lineNumber(of: bad.value + 4, in: bytes)
                return failure(line: line,
                               "the file starts with a GB18030 byte order mark but line \(line) is not GB18030 text; save the file as \"CSV UTF-8\"",
                               "文件以 GB18030 BOM 开头，但第 \(line) 行不是 GB18030 编码；请另存为“CSV UTF-8”")
            }
        } else if let badUTF8 = firstInvalidUTF8(bytes) {
            switch iconvToUTF8(bytes, from: "GB18030") {
            case .success(let utf8):
                decoded = DecodedText(utf8: utf8, encoding: .gb18030)
            case .failure(let gbFailure):
                let badGB = gbFailure.value
                // Point at the later failure: the encoding that got further is the one the file was meant to be in.
                let line = lineNumber(of: max(badUTF8, badGB), in: bytes)
                let byte = max(badUTF8, badGB) + 1
                return failure(line: line,
                               "not UTF-8 or GB18030 text (byte \(byte), line \(line)); save the file as \"CSV UTF-8\"",
                               "文件不是 UTF-8 或 GB18030 编码（第 \(line) 行，第 \(byte) 字节）；请将文件另存为“CSV UTF-8”")
            }
        } else {
            decoded = DecodedText(utf8: bytes, encoding: .utf8)
        }
        var result = decoded
        // A second mark left inside the text (a BOM written twice, or iconv keeping GB18030's) is not data.
        while result.utf8.starts(with: [0xEF, 0xBB, 0xBF]) { result.utf8.removeFirst(3) }
        if let nul = result.utf8.firstIndex(of: 0) {
            let line = lineNumber(of: nul, in: result.utf8)
            return failure(line: line,
                           "the file contains a NUL character (line \(line)): it is a binary file (an .xlsx workbook, or UTF-16 without a byte order mark?), not CSV text; save it as \"CSV UTF-8\"",
                           "文件第 \(line) 行含有 NUL 字符：这是二进制文件（.xlsx 工作簿，或不带 BOM 的 UTF-16？），不是 CSV 文本；请另存为“CSV UTF-8”")
        }
        return .success(result)
    }

    /// The 1-based line containing byte `offset` (CR, LF and CRLF each end a line).
    static func lineNumber(of offset: Int, in bytes: [UInt8]) -> Int {
        var line = 1
        let end = min(offset, bytes.count)
        var index = 0
        while index < end {
            let byte = bytes[index]
            if byte == 0x0A || (byte == 0x0D && (index + 1 >= bytes.count || bytes[index + 1] != 0x0A)) { line += 1 }
            index += 1
        }
        return line
    }

    /// The offset of the first byte that is not part of a well-formed UTF-8 sequence, or nil when all are.
    public static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        bytes.withUnsafeBufferPointer { buffer -> Int? in
            let count = buffer.count
            var index = 0
            while index < count {
                let lead = buffer[index]
                if lead < 0x80 { index += 1; continue }
                func trail(_ offset: Int, _ low: UInt8 = 0x80, _ high: UInt8 = 0xBF) -> Bool {
                    index + offset < count && buffer[index + offset] >= low && buffer[index + offset] <= high
                }
                switch lead {
                case 0xC2...0xDF:
                    guard trail(1) else { return index }
                    index += 2
                case 0xE0:
                    guard trail(1, 0xA0, 0xBF), trail(2) else { return index }
                    index += 3
                case 0xE1...0xEC, 0xEE...0xEF:
                    guard trail(1), trail(2) else { return index }
                    index += 3
                case 0xED:
                    guard trail(1, 0x80, 0x9F), trail(2) else { return index }
                    index += 3
                case 0xF0:
                    guard trail(1, 0x90, 0xBF), trail(2), trail(3) else { return index }
                    index += 4
                case 0xF1...0xF3:
                    guard trail(1), trail(2), trail(3) else { return index }
                    index += 4
                case 0xF4:
                    guard trail(1, 0x80, 0x8F), trail(2), trail(3) else { return index }
                    index += 4
                default:
                    return index
                }
            }
            return nil
        }
    }

    /// UTF-16 code units to UTF-8; failure carries the offset of the bad unit (relative to `bytes`).
    static func decodeUTF16(_ bytes: ArraySlice<UInt8>, littleEndian: Bool) -> Result<[UInt8], DecodeOffset> {
        let base = bytes.startIndex
        guard bytes.count % 2 == 0 else { return .failure(DecodeOffset(value: bytes.count - 1)) }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count * 3 / 2)
        var index = base
        func unit(at position: Int) -> UInt16 {
            let first = UInt16(bytes[position]), second = UInt16(bytes[position + 1])
            return littleEndian ? first | second << 8 : first << 8 | second
        }
        while index < bytes.endIndex {
            let high = unit(at: index)
            var scalarValue = UInt32(high)
            if (0xD800...0xDBFF).contains(high) {
                guard index + 3 < bytes.endIndex else { return .failure(DecodeOffset(value: index - base)) }
                let low = unit(at: index + 2)
                guard (0xDC00...0xDFFF).contains(low) else { return .failure(DecodeOffset(value: index - base)) }
                scalarValue = 0x10000 + ((UInt32(high) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                index += 4
            } else if (0xDC00...0xDFFF).contains(high) {
                return .failure(DecodeOffset(value: index - base))
            } else {
                index += 2
            }
            guard let scalar = Unicode.Scalar(scalarValue) else { return .failure(DecodeOffset(value: index - base)) }
            output.append(contentsOf: UTF8.encode(scalar).map { Array($0) } ?? [])
        }
        return .success(output)
    }

    struct DecodeOffset: Error { var value: Int }

    /// Transcodes with glibc's iconv; failure carries the offset of the first byte iconv refused.
    static func iconvToUTF8(_ bytes: [UInt8], from encoding: String) -> Result<[UInt8], DecodeOffset> {
        transcode(bytes, from: encoding, to: "UTF-8")
    }

    /// UTF-8 text in another encoding (e.g. "GB18030", as Excel in China saves CSV); nil when a character
    /// has no form there. The one place that encodes: the demo's spreadsheets and the tests use it.
    public static func encode(_ text: String, as encoding: String) -> [UInt8]? {
        try? transcode(Array(text.utf8), from: "UTF-8", to: encoding).get()
    }

    /// Transcodes with glibc's iconv, growing the output as needed.
    static func transcode(_ bytes: [UInt8], from encoding: String, to target: String) -> Result<[UInt8], DecodeOffset> {
        guard let descriptor = iconv_open(target, encoding), Int(bitPattern: descriptor) != -1 else {
            return .failure(DecodeOffset(value: 0))
        }
        defer { iconv_close(descriptor) }
        var input = bytes
        var output = [UInt8](repeating: 0, count: bytes.count * 2 + 16)
        var produced = 0
        var consumed = 0
        return input.withUnsafeMutableBufferPointer { inputBuffer -> Result<[UInt8], DecodeOffset> in
            guard let inputBase = inputBuffer.baseAddress else { return .success([]) }
            while consumed < inputBuffer.count {
                var inLeft = inputBuffer.count - consumed
                var inPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(inputBase + consumed)
                    .assumingMemoryBound(to: CChar.self)
                let capacity = output.count
                let (result, outLeft, error): (Int, Int, Int32) = output.withUnsafeMutableBufferPointer { outputBuffer in
                    guard let outputBase = outputBuffer.baseAddress else { return (-1, 0, E2BIG) }
                    var outLeft = capacity - produced
                    var outPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(outputBase + produced)
                        .assumingMemoryBound(to: CChar.self)
                    let result = iconv(descriptor, &inPointer, &inLeft, &outPointer, &outLeft)
                    return (result, outLeft, result == -1 ? errno : 0)
                }
                produced = capacity - outLeft
                consumed = inputBuffer.count - inLeft
                if result == -1 {
                    if error == E2BIG {
                        output.append(contentsOf: repeatElement(0, count: max(output.count, 64)))
                        continue
                    }
                    return .failure(DecodeOffset(value: consumed))
                }
            }
            output.removeSubrange(produced...)
            return .success(output)
        }
    }
}
