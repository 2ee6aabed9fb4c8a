import SOPCore
import SOPDiagnostics
import SOPExpression

/// What a hover shows, and over which text.
public struct HoverInfo: Sendable, Equatable {
    public var markdown: String
    public var span: SourceSpan

    public init(markdown: String, span: SourceSpan) {
        self.markdown = markdown
        self.span = span
    }
}

/// The hover engine of `sop lsp`: on a key, what it means (`KeyDocs`, the text of
/// docs/format.md); in an expression, a function's signature, a ticket field's type and
/// description, or the type the checker gives the smallest expression under the cursor; on a
/// state id after `to:` or `start:`, the state's title.
public enum Hover {
    public static func info(in source: SourceFile, at position: SourcePosition, context: AuthoringContext) -> HoverInfo? {
        let fileKind = SOPFileKind(path: source.path)
        guard fileKind != .calendar else { return nil }
        // In a scenario test, keys only.
        let scenario = fileKind == .scenarioTest
        let lines = SourceLines(source)
        let text = lines[position.line]
        let at = min(max(position.column - 1, 0), text.count)
        // The word under the cursor: hover is asked anywhere in it.
        var start = at, end = at
        while start > 0, CursorContext.isWordScalar(text[start - 1]) { start -= 1 }
        while end < text.count, CursorContext.isWordScalar(text[end]) { end += 1 }
        guard start < end || at < text.count else { return nil }
        let wordSpan = SourceSpan(start: SourcePosition(line: position.line, column: start + 1),
                                  end: SourcePosition(line: position.line, column: end + 1))
        let word = String(String.UnicodeScalarView(text[start..<end]))

        // A key: the word followed by `:` where the line's structure has a key.
        if end < text.count, text[end] == ":", end + 1 == text.count || text[end + 1] == " " {
            let keyContext = CursorContext.analyze(lines, line: position.line, column: start + 1, scenario: scenario)
            if keyContext.slot == .key, let kind = SOPPaths.kind(of: keyContext.path, scenario: scenario),
               let markdown = KeyDocs.markdown(for: word, in: kind) {
                return HoverInfo(markdown: markdown, span: wordSpan)
            }
        }

        if scenario { return nil }
        let here = CursorContext.analyze(lines, line: position.line, column: at + 1)
        guard here.slot == .value, let key = here.valueKey else { return nil }
        let sop = AuthoredSOP(source: source, cursorLine: position.line, context: context)
        let kind = SOPPaths.kind(of: here.mappingPath)
        let state = SOPPaths.state(of: here.path)

        // The value's text on this line, around the cursor.
        let (value, positions) = wholeValue(here, lines: lines, line: position.line, cursor: at)
        let offset = here.valueText.count
        if let (exprRange, expression) = expressionAround(value, offset: offset, key: key, kind: kind) {
            let exprText = String(String.UnicodeScalarView(value[exprRange]))
            let local = offset - exprRange.lowerBound
            return expressionHover(exprText, localOffset: local, positions: Array(positions[exprRange]), expression: expression,
                                   sop: sop, state: state, context: context, fallback: wordSpan)
        }
        switch (kind, key) {
        case (.transition?, "to"), (.top?, "start"), (.slaTarget?, "start"), (.slaTarget?, "pause"), (.slaTarget?, "stop"):
            guard !word.isEmpty else { return nil }
            if let title = sop.title(ofState: word) {
                return HoverInfo(markdown: "state `\(word)`: \(title)", span: wordSpan)
            }
            return nil
        case (.state?, "call"), (.startAction?, "sop"), (.action?, "start"):
            guard let entry = context.sops.first(where: { $0.id == word }) else { return nil }
            let outcomes = entry.outcomes.map { "`\($0)`" }.joined(separator: ", ")
            return HoverInfo(markdown: "SOP `\(entry.id)` (\(entry.file))" + (outcomes.isEmpty ? "" : "\n\noutcomes: \(outcomes)"), span: wordSpan)
        default:
            return nil
        }
    }

    /// The value the cursor is in, on its line: the text typed before the cursor and the rest of
    /// the value after it.
    static func wholeValue(_ here: CursorContext, lines: SourceLines, line: Int, cursor: Int)
        -> ([Unicode.Scalar], [SourcePosition]) {
        var value = here.valueText
        var positions = here.valuePositions
        let text = lines[line]
        var i = cursor
        var quote: Unicode.Scalar?
        // Quotes opened before the cursor, to know where the value ends.
        for c in here.valueText { if let q = quote { if c == q { quote = nil } } else if c == "'" || c == "\"" { quote = c } }
        let inFlow = here.path.contains(.item) && text.contains("{") || text.contains("[")
        while i < text.count {
            let c = text[i]
            if let q = quote { if c == q { quote = nil } }
            else if c == "'" || c == "\"" { quote = c }
            else if c == "#" && i > 0 && text[i - 1] == " " { break }
            else if inFlow && (c == "," || c == "}") { break }
            value.append(c)
            positions.append(SourcePosition(line: line, column: i + 1))
            i += 1
        }
        // A closing quote of a quoted value is not part of it.
        if let last = value.last, last == "'" || last == "\"", !value.dropLast().contains(last) {
            value.removeLast(); positions.removeLast()
        }
        return (value, positions)
    }

