import SOPCore
import SOPDiagnostics

/// One step of the way from a file's top to the cursor: a mapping's key, or an item of a sequence.
enum PathElement: Equatable, CustomStringConvertible {
    case key(String)
    case item

    var key: String? { if case .key(let k) = self { return k } else { return nil } }
    var description: String { key ?? "-" }
}

/// Where the cursor is in an SOP (or scenario test) as it is being typed: the keys that lead to
/// it, whether it is on a key or in a value, and the text typed so far. Worked out from the lines
/// of text alone, by their indentation, `- ` markers and one-line flow collections (`{…}`, `[…]`),
/// so that a file that does not parse (a half-typed line, an unclosed `{`) still has a context.
/// Multi-line flow collections are not followed; block scalars (`|`, `>`) and plain values
/// continued on the next lines are.
struct CursorContext {
    enum Slot: Equatable {
        /// On a key of the mapping at `path` (the word typed so far is `partial`).
        case key
        /// In the value of `key`, the last element of `path`. `text` is the value before the
        /// cursor (the lines of a block scalar joined by newlines), without an opening quote.
        case value
    }

    var slot: Slot
    /// For `.key`: the mapping the key goes in. For `.value`: ends with `.key(K)`, K the key.
    var path: [PathElement]
    /// The keys the mapping already has (for `.key`).
    var presentKeys: [String] = []
    /// The word typed so far, and where it is.
    var partial: String = ""
    /// The path typed so far (the word with the names and dots before it: `ticket.cus`).
    var typedPath: [Unicode.Scalar] = []
    var partialSpan: SourceSpan
    /// For `.value`: the value's text before the cursor, scalar by scalar with each one's position
    /// (so an offset in an expression maps back to the file).
    var valueText: [Unicode.Scalar] = []
    var valuePositions: [SourcePosition] = []
    /// For `.value`: the whole value on the cursor's line (before and after it), for hover.
    var valueAfter: [Unicode.Scalar] = []
    var valueAfterPositions: [SourcePosition] = []

    /// For `.value`: the key whose value (or an item of whose list) the cursor is in.
    var valueKey: String? {
        guard slot == .value else { return nil }
        return path.last { $0 != .item }?.key
    }
    /// For `.value`: whether the value is an item of a list (`roles: [agent, le‸`).
    var inList: Bool { slot == .value && path.last == .item }
    /// The path of the mapping that holds the key or value at the cursor.
    var mappingPath: [PathElement] {
        guard slot == .value else { return path }
        var p = path
        while p.last == .item { p.removeLast() }
        if !p.isEmpty { p.removeLast() }
        return p
    }

    // MARK: Analysis

    /// The context of `position` in `source`.
    static func at(_ position: SourcePosition, in source: SourceFile, scenario: Bool = false) -> CursorContext {
        let lines = SourceLines(source)
        return CursorContext.analyze(lines, line: position.line, column: position.column, scenario: scenario)
    }

