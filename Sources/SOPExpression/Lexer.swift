import SOPDiagnostics

/// A token of the expression language, with its place as offsets (in Unicode scalars) into the
/// expression's text. Plain data: the text of an identifier or a decimal, and the value of a
/// string, are read from the lexer that made the token, and only when needed.
public struct Token: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case integer(Int)
        /// Its digits: `Lexer.text(of:)`.
        case decimal
        case duration(Int64)        // milliseconds
        /// Its value (escapes applied): `Lexer.stringValue` while it is the latest token.
        case string
        /// Its name: `Lexer.text(of:)`.
        case identifier
        case keyword(Keyword)
        case symbol(Symbol)
        case end
    }

    public enum Keyword: String, Sendable, Hashable {
        case and, or, not, `in`, `true`, `false`, null
    }

    public enum Symbol: String, Sendable, Hashable {
        case equal = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
        case plus = "+", minus = "-", star = "*", slash = "/", percent = "%"
        case leftParen = "(", rightParen = ")", leftBracket = "[", rightBracket = "]", comma = ",", dot = "."
        /// Between a lambda's parameters and its body: `x -> x > 0`.
        case arrow = "->"
    }

    public var kind: Kind
    public var range: Range<Int>
    /// Where the token is in the lexer's bytes.
    var bytes: Range<Int>

    /// Whether this is the symbol `symbol` (cheaper than comparing kinds, which may hold text).
    func isSymbol(_ symbol: Symbol) -> Bool {
        if case .symbol(let s) = kind { return s == symbol }
        return false
    }
}

/// An error found while reading an expression: a message, a fix, and the offsets it concerns.
public struct ExpressionError: Error, Sendable, Hashable {
    public var message: String
    public var help: String?
    public var range: Range<Int>
    /// `.syntax`, or `.unknownVariable` for a name that is no path root or function.
    public var kind: ExpressionProblem

    public init(_ message: String, help: String? = nil, at range: Range<Int>, kind: ExpressionProblem = .syntax) {
        self.message = message
        self.help = help
        self.range = range
        self.kind = kind
    }
}

/// The kinds of problem the expression layer finds. SOPCore's lint rules own the ids
/// (`expression-syntax`, `unknown-field`, …) and turn each kind into a diagnostic.
public enum ExpressionProblem: Sendable, Hashable {
    /// The text does not parse.
    case syntax
    /// A `ticket.*` path the ticket schema does not define.
    case unknownField
    /// A `var.*` not declared, a `run.*`/`child.*` that does not exist, or a bare name.
    case unknownVariable
    /// An `input.*` that no state declares.
    case unknownInput
    /// A function that does not exist, or a call with the wrong number of arguments.
    case unknownFunction
    /// Types that do not fit where they are used.
    case typeMismatch
    /// A value compared with or assigned to an enum that is not one of its values.
    case invalidEnumValue
}

