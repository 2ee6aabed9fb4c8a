internal import CLibYAML
import SOPDiagnostics

/// Parses YAML with the system libyaml's event API into a `YAMLDocument` (an arena of nodes
/// with spans). This is the only file that touches libyaml; the C parser lives in a class that frees it.
public enum YAMLParser {
    public static func parse(_ source: SourceFile, limits: YAMLLimits = YAMLLimits()) -> YAMLDocument {
        if let tooBig = limits.sizeProblem(size: source.bytes.count) {
            return YAMLDocument(records: [], text: [], tags: [], root: nil, problems: [tooBig])
        }
        var builder = DocumentBuilder(source: source, limits: limits)
        source.bytes.withUnsafeBufferPointer { buffer in
            // libyaml skips a byte-order mark only when it detects the encoding itself; the
            // encoding is fixed to UTF-8 here, so the mark is left out of what it reads.
            let bom = SourceFile.byteOrderMarkLength(source.bytes)
            let parser = LibYAMLEventParser(UnsafeBufferPointer(rebasing: buffer[bom...]))
            builder.run(parser)
        }
        return YAMLDocument(records: builder.records, text: builder.text.array, tags: builder.tags,
                            root: builder.failed ? nil : builder.root, problems: builder.problems)
    }
}

extension YAMLParser {
    /// Runs libyaml's event parser over the bytes and only counts the events: the floor any
    /// YAML-based linter pays, used by the benchmarks. Returns -1 on a libyaml error.
    public static func countEvents(_ bytes: [UInt8]) -> Int {
        bytes.withUnsafeBufferPointer { buffer in
            let parser = LibYAMLEventParser(buffer)
            let event = UnsafeMutablePointer<yaml_event_t>.allocate(capacity: 1)
            defer { event.deallocate() }
            var count = 0
            while true {
                guard parser.next(event) else { return -1 }
                count += 1
                let done = event.pointee.type == YAML_STREAM_END_EVENT
                yaml_event_delete(event)
                if done { return count }
            }
        }
    }
}

/// Owns a `yaml_parser_t` and frees it; the input buffer must outlive it.
private final class LibYAMLEventParser {
    let parser: UnsafeMutablePointer<yaml_parser_t>

    init(_ input: UnsafeBufferPointer<UInt8>) {
        parser = .allocate(capacity: 1)
        yaml_parser_initialize(parser)
        // libyaml reads an empty string fine through a non-null pointer only.
        if let base = input.baseAddress {
            yaml_parser_set_input_string(parser, base, input.count)
        } else {
            yaml_parser_set_input_string(parser, "", 0)
        }
        yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
    }

    deinit {
        yaml_parser_delete(parser)
        parser.deallocate()
    }

    /// The next event, or nil on a libyaml error (then `error` describes it).
    func next(_ event: UnsafeMutablePointer<yaml_event_t>) -> Bool {
        yaml_parser_parse(parser, event) == 1
    }
}

/// Consumes events and appends nodes to the arena, enforcing the limits as it goes.
///
/// Nodes are appended in document order as their events arrive; a collection's record is filled
/// in (size, count, end) when it closes. A repeated key and its value are dropped by truncating
/// the arena back to the key, so the first one wins.
private struct DocumentBuilder {
    let source: SourceFile
    let limits: YAMLLimits
    var problems: [YAMLProblem] = []
    var records: [NodeRecord] = []
    let text: ScalarText
    var tags: [(node: Int32, tag: String)] = []
    var root: YAMLNodeID?
    var failed = false

    /// A collection being built. Plain data, so that changing a frame costs no reference counting.
    private struct Frame {
        /// The collection's node; -1 for the document level around the root.
        let index: Int32
        let isMapping: Bool
        var count: UInt32 = 0
        /// Where this mapping's keys start in `keys`.
        let keyBase: Int
        /// The key whose value is awaited (-1 when a key is awaited).
        var pendingKey: Int32 = -1
        /// The awaited value belongs to a repeated key and is dropped with it.
        var skipValue = false
        /// This collection has an anchor, the last of `frameAnchors`.
        var hasAnchor = false
        /// This mapping's keys are indexed in the last of `keyIndexes`.
        var hasKeyIndex = false
    }

