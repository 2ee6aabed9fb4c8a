import Foundation

/// A 1-based line and column in a JSON text (columns count Unicode scalars).
public struct JSONPosition: Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "\(line):\(column)" }
}

/// Why a JSON text does not parse, and where.
public struct JSONSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The text is not JSON (RFC 8259).
        case syntax
        /// Valid JSON holding a number sopkit cannot keep exactly (too many significant digits,
        /// or an exponent out of range).
        case numberNotKept
    }

    public var message: String
    public var position: JSONPosition
    public var kind: Kind = .syntax
    /// What to do about it, where the parser can tell ("remove the comma after the last member").
    public var help: String?

    public init(message: String, position: JSONPosition, kind: Kind = .syntax, help: String? = nil) {
        self.message = message
        self.position = position
        self.kind = kind
        self.help = help
    }

    public var description: String { "\(position): \(message)" }

    /// What is wrong with a document called `what` ("ticket"), for messages that name it: not
    /// valid JSON, or valid JSON sopkit cannot read exactly.
    public func problem(_ what: String) -> String {
        switch kind {
        case .syntax: return "the \(what) is not valid JSON: \(message)"
        case .numberNotKept: return "the \(what) cannot be read: \(message)"
        }
    }
}

/// A strict RFC 8259 parser that keeps numbers exact (integers as Int, others as Decimal), keeps
/// object key order, rejects duplicate keys, caps nesting, and can record where each value starts
/// (by JSON pointer) so problems in a ticket or schema can be shown at their line and column.
public struct JSONParser {
    public static let maxDepth = 256

    private let bytes: [UInt8]
    private var index = 0
    private var line = 1
    private var lineStart = 0
    private var depth = 0
    /// How deep arrays and objects may nest (`maxDepth` unless a caller asks for less, as the
    /// HTTP API does for request bodies).
    private let depthLimit: Int
    private let recordPositions: Bool
    /// JSON pointer (`/properties/email`) → where that value starts; filled when recording.
    public private(set) var positions: [String: JSONPosition] = [:]
    /// JSON pointer of an object member → where its key starts; filled when recording.
    public private(set) var keyPositions: [String: JSONPosition] = [:]

    public init(_ bytes: [UInt8], recordPositions: Bool = false, maxDepth: Int = JSONParser.maxDepth) {
        self.bytes = bytes
        self.recordPositions = recordPositions
        depthLimit = min(maxDepth, JSONParser.maxDepth)
    }

    public static func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue {
        var parser = JSONParser(Array(text.utf8))
        return try parser.parseDocument()
    }

    public static func parse(_ bytes: [UInt8], maxDepth: Int = JSONParser.maxDepth) throws(JSONSyntaxError) -> JSONValue {
        var parser = JSONParser(bytes, maxDepth: maxDepth)
        return try parser.parseDocument()
    }

