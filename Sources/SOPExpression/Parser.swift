/// A recursive-descent parser with one method per precedence level of SOP-FORMAT.md's grammar:
///
///     expr = or;  or = and {"or" and};  and = not {"and" not};  not = "not" not | compare
///     compare = sum [op sum];  sum = product {("+"|"-") product};  product = unary {("*"|"/"|"%") unary}
///     unary = "-" unary | primary;  primary = literal | path | call | "(" expr ")" | "[" [expr {"," expr}] "]"
///
/// Nesting is capped so that hostile input gives an error, not a stack overflow.
public struct ExpressionParser {
    public static let maxDepth = 64

    private var tokens: [Token]
    private var position = 0
    private var depth = 0
    /// Offsets of the start and the end of the text.
    private let start: Int
    private let endOffset: Int

    public static func parse(_ text: String) -> Result<Expr, ExpressionError> {
        var text = text
        return text.withUTF8 { parse($0, base: 0) }
    }

    /// Parses UTF-8 text that starts at offset `base` (in Unicode scalars) of a larger text, such
    /// as the body of a `${{ … }}`: every range in the tree and in an error counts from the start
    /// of that larger text.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>, base: Int) -> Result<Expr, ExpressionError> {
        var lexer = Lexer(bytes, base: base)
        let tokens: [Token]
        do {
            tokens = try lexer.tokenize()
        } catch {
            return .failure(error)
        }
        var parser = ExpressionParser(tokens: tokens, start: base, end: lexer.endOffset)
        do {
            return .success(try parser.parseWhole())
        } catch {
            return .failure(error)
        }
    }

    private init(tokens: [Token], start: Int, end: Int) {
        self.tokens = tokens
        self.start = start
        self.endOffset = end
    }

    private mutating func parseWhole() throws(ExpressionError) -> Expr {
        if current.kind == .end {
            throw ExpressionError("the expression is empty", at: start..<start)
        }
        let expr = try parseOr()
        guard current.kind == .end else {
            throw ExpressionError("unexpected \(describe(current)) after a complete expression",
                                  help: "join conditions with 'and' or 'or'", at: current.range)
        }
        return expr
    }

    private mutating func parseOr() throws(ExpressionError) -> Expr {
        var left = try parseAnd()
        while current.kind == .keyword(.or) {
            advance()
            let right = try parseAnd()
            left = .binary(.or, left, right, left.range.lowerBound..<right.range.upperBound)
        }
        return left
    }

    private mutating func parseAnd() throws(ExpressionError) -> Expr {
        var left = try parseNot()
        while current.kind == .keyword(.and) {
            advance()
            let right = try parseNot()
            left = .binary(.and, left, right, left.range.lowerBound..<right.range.upperBound)
        }
        return left
    }

    private mutating func parseNot() throws(ExpressionError) -> Expr {
        if current.kind == .keyword(.not) {
            let start = current.range.lowerBound
            advance()
            try enter(at: start)
            defer { depth -= 1 }
            let operand = try parseNot()
            return .unary(.not, operand, start..<operand.range.upperBound)
        }
        return try parseCompare()
    }

    private mutating func parseCompare() throws(ExpressionError) -> Expr {
        let left = try parseSum()
        let op: BinaryOperator
        switch current.kind {
        case .symbol(.equal): op = .equal
        case .symbol(.notEqual): op = .notEqual
        case .symbol(.less): op = .less
        case .symbol(.lessEqual): op = .lessEqual
        case .symbol(.greater): op = .greater
        case .symbol(.greaterEqual): op = .greaterEqual
        case .keyword(.in): op = .in
        case .keyword(.not) where peek(1).kind == .keyword(.in):
            advance()
            op = .notIn
        default: return left
        }
        let opToken = current
        advance()
        let right = try parseSum()
        switch current.kind {
        case .symbol(.equal), .symbol(.notEqual), .symbol(.less), .symbol(.lessEqual), .symbol(.greater), .symbol(.greaterEqual):
            throw ExpressionError("comparisons cannot be chained", help: "join two comparisons with 'and'", at: current.range)
        default:
            break
        }
        _ = opToken
        return .binary(op, left, right, left.range.lowerBound..<right.range.upperBound)
    }

    private mutating func parseSum() throws(ExpressionError) -> Expr {
        var left = try parseProduct()
        while true {
            let op: BinaryOperator
            switch current.kind {
            case .symbol(.plus): op = .plus
            case .symbol(.minus): op = .minus
            default: return left
            }
            advance()
            let right = try parseProduct()
            left = .binary(op, left, right, left.range.lowerBound..<right.range.upperBound)
        }
    }

    private mutating func parseProduct() throws(ExpressionError) -> Expr {
        var left = try parseUnary()
        while true {
            let op: BinaryOperator
            switch current.kind {
            case .symbol(.star): op = .times
            case .symbol(.slash): op = .divide
            case .symbol(.percent): op = .remainder
            default: return left
            }
            advance()
            let right = try parseUnary()
            left = .binary(op, left, right, left.range.lowerBound..<right.range.upperBound)
        }
    }

    private mutating func parseUnary() throws(ExpressionError) -> Expr {
        if current.kind == .symbol(.minus) {
            let start = current.range.lowerBound
            advance()
            try enter(at: start)
            defer { depth -= 1 }
            let operand = try parseUnary()
            return .unary(.negate, operand, start..<operand.range.upperBound)
        }
        return try parsePrimary()
    }

    private mutating func parsePrimary() throws(ExpressionError) -> Expr {
        let token = current
        switch token.kind {
        case .integer(let i): advance(); return .literal(.integer(i), token.range)
        case .decimal(let d): advance(); return .literal(.decimal(d), token.range)
        case .duration(let ms): advance(); return .literal(.duration(ms), token.range)
        case .string(let s): advance(); return .literal(.string(s), token.range)
        case .keyword(.true): advance(); return .literal(.boolean(true), token.range)
        case .keyword(.false): advance(); return .literal(.boolean(false), token.range)
        case .keyword(.null): advance(); return .literal(.null, token.range)
        case .symbol(.leftParen):
            advance()
            try enter(at: token.range.lowerBound)
            defer { depth -= 1 }
            let inner = try parseOr()
            try expect(.rightParen, "')' to close this '('", opening: token)
            return inner
        case .symbol(.leftBracket):
            advance()
            try enter(at: token.range.lowerBound)
            defer { depth -= 1 }
            var items: [Expr] = []
            if current.kind != .symbol(.rightBracket) {
                items.append(try parseOr())
                while current.kind == .symbol(.comma) {
                    advance()
                    items.append(try parseOr())
                }
            }
            let end = current.range.upperBound
            try expect(.rightBracket, "']' to close the list", opening: token)
            return .list(items, token.range.lowerBound..<end)
        case .identifier(let name):
            advance()
            if current.kind == .symbol(.leftParen) {
                let open = current
                advance()
                try enter(at: token.range.lowerBound)
                defer { depth -= 1 }
                var args: [Expr] = []
                if current.kind != .symbol(.rightParen) {
                    args.append(try parseOr())
                    while current.kind == .symbol(.comma) {
                        advance()
                        args.append(try parseOr())
                    }
                }
                let end = current.range.upperBound
                try expect(.rightParen, "')' to close the call of \(name)", opening: open)
                return .call(name, args, token.range.lowerBound..<end)
            }
            guard let root = PathRoot(rawValue: name) else {
                throw ExpressionError("unknown name '\(name)'",
                                      help: Self.nameHelp(name), at: token.range, rule: .unknownVariable)
            }
            var segments: [String] = []
            var end = token.range.upperBound
            while current.kind == .symbol(.dot) {
                advance()
                guard case .identifier(let segment) = current.kind else {
                    throw ExpressionError("a field name must follow '.'", at: current.range.isEmpty ? (end..<end + 1) : current.range)
                }
                segments.append(segment)
                end = current.range.upperBound
                advance()
            }
            return .path(root, segments, token.range.lowerBound..<end)
        case .end:
            throw ExpressionError("the expression ends where a value was expected", at: endOffset..<endOffset)
        default:
            throw ExpressionError("unexpected \(describe(token)); a value was expected", at: token.range)
        }
    }

    // MARK: Helpers

    static func nameHelp(_ name: String) -> String {
        let roots = PathRoot.allCases.map(\.rawValue)
        if let root = closestRoot(name) { return "did you mean '\(root)'?" }
        if name == "True" || name == "False" { return "write '\(name.lowercased())'" }
        if name == "AND" || name == "OR" || name == "NOT" { return "write '\(name.lowercased())'" }
        return "paths start with " + roots.map { "'\($0)'" }.joined(separator: ", ") + "; text goes in quotes"
    }

    private static func closestRoot(_ name: String) -> String? {
        let lower = name.lowercased()
        if let exact = PathRoot(rawValue: lower) { return exact.rawValue }
        if lower == "vars" || lower == "variable" { return "var" }
        if lower == "inputs" { return "input" }
        return nil
    }

    private var current: Token { tokens[position] }

    private func peek(_ n: Int) -> Token { tokens[min(position + n, tokens.count - 1)] }

    private mutating func advance() {
        if position < tokens.count - 1 { position += 1 }
    }

    private mutating func enter(at offset: Int) throws(ExpressionError) {
        depth += 1
        if depth > Self.maxDepth {
            throw ExpressionError("the expression nests deeper than \(Self.maxDepth) levels",
                                  help: "split it into simpler conditions", at: offset..<(offset + 1))
        }
    }

    private mutating func expect(_ symbol: Token.Symbol, _ what: String, opening: Token) throws(ExpressionError) {
        guard current.kind == .symbol(symbol) else {
            let found = current.kind == .end ? "the end of the expression" : describe(current)
            throw ExpressionError("expected \(what), found \(found)", at: current.kind == .end ? opening.range : current.range)
        }
        advance()
    }

    private func describe(_ token: Token) -> String {
        switch token.kind {
        case .integer(let i): return "the number \(i)"
        case .decimal(let d): return "the number \(d)"
        case .duration(let ms): return "the duration \(DurationFormat.format(ms))"
        case .string(let s): return "the string '\(s)'"
        case .identifier(let n): return "'\(n)'"
        case .keyword(let k): return "'\(k.rawValue)'"
        case .symbol(let s): return "'\(s.rawValue)'"
        case .end: return "the end of the expression"
        }
    }
}
