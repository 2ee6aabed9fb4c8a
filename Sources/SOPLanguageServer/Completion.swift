import SOPCore
import SOPDiagnostics
import SOPExpression

/// What a completion candidate is, for the editor's icon and filtering.
public enum CompletionKind: String, Sendable {
    case key, state, sop, calendar, role, event, field, input, variable, function, enumValue, outcome
}

/// One thing that may be written at the cursor.
public struct CompletionCandidate: Sendable, Equatable {
    /// What the list shows.
    public var label: String
    public var kind: CompletionKind
    /// A type or a signature: "enum (open, pending, closed)", "date_add(date, duration) -> date".
    public var detail: String?
    /// Markdown.
    public var documentation: String?
    /// nil: the label.
    public var insertText: String?
    /// The text the insertion replaces (the word typed so far); nil: insert at the cursor.
    public var replacing: SourceSpan?

    public init(label: String, kind: CompletionKind, detail: String? = nil, documentation: String? = nil,
                insertText: String? = nil, replacing: SourceSpan? = nil) {
        self.label = label
        self.kind = kind
        self.detail = detail
        self.documentation = documentation
        self.insertText = insertText
        self.replacing = replacing
    }
}

/// The completion engine of `sop lsp`: a pure function of the text, the cursor and the workspace.
/// What it offers where is in docs/lsp.md, "Completion and hover".
public enum Completion {
    /// What may be written at `position` of `source` (an SOP or a *.test.yaml), the text as typed (it may not parse).
    public static func candidates(in source: SourceFile, at position: SourcePosition, context: AuthoringContext) -> [CompletionCandidate] {
        // A calendar is not completed (docs/lsp.md); a position outside the text has nothing.
        let fileKind = SOPFileKind(path: source.path)
        guard fileKind != .calendar else { return [] }
        guard position.line >= 1, position.line <= source.lineCount, position.column >= 1 else { return [] }
        let scenario = fileKind == .scenarioTest
        let cursor = CursorContext.at(position, in: source, scenario: scenario)
        // In a scenario test, what the tested SOP declares, from the workspace.
        let sop = scenario ? AuthoredSOP(tested: AuthoredSOP.declaredID(in: source), context: context)
            : AuthoredSOP(source: source, cursorLine: position.line, context: context)
        var engine = CompletionEngine(cursor: cursor, sop: sop, context: context, position: position, scenario: scenario)
        return engine.run()
    }
}

struct CompletionEngine {
    let cursor: CursorContext
    let sop: AuthoredSOP
    let context: AuthoringContext
    let position: SourcePosition
    var results: [CompletionCandidate] = []
    /// What is typed of the thing being completed, to filter the candidates by.
    var typed = ""
    /// The file is a scenario test, and `sop` the SOP it tests.
    let scenario: Bool

    init(cursor: CursorContext, sop: AuthoredSOP, context: AuthoringContext, position: SourcePosition, scenario: Bool = false) {
        self.cursor = cursor
        self.sop = sop
        self.context = context
        self.position = position
        self.scenario = scenario
    }

    var state: String? { SOPPaths.state(of: cursor.path) }

    mutating func run() -> [CompletionCandidate] {
        switch cursor.slot {
        case .key: keys()
        case .value: value()
        }
        // Only what fits the word typed so far (editors filter too; this keeps lists short).
        let typed = self.typed.lowercased()
        if !typed.isEmpty {
            results = results.filter { candidate in
                let name = (candidate.insertText ?? candidate.label).lowercased()
                let bare = name.hasPrefix("'") ? String(name.dropFirst()) : name
                return bare.hasPrefix(typed) || bare.contains(typed)
            }
        }
        return results
    }

    // MARK: Keys

