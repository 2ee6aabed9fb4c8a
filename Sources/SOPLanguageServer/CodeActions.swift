import SOPCore
import SOPDiagnostics
import SOPJSON

/// Code actions: each fix a finding carries (`Diagnostic.fixes`: a did-you-mean replacement and
/// other mechanical fixes) as an edit, and a `# sop: ignore[RULE]` comment that suppresses it.
extension LanguageServer {
    func codeActions(_ params: Params) throws(RPCError) -> JSONValue {
        let doc = try document(params)
        guard let workspace, let wanted = Params.range(params.optional("range")) else {
            throw RPCError(.invalidParams, "params.range must be a range")
        }
        let given = params.optional("context", "diagnostics")?.arrayValue ?? []
        // The findings of the document as linted (the same text, once changes are flushed),
        // those the client names or, when it names none, those on the requested range.
        let linted = workspace.linted(doc.path)
        var actions: [JSONValue] = []
        for finding in workspace.diagnostics(for: doc.path) {
            let findingRange = linted.text.range(of: finding.span, in: linted.source, encoding: encoding)
            let lspDiagnostic = diagnostic(finding, source: linted.source, text: linted.text)
            let named = given.contains { $0["code"]?.stringValue == finding.rule.rawValue && Params.range($0["range"]) == findingRange }
            let overlaps = findingRange.start <= wanted.end && wanted.start <= findingRange.end
            guard named || (given.isEmpty && overlaps) else { continue }
            for fix in finding.fixes {
                let edit = RPC.object([("range", RPC.range(linted.text.range(of: fix.span, in: linted.source, encoding: encoding))),
                                       ("newText", .string(fix.replacement))])
                actions.append(action(fix.title, diagnostic: lspDiagnostic, uri: doc.uri, edits: [edit], preferred: true))
            }
            if let suppress = suppression(of: finding, in: linted.source, text: linted.text) {
                actions.append(action("Suppress \(finding.rule.rawValue) on this line with # sop: ignore[\(finding.rule.rawValue)]",
                                      diagnostic: lspDiagnostic, uri: doc.uri, edits: [suppress], preferred: false))
            }
        }
        return .array(actions)
    }

    private func action(_ title: String, diagnostic: JSONValue, uri: String, edits: [JSONValue], preferred: Bool) -> JSONValue {
        RPC.object([("title", .string(title)), ("kind", .string("quickfix")), ("diagnostics", .array([diagnostic])),
                    ("isPreferred", .bool(preferred)),
                    ("edit", RPC.object([("changes", RPC.object([(uri, .array(edits))]))]))])
    }

    /// The edit that suppresses a finding on its line (docs/lint-rules.md, "Suppressing a
    /// finding"): the rule added to the line's `# sop: ignore[…]` comment when it has one, else
    /// a comment alone on a new line above, indented as the line (a comment at the end of the
    /// line could fall inside a block scalar's text). Findings that suppression cannot silence
    /// (the YAML is broken, or the finding is about a suppression) get none.
    func suppression(of finding: Diagnostic, in source: SourceFile, text: DocumentText) -> JSONValue? {
        let rule = finding.rule.rawValue
        guard !["yaml-syntax", "yaml-limit", "unused-suppression"].contains(rule), LintRules.rule(named: rule) != nil,
              let line = source.lineText(finding.span.start.line) else { return nil }
        let lineStart = DocumentText.offset(of: SourcePosition(line: finding.span.start.line, column: 1), in: source)
        // The line's own suppression, or one alone on the line above (which covers this line).
        for (n, candidate) in [(finding.span.start.line, line), (finding.span.start.line - 1, source.lineText(finding.span.start.line - 1) ?? "")] {
            let own = n == finding.span.start.line
            guard let marker = candidate.range(of: "# sop: ignore["), let close = candidate[marker.upperBound...].firstIndex(of: "]"),
                  own || candidate[..<marker.lowerBound].allSatisfy({ $0 == " " || $0 == "\t" }) else { continue }
            let column = candidate.unicodeScalars.distance(from: candidate.unicodeScalars.startIndex, to: close.samePosition(in: candidate.unicodeScalars)!)
            let at = DocumentText.offset(of: SourcePosition(line: n, column: column + 1), in: source)
            let p = text.position(ofOffset: at, encoding: encoding)
            return RPC.object([("range", RPC.range(LSPRange(start: p, end: p))), ("newText", .string(", \(rule)"))])
        }
        let indent = String(line.prefix { $0 == " " })
        // A line that is a list item (`- to: x`) is suppressed from above at the item's indentation.
        let p = text.position(ofOffset: lineStart, encoding: encoding)
        return RPC.object([("range", RPC.range(LSPRange(start: p, end: p))), ("newText", .string("\(indent)# sop: ignore[\(rule)]\n"))])
    }
}