    /// The innermost open collection (the document level when none is open), kept out of
    /// `enclosing` so that updating it is a plain store.
    private var current = Frame(index: -1, isMapping: false, keyBase: 0)
    /// The collections around `current`, outermost first (the document level at the bottom).
    private var enclosing: [Frame] = []

    /// A scalar key of an open mapping, with a fingerprint that equal keys share, so that a scan
    /// for a repeated key compares integers and reads a node only when they match.
    private struct Key {
        let node: Int32
        let fingerprint: UInt64
    }

    /// The scalar keys of the open mappings, innermost last.
    private var keys: [Key] = []
    /// The anchors of the open collections that have one, innermost last.
    private var frameAnchors: [String] = []
    /// The keys of the open large mappings by identity, innermost last, to find a repeated key
    /// without a scan (small mappings scan `keys`, which is cheaper than hashing).
    private var keyIndexes: [[KeyIdentity: Int32]] = []
    private var anchors: [String: (index: Int32, size: Int32)] = [:]
    private var aliasExpansion = 0
    private var documentCount = 0

    init(source: SourceFile, limits: YAMLLimits) {
        self.source = source
        self.limits = limits
        // A typical SOP has about one node per 11 bytes and scalars take most of the bytes.
        records.reserveCapacity(source.bytes.count / 8 + 8)
        text = ScalarText(capacity: source.bytes.count + 16)
    }

    mutating func run(_ parser: LibYAMLEventParser) {
        let event = UnsafeMutablePointer<yaml_event_t>.allocate(capacity: 1)
        defer { event.deallocate() }
        while true {
            guard parser.next(event) else {
                reportLibYAMLError(parser.parser.pointee)
                failed = true
                return
            }
            let keepGoing = handle(event)
            let type = event.pointee.type
            yaml_event_delete(event)
            if !keepGoing || type == YAML_STREAM_END_EVENT { return }
        }
    }

    // MARK: Events

    /// Builds the node an event starts, ends or copies; false when parsing must stop (a limit or
    /// an error, already reported).
    private mutating func handle(_ event: UnsafeMutablePointer<yaml_event_t>) -> Bool {
        let e = event.pointee
        switch e.type {
        case YAML_SCALAR_EVENT: return scalar(e)
        case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT: return startCollection(e)
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT: return endCollection(e)
        case YAML_ALIAS_EVENT: return alias(e)
        case YAML_DOCUMENT_START_EVENT:
            documentCount += 1
            if documentCount > 1 {
                fail(SourceSpan(at: position(e.start_mark)), .syntax,
                     "the file holds more than one YAML document; an SOP file holds exactly one",
                     help: "move this document into a file of its own, or remove the '---' line")
                return false
            }
            return true
        default:
            return true
        }
    }

    /// A scalar: its type resolved by the core schema (a tag the text does not fit is reported),
    /// its text appended to the arena.
    private mutating func scalar(_ e: yaml_event_t) -> Bool {
        let s = e.data.scalar
        let value = UnsafeBufferPointer(start: s.value, count: s.value == nil ? 0 : s.length)
        let tag = optionalString(s.tag)
        let style = scalarStyle(s.style)
        let resolution = CoreSchema.resolve(value, tag: tag, plain: style == .plain)
        if let tag, let expected = CoreSchema.expectation(of: tag), resolution.type == .string {
            // `!!bool maybe`: the tag promises a type the text does not have.
            problems.append(YAMLProblem(
                .tagMismatch, at: SourceSpan(start: position(e.start_mark), end: position(e.end_mark)),
                "'\(String(decoding: value, as: UTF8.self))' is tagged \(CoreSchema.shortName(tag)) but is not \(expected)",
                help: "write \(expected), or remove the tag"))
        }
        let index = Int32(truncatingIfNeeded: records.count)
        records.append(NodeRecord(
            kind: .scalar, style: style, type: resolution.type, isFlow: false, hasTag: tag != nil,
            startLine: line(e.start_mark), startColumn: column(e.start_mark),
            endLine: line(e.end_mark), endColumn: column(e.end_mark),
            size: 1, count: UInt32(truncatingIfNeeded: value.count), offset: UInt32(truncatingIfNeeded: text.count),
            payload: resolution.payload))
        text.append(value)
        if let tag { tags.append((index, tag)) }
        // A key's fingerprint from the values at hand: reading the record just written back
        // as a whole stalled on its field-by-field stores (docs/benchmarks.md, "Lint (issue 4)").
        let isKey = current.isMapping && current.pendingKey < 0
        return complete(index, anchorName: optionalString(s.anchor),
                        keyPrint: isKey ? Self.fingerprint(resolution.type, resolution.payload, value) : nil)
    }