    /// The expression around `offset` of a value: the `${{ … }}` that holds it, or the whole value
    /// of a key that holds an expression.
    static func expressionAround(_ value: [Unicode.Scalar], offset: Int, key: String, kind: SOPMappingKind?)
        -> (Range<Int>, Bool)? {
        // A template around the offset.
        var i = 0
        while i + 2 < value.count {
            if value[i] == "$", value[i + 1] == "{", value[i + 2] == "{" {
                var j = i + 3
                while j + 1 < value.count, !(value[j] == "}" && value[j + 1] == "}") { j += 1 }
                let close = j + 1 < value.count ? j : value.count
                if offset >= i + 3 && offset <= close { return ((i + 3)..<close, true) }
                i = close + 2
            } else {
                i += 1
            }
        }
        switch (kind, key) {
        case (.top?, "applies_when"), (.transition?, "when"), (.slaLength?, "by"):
            return (0..<value.count, true)
        default:
            return nil
        }
    }

    static func expressionHover(_ text: String, localOffset: Int, positions: [SourcePosition], expression: Bool,
                                sop: AuthoredSOP, state: String?, context: AuthoringContext, fallback: SourceSpan) -> HoverInfo? {
        // Offsets of the parser are UTF-8 bytes; positions are per scalar.
        var scalarOfByte: [Int] = []
        for (n, scalar) in text.unicodeScalars.enumerated() {
            scalarOfByte += Array(repeating: n, count: String(scalar).utf8.count)
        }
        scalarOfByte.append(text.unicodeScalars.count)
        func span(_ range: Range<Int>) -> SourceSpan {
            let a = scalarOfByte[min(range.lowerBound, scalarOfByte.count - 1)]
            let b = scalarOfByte[min(range.upperBound, scalarOfByte.count - 1)]
            guard a < positions.count else { return fallback }
            let endPosition = b < positions.count ? positions[b]
                : SourcePosition(line: positions[positions.count - 1].line, column: positions[positions.count - 1].column + 1)
            return SourceSpan(start: positions[a], end: endPosition)
        }
        let byteOffset = scalarOfByte.firstIndex(of: localOffset) ?? text.utf8.count
        guard case .success(let root) = ExpressionParser.parse(text) else {
            return nil
        }
        // The smallest node under the cursor.
        var best: Expr?
        root.forEachNode { node in
            let r = node.range
            if r.lowerBound <= byteOffset && byteOffset <= r.upperBound {
                if best == nil || r.count <= best!.range.count { best = node }
            }
        }
        guard let node = best else { return nil }
        let environment = sop.environment(schema: context.ticketSchema, state: state, context: context)
        var checker = TypeChecker(environment: environment)
        let nodeText = String(decoding: Array(text.utf8)[node.range.clamped(to: 0..<text.utf8.count)], as: UTF8.self)
        switch node {
        case .call(let name, _, let range):
            // On the function's name: what the function is.
            let nameEnd = range.lowerBound + name.utf8.count
            if byteOffset <= nameEnd, let entry = FunctionCatalogue.entry(name) {
                return HoverInfo(markdown: entry.markdown, span: span(range.lowerBound..<nameEnd))
            }
        case .path(let root, _, _) where root == .ticket:
            let type = checker.check(node)
            var markdown = "`\(nodeText)`: \(type)"
            if let description = TicketFields(schema: context.ticketSchema).description(of: nodeText) {
                markdown += "\n\n" + description
            }
            return HoverInfo(markdown: markdown, span: span(node.range))
        case .path(let root, _, _) where root == .input:
            let type = checker.check(node)
            let name = nodeText.dropFirst("input.".count)
            let prompt = sop.inputs(readableIn: nil).first { $0.id.value == name }?.prompt
            return HoverInfo(markdown: "`\(nodeText)`: \(type)" + (prompt.map { "\n\n" + $0 } ?? ""), span: span(node.range))
        default:
            break
        }
        let type = checker.check(node)
        return HoverInfo(markdown: "`\(nodeText)`: \(type)", span: span(node.range))
    }
}