/// Splits an expression into tokens. Path segments after a `.` may contain `-` (SOP ids do), so
/// `input.order-id` is one path; write spaces around `-` to subtract.
///
/// It reads UTF-8 bytes in place (all of the syntax is ASCII) and reports offsets in Unicode
/// scalars, which is what columns count; for ASCII text, the usual case, the two are the same.
/// Offsets count from `base`: the bytes may be one `${{ … }}` piece of a larger text.
struct Lexer {
    let bytes: UnsafeBufferPointer<UInt8>
    let base: Int
    /// Scalar offset of each byte offset, only for text with non-ASCII bytes.
    private let scalarOffsets: [Int]?
    var index = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>, base: Int) {
        self.bytes = bytes
        self.base = base
        if UTF8Scan.hasNonASCII(bytes) {
            var offsets = [Int](repeating: 0, count: bytes.count + 1)
            var scalar = 0
            for (i, b) in bytes.enumerated() {
                offsets[i] = scalar
                if b & 0xC0 != 0x80 { scalar += 1 }
            }
            // A continuation byte maps to its scalar; the end maps past the last scalar.
            for i in 0..<bytes.count where bytes[i] & 0xC0 == 0x80 { offsets[i] = offsets[i] - 1 }
            offsets[bytes.count] = scalar
            scalarOffsets = offsets
        } else {
            scalarOffsets = nil
        }
    }

    /// The offset just past the text's last Unicode scalar.
    var endOffset: Int { base + (scalarOffsets?.last ?? bytes.count) }

    private func offset(_ byte: Int) -> Int { base + (scalarOffsets?[byte] ?? byte) }
    private func range(_ a: Int, _ b: Int) -> Range<Int> { offset(a)..<offset(b) }
    private func text(_ a: Int, _ b: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[a..<b]), as: UTF8.self)
    }
    private func token(_ kind: Token.Kind, _ start: Int, _ end: Int) -> Token {
        Token(kind: kind, range: range(start, end), bytes: start..<end)
    }

    /// The value of the latest string token, escapes applied.
    private(set) var stringValue = ""

    /// The text of a token as written (an identifier's name, a decimal's digits).
    func text(of token: Token) -> String { text(token.bytes.lowerBound, token.bytes.upperBound) }

    /// The path root an identifier token names, if any, read from its bytes.
    func pathRoot(of token: Token) -> PathRoot? {
        let a = token.bytes.lowerBound, b = token.bytes.upperBound
        func spells(_ word: StaticString) -> Bool { Self.spells(bytes, a, b, word) }
        switch b - a {
        case 3: return spells("var") ? .var : spells("run") ? .run : spells("now") ? .now : nil
        case 5: return spells("input") ? .input : spells("child") ? .child : nil
        case 6: return spells("ticket") ? .ticket : nil
        default: return nil
        }
    }

    /// The keyword spelled by the bytes `a..<b`, if they spell one. Static, like `spells`: as an
    /// instance method called from `next` it copied the whole lexer for each call (docs/benchmarks.md,
    /// "Lint (issue 4)").
    private static func keyword(_ bytes: UnsafeBufferPointer<UInt8>, _ a: Int, _ b: Int) -> Token.Keyword? {
        func spells(_ word: StaticString) -> Bool { Self.spells(bytes, a, b, word) }
        switch bytes[a] {
        case UInt8(ascii: "a"): return spells("and") ? .and : nil
        case UInt8(ascii: "o"): return spells("or") ? .or : nil
        case UInt8(ascii: "n"): return spells("not") ? .not : spells("null") ? .null : nil
        case UInt8(ascii: "i"): return spells("in") ? .in : nil
        case UInt8(ascii: "t"): return spells("true") ? .true : nil
        case UInt8(ascii: "f"): return spells("false") ? .false : nil
        default: return nil
        }
    }

    /// Whether the bytes `a..<b` are exactly `word`.
    private static func spells(_ bytes: UnsafeBufferPointer<UInt8>, _ a: Int, _ b: Int, _ word: StaticString) -> Bool {
        guard b - a == word.utf8CodeUnitCount else { return false }
        let w = word.utf8Start
        for i in 0..<(b - a) where bytes[a + i] != w[i] { return false }
        return true
    }

    /// Whether the last token was a `.`: what follows is a field name, where `-` may join words.
    private var afterDot = false

    /// The next token; `.end` once the text is used up, and again after that.
    mutating func next() throws(ExpressionError) -> Token {
        let token = try next(afterDot: afterDot)
        afterDot = token.isSymbol(.dot)
        return token
    }

    /// Whether `->` is the next thing after the latest token (spaces skipped): a lambda starts
    /// at an identifier followed by it. Reads the bytes in place, without lexing a token, since
    /// the parser asks at every identifier argument of a call.
    func arrowFollows() -> Bool {
        var i = index
        while i < bytes.count, isSpace(bytes[i]) { i += 1 }
        return i + 1 < bytes.count && bytes[i] == UInt8(ascii: "-") && bytes[i + 1] == UInt8(ascii: ">")
    }

    /// The token after the next, without consuming anything.
    func peek() throws(ExpressionError) -> Token {
        var copy = self
        return try copy.next()
    }

    private mutating func next(afterDot: Bool) throws(ExpressionError) -> Token {
        while index < bytes.count, isSpace(bytes[index]) { index += 1 }
        let start = index
        guard index < bytes.count else { return token(.end, start, start) }
        let c = bytes[index]
        if isDigit(c) { return try number(start) }
        if isIdentifierStart(c) {
            index += 1
            while index < bytes.count, isIdentifierPart(bytes[index])
                    || (afterDot && bytes[index] == UInt8(ascii: "-") && index + 1 < bytes.count && isIdentifierPart(bytes[index + 1])) {
                index += 1
            }
            if !afterDot, let keyword = Self.keyword(bytes, start, index) {
                return token(.keyword(keyword), start, index)
            }
            return token(.identifier, start, index)
        }
        if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") { return try string(start, quote: c) }
        index += 1
        if index < bytes.count, bytes[index] == UInt8(ascii: "=") {
            let two: Token.Symbol?
            switch c {
            case UInt8(ascii: "="): two = .equal
            case UInt8(ascii: "!"): two = .notEqual
            case UInt8(ascii: "<"): two = .lessEqual
            case UInt8(ascii: ">"): two = .greaterEqual
            default: two = nil
            }
            if let two {
                index += 1
                return token(.symbol(two), start, index)
            }
        }
        if c == UInt8(ascii: "-"), index < bytes.count, bytes[index] == UInt8(ascii: ">") {
            index += 1
            return token(.symbol(.arrow), start, index)
        }
        let symbol: Token.Symbol
        switch c {
        case UInt8(ascii: "<"): symbol = .less
        case UInt8(ascii: ">"): symbol = .greater
        case UInt8(ascii: "+"): symbol = .plus
        case UInt8(ascii: "-"): symbol = .minus
        case UInt8(ascii: "*"): symbol = .star
        case UInt8(ascii: "/"): symbol = .slash
        case UInt8(ascii: "%"): symbol = .percent
        case UInt8(ascii: "("): symbol = .leftParen
        case UInt8(ascii: ")"): symbol = .rightParen
        case UInt8(ascii: "["): symbol = .leftBracket
        case UInt8(ascii: "]"): symbol = .rightBracket
        case UInt8(ascii: ","): symbol = .comma
        case UInt8(ascii: "."): symbol = .dot
        case UInt8(ascii: "="):
            throw ExpressionError("'=' is not an operator", help: "write '==' to compare", at: range(start, index))
        case UInt8(ascii: "!"):
            throw ExpressionError("'!' is not an operator", help: "write 'not' to negate, or '!=' to compare", at: range(start, index))
        case UInt8(ascii: "&"):
            throw ExpressionError("'&' is not an operator", help: "write 'and'", at: range(start, index))
        case UInt8(ascii: "|"):
            throw ExpressionError("'|' is not an operator", help: "write 'or'", at: range(start, index))
        default:
            // Show the whole character, not one byte of it.
            while index < bytes.count, bytes[index] & 0xC0 == 0x80 { index += 1 }
            throw ExpressionError("unexpected character '\(text(start, index))'", at: range(start, index))
        }
        return token(.symbol(symbol), start, index)
    }

    /// Integers, decimals, and durations such as `30m`, `48h`, `2d`, `1w`, `1h30m`, `90s`.
    private mutating func number(_ start: Int) throws(ExpressionError) -> Token {
        while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        if index < bytes.count, DurationFormat.unitMilliseconds(bytes[index]) != nil {
            // A duration: digit runs each followed by a unit, largest unit first.
            index = start
            var total: Int64 = 0
            var lastUnit = Int64.max
            while index < bytes.count, isDigit(bytes[index]) {
                let digitsStart = index
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
                guard index < bytes.count, let unit = DurationFormat.unitMilliseconds(bytes[index]) else {
                    throw ExpressionError("a duration needs a unit after every number", help: "units are w, d, h, m and s, e.g. 1h30m",
                                          at: range(start, index))
                }
                guard unit < lastUnit else {
                    throw ExpressionError("duration units must go from largest to smallest, each once",
                                          help: "write e.g. 1d12h or 1h30m", at: range(start, index + 1))
                }
                lastUnit = unit
                index += 1
                guard let n = digitValue(digitsStart, index - 1), case let (product, o1) = Int64(n).multipliedReportingOverflow(by: unit), !o1,
                      case let (sum, o2) = total.addingReportingOverflow(product), !o2 else {
                    throw ExpressionError("the duration is too large", at: range(start, index))
                }
                total = sum
            }
            if index < bytes.count, isIdentifierPart(bytes[index]) {
                while index < bytes.count, isIdentifierPart(bytes[index]) { index += 1 }
                throw ExpressionError("'\(text(start, index))' is not a duration",
                                      help: "units are w, d, h, m and s, e.g. 48h or 1h30m", at: range(start, index))
            }
            return token(.duration(total), start, index)
        }
        var isDecimal = false
        if index + 1 < bytes.count, bytes[index] == UInt8(ascii: "."), isDigit(bytes[index + 1]) {
            isDecimal = true
            index += 1
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, isIdentifierPart(bytes[index]) {
            while index < bytes.count, isIdentifierPart(bytes[index]) { index += 1 }
            throw ExpressionError("'\(text(start, index))' is not a number",
                                  help: "durations use the units w, d, h, m and s, e.g. 48h", at: range(start, index))
        }
        if isDecimal { return token(.decimal, start, index) }
        guard let value = digitValue(start, index) else {
            throw ExpressionError("the number \(text(start, index)) is too large", at: range(start, index))
        }
        return token(.integer(value), start, index)
    }

    /// The value of the decimal digits `a..<b`; nil when it does not fit in Int.
    private func digitValue(_ a: Int, _ b: Int) -> Int? {
        var value = 0
        for i in a..<b {
            let (shifted, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = shifted.addingReportingOverflow(Int(bytes[i] - 0x30))
            guard !o1, !o2 else { return nil }
            value = next
        }
        return value
    }

    private mutating func string(_ start: Int, quote: UInt8) throws(ExpressionError) -> Token {
        index += 1
        var runStart = index
        var value = ""
        while index < bytes.count {
            let c = bytes[index]
            if c == quote {
                value += text(runStart, index)
                index += 1
                stringValue = value
                return token(.string, start, index)
            }
            if c == UInt8(ascii: "\\") {
                guard index + 1 < bytes.count else { break }
                value += text(runStart, index)
                let e = bytes[index + 1]
                switch e {
                case UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\""): value.unicodeScalars.append(Unicode.Scalar(e))
                case UInt8(ascii: "n"): value += "\n"
                case UInt8(ascii: "t"): value += "\t"
                default:
                    var end = index + 2
                    while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
                    throw ExpressionError("unknown escape '\(text(index, end))' in a string", help: "escapes are \\\\, \\', \\\", \\n and \\t",
                                          at: range(index, end))
                }
                index += 2
                runStart = index
                continue
            }
            index += 1
        }
        throw ExpressionError("the string is not closed", help: "end it with \(Unicode.Scalar(quote))", at: range(start, bytes.count))
    }

    private func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    private func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x0A || c == 0x09 || c == 0x0D }
    private func isIdentifierStart(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z")) || c == UInt8(ascii: "_")
    }
    private func isIdentifierPart(_ c: UInt8) -> Bool { isIdentifierStart(c) || isDigit(c) }
}