    mutating func keys() {
        typed = cursor.partial
        if scenario, cursor.path.last == .key("input"), SOPPaths.kind(of: Array(cursor.path.dropLast()), scenario: true) == .testStep {
            // A step's inputs: the tested SOP's.
            for input in sop.entry?.inputs ?? [] where !cursor.presentKeys.contains(input) {
                results.append(CompletionCandidate(label: input, kind: .input, insertText: input + ": ", replacing: cursor.partialSpan))
            }
            return
        }
        if !scenario, cursor.path.last == .key("set"), SOPPaths.kind(of: Array(cursor.path.dropLast())) == .action {
            setPaths()
            return
        }
        guard let kind = SOPPaths.kind(of: cursor.path, scenario: scenario) else { return }
        if kind == .action {
            // An action is a mapping of one key: offer them only where none is written yet.
            guard cursor.presentKeys.isEmpty else { return }
        }
        for key in kind.allowedKeys where !cursor.presentKeys.contains(key) {
            let doc = KeyDocs.doc(for: key, in: kind)
            results.append(CompletionCandidate(label: key, kind: .key, detail: doc?.type.map(Self.plain),
                                               documentation: KeyDocs.markdown(for: key, in: kind),
                                               insertText: key + ": ", replacing: cursor.partialSpan))
        }
    }

    /// The keys of a `set` action: `ticket.` and `var.` paths.
    mutating func setPaths() {
        let typedPath = cursor.typedPath
        if let dot = typedPath.lastIndex(of: ".") {
            members(ofBase: Array(typedPath[..<dot]), replacing: cursor.partialSpan)
            return
        }
        results.append(CompletionCandidate(label: "ticket", kind: .variable, documentation: "assigns a ticket field: `ticket.a.b`",
                                           insertText: "ticket.", replacing: cursor.partialSpan))
        results.append(CompletionCandidate(label: "var", kind: .variable, documentation: "assigns a run variable: `var.x`",
                                           insertText: "var.", replacing: cursor.partialSpan))
    }

    /// Markdown code spans written as plain text, for a detail line.
    static func plain(_ markdown: String) -> String { markdown.replacingOccurrences(of: "`", with: "") }

    // MARK: Values

    mutating func value() {
        let text = cursor.valueText
        // Inside `${{ … }}`: an expression, whatever the key.
        if !scenario, let open = Self.openTemplate(text) {
            expression(Array(text[open...]), positions: Array(cursor.valuePositions[open...]))
            return
        }
        guard let key = cursor.valueKey else { return }
        typed = String(String.UnicodeScalarView(text))
        let kind = SOPPaths.kind(of: cursor.mappingPath, scenario: scenario)
        switch (kind, key) {
        case (.testFile?, "sop"):
            for entry in context.sops { results.append(candidate(entry.id, .sop, detail: entry.file)) }
        case (.testStep?, "event"):
            for event in sop.events { results.append(candidate(event, .event)) }
        case (.testExpectation?, "state"), (.testExpectation?, "path"):
            for id in sop.stateIDs { results.append(candidate(id, .state)) }
        case (.testExpectation?, "outcome"):
            for outcome in sop.outcomes { results.append(candidate(outcome, .outcome)) }
        case (.testActor?, "role"):
            for role in sop.roles { results.append(candidate(role, .role)) }
        case (.testStep?, "run"):
            for target in ["main", "child"] { results.append(candidate(target, .enumValue)) }
        case (.testStep?, "check"):
            results.append(candidate("all", .enumValue))
        case (_, _) where scenario:
            break
        case (.top?, "applies_when"), (.transition?, "when"), (.slaLength?, "by"):
            expression(text, positions: cursor.valuePositions)
        case (.transition?, "to"), (.top?, "start"), (.slaTarget?, "start"), (.slaTarget?, "pause"), (.slaTarget?, "stop"):
            for id in sop.stateIDs {
                results.append(candidate(id, .state, detail: sop.title(ofState: id)))
            }
        case (.state?, "call"), (.startAction?, "sop"), (.action?, "start"):
            for entry in context.sops where entry.id != sop.definition?.id.value {
                results.append(candidate(entry.id, .sop, detail: entry.file,
                                         documentation: entry.outcomes.isEmpty ? nil : "outcomes: " + entry.outcomes.map { "`\($0)`" }.joined(separator: ", ")))
            }
        case (.businessTimer?, "calendar"), (.sla?, "calendar"), (.slaTarget?, "calendar"):
            for id in context.calendars { results.append(candidate(id, .calendar)) }
        case (.state?, "role"), (.transition?, "role"), (.assign?, "role"):
            for role in sop.roles { results.append(candidate(role, .role)) }
        case (.transition?, "on"):
            for event in sop.events {
                let sla = SLAEvent.isSLAName(event)
                results.append(candidate(event, .event, detail: sla ? "sent by the SLA clock" : nil))
            }
        case (.state?, "end"):
            for outcome in sop.outcomes { results.append(candidate(outcome, .outcome)) }
        case (.input?, "type"), (.variable?, "type"):
            for type in ValueType.allCases { results.append(candidate(type.rawValue, .enumValue)) }
        case (.input?, "scope"):
            for scope in InputScope.allCases { results.append(candidate(scope.rawValue, .enumValue)) }
        case (.input?, "required"):
            for value in ["true", "false"] { results.append(candidate(value, .enumValue)) }
        case (.top?, "category"):
            for category in SOPCategory.allCases { results.append(candidate(category.rawValue, .enumValue)) }
        case (.notify?, "to"):
            results.append(candidate("customer", .enumValue))
            for role in sop.roles { results.append(candidate("role:" + role, .role)) }
        default:
            break
        }
    }

