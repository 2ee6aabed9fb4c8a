import SOPDiagnostics
import SOPYAML

/// Reads one YAML mapping of the SOP format: reports keys it does not allow (with a did-you-mean)
/// and keys that are not strings, then hands out values by key.
struct MappingReader {
    let node: YAMLNode
    /// Where a missing key is reported: the key that introduced this mapping, or the mapping.
    let ownerSpan: SourceSpan
    /// How messages name this mapping: "the SOP", "state 'verify'", "a transition of state 'x'".
    let owner: String
    private(set) var entries: [(key: Located<String>, value: YAMLNode)] = []

    init(_ node: YAMLNode, owner: String, ownerSpan: SourceSpan, allowed: [String], into sink: inout DiagnosticSink) {
        self.node = node
        self.owner = owner
        self.ownerSpan = ownerSpan
        for pair in node.mapping ?? [] {
            guard let key = pair.key.scalar?.text, pair.key.scalar != nil else {
                sink.report(pair.key.span, .wrongType, "keys of \(owner) must be strings, found \(pair.key.kindDescription)")
                continue
            }
            guard allowed.contains(key) else {
                sink.report(pair.key.span, .unknownKey, "unknown key '\(key)' in \(owner)",
                            help: Suggestions.didYouMean(key, in: allowed)
                                ?? "the keys allowed here are " + allowed.map { "'\($0)'" }.joined(separator: ", "))
                continue
            }
            entries.append((Located(key, at: pair.key.span), pair.value))
        }
    }

    func has(_ key: String) -> Bool { entries.contains { $0.key.value == key } }

    func value(_ key: String) -> YAMLNode? {
        entries.first { $0.key.value == key }?.value
    }

    func keySpan(_ key: String) -> SourceSpan? {
        entries.first { $0.key.value == key }?.key.span
    }

    /// The value of a required key; reports `missing-key` when it is absent.
    func required(_ key: String, _ sink: inout DiagnosticSink, help: String? = nil) -> YAMLNode? {
        if let v = value(key) { return v }
        sink.report(ownerSpan, .missingKey, "\(owner) is missing the required key '\(key)'", help: help)
        return nil
    }
}

/// Collects the diagnostics of one file.
struct DiagnosticSink {
    let file: String
    var diagnostics: [Diagnostic] = []

    mutating func report(_ span: SourceSpan, _ rule: RuleID, _ message: String, help: String? = nil) {
        diagnostics.append(Diagnostic(file: file, span: span, rule: rule, message: message, help: help))
    }
}
