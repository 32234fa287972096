import CLibPQ
import Foundation

enum CopyTextEncoder {
    /// Appends a row in COPY text format: tab-separated, `\N` for NULL, backslash escapes.
    static func append(row: [String?], to buffer: inout [UInt8]) {
        for (index, field) in row.enumerated() {
            if index > 0 { buffer.append(9) }
            guard let field else { buffer.append(contentsOf: [92, 78]); continue }
            for byte in field.utf8 {
                switch byte {
                case 92: buffer.append(contentsOf: [92, 92])
                case 9: buffer.append(contentsOf: [92, 116])
                case 10: buffer.append(contentsOf: [92, 110])
                case 13: buffer.append(contentsOf: [92, 114])
                default: buffer.append(byte)
                }
            }
        }
        buffer.append(10)
    }
}

/// Calls `body` with a NULL-terminated array of C strings.
func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let duplicates = strings.map { strdup($0) }
    defer { duplicates.forEach { free($0) } }
    var pointers: [UnsafePointer<CChar>?] = duplicates.map { $0.map { UnsafePointer($0) } }
    pointers.append(nil)
    return pointers.withUnsafeBufferPointer { buffer in
        guard let base = buffer.baseAddress else { preconditionFailure("a non-empty array has storage") }
        return body(base)
    }
}

/// Lays out bound parameters as libpq wants them: values, lengths, formats (1 = binary for bytea).
func withParameters<R>(_ binds: [PostgresBind],
                       _ body: (UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?) -> R) -> R {
    var allocations: [UnsafeMutableRawPointer] = []
    var byteAllocations: [UnsafeMutableRawPointer] = []
    defer {
        allocations.forEach { free($0) }
        byteAllocations.forEach { $0.deallocate() }
    }
    var values: [UnsafePointer<CChar>?] = []
    var lengths: [Int32] = []
    var formats: [Int32] = []
    values.reserveCapacity(binds.count)
    for bind in binds {
        switch bind {
        case .null:
            values.append(nil); lengths.append(0); formats.append(0)
        case .text(let text):
            let copy = strdup(text)
            if let copy { allocations.append(UnsafeMutableRawPointer(copy)) }
            values.append(copy.map { UnsafePointer($0) }); lengths.append(0); formats.append(0)
        case .bytes(let bytes):
            let memory = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
            bytes.withUnsafeBytes { source in
                if let base = source.baseAddress { memory.copyMemory(from: base, byteCount: bytes.count) }
            }
            byteAllocations.append(memory)
            values.append(UnsafePointer(memory.assumingMemoryBound(to: CChar.self)))
            lengths.append(Int32(bytes.count)); formats.append(1)
        }
    }
    return values.withUnsafeBufferPointer { valuePointer in
        lengths.withUnsafeBufferPointer { lengthPointer in
            formats.withUnsafeBufferPointer { formatPointer in
                body(valuePointer.baseAddress, lengthPointer.baseAddress, formatPointer.baseAddress)
            }
        }
    }
}
