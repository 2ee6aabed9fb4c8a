/// A recursive-descent parser with one method per precedence level of the grammar in docs/expressions.md:
///
///     expr = or;  or = and {"or" and};  and = not {"and" not};  not = "not" not | compare
///     compare = sum [op sum];  sum = product {("+"|"-") product};  product = unary {("*"|"/"|"%") unary}
///     unary = "-" unary | postfix;  postfix = primary {"[" expr "]" | "." name}
///     primary = literal | path | param | call | "(" expr ")" | "[" [expr {"," expr}] "]"
///     call = name "(" [arg {"," arg}] ")";  arg = expr | lambda (the last argument of a list function only)
///     lambda = name "->" expr | "(" name {"," name} ")" "->" expr
///
/// It pulls tokens from the lexer one at a time, so the first problem in reading order is the one
/// reported. Nesting and the number of binary operators are capped so that hostile input gives
/// an error, not a stack overflow: a chain such as `a - b - c - …` builds a tree as deep as it is
/// long, which the checker and the evaluator then walk recursively.
public struct ExpressionParser {
    public static let maxDepth = 64
    public static let maxOperators = 256

    private var lexer: Lexer
    private var current: Token
    private var depth = 0
    private var operators = 0
    /// The parameters of the lambdas around the current token, innermost last.
    private var params: [String] = []
    /// Offset of the start of the text.
    private let start: Int

    public static func parse(_ text: String) -> Result<Expr, ExpressionError> {
        var text = text
        return text.withUTF8 { parse($0, base: 0) }
    }

