/// UTF-8 questions the lexer and the template scanner ask of every byte, answered eight bytes at
/// a time: the usual text is ASCII, and a byte-by-byte loop costs several instructions a byte.
enum UTF8Scan {
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// Whether any byte is 0x80 or above (the text is not pure ASCII).
    static func hasNonASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        let raw = UnsafeRawPointer(base)
        var i = 0
        while i + 8 <= bytes.count {
            if raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & highBits != 0 { return true }
            i += 8
        }
        while i < bytes.count {
            if bytes[i] >= 0x80 { return true }
            i += 1
        }
        return false
    }

    /// The number of Unicode scalars that start in `bytes[a..<b]`: the bytes that do not continue
    /// a UTF-8 sequence (a continuation byte is 0b10xxxxxx).
    static func scalarCount(_ bytes: UnsafeBufferPointer<UInt8>, from a: Int, to b: Int) -> Int {
        precondition(a >= 0 && a <= b && b <= bytes.count, "byte range out of bounds")
        guard let base = bytes.baseAddress else { return 0 }
        let raw = UnsafeRawPointer(base)
        var count = 0
        var i = a
        while i + 8 <= b {
            let x = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            // Bit 7 of each byte set where that byte has bit 7 set and bit 6 clear.
            let continuation = x & ~(x << 1) & highBits
            count += 8 - continuation.nonzeroBitCount
            i += 8
        }
        while i < b {
            if bytes[i] & 0xC0 != 0x80 { count += 1 }
            i += 1
        }
        return count
    }
}
