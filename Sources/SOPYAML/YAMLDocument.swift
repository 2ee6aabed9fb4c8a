import SOPDiagnostics

/// A node of a parsed `YAMLDocument`, named by its place in the document.
public struct YAMLNodeID: Hashable, Comparable, Sendable {
    /// The node's index among the document's nodes, in document order (parents before children).
    public let index: Int32

    @inlinable
    public init(index: Int32) { self.index = index }

    public static func < (a: YAMLNodeID, b: YAMLNodeID) -> Bool { a.index < b.index }
}

/// What a node is.
public enum YAMLNodeKind: UInt8, Sendable {
    case scalar, sequence, mapping
}

/// The core-schema type a scalar resolved to; its value is read with `int(_:)`, `double(_:)`,
/// `bool(_:)` or `text(_:)`.
public enum ScalarType: UInt8, Sendable {
    case null, bool, int, float, string
}

/// One node, as plain data: no references, so a document's nodes are one allocation and copying
/// or dropping them costs no reference counting.
@usableFromInline
struct NodeRecord: Sendable {
    @usableFromInline var kind: YAMLNodeKind
    @usableFromInline var style: ScalarStyle
    @usableFromInline var type: ScalarType
    @usableFromInline var isFlow: Bool
    @usableFromInline var hasTag: Bool
    // 0-based, as libyaml reports them.
    @usableFromInline var startLine: UInt32
    @usableFromInline var startColumn: UInt32
    @usableFromInline var endLine: UInt32
    @usableFromInline var endColumn: UInt32
    /// Nodes in this node's subtree, itself included (1 for a scalar): the next sibling is at
    /// `index + size`.
    @usableFromInline var size: UInt32
    /// Collections: the number of items (a mapping counts its pairs). Scalars: the value's UTF-8 length.
    @usableFromInline var count: UInt32
    /// Scalars: where the value starts in the document's `text`.
    @usableFromInline var offset: UInt32
    /// Scalars: the bits of the resolved `Int`, `Double` or `Bool`.
    @usableFromInline var payload: UInt64

    /// Where the node was written, 1-based.
    @inlinable
    var span: SourceSpan {
        SourceSpan(start: SourcePosition(line: Int(startLine) + 1, column: Int(startColumn) + 1),
                   end: SourcePosition(line: Int(endLine) + 1, column: Int(endColumn) + 1))
    }
}

/// A parsed YAML file: every node of its single document in one flat arena, with the scalars'
/// values back to back in one byte buffer, and every problem found while parsing.
///
/// This is the form the SOP and scenario decoders read: a node is a `YAMLNodeID`, and reading one
/// costs an array access, no allocation. `node(_:)` turns any subtree into a self-contained
/// `YAMLNode` tree for values that outlive the document (literals in `set`, templates).
public struct YAMLDocument: Sendable {
    @usableFromInline var records: [NodeRecord]
    /// The values of all scalars, back to back, as libyaml decoded them.
    @usableFromInline var text: [UInt8]
    /// Explicit tags, by node index (rare, so a list).
    var tags: [(node: Int32, tag: String)]
    /// The document's top node; nil when the file holds no document, or when it does not parse.
    public var root: YAMLNodeID?
    /// What is wrong with the file as YAML; the lint rules turn these into diagnostics.
    public var problems: [YAMLProblem]

    init(records: [NodeRecord], text: [UInt8], tags: [(node: Int32, tag: String)], root: YAMLNodeID?,
         problems: [YAMLProblem]) {
        self.records = records
        self.text = text
        self.tags = tags
        self.root = root
        self.problems = problems
    }

    /// The root as a self-contained tree (nil without a root).
    public var tree: YAMLNode? { root.map(node) }

    /// How many nodes the document holds.
    public var nodeCount: Int { records.count }

    // MARK: Any node

    @inlinable
    public func kind(_ id: YAMLNodeID) -> YAMLNodeKind { records[Int(id.index)].kind }