    public mutating func parseDocument() throws(JSONSyntaxError) -> JSONValue {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3; lineStart = 3 }
        skipWhitespace()
        let value = try parseValue(pointer: "")
        skipWhitespace()
        guard index == bytes.count else { throw error("unexpected text after the JSON value") }
        return value
    }

    // MARK: Values

    private mutating func parseValue(pointer: String) throws(JSONSyntaxError) -> JSONValue {
        guard index < bytes.count else { throw error("the text ends where a value was expected") }
        if recordPositions { positions[pointer] = recordedPosition() }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(pointer: pointer)
        case UInt8(ascii: "["): return try parseArray(pointer: pointer)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectWord("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectWord("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectWord("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        case UInt8(ascii: "'"):
            throw error("JSON strings are written in double quotes, not single quotes", help: "write \"…\" instead of '…'")
        case UInt8(ascii: "/"):
            throw error("JSON has no comments", help: "remove the comment; a schema can say it in \"description\"")
        case UInt8(ascii: "}"), UInt8(ascii: "]"):
            throw error("unexpected character \(describe(bytes[index])); a value was expected", help: "write the value before it")
        default: throw error("unexpected character \(describe(bytes[index])); a value was expected",
                             help: "a value is a string in double quotes, a number, true, false, null, an object or an array")
        }
    }

    private mutating func parseObject(pointer: String) throws(JSONSyntaxError) -> JSONValue {
        try enter()
        index += 1
        var members: [JSONObject.Element] = []
        // Small objects look for a repeated key among the members; large ones build the object's
        // index as they go. Keys are the same when their bytes are (JSONObject).
        var seen: [ByteKey: Int]?
        skipWhitespace()
        if peek(UInt8(ascii: "}")) { index += 1; depth -= 1; return .object(JSONObject(uniqueMembers: members, index: nil)) }
        var comma: Mark?
        while true {
            skipWhitespace()
            if let comma, peek(UInt8(ascii: "}")) {
                throw error("a comma after the last member of an object", at: comma,
                            help: "remove the comma after the last member")
            }
            guard peek(UInt8(ascii: "\"")) else { throw keyExpected() }
            let keyIndex = index
            let keyPosition = recordPositions ? recordedPosition() : nil
            let key = try parseString()
            let repeated: Bool
            if members.count < JSONObject.indexedCount {
                let length = key.utf8.count
                repeated = members.contains { $0.key.utf8.count == length && $0.key == key && $0.key.utf8.elementsEqual(key.utf8) }
            } else {
                if seen == nil {
                    seen = [:]
                    for (i, m) in members.enumerated() { seen![ByteKey(m.key)] = i }
                }
                repeated = seen!.updateValue(members.count, forKey: ByteKey(key)) != nil
            }
            guard !repeated else {
                index = keyIndex  // the key is on the current line: point at its start
                throw JSONSyntaxError(message: "key \"\(key)\" appears twice in one object", position: position())
            }
            skipWhitespace()
            guard peek(UInt8(ascii: ":")) else {
                throw error("expected ':' after the key \"\(key)\"", help: "put ':' between the key and its value: \"\(key)\": VALUE")
            }
            index += 1
            skipWhitespace()
            // Pointers are only built when positions are recorded: they cost a string per key.
            let memberPointer = recordPositions ? pointer + "/" + JSONParser.escapePointer(key) : ""
            if let keyPosition { keyPositions[memberPointer] = keyPosition }
            let value = try parseValue(pointer: memberPointer)
            members.append((key, value))
            let afterValue = mark()
            skipWhitespace()
            if peek(UInt8(ascii: ",")) { comma = mark(); index += 1; continue }
            if peek(UInt8(ascii: "}")) { index += 1; depth -= 1; return .object(JSONObject(uniqueMembers: members, index: seen)) }
            // Another member on a later line: the comma is missing at the end of this one.
            if peek(UInt8(ascii: "\"")) {
                throw error("expected ',' after the member \"\(key)\" before the next one", at: afterValue,
                            help: "add a comma after this member")
            }
            if peek(UInt8(ascii: "/")) { throw error("JSON has no comments", help: "remove the comment; a schema can say it in \"description\"") }
            throw error("expected ',' or '}' in an object",
                        help: "separate members with ',' and close the object with '}'")
        }
    }

    private mutating func parseArray(pointer: String) throws(JSONSyntaxError) -> JSONValue {
        try enter()
        index += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if peek(UInt8(ascii: "]")) { index += 1; depth -= 1; return .array(items) }
        var comma: Mark?
        while true {
            skipWhitespace()
            if let comma, peek(UInt8(ascii: "]")) {
                throw error("a comma after the last item of an array", at: comma,
                            help: "remove the comma after the last item")
            }
            items.append(try parseValue(pointer: recordPositions ? pointer + "/\(items.count)" : ""))
            let afterValue = mark()
            skipWhitespace()
            if peek(UInt8(ascii: ",")) { comma = mark(); index += 1; continue }
            if peek(UInt8(ascii: "]")) { index += 1; depth -= 1; return .array(items) }
            if index < bytes.count, bytes[index] != UInt8(ascii: "}"), afterValue.line != line {
                throw error("expected ',' after this item before the next one", at: afterValue, help: "add a comma after this item")
            }
            if peek(UInt8(ascii: "/")) { throw error("JSON has no comments", help: "remove the comment; a schema can say it in \"description\"") }
            throw error("expected ',' or ']' in an array", help: "separate items with ',' and close the array with ']'")
        }
    }

    private mutating func enter() throws(JSONSyntaxError) {
        depth += 1
        if depth > depthLimit { throw error("the JSON nests deeper than \(depthLimit) levels") }
    }

    private mutating func parseString() throws(JSONSyntaxError) -> String {
        index += 1  // opening quote
        var runStart = index
        var out = ""
        func flush(_ end: Int) {
            if end > runStart {
                out += bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[runStart..<end]), as: UTF8.self) }
            }
        }
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                flush(index)
                index += 1
                return out
            }
            if b < 0x20 {
                if b == UInt8(ascii: "\n") || b == UInt8(ascii: "\r") {
                    throw error("the string is not closed before the end of the line",
                                help: "add the closing double quote; a line break inside a string is written \\n")
                }
                throw error("a control character must be escaped inside a string", help: "write it as an escape such as \\t or \\u0001")
            }
            if b >= 0x80 {
                // Bytes that are not UTF-8 are refused where they start, never turned into U+FFFD:
                // a ticket must be stored as it was sent.
                let length = Self.utf8SequenceLength(bytes, at: index)
                guard length > 0 else {
                    throw error("invalid UTF-8: the byte \(String(format: "0x%02X", b)) does not start a well-formed UTF-8 sequence here")
                }
                index += length
                continue
            }
            if b == UInt8(ascii: "\\") {
                flush(index)
                index += 1
                guard index < bytes.count else { break }
                let e = bytes[index]
                index += 1
                switch e {
                case UInt8(ascii: "\""): out += "\""
                case UInt8(ascii: "\\"): out += "\\"
                case UInt8(ascii: "/"): out += "/"
                case UInt8(ascii: "b"): out += "\u{08}"
                case UInt8(ascii: "f"): out += "\u{0C}"
                case UInt8(ascii: "n"): out += "\n"
                case UInt8(ascii: "r"): out += "\r"
                case UInt8(ascii: "t"): out += "\t"
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800...0xDBFF).contains(code), index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                       bytes[index + 1] == UInt8(ascii: "u") {
                        index += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw error("invalid surrogate pair") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw error("\\u escape is not a Unicode scalar") }
                    out.unicodeScalars.append(scalar)
                default:
                    throw error("unknown escape '\\\(describeRaw(e))'")
                }
                runStart = index
                continue
            }
            index += 1
        }
        throw error("the text ends inside a string", help: "close the string with a double quote")
    }

    private mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("\\u needs four hex digits") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[index]
            let digit: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(b - UInt8(ascii: "A") + 10)
            default: throw error("\\u needs four hex digits")
            }
            value = value * 16 + digit
            index += 1
        }
        return value
    }

    private mutating func parseNumber() throws(JSONSyntaxError) -> JSONValue {
        let start = index
        var isInteger = true
        if peek(UInt8(ascii: "-")) { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw error("a number needs digits") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count, isDigit(bytes[index]) { throw error("numbers cannot have leading zeros") }
        } else {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if peek(UInt8(ascii: ".")) {
            isInteger = false
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw error("a digit must follow the decimal point") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw error("an exponent needs digits") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if isInteger, let i = Int(text) { return .int(i) }
        // Decimal keeps 38 significant digits and would round more away without a word, and it
        // reads written exponents from -128 to 127 only: a number it cannot hold exactly is
        // refused, as valid JSON this parser does not keep, never changed.
        let digits = bytes[start..<index].prefix { $0 != UInt8(ascii: "e") && $0 != UInt8(ascii: "E") }.filter(isDigit)
        let significant = digits.drop { $0 == UInt8(ascii: "0") }.reversed().drop { $0 == UInt8(ascii: "0") }
        if significant.isEmpty { return .number(0) }
        guard significant.count <= Self.significantDigits,
              let d = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")), !d.isNaN else {
            index = start
            throw JSONSyntaxError(message: "the number \(text) cannot be kept exactly: sopkit keeps up to \(Self.significantDigits) "
                                      + "significant digits, written with an exponent from -128 to 127",
                                  position: position(), kind: .numberNotKept)
        }
        return .number(d)
    }

    /// The most significant digits a non-integer number may have (Decimal's exact precision).
    public static let significantDigits = 38

    // MARK: Helpers

    private mutating func expectWord(_ word: String) throws(JSONSyntaxError) {
        let w = Array(word.utf8)
        guard index + w.count <= bytes.count, Array(bytes[index..<index + w.count]) == w else {
            throw error("unexpected word; expected \(word)")
        }
        index += w.count
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"): index += 1
            case UInt8(ascii: "\n"): index += 1; line += 1; lineStart = index
            default: return
            }
        }
    }

    private func peek(_ b: UInt8) -> Bool { index < bytes.count && bytes[index] == b }
    private func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    /// Where the last recorded position was: its line's start, its byte index and its column.
    private var lastRecorded = (lineStart: 0, index: 0, column: 1)

    /// `position()` for the positions recorded as the parser goes: the column is counted on from
    /// the last recorded one on the same line, so a long one-line document (a schema of thousands
    /// of keys) costs linear time, not quadratic. Columns count code points: bytes that are not
    /// UTF-8 continuation bytes (the text before `index` is well-formed).
    private mutating func recordedPosition() -> JSONPosition {
        var from = lineStart, column = 1
        if lastRecorded.lineStart == lineStart && lastRecorded.index <= index {
            from = lastRecorded.index
            column = lastRecorded.column
        }
        for k in from..<min(index, bytes.count) where bytes[k] & 0xC0 != 0x80 { column += 1 }
        lastRecorded = (lineStart, index, column)
        return JSONPosition(line: line, column: column)
    }

    private func position() -> JSONPosition {
        let end = min(index, bytes.count)
        let column = String(decoding: bytes[min(lineStart, end)..<end], as: UTF8.self).unicodeScalars.count + 1
        return JSONPosition(line: line, column: column)
    }

    private func error(_ message: String, help: String? = nil) -> JSONSyntaxError {
        JSONSyntaxError(message: message, position: position(), help: help)
    }

    /// A place in the text the parser has passed, to report a mistake where it was made (the
    /// trailing comma) rather than where the parser noticed it (the next line).
    private struct Mark {
        var index: Int
        var line: Int
        var lineStart: Int
    }

    private func mark() -> Mark { Mark(index: index, line: line, lineStart: lineStart) }

    private func error(_ message: String, at mark: Mark, help: String?) -> JSONSyntaxError {
        let end = min(mark.index, bytes.count)
        let column = String(decoding: bytes[min(mark.lineStart, end)..<end], as: UTF8.self).unicodeScalars.count + 1
        return JSONSyntaxError(message: message, position: JSONPosition(line: mark.line, column: column), help: help)
    }

    /// Where a key was expected: a key without quotes, or in single quotes, says so.
    private func keyExpected() -> JSONSyntaxError {
        guard index < bytes.count else { return error("the text ends inside an object", help: "close the object with '}'") }
        let b = bytes[index]
        if b == UInt8(ascii: "'") { return error("a key is written in double quotes, not single quotes", help: "write \"…\" instead of '…'") }
        if b == UInt8(ascii: "/") { return error("JSON has no comments", help: "remove the comment; a schema can say it in \"description\"") }
        let isWordStart = (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z")) || b == UInt8(ascii: "_")
        if isWordStart {
            var end = index
            while end < bytes.count, bytes[end] != UInt8(ascii: ":"), bytes[end] > 0x20, bytes[end] != UInt8(ascii: ","),
                  bytes[end] != UInt8(ascii: "}") { end += 1 }
            let word = String(decoding: bytes[index..<end], as: UTF8.self)
            return error("expected a key in double quotes, found \(word)", help: "write the key in double quotes: \"\(word)\"")
        }
        return error("expected a key in double quotes", help: "write each key in double quotes, followed by ':' and its value")
    }

    private func describe(_ b: UInt8) -> String {
        b >= 0x20 && b < 0x7F ? "'\(Character(Unicode.Scalar(b)))'" : String(format: "0x%02X", b)
    }

    private func describeRaw(_ b: UInt8) -> String {
        b >= 0x20 && b < 0x7F ? String(Character(Unicode.Scalar(b))) : String(format: "x%02X", b)
    }

    /// The length of the well-formed UTF-8 sequence (RFC 3629: no overlong forms, no surrogates,
    /// nothing above U+10FFFF) starting at `i` with a byte of 0x80 or more; 0 when there is none.
    static func utf8SequenceLength(_ bytes: [UInt8], at i: Int) -> Int {
        func continuation(_ k: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) -> Bool { k < bytes.count && range.contains(bytes[k]) }
        switch bytes[i] {
        case 0xC2...0xDF: return continuation(i + 1) ? 2 : 0
        case 0xE0: return continuation(i + 1, 0xA0...0xBF) && continuation(i + 2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF: return continuation(i + 1) && continuation(i + 2) ? 3 : 0
        case 0xED: return continuation(i + 1, 0x80...0x9F) && continuation(i + 2) ? 3 : 0
        case 0xF0: return continuation(i + 1, 0x90...0xBF) && continuation(i + 2) && continuation(i + 3) ? 4 : 0
        case 0xF1...0xF3: return continuation(i + 1) && continuation(i + 2) && continuation(i + 3) ? 4 : 0
        case 0xF4: return continuation(i + 1, 0x80...0x8F) && continuation(i + 2) && continuation(i + 3) ? 4 : 0
        default: return 0
        }
    }

    /// A key escaped as a JSON pointer token (RFC 6901: `~` as `~0`, `/` as `~1`).
    public static func escapePointer(_ key: String) -> String {
        key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }
}
