import SOPDiagnostics

/// How a scalar was written; guards and templates need it to map offsets back into the file.
public enum ScalarStyle: String, Sendable, Hashable {
    case plain
    case singleQuoted = "single-quoted"
    case doubleQuoted = "double-quoted"
    case literal
    case folded
}

/// A scalar's value under the YAML 1.2 core schema (`yes`/`no`/`on`/`off` stay strings).
public enum ResolvedScalar: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
}

/// A scalar as written: its text, style and core-schema value.
public struct YAMLScalar: Sendable, Hashable {
    public var text: String
    public var style: ScalarStyle
    public var resolved: ResolvedScalar

    public init(text: String, style: ScalarStyle, resolved: ResolvedScalar) {
        self.text = text
        self.style = style
        self.resolved = resolved
    }
}

/// A mapping entry; keys are nodes too, so they keep their own spans.
public struct YAMLPair: Sendable, Hashable {
    public var key: YAMLNode
    public var value: YAMLNode

    public init(key: YAMLNode, value: YAMLNode) {
        self.key = key
        self.value = value
    }
}

/// A node of the YAML tree with the span it was read from. Aliases are expanded into copies of
/// their anchored node, which keep the anchored node's spans.
public struct YAMLNode: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case scalar(YAMLScalar)
        case sequence([YAMLNode])
        case mapping([YAMLPair])
    }

    public var kind: Kind
    public var span: SourceSpan
    /// The explicit tag, if any (`tag:yaml.org,2002:str` for `!!str`).
    public var tag: String?
    /// True for `[…]` and `{…}` collections.
    public var isFlow: Bool

    public init(kind: Kind, span: SourceSpan, tag: String? = nil, isFlow: Bool = false) {
        self.kind = kind
        self.span = span
        self.tag = tag
        self.isFlow = isFlow
    }

    public var scalar: YAMLScalar? {
        if case .scalar(let s) = kind { return s }
        return nil
    }

    public var sequence: [YAMLNode]? {
        if case .sequence(let items) = kind { return items }
        return nil
    }

    public var mapping: [YAMLPair]? {
        if case .mapping(let pairs) = kind { return pairs }
        return nil
    }

    /// The scalar's text when it resolves to a string (quoted, or plain and not null/bool/number).
    public var stringValue: String? {
        if case .scalar(let s) = kind, case .string(let v) = s.resolved { return v }
        return nil
    }

    /// Words for messages: "the string 'two'", "the integer 3", "a mapping", "null".
    public var kindDescription: String {
        switch kind {
        case .scalar(let s):
            switch s.resolved {
            case .null: return s.text.isEmpty ? "nothing" : "null"
            case .bool(let b): return "the boolean \(b)"
            case .int(let i): return "the integer \(i)"
            case .float: return "the number \(s.text)"
            case .string(let v):
                let shown = v.count > 40 ? String(v.prefix(37)) + "…" : v
                return "the string '\(shown)'"
            }
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }
}