    func candidate(_ label: String, _ kind: CompletionKind, detail: String? = nil, documentation: String? = nil,
                   insertText: String? = nil) -> CompletionCandidate {
        // The whole value typed so far is replaced (`sla.first_re‸` holds dots).
        let span = SourceSpan(start: cursor.valuePositions.first ?? position, end: position)
        return CompletionCandidate(label: label, kind: kind, detail: detail, documentation: documentation,
                                   insertText: insertText, replacing: span)
    }

    /// The offset just past the last `${{` that is not closed before the end.
    static func openTemplate(_ text: [Unicode.Scalar]) -> Int? {
        var open: Int?
        var i = 0
        while i + 2 < text.count || (i + 1 < text.count && open != nil) {
            if i + 2 < text.count, text[i] == "$", text[i + 1] == "{", text[i + 2] == "{" {
                open = i + 3
                i += 3
            } else if open != nil, text[i] == "}", text[i + 1] == "}" {
                open = nil
                i += 2
            } else {
                i += 1
            }
        }
        return open
    }

    // MARK: Expressions

    /// Completes the expression `text` (what is typed of it, up to the cursor).
    mutating func expression(_ text: [Unicode.Scalar], positions: [SourcePosition]) {
        // The word typed so far.
        var start = text.count
        while start > 0, CursorContext.isWordScalar(text[start - 1]) { start -= 1 }
        let partialSpan = SourceSpan(start: start < positions.count ? positions[start] : position, end: position)
        typed = String(String.UnicodeScalarView(text[start...]))
        if start > 0, text[start - 1] == "." {
            members(ofBase: Array(text[..<(start - 1)]), replacing: partialSpan)
            return
        }
        // After `X == ` or `X != ` (a quote may be typed): X's enum values, quoted.
        var before = start
        var quote: Unicode.Scalar?
        if before > 0, text[before - 1] == "'" || text[before - 1] == "\"" { before -= 1; quote = text[before] }
        let head = Array(text[..<before])
        if let values = comparedEnumValues(head) {
            let span = SourceSpan(start: before < positions.count ? positions[before] : position, end: position)
            let q = quote ?? "'"
            for value in values {
                results.append(CompletionCandidate(label: "\(q)\(value)\(q)", kind: .enumValue, replacing: span))
            }
            return
        }
        if quote != nil { return }  // inside a string literal
        roots(replacing: partialSpan)
    }