    /// `scenario`: the file is a scenario test (its mappings are other than an SOP's).
    static func analyze(_ lines: SourceLines, line: Int, column: Int, scenario: Bool = false) -> CursorContext {
        let here = SourcePosition(line: line, column: column)
        let empty = CursorContext(slot: .key, path: [], partialSpan: SourceSpan(start: here, end: here))
        guard line >= 1, line <= lines.count else { return empty }
        let text = lines[line]
        let cursor = min(max(column - 1, 0), text.count)
        let indent = text.prefix { $0 == " " }.count

        // A line inside a block scalar or a continued plain value belongs to the key above it.
        let parent = lines.parent(above: line, column: min(indent, cursor), childIsDash: false)
        if let owner = parent.ownerLine, cursor >= indent || text[indent...].allSatisfy({ $0 == " " }),
           let continued = lines.continuation(of: owner, to: line, column: cursor) {
            var context = CursorContext(slot: .value, path: parent.path, partialSpan: empty.partialSpan)
            context.valueText = continued.text
            context.valuePositions = continued.positions
            context.setPartial(lineText: text, line: line, cursor: cursor)
            return context
        }

        var scan = LineScanner(text: text, line: line, cursor: cursor)
        scan.run()
        let anchor = scan.anchorColumn ?? cursor
        let above = lines.parent(above: line, column: anchor, childIsDash: scan.startsWithDash)
        var context = CursorContext(slot: scan.slot, path: above.path + scan.elements, partialSpan: empty.partialSpan)
        context.setPartial(lineText: text, line: line, cursor: cursor)
        switch scan.slot {
        case .key where scan.flowKeys == nil && context.path.last == .item && SOPPaths.kind(of: context.path, scenario: scenario) == nil:
            // `- ag‸` under `roles:`: an item of a list of scalars, not a key.
            context.slot = .value
            context.valueText = Array(text[scan.valueStart..<cursor])
            context.valuePositions = (scan.valueStart..<cursor).map { SourcePosition(line: line, column: $0 + 1) }
            context.valueAfter = Array(text[scan.valueStart...])
            context.valueAfterPositions = (scan.valueStart..<text.count).map { SourcePosition(line: line, column: $0 + 1) }
        case .key:
            if let flowKeys = scan.flowKeys {
                context.presentKeys = flowKeys
            } else {
                context.presentKeys = lines.siblingKeys(line: line, column: anchor, itemStartsHere: scan.startsWithDash)
            }
        case .value:
            context.valueText = Array(text[scan.valueStart..<cursor])
            context.valuePositions = (scan.valueStart..<cursor).map { SourcePosition(line: line, column: $0 + 1) }
            var end = scan.valueStart
            // The value on this line, to its end or to the flow collection's next separator.
            var quote: Unicode.Scalar?
            while end < text.count {
                let c = text[end]
                if let q = quote { if c == q { quote = nil } } else if c == "'" || c == "\"" { quote = c }
                else if scan.inFlow && (c == "," || c == "}" || c == "]") { break }
                else if c == "#" && end > 0 && text[end - 1] == " " { break }
                end += 1
            }
            context.valueAfter = Array(text[scan.valueStart..<max(end, scan.valueStart)])
            context.valueAfterPositions = (scan.valueStart..<max(end, scan.valueStart)).map { SourcePosition(line: line, column: $0 + 1) }
            context.stripOpeningQuote()
        }
        return context
    }

    /// The word before the cursor (letters, digits, `_`, `-`, `.` after the last `.` excluded).
    private mutating func setPartial(lineText text: [Unicode.Scalar], line: Int, cursor: Int) {
        var start = cursor
        while start > 0, CursorContext.isWordScalar(text[start - 1]) { start -= 1 }
        partial = String(String.UnicodeScalarView(text[start..<cursor]))
        var pathStart = start
        while pathStart > 0, CursorContext.isWordScalar(text[pathStart - 1]) || text[pathStart - 1] == "." { pathStart -= 1 }
        typedPath = Array(text[pathStart..<cursor])
        partialSpan = SourceSpan(start: SourcePosition(line: line, column: start + 1), end: SourcePosition(line: line, column: cursor + 1))
    }

    private mutating func stripOpeningQuote() {
        if let first = valueText.first, first == "'" || first == "\"" {
            valueText.removeFirst()
            valuePositions.removeFirst()
            if let q = valueAfter.first, q == first {
                valueAfter.removeFirst()
                valueAfterPositions.removeFirst()
                if let last = valueAfter.last, last == first, !valueAfter.isEmpty {
                    valueAfter.removeLast()
                    valueAfterPositions.removeLast()
                }
            }
        }
    }

    static func isWordScalar(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "_" || c == "-"
    }
}

/// The lines of a file as arrays of Unicode scalars (columns are scalar counts, as in
/// `SourcePosition`), read on demand: completion at one place looks at a few lines around it.
struct SourceLines {
    let source: SourceFile
    private var cache: [Int: [Unicode.Scalar]] = [:]

