/// A string with `${{ expression }}` pieces, as in `notify` templates and `set` values.
public struct Template: Sendable {
    public enum Part: Sendable {
        case text(String)
        /// An expression; its node offsets are offsets into the whole template text.
        case expression(Expr)
    }

    public var parts: [Part]

    /// True when the text is exactly one `${{ … }}` (surrounding spaces aside): the value then
    /// keeps the expression's type instead of becoming a string.
    public var singleExpression: Expr? {
        var found: Expr?
        for part in parts {
            switch part {
            case .expression(let e):
                if found != nil { return nil }
                found = e
            case .text(let t):
                if !t.trimmingWhitespace().isEmpty { return nil }
            }
        }
        return found
    }

    public var expressions: [Expr] {
        parts.compactMap { if case .expression(let e) = $0 { return e } else { return nil } }
    }

    /// Splits `text` into literal pieces and parsed expressions. Offsets in errors and in the
    /// expressions' nodes are offsets (in Unicode scalars) into `text`.
    public static func parse(_ text: String) -> Result<Template, ExpressionError> {
        let scalars = Array(text.unicodeScalars)
        var parts: [Part] = []
        var literal = String.UnicodeScalarView()
        var i = 0
        while i < scalars.count {
            if scalars[i] == "$", i + 2 < scalars.count, scalars[i + 1] == "{", scalars[i + 2] == "{" {
                let open = i
                let bodyStart = i + 3
                var j = bodyStart
                var quote: Unicode.Scalar?
                var close: Int?
                while j < scalars.count {
                    let c = scalars[j]
                    if let q = quote {
                        if c == "\\" { j += 2; continue }
                        if c == q { quote = nil }
                    } else if c == "'" || c == "\"" {
                        quote = c
                    } else if c == "}", j + 1 < scalars.count, scalars[j + 1] == "}" {
                        close = j
                        break
                    }
                    j += 1
                }
                guard let close else {
                    return .failure(ExpressionError("'${{' is not closed with '}}'", help: "end the expression with '}}'",
                                                    at: open..<(open + 3)))
                }
                let body = String(String.UnicodeScalarView(scalars[bodyStart..<close]))
                switch ExpressionParser.parse(body) {
                case .success(let expr):
                    if !literal.isEmpty { parts.append(.text(String(literal))); literal = String.UnicodeScalarView() }
                    parts.append(.expression(expr.shifted(by: bodyStart)))
                case .failure(var error):
                    if body.trimmingWhitespace().isEmpty {
                        return .failure(ExpressionError("'${{ }}' holds no expression", at: open..<(close + 2)))
                    }
                    error.range = (error.range.lowerBound + bodyStart)..<(error.range.upperBound + bodyStart)
                    return .failure(error)
                }
                i = close + 2
                continue
            }
            literal.append(scalars[i])
            i += 1
        }
        if !literal.isEmpty { parts.append(.text(String(literal))) }
        return .success(Template(parts: parts))
    }

    /// Quick test before parsing: does the text contain a template at all?
    public static func containsTemplate(_ text: String) -> Bool {
        text.contains("${{")
    }
}

extension Expr {
    /// The same tree with every offset moved by `delta`.
    public func shifted(by delta: Int) -> Expr {
        func move(_ r: Range<Int>) -> Range<Int> { (r.lowerBound + delta)..<(r.upperBound + delta) }
        switch self {
        case .literal(let l, let r): return .literal(l, move(r))
        case .path(let root, let s, let r): return .path(root, s, move(r))
        case .call(let n, let a, let r): return .call(n, a.map { $0.shifted(by: delta) }, move(r))
        case .unary(let o, let e, let r): return .unary(o, e.shifted(by: delta), move(r))
        case .binary(let o, let l, let rr, let r): return .binary(o, l.shifted(by: delta), rr.shifted(by: delta), move(r))
        case .list(let items, let r): return .list(items.map { $0.shifted(by: delta) }, move(r))
        }
    }
}