    @inlinable
    public func isScalar(_ id: YAMLNodeID) -> Bool { records[Int(id.index)].kind == .scalar }
    @inlinable
    public func isMapping(_ id: YAMLNodeID) -> Bool { records[Int(id.index)].kind == .mapping }
    @inlinable
    public func isSequence(_ id: YAMLNodeID) -> Bool { records[Int(id.index)].kind == .sequence }

    /// Where the node was written (the anchored node's place for an alias).
    @inlinable
    public func span(_ id: YAMLNodeID) -> SourceSpan { records[Int(id.index)].span }

    /// The explicit tag, if any (`tag:yaml.org,2002:str` for `!!str`).
    public func tag(_ id: YAMLNodeID) -> String? {
        guard records[Int(id.index)].hasTag else { return nil }
        return tags.first { $0.node == id.index }?.tag
    }

    /// True for `[…]` and `{…}` collections.
    @inlinable
    public func isFlow(_ id: YAMLNodeID) -> Bool { records[Int(id.index)].isFlow }

    // MARK: Scalars

    @inlinable
    public func style(_ id: YAMLNodeID) -> ScalarStyle { records[Int(id.index)].style }

    /// The scalar's core-schema type (`.null` for collections too, which have none).
    @inlinable
    public func scalarType(_ id: YAMLNodeID) -> ScalarType {
        let r = records[Int(id.index)]
        return r.kind == .scalar ? r.type : .null
    }

    /// A scalar that resolved to null (`~`, `null`, or nothing at all).
    @inlinable
    public func isNull(_ id: YAMLNodeID) -> Bool {
        let r = records[Int(id.index)]
        return r.kind == .scalar && r.type == .null
    }

    /// The scalar's text as written (after YAML's unquoting and folding); "" for collections.
    @inlinable
    public func text(_ id: YAMLNodeID) -> String {
        withUTF8(id) { String(decoding: $0, as: UTF8.self) }
    }

    /// The scalar's text when it resolves to a string, nil otherwise.
    @inlinable
    public func string(_ id: YAMLNodeID) -> String? {
        scalarType(id) == .string ? text(id) : nil
    }

    /// Calls `body` with the scalar's UTF-8 bytes (empty for collections), without copying them.
    @inlinable
    public func withUTF8<R>(_ id: YAMLNodeID, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let r = records[Int(id.index)]
        guard r.kind == .scalar, r.count > 0 else { return try body(UnsafeBufferPointer(start: nil, count: 0)) }
        return try text.withUnsafeBufferPointer { all in
            try body(UnsafeBufferPointer(rebasing: all[Int(r.offset)..<Int(r.offset) + Int(r.count)]))
        }
    }

    /// Whether the node is a scalar whose text is exactly `literal`.
    @inlinable
    public func textEquals(_ id: YAMLNodeID, _ literal: StaticString) -> Bool {
        let r = records[Int(id.index)]
        guard r.kind == .scalar, Int(r.count) == literal.utf8CodeUnitCount else { return false }
        return withUTF8(id) { bytes in
            var i = 0
            let other = literal.utf8Start
            while i < bytes.count {
                if bytes[i] != other[i] { return false }
                i += 1
            }
            return true
        }
    }

    @inlinable
    public func int(_ id: YAMLNodeID) -> Int? {
        let r = records[Int(id.index)]
        return r.kind == .scalar && r.type == .int ? Int(truncatingIfNeeded: r.payload) : nil
    }

    /// The value of an int or float scalar.
    @inlinable
    public func double(_ id: YAMLNodeID) -> Double? {
        let r = records[Int(id.index)]
        guard r.kind == .scalar else { return nil }
        switch r.type {
        case .int: return Double(Int(truncatingIfNeeded: r.payload))
        case .float: return Double(bitPattern: r.payload)
        default: return nil
        }
    }

    @inlinable
    public func bool(_ id: YAMLNodeID) -> Bool? {
        let r = records[Int(id.index)]
        return r.kind == .scalar && r.type == .bool ? r.payload != 0 : nil
    }