    /// A sequence or mapping opens: its record is written now (its size and end when it closes)
    /// and it becomes `current`; deeper than `maxDepth` stops the parse.
    private mutating func startCollection(_ e: yaml_event_t) -> Bool {
        if enclosing.count >= limits.maxDepth {
            fail(SourceSpan(start: position(e.start_mark), end: position(e.end_mark)), .limit,
                 "the YAML nests deeper than \(limits.maxDepth) levels",
                 help: "flatten the structure; SOPs need only about 10 levels")
            return false
        }
        let isMapping = e.type == YAML_MAPPING_START_EVENT
        let anchor = isMapping ? e.data.mapping_start.anchor : e.data.sequence_start.anchor
        let tag = optionalString(isMapping ? e.data.mapping_start.tag : e.data.sequence_start.tag)
        let isFlow = isMapping ? e.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE
                               : e.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE
        let index = Int32(truncatingIfNeeded: records.count)
        records.append(NodeRecord(
            kind: isMapping ? .mapping : .sequence, style: .plain, type: .null, isFlow: isFlow, hasTag: tag != nil,
            startLine: line(e.start_mark), startColumn: column(e.start_mark),
            endLine: line(e.end_mark), endColumn: column(e.end_mark),
            size: 1, count: 0, offset: 0, payload: 0))
        if let tag { tags.append((index, tag)) }
        var frame = Frame(index: index, isMapping: isMapping, keyBase: keys.count)
        if let anchor = optionalString(anchor) {
            frameAnchors.append(anchor)
            frame.hasAnchor = true
        }
        enclosing.append(current)
        current = frame
        return true
    }

    /// A sequence or mapping closes: its record gets its size, count and end, its keys are
    /// forgotten, and it is added to the collection around it.
    private mutating func endCollection(_ e: yaml_event_t) -> Bool {
        guard let outer = enclosing.popLast() else { return true }
        let frame = current
        current = outer
        keys.removeLast(keys.count - frame.keyBase)
        if frame.hasKeyIndex { keyIndexes.removeLast() }
        let i = Int(frame.index)
        records[i].size = UInt32(truncatingIfNeeded: records.count - i)
        records[i].count = frame.count
        records[i].endLine = line(e.end_mark)
        records[i].endColumn = column(e.end_mark)
        return complete(frame.index, anchorName: frame.hasAnchor ? frameAnchors.removeLast() : nil)
    }

    /// An alias: a copy of the anchored subtree. An unknown anchor, one the alias sits inside,
    /// or expansion past `maxAliasExpansion` nodes stops the parse.
    private mutating func alias(_ e: yaml_event_t) -> Bool {
        let name = optionalString(e.data.alias.anchor) ?? ""
        let span = SourceSpan(start: position(e.start_mark), end: position(e.end_mark))
        guard let anchored = anchors[name] else {
            if frameAnchors.contains(name) {
                fail(span, .syntax, "alias '*\(name)' refers to the collection it is inside of; an SOP cannot hold a value that contains itself",
                     help: "write the values out instead of referring back to '&\(name)'")
            } else {
                fail(span, .syntax, "alias '*\(name)' refers to no anchor defined before it",
                     help: "define '&\(name)' on a value above this line")
            }
            return false
        }
        aliasExpansion += Int(anchored.size)
        if aliasExpansion > limits.maxAliasExpansion {
            fail(span, .limit, "aliases expand to more than \(limits.maxAliasExpansion) nodes",
                 help: "this looks like an alias bomb; write the values out instead of nesting aliases")
            return false
        }
        // Sizes are relative, so the copy is valid as is, and it keeps the anchored node's spans
        // and text.
        let index = Int32(truncatingIfNeeded: records.count)
        let from = Int(anchored.index)
        records.reserveCapacity(records.count + Int(anchored.size))
        for i in from..<from + Int(anchored.size) { records.append(records[i]) }
        for (node, tag) in tags where node >= anchored.index && node < anchored.index + anchored.size {
            tags.append((node - anchored.index + index, tag))
        }
        return complete(index, anchorName: nil)
    }