    init(_ source: SourceFile) { self.source = source }

    var count: Int { source.lineCount }

    subscript(line: Int) -> [Unicode.Scalar] {
        guard line >= 1, line <= source.lineCount else { return [] }
        return Array((source.lineText(line) ?? "").unicodeScalars)
    }

    /// The structural tokens of a line: its `- ` markers and its key, each with its column
    /// (0-based), and whether the key's value is empty (a nested block follows) or a block scalar.
    struct Tokens {
        var dashes: [Int] = []
        var key: (name: String, column: Int, valueStart: Int, value: String)?
        var isBlank = true
        var firstColumn: Int { dashes.first ?? key?.column ?? Int.max }
    }

    func tokens(_ line: Int) -> Tokens {
        LineScanner.tokens(of: self[line])
    }

    /// The path of the block that holds a line's entry starting at `column`: the keys and `- `
    /// markers of the lines above that enclose it. `childIsDash`: the entry starts with `- `,
    /// which may sit at its key's own column (`transitions:` then `- to: x` under it).
    func parent(above line: Int, column: Int, childIsDash: Bool) -> (path: [PathElement], ownerLine: Int?) {
        var path: [PathElement] = []
        var need = column
        var dash = childIsDash
        var owner: Int?
        var l = line - 1
        while l >= 1 && (need > 0 || dash) {
            let t = tokens(l)
            defer { l -= 1 }
            if t.isBlank { continue }
            // The tokens from the right: the innermost first.
            var found = false
            if let key = t.key, key.column < need || (dash && key.column == need && key.value.isEmpty) {
                path.insert(.key(key.name), at: 0)
                if owner == nil { owner = l }
                need = key.column
                dash = false
                found = true
            }
            for d in t.dashes.reversed() where d < need {
                path.insert(.item, at: 0)
                if owner == nil { owner = l }
                need = d
                dash = true
                found = true
            }
            if !found && t.firstColumn < need { break }  // text that is not a key: stop
        }
        return (path, owner)
    }

    /// When `line` continues the value of the key on `owner` (a block scalar, `|` or `>`, or a
    /// plain scalar continued on more-indented lines), the value's text up to `column` of `line`.
    func continuation(of owner: Int, to line: Int, column: Int) -> (text: [Unicode.Scalar], positions: [SourcePosition])? {
        let t = tokens(owner)
        guard let key = t.key else { return nil }
        let value = key.value
        let isBlock = value.first == "|" || value.first == ">"
        guard isBlock || (!value.isEmpty && !value.hasPrefix("{") && !value.hasPrefix("[") && !value.hasPrefix("#")) else { return nil }
        // Every line between must be more indented than the key (or blank).
        for l in (owner + 1)...line {
            let text = self[l]
            let indent = text.prefix { $0 == " " }.count
            if indent < text.count && indent <= key.column && l != line { return nil }
            // On the cursor's line, only text right of the key's column continues its value.
            if l == line && (column <= key.column || indent <= key.column && indent < text.count) { return nil }
        }
        // A plain continuation line that looks like a key is a key.
        if !isBlock, let k = tokens(line).key, k.column < column { _ = k; return nil }
        var text: [Unicode.Scalar] = []
        var positions: [SourcePosition] = []
        if !isBlock {
            let ownerText = self[owner]
            for i in key.valueStart..<ownerText.count {
                text.append(ownerText[i]); positions.append(SourcePosition(line: owner, column: i + 1))
            }
        }
        for l in (owner + 1)...line {
            let lineText = self[l]
            let end = l == line ? min(column, lineText.count) : lineText.count
            let indent = lineText.prefix { $0 == " " }.count
            if !text.isEmpty {
                text.append(isBlock ? "\n" : " ")
                positions.append(SourcePosition(line: l, column: 1))
            }
            if indent < end {
                for i in indent..<end {
                    text.append(lineText[i]); positions.append(SourcePosition(line: l, column: i + 1))
                }
            }
        }
        return (text, positions)
    }

