/// The conditions a guard's top-level `and` chain requires, each with its text as written, so
/// a refusal can name the one that failed instead of the whole guard (docs/runtime.md).
public struct Conjunct: Sendable {
    public var expression: Expr
    /// The conjunct's source text: the scalars of `expression.range` in the text it was parsed
    /// from, widened to the parentheses it was written inside (`(a + b) > c`'s range starts at `a`).
    public var text: String
}

extension Expr {
    /// The operands of a top-level chain of `and`s, left to right (a parenthesised chain inside
    /// it is part of the chain: `and` is associative); `[self]` for any other expression.
    public var conjuncts: [Expr] {
        if case .binary(.and, let l, let r, _) = self { return l.conjuncts + r.conjuncts }
        return [self]
    }

    /// `conjuncts`, each with its text cut from `source`, the text the expression was parsed
    /// from (a guard, or a template holding it: ranges count Unicode scalars from its start).
    public func conjuncts(in source: String) -> [Conjunct] {
        let scalars = Array(source.unicodeScalars)
        return conjuncts.map { Conjunct(expression: $0, text: Self.text(of: $0.range, in: scalars)) }
    }

    /// The scalars of `range`, widened until its parentheses balance (the parser keeps a
    /// parenthesised operand's range without its parentheses; quoted text is skipped), then
    /// to the parentheses around it.
    static func text(of range: Range<Int>, in scalars: [Unicode.Scalar]) -> String {
        func isSpace(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\t" || c == "\n" || c == "\r" }
        var lower = max(0, min(range.lowerBound, scalars.count)), upper = max(lower, min(range.upperBound, scalars.count))
        var depth = 0, unopened = 0
        var quote: Unicode.Scalar?
        var i = lower
        while i < upper {
            let c = scalars[i]
            if let q = quote {
                if c == "\\" { i += 1 } else if c == q { quote = nil }
            } else if c == "'" || c == "\"" {
                quote = c
            } else if c == "(" {
                depth += 1
            } else if c == ")" {
                if depth > 0 { depth -= 1 } else { unopened += 1 }
            }
            i += 1
        }
        // A `)` with no `(` inside: take in the `(` before the range (spaces between allowed).
        while unopened > 0, let open = scalars[..<lower].lastIndex(where: { !isSpace($0) }), scalars[open] == "(" {
            lower = open
            unopened -= 1
        }
        // A `(` with no `)` inside: take in the `)` after it.
        while depth > 0, let close = scalars[upper...].firstIndex(where: { !isSpace($0) }), scalars[close] == ")" {
            upper = close + 1
            depth -= 1
        }
        // A conjunct written inside parentheses of its own, `(a or b)`, keeps them: the text
        // between them is balanced, so they are each other's pair.
        while let open = scalars[..<lower].lastIndex(where: { !isSpace($0) }), scalars[open] == "(",
              let close = scalars[upper...].firstIndex(where: { !isSpace($0) }), scalars[close] == ")" {
            lower = open
            upper = close + 1
        }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars[lower..<upper])
        return String(out)
    }
}
