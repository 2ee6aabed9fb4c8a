import Foundation

/// A pull reader over the bytes of one JSON text that reads the members a caller asks for and
/// skips the rest without building them: `sop report` reads a handful of a journal record's
/// members, a million times, and `JSONParser` would build every value of every record first.
///
///     var s = JSONScanner(bytes)
///     try s.beginObject()
///     while let key = try s.nextKey() {
///         if JSONScanner.equal(key, "to") { to = try s.string() } else { try s.skip() }
///     }
///
/// It checks the structure it walks (brackets, commas, colons, string ends, the literals) and
/// throws `JSONScanner.Failure` on text that is not JSON there; it does not check what it
/// skips as strictly as `JSONParser` (a skipped number's digits, a skipped string's escapes).
/// Keys are compared as written: a key spelled with escapes (`"r\u0075n"`) is not `run`. The
/// bytes must stay valid while the scanner is used.
public struct JSONScanner {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var offset: Int
        public var message: String
        @inlinable public init(offset: Int, message: String) {
            self.offset = offset
            self.message = message
        }
        public var description: String { "byte \(offset): \(message)" }
    }

    // The scanner's methods are inlinable: its callers are in other modules, and a call per
    // member cost more than reading the member (docs/benchmarks.md, "The service report (issue 23)").
    @usableFromInline let bytes: UnsafeBufferPointer<UInt8>
    /// Where the scanner is: the offset of the next byte to read.
    public var offset: Int { position }
    @usableFromInline var position = 0
    /// True right after `{` or `[`: the next member or element has no comma before it.
    @usableFromInline var atFirst = false

    @inlinable public init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    // Computed, not stored: a static stored constant is read through a once-guarded accessor.
    @inlinable static var quote: UInt8 { 0x22 }
    @inlinable static var backslash: UInt8 { 0x5C }

    @usableFromInline func failure(_ message: String) -> Failure { Failure(offset: position, message: message) }

    @inlinable @inline(__always) mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    /// The next significant byte, nil at the end.
    @inlinable @inline(__always) mutating func peek() -> UInt8? {
        skipWhitespace()
        return position < bytes.count ? bytes[position] : nil
    }

    @inlinable @inline(__always) mutating func expect(_ byte: UInt8, _ what: String) throws(Failure) {
        guard peek() == byte else { throw failure("\(what) expected") }
        position += 1
    }

    // MARK: Objects and arrays

    /// Reads `{`; members follow through `nextKey`.
    @inlinable public mutating func beginObject() throws(Failure) {
        try expect(UInt8(ascii: "{"), "an object")
        atFirst = true
    }

    /// The next member's key (its bytes as written, between the quotes) with the scanner before
    /// its value, which the caller must read or `skip`; nil (and the object read) at `}`.
    @inlinable public mutating func nextKey() throws(Failure) -> UnsafeBufferPointer<UInt8>? {
        if peek() == UInt8(ascii: "}") {
            position += 1
            atFirst = false
            return nil
        }
        if !atFirst { try expect(UInt8(ascii: ","), "',' or '}'") }
        atFirst = false
        guard peek() == Self.quote else { throw failure("a member's key expected") }
        let key = try rawString()
        try expect(UInt8(ascii: ":"), "':'")
        return key
    }

    /// Reads `[`; elements follow through `nextElement`.
    @inlinable public mutating func beginArray() throws(Failure) {
        try expect(UInt8(ascii: "["), "a list")
        atFirst = true
    }

    /// True with the scanner before the next element, which the caller must read or `skip`;
    /// false (and the list read) at `]`.
    @inlinable public mutating func nextElement() throws(Failure) -> Bool {
        if peek() == UInt8(ascii: "]") {
            position += 1
            atFirst = false
            return false
        }
        if !atFirst { try expect(UInt8(ascii: ","), "',' or ']'") }
        atFirst = false
        guard peek() != nil else { throw failure("the text ends inside a list") }
        return true
    }

    // MARK: Values

    /// True when the next value is an object (not read).
    @inlinable public mutating func atObject() -> Bool { peek() == UInt8(ascii: "{") }

    /// True when the next value is a list (not read).
    @inlinable public mutating func atArray() -> Bool { peek() == UInt8(ascii: "[") }

    /// `true` or `false` if the next value is one; otherwise nil, the value skipped.
    @inlinable public mutating func boolOrSkip() throws(Failure) -> Bool? {
        switch peek() {
        case UInt8(ascii: "t"): try literal("true"); return true
        case UInt8(ascii: "f"): try literal("false"); return false
        default: try skip(); return nil
        }
    }

    /// A string as written: its bytes between the quotes, valid while the scanned bytes are,
    /// and its decoding where it holds escapes (rare in a journal), so reading a plain string
    /// builds nothing.
    public struct Text {
        public let raw: UnsafeBufferPointer<UInt8>
        /// The decoded text of a string with escapes; nil when `raw` is the text.
        public let decoded: String?

        @inlinable public init(raw: UnsafeBufferPointer<UInt8>, decoded: String?) {
            self.raw = raw
            self.decoded = decoded
        }

        @inlinable public var string: String { decoded ?? String(decoding: raw, as: UTF8.self) }

        /// The text is these UTF-8 bytes.
        @inlinable public func equals(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
            if let decoded { return decoded.utf8.elementsEqual(bytes) }
            return raw.count == bytes.count && (raw.count == 0 || memcmp(raw.baseAddress!, bytes.baseAddress!, raw.count) == 0)
        }

        /// The text is `literal`.
        @inlinable public func equals(_ literal: StaticString) -> Bool {
            literal.withUTF8Buffer { equals($0) }
        }
    }

    /// Reads a string: its text, escapes checked and decoded.
    @inlinable public mutating func text() throws(Failure) -> Text {
        guard peek() == Self.quote else { throw failure("a string expected") }
        let start = position
        let raw = try rawString()
        guard raw.contains(Self.backslash) else { return Text(raw: raw, decoded: nil) }
        // `JSONParser` decodes escapes, the one place that does.
        guard case .string(let s)? = try? JSONParser.parse(Array(bytes[start..<position])) else {
            throw Failure(offset: start, message: "a string with an invalid escape")
        }
        return Text(raw: raw, decoded: s)
    }

    /// Reads a string, escapes decoded.
    @inlinable public mutating func string() throws(Failure) -> String { try text().string }

    /// A string's text if the next value is a string; otherwise nil, the value skipped.
    @inlinable public mutating func textOrSkip() throws(Failure) -> Text? {
        guard peek() == Self.quote else {
            try skip()
            return nil
        }
        return try text()
    }

    /// A string's bytes as written (escapes not decoded), or nil (the value skipped) when the next
    /// value is not a string.
    @inlinable public mutating func rawStringOrSkip() throws(Failure) -> UnsafeBufferPointer<UInt8>? {
        guard peek() == Self.quote else {
            try skip()
            return nil
        }
        return try rawString()
    }

    /// A string if the next value is one; otherwise nil, the value skipped.
    @inlinable public mutating func stringOrSkip() throws(Failure) -> String? {
        guard peek() == Self.quote else {
            try skip()
            return nil
        }
        return try string()
    }

    /// An integer if the next value is one that fits an Int; otherwise nil, the value skipped.
    @inlinable public mutating func intOrSkip() throws(Failure) -> Int? {
        guard let first = peek() else { throw failure("a value expected") }
        guard first == UInt8(ascii: "-") || (first >= 0x30 && first <= 0x39) else {
            try skip()
            return nil
        }
        let start = position
        let negative = first == UInt8(ascii: "-")
        if negative { position += 1 }
        var value = 0
        var digits = 0
        var overflow = false
        while position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39 {
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.subtractingReportingOverflow(Int(bytes[position] - 0x30))  // negative: reaches Int.min
            overflow = overflow || o1 || o2
            value = sum
            digits += 1
            position += 1
        }
        guard digits > 0 else { throw Failure(offset: start, message: "a number needs digits") }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") || bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            position = start
            try skip()
            return nil
        }
        if overflow { return nil }
        if negative { return value }
        return value == Int.min ? nil : -value
    }

    /// Skips the next value, however deep.
    @inlinable public mutating func skip() throws(Failure) {
        guard let first = peek() else { throw failure("a value expected") }
        switch first {
        case Self.quote: _ = try rawString()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            // Brackets counted, strings jumped over: no recursion, so no depth limit is needed.
            var depth = 0
            repeat {
                guard let b = peek() else { throw failure("the text ends inside a list or object") }
                switch b {
                case Self.quote: _ = try rawString(); continue
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
                default: break
                }
                position += 1
            } while depth > 0
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            position += 1
            while position < bytes.count {
                switch bytes[position] {
                case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"),
                     UInt8(ascii: "+"), UInt8(ascii: "-"):
                    position += 1
                default: return
                }
            }
        default: throw failure("a value expected")
        }
    }

    /// Reads past the end of the text, checking only whitespace is left.
    @inlinable public mutating func end() throws(Failure) {
        guard peek() == nil else { throw failure("text after the value") }
    }

    /// Two byte strings equal (a key against the member it names).
    @inlinable public static func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: StaticString) -> Bool {
        // `withUTF8Buffer`, not `utf8Start`: a one-character literal has no pointer to start from.
        b.withUTF8Buffer { w in
            guard a.count == w.count else { return false }
            for i in 0..<a.count where a[i] != w[i] { return false }
            return true
        }
    }

    // MARK: Helpers

    /// A string's bytes between its quotes, escapes as written; the scanner after the closing quote.
    @inlinable mutating func rawString() throws(Failure) -> UnsafeBufferPointer<UInt8> {
        position += 1  // the opening quote
        let start = position
        while true {
            // Eight bytes at a time while no quote, backslash or control character is among them
            // (most of a journal record is hashes and names without any).
            #if _endian(little)
            while position + 8 <= bytes.count {
                let word = UnsafeRawPointer(bytes.baseAddress! + position).loadUnaligned(as: UInt64.self)
                let special = Self.zeroByte(word ^ 0x2222_2222_2222_2222) | Self.zeroByte(word ^ 0x5C5C_5C5C_5C5C_5C5C)
                    | ((word &- 0x2020_2020_2020_2020) & ~word & 0x8080_8080_8080_8080)
                if special == 0 {
                    position += 8
                } else {
                    // The lowest flagged byte is the first special one (a false flag only ever
                    // follows a true one).
                    position += special.trailingZeroBitCount / 8
                    break
                }
            }
            #endif
            guard position < bytes.count else { break }
            let b = bytes[position]
            if b == Self.quote {
                position += 1
                return UnsafeBufferPointer(rebasing: bytes[start..<position - 1])
            }
            if b == Self.backslash {
                position += 2
                continue
            }
            if b < 0x20 { throw failure("a control character inside a string") }
            position += 1
        }
        throw Failure(offset: start - 1, message: "the text ends inside a string")
    }

    /// The high bit of each zero byte of `x` set (and, above the first, perhaps of others).
    @inlinable static func zeroByte(_ x: UInt64) -> UInt64 { (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080 }

    @usableFromInline mutating func literal(_ word: StaticString) throws(Failure) {
        let n = word.withUTF8Buffer { $0.count }
        guard position + n <= bytes.count, Self.equal(UnsafeBufferPointer(rebasing: bytes[position..<position + n]), word) else {
            throw failure("unexpected word")
        }
        position += n
    }
}
