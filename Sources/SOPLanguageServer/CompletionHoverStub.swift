import SOPDiagnostics

// A stand-in for the completion and hover engines h-lspc writes (the team's shared API); the
// merge of their work deletes this file.

public enum CompletionKind: String, Sendable { case key, state, sop, calendar, role, event, field, input, variable, function, enumValue, outcome }

public struct CompletionCandidate: Sendable, Equatable {
    public var label: String
    public var kind: CompletionKind
    public var detail: String?
    public var documentation: String?
    public var insertText: String?
    public var replacing: SourceSpan?

    public init(label: String, kind: CompletionKind, detail: String? = nil, documentation: String? = nil, insertText: String? = nil,
                replacing: SourceSpan? = nil) {
        self.label = label
        self.kind = kind
        self.detail = detail
        self.documentation = documentation
        self.insertText = insertText
        self.replacing = replacing
    }
}

public enum Completion {
    public static func candidates(in source: SourceFile, at position: SourcePosition, context: AuthoringContext) -> [CompletionCandidate] { [] }
}

public struct HoverInfo: Sendable, Equatable {
    public var markdown: String
    public var span: SourceSpan

    public init(markdown: String, span: SourceSpan) {
        self.markdown = markdown
        self.span = span
    }
}

public enum Hover {
    public static func info(in source: SourceFile, at position: SourcePosition, context: AuthoringContext) -> HoverInfo? { nil }
}