    /// The keys of the mapping whose keys sit at `column`, around `line`.
    func siblingKeys(line: Int, column: Int, itemStartsHere: Bool) -> [String] {
        var keys: [String] = []
        if !itemStartsHere {
            var l = line - 1
            while l >= 1 {
                let t = tokens(l)
                l -= 1
                if t.isBlank { continue }
                if let key = t.key, key.column == column { keys.append(key.name) }
                if t.firstColumn < column { break }
            }
        }
        var l = line + 1
        while l <= count {
            let t = tokens(l)
            l += 1
            if t.isBlank { continue }
            if t.firstColumn < column { break }
            if let key = t.key, key.column == column { keys.append(key.name) }
        }
        return keys
    }
}

/// Reads one line up to the cursor: its `- ` markers, its key, and the one-line flow collections
/// opened after it, to tell a key from a value and what path they extend.
struct LineScanner {
    let text: [Unicode.Scalar]
    let line: Int
    let cursor: Int

    var elements: [PathElement] = []
    var slot: CursorContext.Slot = .key
    /// The column where the entry at the cursor starts (its first `- ` or its key).
    var anchorColumn: Int?
    var startsWithDash = false
    /// Where the value at the cursor starts (for `.value`).
    var valueStart = 0
    var inFlow = false
    /// In a flow mapping: the keys it has, before and after the cursor.
    var flowKeys: [String]?

    init(text: [Unicode.Scalar], line: Int, cursor: Int) {
        self.text = text
        self.line = line
        self.cursor = cursor
    }

    /// The tokens of a whole line (for the lines above and below the cursor).
    static func tokens(of text: [Unicode.Scalar]) -> SourceLines.Tokens {
        var t = SourceLines.Tokens()
        var i = 0
        while i < text.count, text[i] == " " { i += 1 }
        if i == text.count || text[i] == "#" { return t }
        t.isBlank = false
        while i < text.count, text[i] == "-", i + 1 == text.count || text[i + 1] == " " {
            t.dashes.append(i)
            i += 1
            while i < text.count, text[i] == " " { i += 1 }
        }
        if let (name, end) = keyAt(text, i) {
            var v = end
            while v < text.count, text[v] == " " { v += 1 }
            var value = String(String.UnicodeScalarView(text[v...]))
            if value.hasPrefix("#") { value = "" }
            t.key = (name, i, v, value)
        }
        return t
    }

    /// A key starting at `i` (plain, or quoted): its name and the index just past its `:`.
    static func keyAt(_ text: [Unicode.Scalar], _ start: Int, limit: Int? = nil) -> (String, Int)? {
        let end = limit ?? text.count
        guard start < end else { return nil }
        var i = start
        if text[i] == "'" || text[i] == "\"" {
            let q = text[i]
            i += 1
            while i < end, text[i] != q { i += 1 }
            guard i < end else { return nil }
            let name = String(String.UnicodeScalarView(text[(start + 1)..<i]))
            i += 1
            guard i < end, text[i] == ":", i + 1 == text.count || text[i + 1] == " " else { return nil }
            return (name, i + 1)
        }
        guard CursorContext.isWordScalar(text[i]) || text[i] == "." || text[i] == "$" else { return nil }
        while i < end, text[i] != ":" {
            let c = text[i]
            if c == " " || c == "{" || c == "[" || c == "," || c == "#" || c == "}" || c == "]" { return nil }
            i += 1
        }
        guard i < end, i + 1 == text.count || text[i + 1] == " " || i + 1 == end || text[i + 1] == "}" || text[i + 1] == "," else { return nil }
        return (String(String.UnicodeScalarView(text[start..<i])), i + 1)
    }

