import Foundation
import SOPDiagnostics
import SOPYAML

/// The result of loading one SOP file: the definition when it could be built, and every
/// diagnostic of the YAML layer and the decoder.
public struct LoadedSOP: Sendable {
    public var source: SourceFile
    public var definition: SOPDefinition?
    public var diagnostics: [Diagnostic]
    /// The human texts that hold `${{ }}` templates, for the linter (not part of the model).
    public var templateTexts: [ExpressionText] = []
    /// Where each state of `definition` is written (its id to the end of its body), for the linter.
    public var stateSpans: [SourceSpan] = []
}

/// Loads SOP files: bytes → YAML nodes → model. Never throws for the author's mistakes.
public enum SOPLoader {
    /// How many SOP files the calling thread has parsed: commands load each file they need once,
    /// and tests hold them to it (per thread, so tests running side by side do not count each
    /// other's).
    public static var parsesOnThisThread: Int { Int(bitPattern: pthread_getspecific(parsesKey)) }
    /// A thread-specific word (Foundation's thread dictionary cost 1% of a lint).
    private static let parsesKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    public static func load(_ source: SourceFile, limits: YAMLLimits = YAMLLimits()) -> LoadedSOP {
        pthread_setspecific(parsesKey, UnsafeRawPointer(bitPattern: parsesOnThisThread + 1))
        let document = YAMLParser.parse(source, limits: limits)
        guard let root = document.root else {
            var diagnostics = document.diagnostics(file: source.path)
            if diagnostics.isEmpty {
                // A stream with no document at all: an empty file, or only comments.
                diagnostics.append(Diagnostic(
                    file: source.path, span: .fileStart, rule: MissingKeyRule.self, message: "the file holds no SOP",
                    help: "an SOP needs at least 'sop', 'version', 'title', 'start' and 'states'"))
            }
            return LoadedSOP(source: source, definition: nil, diagnostics: diagnostics)
        }
        var decoder = SOPDecoder(document: document, file: source.path)
        let definition = decoder.decode(root)
        // A value the YAML layer already reported (`!!int abc`) is not reported again by the
        // decoder, which sees only the text.
        let parsed = document.diagnostics(file: source.path)
        var decoded = decoder.sink.diagnostics
        if !parsed.isEmpty {
            decoded.removeAll { d in parsed.contains { $0.rule == d.rule && $0.span == d.span } }
        }
        return LoadedSOP(source: source, definition: definition, diagnostics: parsed + decoded,
                         templateTexts: decoder.templateTexts, stateSpans: decoder.stateSpans)
    }
}
