import Foundation

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
        var text = text
        return text.withUTF8 { bytes in
            var parts: [Part] = []
            let error = scan(bytes, text: { range in
                parts.append(.text(String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)))
            }, expression: { parts.append(.expression($0)) })
            return error.map { .failure($0) } ?? .success(Template(parts: parts))
        }
    }

    /// The expressions of a template without its literal pieces: what the linter checks.
    public struct Expressions: Sendable {
        /// The first expression, if any; most templates hold exactly one, which then costs no array.
        public var first: Expr?
        /// The expressions after the first.
        public var others: [Expr] = []
        /// Whether the text around the expressions is blank (spaces only).
        public var textIsBlank = true

        public var count: Int { first == nil ? 0 : 1 + others.count }

        /// The expression when the text is exactly one `${{ … }}` (surrounding spaces aside).
        public var singleExpression: Expr? {
            textIsBlank && others.isEmpty ? first : nil
        }

        /// Calls `body` with each expression, in order.
        public func forEach(_ body: (Expr) throws -> Void) rethrows {
            if let first { try body(first) }
            for e in others { try body(e) }
        }

        mutating func append(_ e: Expr) {
            if first == nil { first = e } else { others.append(e) }
        }
    }

    /// Parses the `${{ … }}` pieces of `text` as `parse` does, without making strings of the text
    /// between them.
    public static func parseExpressions(_ text: String) -> Result<Expressions, ExpressionError> {
        var text = text
        return text.withUTF8 { bytes in
            var found = Expressions()
            let error = scan(bytes, text: { range in
                guard found.textIsBlank, bytes[range].contains(where: { !isBlank($0) }) else { return }
                // A visible ASCII character settles it; otherwise blank means what `singleExpression`
                // of a parsed template means: Unicode whitespace only.
                found.textIsBlank = !bytes[range].contains(where: { $0 > 0x20 && $0 < 0x7F })
                    && String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self).trimmingWhitespace().isEmpty
            }, expression: { found.append($0) })
            return error.map { .failure($0) } ?? .success(found)
        }
    }

    private static func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

    /// Walks the text: each literal piece (as a byte range) and each parsed expression, in order.
    /// Returns the first error, if any.
    private static func scan(_ bytes: UnsafeBufferPointer<UInt8>, text: (Range<Int>) -> Void,
                             expression: (Expr) -> Void) -> ExpressionError? {
        // Scalar offsets are counted as the scan goes: bytes that continue a UTF-8 sequence are not counted.
        var scalarsBefore = 0
        var counted = 0
        func scalarOffset(_ byte: Int) -> Int {
            if counted < byte {
                scalarsBefore += UTF8Scan.scalarCount(bytes, from: counted, to: byte)
                counted = byte
            }
            return scalarsBefore
        }
        var literalStart = 0
        var i = 0
        while let open = nextOpening(bytes, from: i) {
            let bodyStart = open + 3
            var j = bodyStart
            var quote: UInt8?
            var close: Int?
            while j < bytes.count {
                let c = bytes[j]
                if let q = quote {
                    if c == UInt8(ascii: "\\") { j += 2; continue }
                    if c == q { quote = nil }
                } else if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") {
                    quote = c
                } else if c == UInt8(ascii: "}"), j + 1 < bytes.count, bytes[j + 1] == UInt8(ascii: "}") {
                    close = j
                    break
                }
                j += 1
            }
            let openOffset = scalarOffset(open)
            guard let close else {
                return ExpressionError("'${{' is not closed with '}}'", help: "end the expression with '}}'",
                                       at: openOffset..<(openOffset + 3))
            }
            let body = UnsafeBufferPointer(rebasing: bytes[bodyStart..<close])
            switch ExpressionParser.parse(body, base: openOffset + 3) {
            case .success(let expr):
                if open > literalStart { text(literalStart..<open) }
                expression(expr)
            case .failure(let error):
                if String(decoding: body, as: UTF8.self).trimmingWhitespace().isEmpty {
                    return ExpressionError("'${{ }}' holds no expression", at: openOffset..<(scalarOffset(close) + 2))
                }
                return error
            }
            i = close + 2
            literalStart = i
        }
        if literalStart < bytes.count { text(literalStart..<bytes.count) }
        return nil
    }

    /// Spellings of a template that are not one, as written and as meant: `${ x }` (one brace)
    /// and `{{ x }}` (no dollar) reach the reader verbatim, where `${{ x }}` was surely meant.
    public static func misspellings(_ text: String) -> [(written: String, meant: String)] {
        let open = UInt8(ascii: "{"), close = UInt8(ascii: "}"), dollar = UInt8(ascii: "$")
        // Most texts have no brace, or only real templates: memchr answers that in place.
        var text = text
        guard text.withUTF8(mayHoldMisspelling) else { return [] }
        let b = Array(text.utf8)
        func find(_ pattern: [UInt8], from start: Int) -> Int? {
            var i = start
            while i + pattern.count <= b.count {
                if b[i] == UInt8(ascii: "\n") { return nil }
                if b[i..<i + pattern.count].elementsEqual(pattern) { return i }
                i += 1
            }
            return nil
        }
        func inner(_ range: Range<Int>) -> String? {
            let s = String(decoding: b[range], as: UTF8.self).trimmingCharacters(in: .whitespaces)
            return s.isEmpty || s.utf8.count > 200 || s.contains("{") ? nil : s
        }
        var out: [(String, String)] = []
        var i = 0
        while i + 1 < b.count {
            if b[i] == dollar && b[i + 1] == open {
                if i + 2 < b.count && b[i + 2] == open {
                    // A real template: go past it.
                    i = (find([close, close], from: i + 3).map { $0 + 2 }) ?? b.count
                    continue
                }
                if let end = find([close], from: i + 2), let expression = inner(i + 2..<end) {
                    out.append((String(decoding: b[i...end], as: UTF8.self), "${{ \(expression) }}"))
                    i = end + 1
                    continue
                }
            } else if b[i] == open && b[i + 1] == open {
                if let end = find([close, close], from: i + 2), let expression = inner(i + 2..<end) {
                    out.append((String(decoding: b[i..<end + 2], as: UTF8.self), "${{ \(expression) }}"))
                    i = end + 2
                    continue
                }
            }
            i += 1
        }
        return out
    }

    /// Whether some `{` of the text is not the second or third byte of a `${{`: only then can it
    /// hold a misspelt template.
    private static func mayHoldMisspelling(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        let open = UInt8(ascii: "{"), dollar = UInt8(ascii: "$")
        var from = 0
        while from < bytes.count, let hit = memchr(base + from, Int32(open), bytes.count - from) {
            let i = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            guard i > 0, bytes[i - 1] == dollar, i + 1 < bytes.count, bytes[i + 1] == open else { return true }
            from = i + 2
        }
        return false
    }

    /// The text with each `${{ … }}` filled in from `context`; nil when an expression fails
    /// (text without a template comes back as it is).
    public static func render(_ text: String, in context: borrowing EvaluationContext) -> String? {
        guard containsTemplate(text), case .success(let template) = parse(text) else { return text }
        var out = ""
        for part in template.parts {
            switch part {
            case .text(let s): out += s
            case .expression(let e):
                guard let v = try? Evaluator.compile(e).evaluate(context) else { return nil }
                out += v.description
            }
        }
        return out
    }

    /// The text as shown where no ticket is known to fill it (a list of SOPs): each `${{ … }}`
    /// becomes `…`, so `Chargeback dispute for ${{ ticket.id }}` reads `Chargeback dispute for …`.
    /// Every interface uses this one spelling (docs/decisions.md).
    public static func withoutExpressions(_ text: String) -> String {
        guard containsTemplate(text) else { return text }
        var out = ""
        var text = text
        let error = text.withUTF8 { bytes in
            scan(bytes, text: { range in out += String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) },
                 expression: { _ in out += "…" })
        }
        // A template that does not parse is a lint error; show it as written.
        return error == nil ? out : text
    }

    /// Quick test before parsing: does the text contain a template (`${{`) at all?
    public static func containsTemplate(_ text: String) -> Bool {
        var text = text
        return text.withUTF8(containsTemplate)
    }

    public static func containsTemplate(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        nextOpening(bytes, from: 0) != nil
    }

    /// The offset of the first `${{` at or after `start`: jumps from one '$' to the next
    /// (memchr), then looks at the two bytes after it.
    private static func nextOpening(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard let base = bytes.baseAddress else { return nil }
        var from = start
        while from + 2 < bytes.count, let hit = memchr(base + from, Int32(UInt8(ascii: "$")), bytes.count - 2 - from) {
            let i = UnsafeRawPointer(hit) - UnsafeRawPointer(base)
            if bytes[i + 1] == UInt8(ascii: "{") && bytes[i + 2] == UInt8(ascii: "{") { return i }
            from = i + 1
        }
        return nil
    }
}
