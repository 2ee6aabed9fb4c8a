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
        return text.withUTF8(parse)
    }

    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<Template, ExpressionError> {
        // Scalar offsets are counted as the scan goes: bytes that continue a UTF-8 sequence are not counted.
        var scalarsBefore = 0
        var counted = 0
        func scalarOffset(_ byte: Int) -> Int {
            while counted < byte {
                if bytes[counted] & 0xC0 != 0x80 { scalarsBefore += 1 }
                counted += 1
            }
            return scalarsBefore
        }
        func string(_ range: Range<Int>) -> String {
            String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
        }
        var parts: [Part] = []
        var literalStart = 0
        var i = 0
        while i + 2 < bytes.count {
            guard bytes[i] == UInt8(ascii: "$"), bytes[i + 1] == UInt8(ascii: "{"), bytes[i + 2] == UInt8(ascii: "{") else {
                i += 1
                continue
            }
            let open = i
            let bodyStart = i + 3
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
                return .failure(ExpressionError("'${{' is not closed with '}}'", help: "end the expression with '}}'",
                                                at: openOffset..<(openOffset + 3)))
            }
            let body = UnsafeBufferPointer(rebasing: bytes[bodyStart..<close])
            switch ExpressionParser.parse(body, base: openOffset + 3) {
            case .success(let expr):
                if open > literalStart { parts.append(.text(string(literalStart..<open))) }
                parts.append(.expression(expr))
            case .failure(let error):
                if String(decoding: body, as: UTF8.self).trimmingWhitespace().isEmpty {
                    return .failure(ExpressionError("'${{ }}' holds no expression", at: openOffset..<(scalarOffset(close) + 2)))
                }
                return .failure(error)
            }
            i = close + 2
            literalStart = i
        }
        if literalStart < bytes.count { parts.append(.text(string(literalStart..<bytes.count))) }
        return .success(Template(parts: parts))
    }

    /// Quick test before parsing: does the text contain a template (`${{`) at all?
    public static func containsTemplate(_ text: String) -> Bool {
        var text = text
        return text.withUTF8(containsTemplate)
    }

    public static func containsTemplate(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count >= 3 else { return false }
        var i = 0
        let last = bytes.count - 3
        while i <= last {
            if bytes[i] == UInt8(ascii: "$") && bytes[i + 1] == UInt8(ascii: "{") && bytes[i + 2] == UInt8(ascii: "{") {
                return true
            }
            i += 1
        }
        return false
    }
}