    /// Adds a finished node to its parent (or makes it the root). `keyPrint` is the node's
    /// fingerprint when the caller has it (a scalar that is a key); otherwise it is read from the node.
    private mutating func complete(_ index: Int32, anchorName: String?, keyPrint: UInt64? = nil) -> Bool {
        if let anchorName { anchors[anchorName] = (index, Int32(truncatingIfNeeded: records[Int(index)].size)) }
        guard current.index >= 0 else {
            if root == nil { root = YAMLNodeID(index: index) }
            return true
        }
        if !current.isMapping {
            current.count += 1
        } else if current.pendingKey >= 0 {
            // A value.
            if current.skipValue {
                drop(from: Int(current.pendingKey))
            } else {
                current.count += 1
            }
            current.pendingKey = -1
            current.skipValue = false
        } else {
            // A key: report it when the mapping already has an equal one, and drop its value.
            let isScalar = records[Int(index)].kind == .scalar
            let print = isScalar ? keyPrint ?? Self.fingerprint(records[Int(index)], text.bytes) : 0
            if isScalar, let first = firstKey(equalTo: index, fingerprint: print) {
                current.skipValue = true
                let r = records[Int(first)]
                problems.append(YAMLProblem(
                    .duplicateKey, at: records[Int(index)].span,
                    "key '\(keyText(index))' is defined twice in this mapping; the first is at line \(r.startLine + 1)",
                    help: Self.duplicateKeyHelp(keyText(index))))
            } else if isScalar {
                keys.append(Key(node: index, fingerprint: print))
            }
            current.pendingKey = index
        }
        return true
    }

    /// Removes the nodes from `index` on (a repeated key and its value), and the anchors among them.
    private mutating func drop(from index: Int) {
        records.removeSubrange(index...)
        tags.removeAll { $0.node >= index }
        if anchors.values.contains(where: { $0.index >= index }) {
            anchors = anchors.filter { $0.value.index < index }
        }
    }

    // MARK: Repeated keys

    /// The earlier key of the innermost mapping equal to the scalar at `index` (whose
    /// `fingerprint` is given), if any. Equal keys have equal core-schema values: `1` and `1.0`
    /// are the same key; strings compare by bytes.
    private mutating func firstKey(equalTo index: Int32, fingerprint print: UInt64) -> Int32? {
        let base = current.keyBase
        if !current.hasKeyIndex && keys.count - base >= 16 {
            var seen: [KeyIdentity: Int32] = [:]
            for k in keys[base...] where seen[identity(of: k.node)] == nil { seen[identity(of: k.node)] = k.node }
            keyIndexes.append(seen)
            current.hasKeyIndex = true
        }
        if current.hasKeyIndex {
            let id = identity(of: index)
            let last = keyIndexes.count - 1
            if let first = keyIndexes[last][id] { return first }
            keyIndexes[last][id] = index
            return nil
        }
        return earlierKey(equalTo: index, fingerprint: print, from: base)
    }

    /// The key among `keys[base...]` equal to the scalar at `index`, by a scan.
    private func earlierKey(equalTo index: Int32, fingerprint print: UInt64, from base: Int) -> Int32? {
        for i in base..<keys.count where keys[i].fingerprint == print {
            let other = keys[i].node
            if Self.sameKey(records[Int(other)], records[Int(index)], text: text.bytes) { return other }
        }
        return nil
    }

