internal import CLibYAML
import SOPDiagnostics

/// What parsing one YAML file gives: the root node of its single document (nil when the file
/// does not parse, or a limit stopped the parse) and every problem found.
public struct YAMLDocument: Sendable {
    public var root: YAMLNode?
    public var diagnostics: [Diagnostic]
}

/// Parses YAML with the system libyaml's event API and builds a `YAMLNode` tree with spans.
/// This is the only file that touches libyaml; the C parser lives in a class that frees it.
public enum YAMLParser {
    public static func parse(_ source: SourceFile, limits: YAMLLimits = YAMLLimits()) -> YAMLDocument {
        if let tooBig = limits.sizeDiagnostic(file: source.path, size: source.bytes.count) {
            return YAMLDocument(root: nil, diagnostics: [tooBig])
        }
        var builder = TreeBuilder(source: source, limits: limits)
        source.bytes.withUnsafeBufferPointer { buffer in
            let parser = LibYAMLEventParser(buffer)
            builder.run(parser)
        }
        return YAMLDocument(root: builder.failed ? nil : builder.root, diagnostics: builder.diagnostics)
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

/// Consumes events and builds the tree, enforcing the limits as it goes.
private struct TreeBuilder {
    let source: SourceFile
    let limits: YAMLLimits
    var diagnostics: [Diagnostic] = []
    var root: YAMLNode?
    var failed = false

    /// A collection being built; the innermost is the last of `stack`, changed in place.
    private struct Frame {
        let isMapping: Bool
        let start: SourcePosition
        let anchor: String?
        let tag: String?
        let flow: Bool
        var items: [YAMLNode] = []
        var pairs: [YAMLPair] = []
        var pendingKey: YAMLNode?
        var skipValue = false
        /// The keys of a large mapping, to find a repeated one without a scan (small mappings
        /// scan `pairs`, which is cheaper than hashing).
        var seen: [KeyIdentity: SourcePosition]?
        var size = 1

        init(isMapping: Bool, start: SourcePosition, anchor: String?, tag: String?, flow: Bool) {
            // Room for a typical SOP collection up front, instead of growing 1, 2, 4, 8.
            if isMapping { pairs.reserveCapacity(8) } else { items.reserveCapacity(4) }
            self.isMapping = isMapping
            self.start = start
            self.anchor = anchor
            self.tag = tag
            self.flow = flow
        }

        /// Where an equal key was first given in this mapping, if one was.
        mutating func firstPosition(of key: YAMLNode) -> SourcePosition? {
            guard case .scalar(let scalar) = key.kind else { return nil }
            if seen == nil && pairs.count >= 16 {
                var index: [KeyIdentity: SourcePosition] = [:]
                for pair in pairs { if let id = TreeBuilder.keyIdentity(pair.key), index[id] == nil { index[id] = pair.key.span.start } }
                seen = index
            }
            if seen != nil {
                guard let id = TreeBuilder.keyIdentity(key) else { return nil }
                if let first = seen![id] { return first }
                seen![id] = key.span.start
                return nil
            }
            for pair in pairs {
                if case .scalar(let other) = pair.key.kind, TreeBuilder.sameKey(scalar.resolved, other.resolved) {
                    return pair.key.span.start
                }
            }
            return nil
        }
    }

    private var stack: [Frame] = []
    private var anchors: [String: (node: YAMLNode, size: Int)] = [:]
    private var aliasExpansion = 0
    private var documentCount = 0

    init(source: SourceFile, limits: YAMLLimits) {
        self.source = source
        self.limits = limits
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
            let keepGoing = handle(event.pointee)
            let type = event.pointee.type
            yaml_event_delete(event)
            if !keepGoing || type == YAML_STREAM_END_EVENT { return }
        }
    }

    // MARK: Events

    private mutating func handle(_ e: yaml_event_t) -> Bool {
        let start = position(e.start_mark)
        let end = position(e.end_mark)
        switch e.type {
        case YAML_DOCUMENT_START_EVENT:
            documentCount += 1
            if documentCount > 1 {
                fail(SourceSpan(at: start), .yamlSyntax,
                     "the file holds more than one YAML document; an SOP file holds exactly one",
                     help: "move this document into a file of its own, or remove the '---' line")
                return false
            }
        case YAML_SCALAR_EVENT:
            let s = e.data.scalar
            let text = string(s.value, count: s.length)
            let tag = optionalString(s.tag)
            let style = scalarStyle(s.style)
            let resolved = CoreSchema.resolve(text, tag: tag, plain: style == .plain)
            let node = YAMLNode(kind: .scalar(YAMLScalar(text: text, style: style, resolved: resolved)),
                                span: SourceSpan(start: start, end: end), tag: tag)
            return complete(node, size: 1, anchor: optionalString(s.anchor))
        case YAML_ALIAS_EVENT:
            let name = optionalString(e.data.alias.anchor) ?? ""
            guard let anchored = anchors[name] else {
                fail(SourceSpan(start: start, end: end), .yamlSyntax,
                     "alias '*\(name)' refers to no anchor defined before it",
                     help: "define '&\(name)' on a value above this line")
                return false
            }
            aliasExpansion += anchored.size
            if aliasExpansion > limits.maxAliasExpansion {
                fail(SourceSpan(start: start, end: end), .yamlLimit,
                     "aliases expand to more than \(limits.maxAliasExpansion) nodes",
                     help: "this looks like an alias bomb; write the values out instead of nesting aliases")
                return false
            }
            return complete(anchored.node, size: anchored.size, anchor: nil)
        case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
            if stack.count >= limits.maxDepth {
                fail(SourceSpan(start: start, end: end), .yamlLimit,
                     "the YAML nests deeper than \(limits.maxDepth) levels",
                     help: "flatten the structure; SOPs need only about 10 levels")
                return false
            }
            if e.type == YAML_SEQUENCE_START_EVENT {
                let d = e.data.sequence_start
                stack.append(Frame(isMapping: false, start: start, anchor: optionalString(d.anchor),
                                   tag: optionalString(d.tag), flow: d.style == YAML_FLOW_SEQUENCE_STYLE))
            } else {
                let d = e.data.mapping_start
                stack.append(Frame(isMapping: true, start: start, anchor: optionalString(d.anchor),
                                   tag: optionalString(d.tag), flow: d.style == YAML_FLOW_MAPPING_STYLE))
            }
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            guard let frame = stack.popLast() else { return true }
            let kind: YAMLNode.Kind = frame.isMapping ? .mapping(frame.pairs) : .sequence(frame.items)
            let node = YAMLNode(kind: kind, span: SourceSpan(start: frame.start, end: end), tag: frame.tag,
                                isFlow: frame.flow)
            return complete(node, size: frame.size, anchor: frame.anchor)
        default:
            break
        }
        return true
    }

    /// Adds a finished node to its parent (or makes it the root).
    private mutating func complete(_ node: YAMLNode, size: Int, anchor: String?) -> Bool {
        if let anchor { anchors[anchor] = (node, size) }
        guard !stack.isEmpty else {
            if root == nil { root = node }
            return true
        }
        let top = stack.count - 1
        stack[top].size += size
        if !stack[top].isMapping {
            stack[top].items.append(node)
        } else if let key = stack[top].pendingKey.take() {
            if !stack[top].skipValue { stack[top].pairs.append(YAMLPair(key: key, value: node)) }
            stack[top].skipValue = false
        } else {
            // A key: report it when the mapping already has an equal one, and drop its value.
            if let first = stack[top].firstPosition(of: node) {
                stack[top].skipValue = true
                diagnostics.append(Diagnostic(
                    file: source.path, span: node.span, rule: .duplicateKey,
                    message: "key '\(node.scalar?.text ?? "")' is defined twice in this mapping; the first is at line \(first.line)",
                    help: "remove one of them, or merge their values"))
            }
            stack[top].pendingKey = node
        }
        return true
    }

    /// Equal keys have equal identities: scalars compare by their resolved value (`1` and `1.0`
    /// are the same key).
    enum KeyIdentity: Hashable {
        case null
        case bool(Bool)
        case number(Double)
        case string(String)
    }

    /// The same equality as `KeyIdentity`, without building one.
    static func sameKey(_ a: ResolvedScalar, _ b: ResolvedScalar) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return Double(x) == Double(y)
        case let (.int(x), .float(y)), let (.float(y), .int(x)): return Double(x) == y
        case let (.float(x), .float(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        default: return false
        }
    }

    fileprivate static func keyIdentity(_ node: YAMLNode) -> KeyIdentity? {
        guard case .scalar(let s) = node.kind else { return nil }
        switch s.resolved {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .number(Double(i))
        case .float(let d): return .number(d)
        case .string(let v): return .string(v)
        }
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
        var (message, help) = LibYAMLMessages.explain(
            problem: problem, context: context, contextLine: contextAt.line,
            byteAtProblem: p.error == YAML_READER_ERROR ? byte(at: offset) : nil,
            problemValue: Int(p.problem_value), characterAtProblem: character(at: at))
        // A `${{ … }}` template in a flow collection breaks the YAML; say so plainly.
        if p.error != YAML_READER_ERROR, let line = source.lineText(at.line), line.contains("${{") || line.contains("{{") {
            help = "quote the template: write it as \"${{ … }}\" in double quotes"
        }
        diagnostics.append(Diagnostic(file: source.path, span: SourceSpan(at: at), rule: .yamlSyntax,
                                      message: message, help: help))
    }

    private func byte(at offset: Int) -> UInt8? {
        offset >= 0 && offset < source.bytes.count ? source.bytes[offset] : nil
    }

    private func character(at p: SourcePosition) -> Unicode.Scalar? {
        guard let line = source.lineText(p.line) else { return nil }
        let scalars = Array(line.unicodeScalars)
        return p.column - 1 < scalars.count && p.column >= 1 ? scalars[p.column - 1] : nil
    }

    private mutating func fail(_ span: SourceSpan, _ rule: RuleID, _ message: String, help: String?) {
        diagnostics.append(Diagnostic(file: source.path, span: span, rule: rule, message: message, help: help))
        failed = true
    }

    // MARK: C conversions

    private func position(_ mark: yaml_mark_t) -> SourcePosition {
        SourcePosition(line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }

    private func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?, count: Int) -> String {
        guard let pointer else { return "" }
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
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