    /// Parses UTF-8 text that starts at offset `base` (in Unicode scalars) of a larger text, such
    /// as the body of a `${{ … }}`: every range in the tree and in an error counts from the start
    /// of that larger text.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>, base: Int) -> Result<Expr, ExpressionError> {
        do {
            var parser = try ExpressionParser(lexer: Lexer(bytes, base: base), start: base)
            return .success(try parser.parseWhole())
        } catch {
            return .failure(error)
        }
    }

    private init(lexer: Lexer, start: Int) throws(ExpressionError) {
        self.lexer = lexer
        self.start = start
        current = try self.lexer.next()
    }

    private mutating func parseWhole() throws(ExpressionError) -> Expr {
        if case .end = current.kind {
            throw ExpressionError("the expression is empty", at: start..<start)
        }
        let expr = try parseOr()
        guard case .end = current.kind else {
            throw ExpressionError("\(describe(current)) cannot follow a complete expression",
                                  help: followingHelp(current), at: current.range)
        }
        return expr
    }

    private mutating func parseOr() throws(ExpressionError) -> Expr {
        var left = try parseAnd()
        while case .keyword(.or) = current.kind {
            try countOperator()
            let right = try parseAnd()
            left = .binary(.or, left, right, left.range.lowerBound..<right.range.upperBound)
        }
        return left
    }

    private mutating func parseAnd() throws(ExpressionError) -> Expr {
        var left = try parseNot()
        while case .keyword(.and) = current.kind {
            try countOperator()
            let right = try parseNot()
            left = .binary(.and, left, right, left.range.lowerBound..<right.range.upperBound)
        }
        return left
    }

    private mutating func parseNot() throws(ExpressionError) -> Expr {
        if case .keyword(.not) = current.kind {
            let start = current.range.lowerBound
            try advance()
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
        case .keyword(.not):
            guard case .keyword(.in) = try lexer.peek().kind else { return left }
            try advance()
            op = .notIn
        default: return left
        }
        try countOperator()
        let right = try parseSum()
        switch current.kind {
        case .symbol(.equal), .symbol(.notEqual), .symbol(.less), .symbol(.lessEqual), .symbol(.greater), .symbol(.greaterEqual):
            throw ExpressionError("comparisons cannot be chained", help: "join two comparisons with 'and'", at: current.range)
        default:
            break
        }
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
            try countOperator()
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
            try countOperator()
            let right = try parseUnary()
            left = .binary(op, left, right, left.range.lowerBound..<right.range.upperBound)
        }
    }

    private mutating func parseUnary() throws(ExpressionError) -> Expr {
        if case .symbol(.minus) = current.kind {
            let start = current.range.lowerBound
            try advance()
            try enter(at: start)
            defer { depth -= 1 }
            let operand = try parseUnary()
            return .unary(.negate, operand, start..<operand.range.upperBound)
        }
        let primary = try parsePrimary()
        // Most primaries have no index or field after them: they skip the postfix loop.
        guard current.isSymbol(.leftBracket) || current.isSymbol(.dot) else { return primary }
        return try parsePostfix(primary)
    }

    /// A primary followed by indexes and fields: `ticket.orders[input.order_id].status`. Each
    /// `[…]` and each `.name` after one counts as an operator: a chain builds a tree as deep as it
    /// is long, like `a - b - c`. (A path's own dots are read by `parsePrimary`.)
    private mutating func parsePostfix(_ primary: consuming Expr) throws(ExpressionError) -> Expr {
        var expr = primary
        while true {
            if current.isSymbol(.leftBracket) {
                let open = current
                try countOperator()
                try enter(at: open.range.lowerBound)
                let key = try parseOr()
                depth -= 1
                let end = current.range.upperBound
                try expect(.rightBracket, "']' to close the index", opening: open)
                expr = .index(expr, key, expr.range.lowerBound..<end)
            } else if current.isSymbol(.dot) {
                let end = current.range.upperBound
                try countOperator()
                guard case .identifier = current.kind else {
                    throw ExpressionError("a field name must follow '.'", at: current.range.isEmpty ? (end..<end + 1) : current.range)
                }
                let field = Expr.literal(.string(lexer.text(of: current)), current.range)
                try advance()
                expr = .index(expr, field, expr.range.lowerBound..<field.range.upperBound)
            } else {
                return expr
            }
        }
    }

    private mutating func parsePrimary() throws(ExpressionError) -> Expr {
        let token = current
        switch token.kind {
        case .integer(let i): try advance(); return .literal(.integer(i), token.range)
        case .decimal: try advance(); return .literal(.decimal(lexer.text(of: token)), token.range)
        case .duration(let ms): try advance(); return .literal(.duration(ms), token.range)
        case .string:
            let value = lexer.stringValue  // before the next token replaces it
            try advance()
            return .literal(.string(value), token.range)
        case .keyword(.true): try advance(); return .literal(.boolean(true), token.range)
        case .keyword(.false): try advance(); return .literal(.boolean(false), token.range)
        case .keyword(.null): try advance(); return .literal(.null, token.range)
        case .symbol(.leftParen):
            if lambdaAhead() {
                throw ExpressionError(Self.misplacedLambda, help: Self.lambdaHelp, at: token.range)
            }
            try advance()
            try enter(at: token.range.lowerBound)
            defer { depth -= 1 }
            let inner = try parseOr()
            try expect(.rightParen, "')' to close this '('", opening: token)
            return inner
        case .symbol(.leftBracket):
            try advance()
            try enter(at: token.range.lowerBound)
            defer { depth -= 1 }
            var items: [Expr] = []
            if !current.isSymbol(.rightBracket) {
                items.reserveCapacity(4)
                items.append(try parseOr())
                while current.isSymbol(.comma) {
                    try advance()
                    items.append(try parseOr())
                }
            }
            let end = current.range.upperBound
            try expect(.rightBracket, "']' to close the list", opening: token)
            return .list(items, token.range.lowerBound..<end)
        case .identifier:
            try advance()
            if current.isSymbol(.leftParen) {
                let name = lexer.text(of: token)
                let open = current
                try advance()
                try enter(at: token.range.lowerBound)
                defer { depth -= 1 }
                var args: [Expr] = []
                if !current.isSymbol(.rightParen) {
                    args.reserveCapacity(3)
                    args.append(try parseArgument(of: name))
                    while current.isSymbol(.comma) {
                        try advance()
                        args.append(try parseArgument(of: name))
                    }
                }
                let end = current.range.upperBound
                try expect(.rightParen, "')' to close the call of \(name)", opening: open)
                return .call(name, args, token.range.lowerBound..<end)
            }
            if current.isSymbol(.arrow) {
                throw ExpressionError(Self.misplacedLambda, help: Self.lambdaHelp, at: token.range.lowerBound..<current.range.upperBound)
            }
            guard let root = lexer.pathRoot(of: token) else {
                let name = lexer.text(of: token)
                if params.contains(name) {
                    let (segments, end) = try parseSegments(after: token)
                    return .param(name, segments, token.range.lowerBound..<end)
                }
                throw ExpressionError("unknown name '\(name)'",
                                      help: Self.nameHelp(name), at: token.range, kind: .unknownVariable)
            }
            let (segments, end) = try parseSegments(after: token)
            return .path(root, segments, token.range.lowerBound..<end)
        case .end:
            throw ExpressionError("the expression ends where a value was expected", at: lexer.endOffset..<lexer.endOffset)
        default:
            throw ExpressionError("expected a value, found \(describe(token))", at: token.range)
        }
    }

    /// The `.name`s after a path's root or a lambda's parameter, and where they end.
    @inline(__always)
    private mutating func parseSegments(after token: Token) throws(ExpressionError) -> (PathSegments, Int) {
        var segments = PathSegments()
        var end = token.range.upperBound
        while current.isSymbol(.dot) {
            try advance()
            guard case .identifier = current.kind else {
                throw ExpressionError("a field name must follow '.'", at: current.range.isEmpty ? (end..<end + 1) : current.range)
            }
            segments.append(lexer.text(of: current))
            end = current.range.upperBound
            try advance()
        }
        return (segments, end)
    }

    // MARK: Lambdas

    static let misplacedLambda = "a lambda can only be the last argument of "
        + Functions.lambdaFunctions.keys.sorted().map { "\($0)()" }.joined(separator: ", ")
    static let lambdaHelp = "write e.g. all(ticket.items, i -> i.price > 0)"

    /// A call's argument: an expression, or a lambda when it is the last argument of a list function.
    private mutating func parseArgument(of function: String) throws(ExpressionError) -> Expr {
        guard lambdaAhead() else { return try parseOr() }
        let lambda = try parseLambda()
        guard Functions.lambdaFunctions[function] != nil else {
            throw ExpressionError(Self.misplacedLambda + "; \(function)() takes none", help: Self.lambdaHelp, at: lambda.range)
        }
        // Another argument after it is the mistake to name; anything else but `)` is an
        // unclosed call, which the caller reports as such (`all(xs, i -> i.p > 0` lacks its `)`).
        if current.isSymbol(.comma) {
            throw ExpressionError("a lambda must be the last argument of \(function)()", help: Self.lambdaHelp, at: lambda.range)
        }
        return lambda
    }

    /// Whether a lambda starts at the current token: `x ->` or `(x, y) ->`. Looks ahead on a copy
    /// of the lexer; text that does not lex is no lambda (the ordinary parse reports it).
    private func lambdaAhead() -> Bool {
        switch current.kind {
        case .identifier:
            return lexer.arrowFollows()
        case .symbol(.leftParen):
            var probe = lexer
            guard let first = try? probe.next(), case .identifier = first.kind else { return false }
            while let token = try? probe.next() {
                if token.isSymbol(.rightParen) { return (try? probe.next())?.isSymbol(.arrow) ?? false }
                guard token.isSymbol(.comma), let name = try? probe.next(), case .identifier = name.kind else { return false }
            }
            return false
        default:
            return false
        }
    }

    /// `x -> body` or `(x, y) -> body`, once `lambdaAhead()` has seen its shape. Its parameters
    /// are names of their own: not a path root, a function, or a parameter of a lambda around it.
    private mutating func parseLambda() throws(ExpressionError) -> Expr {
        let start = current.range.lowerBound
        var names: [String] = []
        func parameter(_ parser: inout ExpressionParser) throws(ExpressionError) {
            let token = parser.current
            let name = parser.lexer.text(of: token)
            let clash: String?
            if PathRoot(rawValue: name) != nil {
                clash = "is a path root"
            } else if Functions.table[name] != nil || Functions.lambdaFunctions[name] != nil {
                clash = "is a function"
            } else if parser.params.contains(name) || names.contains(name) {
                clash = "is already a parameter here"
            } else {
                clash = nil
            }
            if let clash {
                throw ExpressionError("the lambda parameter '\(name)' \(clash); give it a name of its own",
                                      help: "e.g. 'item' or 'x'", at: token.range)
            }
            names.append(name)
            try parser.advance()
        }
        if current.isSymbol(.leftParen) {
            try advance()
            try parameter(&self)
            while current.isSymbol(.comma) {
                try advance()
                try parameter(&self)
            }
            try advance()  // ')'
        } else {
            try parameter(&self)
        }
        try advance()  // '->'
        try enter(at: start)
        defer { depth -= 1 }
        params.append(contentsOf: names)
        let body = try parseOr()
        params.removeLast(names.count)
        return .lambda(names, body, start..<body.range.upperBound)
    }

    // MARK: Helpers

    static func nameHelp(_ name: String) -> String {
        let roots = PathRoot.allCases.map(\.rawValue)
        // `today` written without its parentheses: a function with no arguments.
        if let function = Functions.table[name], function.arity.lowerBound == 0 {
            return "write '\(name)()': a function is called with parentheses"
        }
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

    private mutating func advance() throws(ExpressionError) {
        current = try lexer.next()
    }

    /// Counts the binary operator at the current token, and moves past it.
    private mutating func countOperator() throws(ExpressionError) {
        operators += 1
        if operators > Self.maxOperators {
            throw ExpressionError("the expression has more than \(Self.maxOperators) operators",
                                  help: "split it into simpler conditions, or test a list with 'in'", at: current.range)
        }
        try advance()
    }

    private mutating func enter(at offset: Int) throws(ExpressionError) {
        depth += 1
        if depth > Self.maxDepth {
            throw ExpressionError("the expression nests deeper than \(Self.maxDepth) levels",
                                  help: "split it into simpler conditions", at: offset..<(offset + 1))
        }
    }

    private mutating func expect(_ symbol: Token.Symbol, _ what: String, opening: Token) throws(ExpressionError) {
        guard current.isSymbol(symbol) else {
            let atEnd = current.kind == .end
            let found = atEnd ? "the end of the expression" : describe(current)
            // A closing bracket left out is the common case: say where it goes.
            let help: String? = switch symbol {
            case .rightParen: "add ')' after the last argument"
            case .rightBracket: "add ']' after the last item"
            default: nil
            }
            throw ExpressionError("expected \(what), found \(found)", help: help, at: atEnd ? opening.range : current.range)
        }
        try advance()
    }

    /// The help for a token after a complete expression: a function written as an operator
    /// (`ticket.tags contains 'vip'`) is called instead; anything else joins conditions.
    private func followingHelp(_ token: Token) -> String {
        if case .identifier = token.kind, let function = Functions.table[lexer.text(of: token)] {
            return "'\(lexer.text(of: token))' is a function, not an operator: call it as \(function.signature)"
        }
        return "join conditions with 'and' or 'or'"
    }

    private func describe(_ token: Token) -> String {
        switch token.kind {
        case .integer(let i): return "the number \(i)"
        case .decimal: return "the number \(lexer.text(of: token))"
        case .duration(let ms): return "the duration \(DurationFormat.format(ms))"
        case .string: return "the string '\(lexer.stringValue)'"
        case .identifier: return "'\(lexer.text(of: token))'"
        case .keyword(let k): return "'\(k.rawValue)'"
        case .symbol(let s): return "'\(s.rawValue)'"
        case .end: return "the end of the expression"
        }
    }
}