    /// The names an expression may start with: the path roots and the functions.
    mutating func roots(replacing span: SourceSpan) {
        let calls = state.flatMap { sop.definition?.state($0)?.call } != nil
        let roots: [(String, String)] = [
            ("ticket", "the ticket's fields, typed by the ticket schema"),
            ("input", "the inputs given in this run"),
            ("var", "the SOP's run variables"),
            ("run", "`run.started_at`, `run.entered_at`, `run.state`"),
            ("now", "the step's time (datetime)"),
        ] + (calls ? [("child", "`child.outcome`: the outcome of the run this state called")] : [])
        for (name, doc) in roots {
            results.append(CompletionCandidate(label: name, kind: .variable, documentation: doc, replacing: span))
        }
        for entry in FunctionCatalogue.entries {
            results.append(CompletionCandidate(label: entry.name, kind: .function, detail: entry.signature,
                                               documentation: entry.markdown, insertText: entry.name + "(", replacing: span))
        }
    }

    /// After `BASE.`: the fields of what BASE is.
    mutating func members(ofBase base: [Unicode.Scalar], replacing span: SourceSpan) {
        guard let baseText = Self.trailingOperand(base) else { return }
        switch baseText {
        case "input":
            for input in sop.inputs(readableIn: state) {
                let type = input.type.exprType(values: input.values.map(\.value))
                results.append(CompletionCandidate(label: input.id.value, kind: .input, detail: type.description,
                                                   documentation: input.prompt, replacing: span))
            }
            return
        case "var":
            for v in sop.variables {
                let type = v.type.exprType(values: v.values.map(\.value))
                results.append(CompletionCandidate(label: v.id.value, kind: .variable, detail: type.description, replacing: span))
            }
            return
        case "child":
            let outcomes = state.flatMap { sop.definition?.state($0)?.call?.value }.flatMap { id in context.sops.first { $0.id == id }?.outcomes }
            results.append(CompletionCandidate(label: "outcome", kind: .field,
                                               detail: outcomes.map { "enum (\($0.joined(separator: ", ")))" } ?? "string",
                                               documentation: "the outcome of the run this state called, once it has ended", replacing: span))
            return
        case "run":
            for (name, type, doc) in [("started_at", "datetime", "when the run started"),
                                      ("entered_at", "datetime", "when the current state was entered"),
                                      ("state", "string", "the current state's id")] {
                results.append(CompletionCandidate(label: name, kind: .field, detail: type, documentation: doc, replacing: span))
            }
            return
        default:
            break
        }
        guard let type = typeOf(baseText) else { return }
        let fields = TicketFields(schema: context.ticketSchema)
        let descriptions = baseText.hasPrefix("ticket") ? fields.descriptions(at: baseText) : [:]
        switch type {
        case .object(let members):
            let order = baseText.hasPrefix("ticket") ? fields.order(at: baseText) : []
            let names = order.filter { members[$0] != nil } + members.keys.filter { !order.contains($0) }.sorted()
            for name in names {
                results.append(CompletionCandidate(label: name, kind: .field, detail: members[name]?.description,
                                                   documentation: descriptions[name], replacing: span))
            }
        default:
            break
        }
    }

    /// The operand that ends `text`: a path with its indexes and calls (`ticket.orders[input.id]`).
    static func trailingOperand(_ text: [Unicode.Scalar]) -> String? {
        var i = text.count
        var depth = 0
        while i > 0 {
            let c = text[i - 1]
            if c == "]" || c == ")" { depth += 1 }
            else if c == "[" || c == "(" {
                if depth == 0 { break }
                depth -= 1
            } else if depth == 0 && !(CursorContext.isWordScalar(c) || c == ".") { break }
            i -= 1
        }
        guard i < text.count else { return nil }
        return String(String.UnicodeScalarView(text[i...]))
    }

