import SOPCore
import SOPDiagnostics
import SOPJSON

/// The requests on a document: outline, definition, references, rename, code actions,
/// completion and hover.
extension LanguageServer {
    /// A document of the workspace by its URI, with its current text (the open document's, or
    /// the disk's).
    struct Document {
        var path: String
        var uri: String
        var source: SourceFile
        var text: DocumentText
    }

    func document(_ params: Params) throws(RPCError) -> Document {
        let uri = try params.string("textDocument", "uri")
        guard let workspace, let path = workspace.path(of: uri), let source = workspace.source(of: path) else {
            throw RPCError(.invalidParams, "\(uri) is not a file of the workspace")
        }
        return Document(path: path, uri: uri, source: source, text: DocumentText(source.bytes))
    }

    func document(at path: String) -> Document? {
        guard let workspace, let source = workspace.source(of: path) else { return nil }
        return Document(path: path, uri: workspace.uri(of: path), source: source, text: DocumentText(source.bytes))
    }

    /// The sopkit position of the request's `position`.
    func position(_ params: Params, in doc: Document) throws(RPCError) -> SourcePosition {
        let offset = doc.text.offset(of: try params.position("position"), encoding: encoding)
        return doc.source.position(ofByteOffset: offset)
    }

    func range(_ span: SourceSpan, in doc: Document) -> LSPRange {
        doc.text.range(of: span, in: doc.source, encoding: encoding)
    }

    // MARK: Outline

    func documentSymbols(_ params: Params) throws(RPCError) -> JSONValue {
        let doc = try document(params)
        guard SOPFileKind(path: doc.path) == .sop, let sop = SOPLoader.load(doc.source).definition else { return .array([]) }
        func symbol(_ name: String, detail: String?, kind: Int, span: SourceSpan, selection: SourceSpan, children: [JSONValue] = []) -> JSONValue {
            var pairs: [(String, JSONValue)] = [("name", .string(name.isEmpty ? "(unnamed)" : name))]
            if let detail { pairs.append(("detail", .string(detail))) }
            pairs += [("kind", .int(kind)), ("range", RPC.range(range(span, in: doc))), ("selectionRange", RPC.range(range(selection, in: doc)))]
            if !children.isEmpty { pairs.append(("children", .array(children))) }
            return RPC.object(pairs)
        }
        let end = doc.source.position(ofByteOffset: doc.source.bytes.count)
        var states: [JSONValue] = []
        for (n, state) in sop.states.enumerated() {
            // A state reaches to the line before the next state's id.
            let next = n + 1 < sop.states.count ? SourcePosition(line: sop.states[n + 1].id.span.start.line, column: 1) : end
            let stateSpan = SourceSpan(start: state.id.span.start, end: max(state.id.span.end, next))
            var children: [JSONValue] = []
            for input in state.inputs {
                children.append(symbol(input.id.value, detail: "input", kind: 8 /* field */, span: input.id.span, selection: input.id.span))
            }
            for item in state.checklist {
                children.append(symbol(item.value, detail: "checklist", kind: 17 /* boolean: an item to tick */, span: item.span, selection: item.span))
            }
            for t in state.transitions {
                let trigger = t.on.map { "on \($0.value)" } ?? t.timerText.map { "after \($0)" } ?? "automatic"
                children.append(symbol("→ \(t.to.value)", detail: trigger + (t.when.map { " when \($0.text)" } ?? ""), kind: 24 /* event */,
                                       span: t.span, selection: t.to.span))
            }
            let role = state.id.value == sop.start.value ? "start" : state.isTerminal ? "end: \(state.end!.value)" : state.call.map { "calls \($0.value)" }
            states.append(symbol(state.id.value, detail: [role, state.title].compactMap { $0 }.joined(separator: " · "),
                                 kind: state.id.value == sop.start.value ? 9 /* constructor */ : state.isTerminal ? 22 /* enum member */ : 23 /* struct */,
                                 span: stateSpan, selection: state.id.span, children: children))
        }
        let whole = SourceSpan(start: SourcePosition(line: 1, column: 1), end: end)
        return .array([symbol(sop.id.value, detail: sop.title, kind: 2 /* module */, span: whole, selection: sop.id.span, children: states)])
    }

    // MARK: Definition and references

    /// The symbol at the request's position, and where it is in the document.
    func symbol(_ params: Params) throws(RPCError) -> (Document, Occurrence)? {
        let doc = try document(params)
        let at = try position(params, in: doc)
        guard let found = Occurrences.of(doc.source).first(where: { $0.span.start <= at && at <= $0.span.end }) else { return nil }
        return (doc, found)
    }

    /// The files a symbol may occur in.
    private func files(for symbol: Symbol) -> [String] {
        guard let workspace else { return [] }
        let session = workspace.session
        switch symbol {
        case .state(let sop, _), .input(let sop, _):
            let tests = session.paths.filter { SOPFileKind(path: $0) == .scenarioTest }
            return (session.index[sop].map { [$0.file] } ?? []) + tests
        case .sop:
            return session.paths.filter { SOPFileKind(path: $0) != .calendar }
        case .calendar(let id):
            return session.paths.filter { SOPFileKind(path: $0) == .sop } + (session.calendars[id].map { [$0] } ?? [])
        }
    }

    func occurrences(of symbol: Symbol) -> [(Document, Occurrence)] {
        var out: [(Document, Occurrence)] = []
        var seen = Set<String>()
        for path in files(for: symbol) where seen.insert(path).inserted {
            guard let doc = document(at: path) else { continue }
            // A file that does not hold the name at all is not parsed.
            let name: String
            switch symbol {
            case .state(_, let n), .input(_, let n), .sop(let n), .calendar(let n): name = n
            }
            guard doc.source.bytes.contains(subsequence: Array(name.utf8)) else { continue }
            for occurrence in Occurrences.of(doc.source) where occurrence.symbol == symbol { out.append((doc, occurrence)) }
        }
        return out
    }