    /// The scalar's core-schema value (nil for collections).
    public func resolved(_ id: YAMLNodeID) -> ResolvedScalar? {
        let r = records[Int(id.index)]
        guard r.kind == .scalar else { return nil }
        switch r.type {
        case .null: return .null
        case .bool: return .bool(r.payload != 0)
        case .int: return .int(Int(truncatingIfNeeded: r.payload))
        case .float: return .float(Double(bitPattern: r.payload))
        case .string: return .string(text(id))
        }
    }

    // MARK: Collections

    /// The number of items of a sequence or pairs of a mapping (0 for scalars).
    @inlinable
    public func count(_ id: YAMLNodeID) -> Int {
        let r = records[Int(id.index)]
        return r.kind == .scalar ? 0 : Int(r.count)
    }

    /// The items of a sequence (empty for anything else).
    @inlinable
    public func items(_ id: YAMLNodeID) -> Children {
        let r = records[Int(id.index)]
        return Children(records: records, cursor: id.index + 1, remaining: r.kind == .sequence ? Int(r.count) : 0)
    }

    /// The pairs of a mapping, in written order (empty for anything else).
    @inlinable
    public func pairs(_ id: YAMLNodeID) -> Pairs {
        let r = records[Int(id.index)]
        return Pairs(records: records, cursor: id.index + 1, remaining: r.kind == .mapping ? Int(r.count) : 0)
    }

    /// The first pair of a mapping, if it has one.
    public func firstPair(_ id: YAMLNodeID) -> (key: YAMLNodeID, value: YAMLNodeID)? {
        var it = pairs(id)
        return it.next()
    }

    /// The nodes of a sequence, in order.
    public struct Children: Sequence, IteratorProtocol {
        @usableFromInline let records: [NodeRecord]
        @usableFromInline var cursor: Int32
        @usableFromInline var remaining: Int

        @inlinable
        init(records: [NodeRecord], cursor: Int32, remaining: Int) {
            self.records = records
            self.cursor = cursor
            self.remaining = remaining
        }

        @inlinable
        public mutating func next() -> YAMLNodeID? {
            guard remaining > 0 else { return nil }
            remaining -= 1
            let id = YAMLNodeID(index: cursor)
            cursor += Int32(truncatingIfNeeded: records[Int(cursor)].size)
            return id
        }

        public var underestimatedCount: Int { remaining }
    }

    /// The key and value nodes of a mapping, in order: its children taken two at a time.
    public struct Pairs: Sequence, IteratorProtocol {
        @usableFromInline var children: Children

        @inlinable
        init(records: [NodeRecord], cursor: Int32, remaining: Int) {
            children = Children(records: records, cursor: cursor, remaining: 2 * remaining)
        }

        @inlinable
        public mutating func next() -> (key: YAMLNodeID, value: YAMLNodeID)? {
            guard let key = children.next(), let value = children.next() else { return nil }
            return (key, value)
        }

        public var underestimatedCount: Int { children.underestimatedCount / 2 }
    }

    // MARK: Self-contained trees

    /// The subtree at `id` as a `YAMLNode` tree, which no longer needs the document.
    public func node(_ id: YAMLNodeID) -> YAMLNode {
        let r = records[Int(id.index)]
        let kind: YAMLNode.Kind
        switch r.kind {
        case .scalar:
            let text = self.text(id)
            let resolved: ResolvedScalar = r.type == .string ? .string(text) : self.resolved(id) ?? .null
            kind = .scalar(YAMLScalar(text: text, style: r.style, resolved: resolved))
        case .sequence:
            kind = .sequence(items(id).map(node))
        case .mapping:
            kind = .mapping(pairs(id).map { YAMLPair(key: node($0.key), value: node($0.value)) })
        }
        return YAMLNode(kind: kind, span: span(id), tag: tag(id), isFlow: r.isFlow)
    }

    /// Words for messages: "the string 'two'", "the integer 3", "a mapping", "null".
    public func kindDescription(_ id: YAMLNodeID) -> String {
        switch kind(id) {
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        case .scalar: return node(id).kindDescription
        }
    }
}