    /// A number that equal keys share (unequal keys may share it too): the type, and for
    /// strings the length and three of their bytes; numbers are compared as doubles, as
    /// `sameKey` does, so `1` and `1.0` agree. Static, like `sameKey`: it reads only its arguments.
    /// Two guards on one transition are one condition in two pieces: say how to join them.
    static func duplicateKeyHelp(_ key: String) -> String {
        key == "when" || key == "applies_when"
            ? "join the two conditions with 'and' in one '\(key)', or remove one of them"
            : "remove one of them, or merge their values"
    }

    private static func fingerprint(_ r: NodeRecord, _ text: UnsafeBufferPointer<UInt8>) -> UInt64 {
        fingerprint(r.type, r.payload, UnsafeBufferPointer(rebasing: text[Int(r.offset)..<Int(r.offset) + Int(r.count)]))
    }

    /// The fingerprint of a scalar of core-schema type `type` whose resolved bits are `payload`
    /// and whose text is `value`.
    private static func fingerprint(_ type: ScalarType, _ payload: UInt64, _ value: UnsafeBufferPointer<UInt8>) -> UInt64 {
        switch type {
        case .null: return 1 << 60
        case .bool: return 2 << 60 | payload
        case .int, .float:
            var d = type == .int ? Double(Int(truncatingIfNeeded: payload)) : Double(bitPattern: payload)
            if d == 0 { d = 0 }  // -0.0 and 0.0 are one key
            return 3 << 60 | (d.bitPattern >> 4)
        case .string:
            let n = value.count
            guard n > 0 else { return 4 << 60 }
            return 4 << 60 | UInt64(truncatingIfNeeded: n) << 24 | UInt64(value[0]) << 16 | UInt64(value[n / 2]) << 8
                | UInt64(value[n - 1])
        }
    }

    private enum KeyIdentity: Hashable {
        case null
        case bool(Bool)
        case number(Double)
        case string([UInt8])
    }

    private func identity(of index: Int32) -> KeyIdentity {
        let r = records[Int(index)]
        switch r.type {
        case .null: return .null
        case .bool: return .bool(r.payload != 0)
        case .int: return .number(Double(Int(truncatingIfNeeded: r.payload)))
        case .float: return .number(Double(bitPattern: r.payload))
        case .string: return .string(Array(text.bytes[Int(r.offset)..<Int(r.offset) + Int(r.count)]))
        }
    }

    /// The same equality as `KeyIdentity`, without building one.
    private static func sameKey(_ x: NodeRecord, _ y: NodeRecord, text t: UnsafeBufferPointer<UInt8>) -> Bool {
        switch (x.type, y.type) {
        case (.null, .null): return true
        case (.bool, .bool): return x.payload == y.payload
        case (.int, .int): return x.payload == y.payload
        case (.int, .float), (.float, .int), (.float, .float):
            let dx = x.type == .int ? Double(Int(truncatingIfNeeded: x.payload)) : Double(bitPattern: x.payload)
            let dy = y.type == .int ? Double(Int(truncatingIfNeeded: y.payload)) : Double(bitPattern: y.payload)
            return dx == dy
        case (.string, .string):
            guard x.count == y.count else { return false }
            var i = Int(x.offset), j = Int(y.offset)
            let end = i + Int(x.count)
            while i < end {
                if t[i] != t[j] { return false }
                i += 1
                j += 1
            }
            return true
        default: return false
        }
    }

    /// A scalar's text, for a message.
    private func keyText(_ index: Int32) -> String {
        let r = records[Int(index)]
        return String(decoding: UnsafeBufferPointer(rebasing: text.bytes[Int(r.offset)..<Int(r.offset) + Int(r.count)]), as: UTF8.self)
    }

    private func clamp(_ n: Int) -> UInt32 { UInt32(clamping: n) }

    /// A mark's 0-based line and column as a node record keeps them: past the end of a file whose
    /// last line has no line break (an empty value after a final `---`), the end of the last line,
    /// as `position` does for messages.
    @inline(__always) private func line(_ mark: yaml_mark_t) -> UInt32 {
        mark.line < source.lineCount || source.lineCount == 0 ? clamp(mark.line) : UInt32(source.lineCount - 1)
    }