    func definition(_ params: Params) throws(RPCError) -> JSONValue {
        guard let (_, found) = try symbol(params) else { return .null }
        let declarations = occurrences(of: found.symbol).filter { $0.1.isDeclaration }
        return .array(declarations.map { RPC.location(uri: $0.0.uri, range($0.1.span, in: $0.0)) })
    }

    func references(_ params: Params) throws(RPCError) -> JSONValue {
        guard let (_, found) = try symbol(params) else { return .null }
        let includeDeclaration = params.optional("context", "includeDeclaration")?.boolValue ?? true
        let all = occurrences(of: found.symbol).filter { includeDeclaration || !$0.1.isDeclaration }
        return .array(all.map { RPC.location(uri: $0.0.uri, range($0.1.span, in: $0.0)) })
    }

    // MARK: Rename

    func prepareRename(_ params: Params) throws(RPCError) -> JSONValue {
        guard let (doc, found) = try symbol(params), case .state(_, let name) = found.symbol else { return .null }
        return RPC.object([("range", RPC.range(range(found.span, in: doc))), ("placeholder", .string(name))])
    }

    func rename(_ params: Params) throws(RPCError) -> JSONValue {
        let newName = try params.string("newName")
        guard let (_, found) = try symbol(params) else {
            throw RPCError(.requestFailed, "there is no state here to rename")
        }
        guard case .state(let sop, let name) = found.symbol else {
            throw RPCError(.requestFailed, "only states can be renamed")
        }
        guard SOPIdentifier.isValid(newName) else {
            throw RPCError(.requestFailed, "'\(newName)' is not a valid state id: it must start with a lower-case letter, then lower-case letters, digits, '_' or '-'"
                           + (SOPIdentifier.suggestion(for: newName).map { " (such as '\($0)')" } ?? ""))
        }
        let all = occurrences(of: found.symbol)
        if newName != name, occurrences(of: .state(sop: sop, name: newName)).contains(where: { $0.1.isDeclaration }) {
            throw RPCError(.requestFailed, "SOP '\(sop)' already has a state '\(newName)'")
        }
        var changes: [(String, JSONValue)] = []
        var order: [String] = []
        var edits: [String: [JSONValue]] = [:]
        for (doc, occurrence) in all {
            if edits[doc.uri] == nil { order.append(doc.uri) }
            edits[doc.uri, default: []].append(RPC.object([("range", RPC.range(range(occurrence.span, in: doc))), ("newText", .string(newName))]))
        }
        for uri in order { changes.append((uri, .array(edits[uri]!))) }
        return RPC.object([("changes", .object(JSONObject(changes)))])
    }

    // MARK: Completion and hover

    /// What the completion and hover engines read: the workspace's SOPs (this one from its
    /// current text), the ticket schema and the calendars.
    func authoringContext(for doc: Document) -> AuthoringContext {
        guard let workspace else { return AuthoringContext() }
        let session = workspace.session
        return AuthoringContext(sops: session.paths.compactMap { path in session.index.values.first { $0.file == path } },
                                ticketSchema: session.linter.ticketSchema, calendars: session.calendars.keys.sorted())
    }

    func completion(_ params: Params) throws(RPCError) -> JSONValue {
        let doc = try document(params)
        let at = try position(params, in: doc)
        let candidates = Completion.candidates(in: doc.source, at: at, context: authoringContext(for: doc))
        let items: [JSONValue] = candidates.map { c in
            var pairs: [(String, JSONValue)] = [("label", .string(c.label)), ("kind", .int(Self.completionItemKind(c.kind)))]
            if let detail = c.detail { pairs.append(("detail", .string(detail))) }
            if let documentation = c.documentation {
                pairs.append(("documentation", RPC.object([("kind", .string("markdown")), ("value", .string(documentation))])))
            }
            let text = c.insertText ?? c.label
            if let span = c.replacing {
                pairs.append(("textEdit", RPC.object([("range", RPC.range(range(span, in: doc))), ("newText", .string(text))])))
            } else if c.insertText != nil {
                pairs.append(("insertText", .string(text)))
            }
            return RPC.object(pairs)
        }
        return RPC.object([("isIncomplete", .bool(false)), ("items", .array(items))])
    }

    /// LSP's CompletionItemKind for each kind of candidate.
    static func completionItemKind(_ kind: CompletionKind) -> Int {
        switch kind {
        case .key: return 10  // property
        case .state: return 20  // enum member
        case .sop: return 9  // module
        case .calendar: return 17  // file
        case .role: return 18  // reference
        case .event: return 23  // event
        case .field: return 5  // field
        case .input: return 6  // variable
        case .variable: return 6  // variable
        case .function: return 3  // function
        case .enumValue: return 20  // enum member
        case .outcome: return 21  // constant
        }
    }

    func hover(_ params: Params) throws(RPCError) -> JSONValue {
        let doc = try document(params)
        let at = try position(params, in: doc)
        guard let info = Hover.info(in: doc.source, at: at, context: authoringContext(for: doc)) else { return .null }
        return RPC.object([("contents", RPC.object([("kind", .string("markdown")), ("value", .string(info.markdown))])),
                           ("range", RPC.range(range(info.span, in: doc)))])
    }
}

extension Array where Element == UInt8 {
    func contains(subsequence needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return needle.isEmpty }
        let first = needle[0]
        var i = 0
        while i <= count - needle.count {
            if self[i] == first && self[i..<(i + needle.count)].elementsEqual(needle) { return true }
            i += 1
        }
        return false
    }
}
