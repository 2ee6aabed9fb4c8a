import SOPDiagnostics

/// A token of the expression language, with its place as offsets (in Unicode scalars) into the
/// expression's text.
public struct Token: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case integer(Int)
        case decimal(String)
        case duration(Int64)        // milliseconds
        case string(String)
        case identifier(String)
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
    }

    public var kind: Kind
    public var range: Range<Int>
}

/// An error found while reading an expression: a message, a fix, and the offsets it concerns.
public struct ExpressionError: Error, Sendable, Hashable {
    public var message: String
    public var help: String?
    public var range: Range<Int>
    /// `expression-syntax`, or `unknown-variable` for a name that is no path root or function.
    public var rule: RuleID

    public init(_ message: String, help: String? = nil, at range: Range<Int>, rule: RuleID = .expressionSyntax) {
        self.message = message
        self.help = help
        self.range = range
        self.rule = rule
    }
}

/// Splits an expression into tokens. Path segments after a `.` may contain `-` (SOP ids do), so
/// `input.order-id` is one path; write spaces around `-` to subtract.
struct Lexer {
    let scalars: [Unicode.Scalar]
    var index = 0

    init(_ text: String) {
        scalars = Array(text.unicodeScalars)
    }

    mutating func tokenize() throws(ExpressionError) -> [Token] {
        var tokens: [Token] = []
        while true {
            let token = try next(afterDot: tokens.last?.kind == .symbol(.dot))
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    private mutating func next(afterDot: Bool) throws(ExpressionError) -> Token {
        while index < scalars.count, isSpace(scalars[index]) { index += 1 }
        let start = index
        guard index < scalars.count else { return Token(kind: .end, range: start..<start) }
        let c = scalars[index]
        if isDigit(c) { return try number(start) }
        if isIdentifierStart(c) {
            index += 1
            while index < scalars.count, isIdentifierPart(scalars[index])
                    || (afterDot && scalars[index] == "-" && index + 1 < scalars.count && isIdentifierPart(scalars[index + 1])) {
                index += 1
            }
            let word = String(String.UnicodeScalarView(scalars[start..<index]))
            if !afterDot, let keyword = Token.Keyword(rawValue: word) {
                return Token(kind: .keyword(keyword), range: start..<index)
            }
            return Token(kind: .identifier(word), range: start..<index)
        }
        if c == "'" || c == "\"" { return try string(start, quote: c) }
        index += 1
        let twoChar: Token.Symbol? = {
            guard index < scalars.count, scalars[index] == "=" else { return nil }
            switch c {
            case "=": return .equal
            case "!": return .notEqual
            case "<": return .lessEqual
            case ">": return .greaterEqual
            default: return nil
            }
        }()
        if let twoChar {
            index += 1
            return Token(kind: .symbol(twoChar), range: start..<index)
        }
        let symbol: Token.Symbol
        switch c {
        case "<": symbol = .less
        case ">": symbol = .greater
        case "+": symbol = .plus
        case "-": symbol = .minus
        case "*": symbol = .star
        case "/": symbol = .slash
        case "%": symbol = .percent
        case "(": symbol = .leftParen
        case ")": symbol = .rightParen
        case "[": symbol = .leftBracket
        case "]": symbol = .rightBracket
        case ",": symbol = .comma
        case ".": symbol = .dot
        case "=":
            throw ExpressionError("'=' is not an operator", help: "write '==' to compare", at: start..<index)
        case "!":
            throw ExpressionError("'!' is not an operator", help: "write 'not' to negate, or '!=' to compare", at: start..<index)
        case "&":
            throw ExpressionError("'&' is not an operator", help: "write 'and'", at: start..<index)
        case "|":
            throw ExpressionError("'|' is not an operator", help: "write 'or'", at: start..<index)
        default:
            throw ExpressionError("unexpected character '\(c)'", at: start..<index)
        }
        return Token(kind: .symbol(symbol), range: start..<index)
    }

    /// Integers, decimals, and durations such as `30m`, `48h`, `2d`, `1w`, `1h30m`, `90s`.
    private mutating func number(_ start: Int) throws(ExpressionError) -> Token {
        while index < scalars.count, isDigit(scalars[index]) { index += 1 }
        if index < scalars.count, DurationFormat.unitMilliseconds(scalars[index]) != nil {
            // A duration: digit runs each followed by a unit, largest unit first.
            index = start
            var total: Int64 = 0
            var lastUnit = Int64.max
            while index < scalars.count, isDigit(scalars[index]) {
                let digitsStart = index
                while index < scalars.count, isDigit(scalars[index]) { index += 1 }
                guard index < scalars.count, let unit = DurationFormat.unitMilliseconds(scalars[index]) else {
                    throw ExpressionError("a duration needs a unit after every number", help: "units are w, d, h, m and s, e.g. 1h30m",
                                          at: start..<index)
                }
                guard unit < lastUnit else {
                    throw ExpressionError("duration units must go from largest to smallest, each once",
                                          help: "write e.g. 1d12h or 1h30m", at: start..<(index + 1))
                }
                lastUnit = unit
                index += 1
                let digits = String(String.UnicodeScalarView(scalars[digitsStart..<(index - 1)]))
                guard let n = Int64(digits), case let (product, o1) = n.multipliedReportingOverflow(by: unit), !o1,
                      case let (sum, o2) = total.addingReportingOverflow(product), !o2 else {
                    throw ExpressionError("the duration is too large", at: start..<index)
                }
                total = sum
            }
            if index < scalars.count, isIdentifierPart(scalars[index]) {
                while index < scalars.count, isIdentifierPart(scalars[index]) { index += 1 }
                throw ExpressionError("'\(String(String.UnicodeScalarView(scalars[start..<index])))' is not a duration",
                                      help: "units are w, d, h, m and s, e.g. 48h or 1h30m", at: start..<index)
            }
            return Token(kind: .duration(total), range: start..<index)
        }
        var isDecimal = false
        if index + 1 < scalars.count, scalars[index] == ".", isDigit(scalars[index + 1]) {
            isDecimal = true
            index += 1
            while index < scalars.count, isDigit(scalars[index]) { index += 1 }
        }
        if index < scalars.count, isIdentifierPart(scalars[index]) {
            while index < scalars.count, isIdentifierPart(scalars[index]) { index += 1 }
            throw ExpressionError("'\(String(String.UnicodeScalarView(scalars[start..<index])))' is not a number",
                                  help: "durations use the units w, d, h, m and s, e.g. 48h", at: start..<index)
        }
        let text = String(String.UnicodeScalarView(scalars[start..<index]))
        if isDecimal { return Token(kind: .decimal(text), range: start..<index) }
        guard let value = Int(text) else {
            throw ExpressionError("the number \(text) is too large", at: start..<index)
        }
        return Token(kind: .integer(value), range: start..<index)
    }

    private mutating func string(_ start: Int, quote: Unicode.Scalar) throws(ExpressionError) -> Token {
        index += 1
        var value = String.UnicodeScalarView()
        while index < scalars.count {
            let c = scalars[index]
            if c == quote {
                index += 1
                return Token(kind: .string(String(value)), range: start..<index)
            }
            if c == "\\" {
                guard index + 1 < scalars.count else { break }
                let e = scalars[index + 1]
                switch e {
                case "\\", "'", "\"": value.append(e)
                case "n": value.append("\n")
                case "t": value.append("\t")
                default:
                    throw ExpressionError("unknown escape '\\\(e)' in a string", help: "escapes are \\\\, \\', \\\", \\n and \\t",
                                          at: index..<(index + 2))
                }
                index += 2
                continue
            }
            value.append(c)
            index += 1
        }
        throw ExpressionError("the string is not closed", help: "end it with \(quote)", at: start..<scalars.count)
    }

    private func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }
    private func isSpace(_ c: Unicode.Scalar) -> Bool {
        c == " " || c == "\n" || c == "\t" || c == "\r" || (c.value >= 0x80 && c.properties.isWhitespace)
    }
    private func isIdentifierStart(_ c: Unicode.Scalar) -> Bool { (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_" }
    private func isIdentifierPart(_ c: Unicode.Scalar) -> Bool { isIdentifierStart(c) || isDigit(c) }
}