    mutating func run() {
        var i = 0
        while i < cursor, text[i] == " " { i += 1 }
        while i < cursor, text[i] == "-", i + 1 == text.count || text[i + 1] == " " {
            if anchorColumn == nil { anchorColumn = i; startsWithDash = true }
            elements.append(.item)
            i += 1
            while i < cursor, text[i] == " " { i += 1 }
        }
        if anchorColumn == nil { anchorColumn = i < text.count && i < cursor ? i : nil }
        if i < cursor, text[i] == "{" || text[i] == "[" {
            flow(from: i)
            return
        }
        if let (name, end) = LineScanner.keyAt(text, i, limit: cursor) {
            if anchorColumn == nil { anchorColumn = i }
            elements.append(.key(name))
            var v = end
            while v < cursor, text[v] == " " { v += 1 }
            if v < cursor, text[v] == "{" || text[v] == "[" {
                flow(from: v)
                return
            }
            slot = .value
            valueStart = min(v, cursor)
            return
        }
        // No key before the cursor: a key being typed, or a scalar item of a sequence (which of
        // the two, the format decides: `CursorContext.analyze` asks it).
        slot = .key
        valueStart = min(i, cursor)
    }

    /// A flow collection opening at `start`, read up to the cursor.
    private mutating func flow(from start: Int) {
        inFlow = true
        struct Open { var mapping: Bool; var base: Int; var keyPushed = false; var keys: [String] = []; var tokenStart: Int }
        var stack: [Open] = []
        var i = start
        var quote: Unicode.Scalar?
        while i < cursor {
            let c = text[i]
            if let q = quote {
                if c == q { quote = nil }
                i += 1
                continue
            }
            switch c {
            case "'", "\"":
                quote = c
            case "{", "[":
                let mapping = c == "{"
                stack.append(Open(mapping: mapping, base: elements.count, tokenStart: i + 1))
                if !mapping { elements.append(.item) }
            case "}", "]":
                if let open = stack.popLast() { elements.removeSubrange(open.base...) }
            case ",":
                if var open = stack.popLast() {
                    if open.keyPushed { elements.removeLast(); open.keyPushed = false }
                    open.tokenStart = i + 1
                    stack.append(open)
                }
            case ":":
                if var open = stack.popLast() {
                    if open.mapping && !open.keyPushed, i + 1 >= text.count || text[i + 1] == " " || text[i + 1] == "," || text[i + 1] == "}" {
                        let name = String(String.UnicodeScalarView(text[open.tokenStart..<i])).trimmingSpaces
                        open.keys.append(name)
                        elements.append(.key(name))
                        open.keyPushed = true
                        open.tokenStart = i + 1
                    }
                    stack.append(open)
                }
            default:
                break
            }
            i += 1
        }
        guard let open = stack.last else {
            // Every collection closed before the cursor: nothing to complete here.
            slot = .value
            valueStart = cursor
            return
        }
        var s = open.tokenStart
        while s < cursor, text[s] == " " { s += 1 }
        if open.mapping && !open.keyPushed {
            slot = .key
            flowKeys = open.keys + LineScanner.flowKeysAfter(text, from: cursor)
        } else {
            slot = .value
            valueStart = s
        }
    }

    /// The keys of the flow mapping the cursor is in, after the cursor (to its closing `}`).
    static func flowKeysAfter(_ text: [Unicode.Scalar], from start: Int) -> [String] {
        var keys: [String] = []
        var depth = 0
        var i = start
        var tokenStart: Int? = start
        var quote: Unicode.Scalar?
        while i < text.count {
            let c = text[i]
            if let q = quote { if c == q { quote = nil }; i += 1; continue }
            switch c {
            case "'", "\"": quote = c
            case "{", "[": depth += 1
            case "}", "]":
                if depth == 0 { return keys }
                depth -= 1
            case ",": if depth == 0 { tokenStart = i + 1 }
            case ":":
                if depth == 0, let s = tokenStart {
                    keys.append(String(String.UnicodeScalarView(text[s..<i])).trimmingSpaces)
                    tokenStart = nil
                }
            default: break
            }
            i += 1
        }
        return keys
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
