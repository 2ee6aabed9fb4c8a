import SOPDiagnostics

/// Something wrong with a file as YAML, found while parsing it. The YAML layer says what kind of
/// problem it is; SOPCore's lint rules own the ids (`yaml-syntax`, `yaml-limit`,
/// `duplicate-key`, `wrong-type`) and turn problems into diagnostics.
public struct YAMLProblem: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// Not well-formed YAML: libyaml's error in plain words, an alias to no anchor, a second document.
        case syntax
        /// Over a safety limit: size, nesting depth or alias expansion.
        case limit
        /// A mapping holds the same key twice.
        case duplicateKey
        /// A value tagged with a type its text does not have (`!!bool maybe`).
        case tagMismatch
    }

    public var kind: Kind
    public var span: SourceSpan
    public var message: String
    public var help: String?
    /// Another place of the same file the problem is about (the first of a repeated key), and what it is.
    public var related: (span: SourceSpan, message: String)?

    public static func == (a: YAMLProblem, b: YAMLProblem) -> Bool {
        a.kind == b.kind && a.span == b.span && a.message == b.message && a.help == b.help && a.related?.span == b.related?.span
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(kind)
        hasher.combine(span)
        hasher.combine(message)
    }

    public init(_ kind: Kind, at span: SourceSpan, _ message: String, help: String? = nil) {
        self.kind = kind
        self.span = span
        self.message = message
        self.help = help
    }
}