    @inline(__always) private func column(_ mark: yaml_mark_t) -> UInt32 {
        mark.line < source.lineCount || source.lineCount == 0 ? clamp(mark.column) : clamp(position(mark).column - 1)
    }

    // MARK: libyaml errors in plain words

    private mutating func reportLibYAMLError(_ p: yaml_parser_t) {
        let problem = p.problem.map { String(cString: $0) } ?? "unknown error"
        let context = p.context.map { String(cString: $0) }
        let at: SourcePosition
        var offset = Int(p.problem_offset)
        if p.error == YAML_READER_ERROR {
            // libyaml points at the bad trailing byte; the sequence starts at its leading byte.
            if problem.contains("trailing") || problem.contains("incomplete") {
                var back = offset
                while back > 0, offset - back < 4, let b = byte(at: back), b & 0xC0 == 0x80 || back == offset {
                    back -= 1
                    if let lead = byte(at: back), lead >= 0xC0 { offset = back; break }
                }
            }
            at = source.position(ofByteOffset: offset)
        } else {
            at = position(p.problem_mark)
        }
        let contextAt = position(p.context_mark)
        // libyaml notices an over-indented key only at the key after it; where the lines say for
        // sure that the one before is the mistake, report it there.
        if problem == "did not find expected key" || problem == "did not find expected '-' indicator",
           let earlier = overIndentedEntryBefore(problem: at) {
            problems.append(YAMLProblem(.syntax, at: SourceSpan(at: earlier),
                                        "the indentation is off: this line is indented deeper than line \(at.line), the next entry at its level",
                                        help: "indent it by \(at.column - 1) spaces, as line \(at.line) is: entries of one mapping or list start in one column"))
            return
        }
        var (message, help) = LibYAMLMessages.explain(
            problem: problem, context: context, contextLine: contextAt.line,
            byteAtProblem: p.error == YAML_READER_ERROR ? byte(at: offset) : nil,
            problemValue: Int(p.problem_value), characterAtProblem: character(at: at))
        if let better = indentationHelp(problem: problem, at: at) { help = better }
        // A `${{ … }}` template in a flow collection breaks the YAML; say so plainly.
        if p.error != YAML_READER_ERROR, let line = source.lineText(at.line), line.contains("${{") || line.contains("{{") {
            help = "quote the template: write it as \"${{ … }}\" in double quotes"
        }
        problems.append(YAMLProblem(.syntax, at: SourceSpan(at: at), message, help: help))
    }

    /// For an indentation error at `problem` (a line less indented than the entry above it, but
    /// deeper than the key that owns both): the entry above, when it is certainly the mistake.
    /// That is when it is the only entry so far (the lines after it are its value), the problem
    /// line sits one indentation step (the file's own, from its first indented line) under the
    /// owner, and the entry above does not.
    private func overIndentedEntryBefore(problem: SourcePosition) -> SourcePosition? {
        func indentation(_ line: Int) -> Int? {
            guard let text = source.lineText(line) else { return nil }
            let spaces = text.prefix { $0 == " " }.count
            let rest = text.dropFirst(spaces)
            return rest.isEmpty || rest.hasPrefix("#") ? nil : spaces
        }
        guard let problemIndent = indentation(problem.line), problemIndent + 1 == problem.column else { return nil }
        // The file's step: the indentation of its first indented line.
        guard let step = (1...max(1, source.lineCount)).lazy.compactMap({ indentation($0) }).first(where: { $0 > 0 }) else { return nil }
        var owner = problem.line - 1
        var entries: [(line: Int, indent: Int)] = []
        while owner >= 1 {
            if let indent = indentation(owner) {
                if indent < problemIndent { break }
                entries.append((owner, indent))
            }
            owner -= 1
        }
        guard owner >= 1, let ownerIndent = indentation(owner), let first = entries.last else { return nil }
        // One entry above, deeper than the problem line; the rest is its value.
        guard first.indent > problemIndent, entries.dropLast().allSatisfy({ $0.indent > first.indent }) else { return nil }
        guard problemIndent - ownerIndent == step, first.indent - ownerIndent != step else { return nil }
        return SourcePosition(line: first.line, column: first.indent + 1)
    }

