import SOPDiagnostics

/// Where a scalar was written and how: enough to find any character of its value in the file.
public struct ScalarLocation: Sendable, Hashable {
    public var span: SourceSpan
    public var style: ScalarStyle

    public init(span: SourceSpan, style: ScalarStyle) {
        self.span = span
        self.style = style
    }
}

extension YAMLDocument {
    /// The place and style of a scalar, for mapping offsets in its value back to the file.
    public func location(_ id: YAMLNodeID) -> ScalarLocation {
        ScalarLocation(span: span(id), style: style(id))
    }
}

extension ScalarLocation {
    /// Where in the file the character at `offset` (in Unicode scalars) of the scalar's `value`
    /// was written. Quotes, escapes, line folding and block indentation are accounted for, so an
    /// error inside a guard or template points at the offending token. Falls back to the scalar's
    /// start when the written form cannot be aligned with the value.
    public func position(ofValueOffset offset: Int, value text: String, in source: SourceFile) -> SourcePosition {
        let value = Array(text.unicodeScalars)
        guard offset >= 0 else { return span.start }
        // The written characters of the node, each with its position; line breaks as "\n".
        var raw: [(Unicode.Scalar, SourcePosition)] = []
        let firstLine = span.start.line
        let lastLine = max(span.end.line, firstLine)
        for line in firstLine...lastLine {
            guard let text = source.lineText(line) else { break }
            let chars = Array(text.unicodeScalars)
            let from = line == firstLine ? span.start.column - 1 : 0
            let to = line == span.end.line ? min(span.end.column - 1, chars.count) : chars.count
            if from < to {
                for c in from..<to { raw.append((chars[c], SourcePosition(line: line, column: c + 1))) }
            }
            if line < lastLine { raw.append(("\n", SourcePosition(line: line, column: chars.count + 1))) }
        }
        var j = 0
        switch style {
        case .singleQuoted, .doubleQuoted:
            j = 1  // the opening quote
        case .literal, .folded:
            while j < raw.count, raw[j].0 != "\n" { j += 1 }  // the header line
        case .plain:
            break
        }
        let target = min(offset, value.count)
        var k = 0
        while k <= target {
            guard j < raw.count else { return raw.last.map { SourcePosition(line: $0.1.line, column: $0.1.column + 1) } ?? span.start }
            let (r, position) = raw[j]
            let unitLength = escapeLength(raw, j, style: style)
            let v: Unicode.Scalar? = k < value.count ? value[k] : nil
            if unitLength == 0 {
                j += 2  // a line continuation in a double-quoted string produces nothing
                continue
            }
            let matches: Bool
            if unitLength > 1 {
                matches = true  // an escape or a doubled quote produces exactly one character
            } else if let v {
                matches = v == r || (v.properties.isWhitespace && r.properties.isWhitespace)
            } else {
                matches = true  // one past the end of the value
            }
            if matches {
                if k == target { return position }
                k += 1
                j += unitLength
            } else {
                j += 1
            }
        }
        return span.start
    }

    /// How many written characters produce one value character at `j`: 2 for `''` in a
    /// single-quoted scalar, the escape's length in a double-quoted one, 0 for `\` at a line end.
    private func escapeLength(_ raw: [(Unicode.Scalar, SourcePosition)], _ j: Int, style: ScalarStyle) -> Int {
        let c = raw[j].0
        if style == .singleQuoted, c == "'", j + 1 < raw.count, raw[j + 1].0 == "'" { return 2 }
        guard style == .doubleQuoted, c == "\\", j + 1 < raw.count else { return 1 }
        switch raw[j + 1].0 {
        case "\n": return 0
        case "x": return 4
        case "u": return 6
        case "U": return 10
        default: return 2
        }
    }
}