    /// The static type of an operand, from the checker.
    func typeOf(_ text: String) -> ExprType? {
        guard case .success(let expr) = ExpressionParser.parse(text) else { return nil }
        var checker = TypeChecker(environment: sop.environment(schema: context.ticketSchema, state: state, context: context))
        return checker.check(expr)
    }

    /// When `head` ends with `X ==`, `X !=` or `X in [` (and items), X's enum values.
    func comparedEnumValues(_ head: [Unicode.Scalar]) -> [String]? {
        var end = head.count
        while end > 0, head[end - 1] == " " { end -= 1 }
        var left: [Unicode.Scalar]
        if end >= 2, (head[end - 2] == "=" || head[end - 2] == "!") && head[end - 1] == "=" {
            left = Array(head[..<(end - 2)])
        } else if let open = head[..<end].lastIndex(of: "["), !head[(open + 1)..<end].contains("]") {
            var e = open
            while e > 0, head[e - 1] == " " { e -= 1 }
            guard e >= 2, head[e - 2] == "i", head[e - 1] == "n", e == 2 || head[e - 3] == " " else { return nil }
            left = Array(head[..<(e - 2)])
        } else {
            return nil
        }
        while let last = left.last, last == " " { left.removeLast() }
        guard let operand = Self.trailingOperand(left), let type = typeOf(operand) else { return nil }
        switch type {
        case .enumeration(let values): return values
        case .list(.enumeration(let values)): return values
        default: return nil
        }
    }
}

/// The ticket schema's fields at a path, in the schema's order, with their descriptions.
struct TicketFields {
    let schema: TicketSchema?

    /// The schema of the value at `path` (`ticket.customer`, `ticket.orders[x]`).
    func rules(at path: String) -> SchemaRules? {
        guard let schema else { return nil }
        var rules: [SchemaRules] = [schema.root]
        var text = Substring(path)
        guard text.hasPrefix("ticket") else { return nil }
        text = text.dropFirst("ticket".count)
        while !text.isEmpty {
            if text.first == "." {
                text = text.dropFirst()
                let name = text.prefix { $0 != "." && $0 != "[" }
                text = text.dropFirst(name.count)
                rules = rules.flatMap { expand($0) }.compactMap { r in
                    if let p = r.properties.first(where: { $0.0 == String(name) }) { return unwrap(p.1) }
                    return r.additionalSchema.map(unwrap)
                }
            } else if text.first == "[" {
                var depth = 0
                var n = 0
                for c in text { n += 1; if c == "[" { depth += 1 } else if c == "]" { depth -= 1; if depth == 0 { break } } }
                text = text.dropFirst(n)
                rules = rules.flatMap { expand($0) }.compactMap { r in (r.items ?? r.additionalSchema).map(unwrap) }
            } else {
                return nil
            }
        }
        return rules.first
    }

    private func unwrap(_ node: SchemaNode) -> SchemaRules {
        switch node { case .node(let r): return r }
    }

    /// The rules and those their `$ref` names.
    private func expand(_ rules: SchemaRules) -> [SchemaRules] {
        var result = [rules]
        var current = rules
        var seen = 0
        while let ref = current.ref, let schema, ref < schema.references.count, seen < 16 {
            current = schema.references[ref]
            result.append(current)
            seen += 1
        }
        return result
    }

    func order(at path: String) -> [String] {
        guard let r = rules(at: path) else { return [] }
        return expand(r).flatMap { $0.properties.map(\.0) }
    }

    func descriptions(at path: String) -> [String: String] {
        guard let r = rules(at: path) else { return [:] }
        var result: [String: String] = [:]
        for rules in expand(r) {
            for (name, node) in rules.properties where result[name] == nil {
                let field = expand(unwrap(node))
                if let d = field.lazy.compactMap(\.description).first { result[name] = d }
            }
        }
        return result
    }

    /// The description of the field at `path` itself.
    func description(of path: String) -> String? {
        guard let r = rules(at: path) else { return nil }
        return expand(r).lazy.compactMap(\.description).first
    }
}