    /// A help that names the line to align with, for the indentation mistakes that libyaml
    /// reports at the right line but in general words.
    private func indentationHelp(problem: String, at: SourcePosition) -> String? {
        guard let text = source.lineText(at.line) else { return nil }
        let indent = text.prefix { $0 == " " }.count
        // The nearest line above with something on it.
        var above = at.line - 1
        var aboveText: String?
        while above >= 1 {
            if let t = source.lineText(above), !t.trimmingCharacters(in: .whitespaces).isEmpty,
               !t.trimmingCharacters(in: .whitespaces).hasPrefix("#") { aboveText = t; break }
            above -= 1
        }
        guard let aboveText else { return nil }
        var aboveIndent = aboveText.prefix { $0 == " " }.count
        let body = text.dropFirst(indent)
        // `- key: value`: the key's column is past the dash.
        var rest = aboveText.dropFirst(aboveIndent)
        while rest.hasPrefix("- ") {
            let dash = 1 + rest.dropFirst().prefix { $0 == " " }.count
            aboveIndent += dash
            rest = rest.dropFirst(dash)
        }
        switch problem {
        case "mapping values are not allowed in this context" where indent > aboveIndent && aboveText.contains(": "):
            return "this line is indented deeper than line \(above), so it reads as more of that line's value: "
                + "indent it by \(aboveIndent) spaces, like line \(above), or quote the value if it contains ': '"
        case "did not find expected key" where body.hasPrefix("- ") && indent < aboveText.prefix(while: { $0 == " " }).count:
            return "this list item is indented less than the line above: start it in the column of the items before it"
        default:
            return nil
        }
    }

    private func byte(at offset: Int) -> UInt8? {
        offset >= 0 && offset < source.bytes.count ? source.bytes[offset] : nil
    }

    private func character(at p: SourcePosition) -> Unicode.Scalar? {
        guard let line = source.lineText(p.line) else { return nil }
        let scalars = Array(line.unicodeScalars)
        return p.column - 1 < scalars.count && p.column >= 1 ? scalars[p.column - 1] : nil
    }

    private mutating func fail(_ span: SourceSpan, _ kind: YAMLProblem.Kind, _ message: String, help: String?) {
        problems.append(YAMLProblem(kind, at: span, message, help: help))
        failed = true
    }

    // MARK: C conversions

    /// A libyaml mark as a position in the file. At the end of a file whose last line has no
    /// line break, libyaml counts one more line than the file has: that is the end of the last line.
    private func position(_ mark: yaml_mark_t) -> SourcePosition {
        let line = Int(mark.line) + 1
        guard line > source.lineCount, source.lineCount > 0 else { return SourcePosition(line: line, column: Int(mark.column) + 1) }
        let last = source.lineText(source.lineCount) ?? ""
        return SourcePosition(line: source.lineCount, column: last.unicodeScalars.count + 1)
    }

    private func optionalString(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let pointer else { return nil }
        return String(cString: pointer)
    }

    private func scalarStyle(_ style: yaml_scalar_style_t) -> ScalarStyle {
        switch style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: return .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: return .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: return .literal
        case YAML_FOLDED_SCALAR_STYLE: return .folded
        default: return .plain
        }
    }
}

/// The scalars' values while a document is built: a byte buffer that grows by doubling. Appending
/// a value is a `memcpy`; `Array.append(contentsOf:)` cost about a hundred instructions and a
/// reference count per scalar.
private final class ScalarText {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    func append(_ value: UnsafeBufferPointer<UInt8>) {
        guard let from = value.baseAddress, !value.isEmpty else { return }
        if count + value.count > capacity {
            // Escapes such as \L can make a value longer than its source.
            let grown = max(capacity * 2, count + value.count)
            let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
            bigger.update(from: base, count: count)
            base.deallocate()
            base = bigger
            capacity = grown
        }
        (base + count).update(from: from, count: value.count)
        count += value.count
    }

    /// The bytes so far (valid until the next `append`).
    var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }

    var array: [UInt8] { Array(bytes) }
}
