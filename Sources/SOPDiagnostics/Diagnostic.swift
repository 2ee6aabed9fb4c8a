/// One finding about one place in one file: what the linter, the loader and the YAML layer report.
public struct Diagnostic: Sendable, Hashable {
    public var file: String
    public var span: SourceSpan
    public var rule: RuleID
    public var severity: Severity
    public var message: String
    public var help: String?
    /// The text of the line the span starts on, kept so the diagnostic renders without its file.
    public var sourceLine: String?
    /// Set when an inline `# sop: ignore[...]` comment suppresses it: the comment's reason
    /// (empty when it gives none). A suppressed diagnostic counts for nothing and is shown only
    /// in SARIF, marked as suppressed.
    public var suppression: String?
    /// Mechanical fixes of the finding, as edits (a did-you-mean replacement): what an editor
    /// offers as quick fixes (`sop lsp`'s code actions). The help says the same in words.
    public var fixes: [Fix] = []
    /// Other places the finding is about (the first of a key given twice), for an editor to
    /// link to (`sop lsp`'s `relatedInformation`). The message names them in words too.
    public var related: [RelatedPlace] = []

    /// A place a finding refers to, with what it is.
    public struct RelatedPlace: Sendable, Hashable {
        public var file: String
        public var span: SourceSpan
        public var message: String

        public init(file: String, span: SourceSpan, message: String) {
            self.file = file
            self.span = span
            self.message = message
        }
    }

    /// An edit that fixes a finding: the text of `span` replaced by `replacement`.
    public struct Fix: Sendable, Hashable {
        public var title: String
        public var span: SourceSpan
        public var replacement: String

        public init(title: String, span: SourceSpan, replacement: String) {
            self.title = title
            self.span = span
            self.replacement = replacement
        }
    }

    /// A finding of `rule`, with its id and severity.
    public init(file: String, span: SourceSpan, rule: any LintRule.Type, message: String, help: String? = nil) {
        self.init(file: file, span: span, id: rule.id, severity: rule.severity, message: message, help: help)
    }

    public init(file: String, span: SourceSpan, id: RuleID, severity: Severity, message: String, help: String? = nil) {
        self.file = file
        self.span = span
        self.rule = id
        self.severity = severity
        self.message = message
        self.help = help
    }

    /// The deterministic output order: by file, then position, then rule and message.
    public static func ordered(_ a: Diagnostic, _ b: Diagnostic) -> Bool {
        if a.file != b.file { return a.file < b.file }
        if a.span.start != b.span.start { return a.span.start < b.span.start }
        if a.rule != b.rule { return a.rule < b.rule }
        return a.message < b.message
    }
}

extension Array where Element == Diagnostic {
    public var errorCount: Int { lazy.filter { $0.severity == .error }.count }
    public var warningCount: Int { lazy.filter { $0.severity == .warning }.count }
}
