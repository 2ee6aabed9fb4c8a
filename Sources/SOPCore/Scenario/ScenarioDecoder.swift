import SOPDiagnostics
import SOPExpression
import SOPYAML

/// Decodes scenario test files, reporting structural problems like the SOP decoder does. Values
/// the runner compares or applies (tickets, inputs, expectations) are kept as `YAMLNode` trees.
struct ScenarioDecoder {
    let document: YAMLDocument
    var sink: DiagnosticSink

    enum TopKey: String, MappingKey {
        case sop, cases
        static let names = MappingKeyNames(TopKey.self)
    }

    enum CaseKey: String, MappingKey {
        case name, now, ticket, steps, expect
        static let names = MappingKeyNames(CaseKey.self)
    }

    enum StepKey: String, MappingKey {
        case input, event, ticket, advance, actor, check, expect, run
        static let names = MappingKeyNames(StepKey.self)
    }

    enum ExpectKey: String, MappingKey {
        case state, outcome, ticket, vars, path, outbox, error
        static let names = MappingKeyNames(ExpectKey.self)
    }

    enum ActorKey: String, MappingKey {
        case id, role
        static let names = MappingKeyNames(ActorKey.self)
    }

    init(document: YAMLDocument, file: String) {
        self.document = document
        sink = DiagnosticSink(file: file)
    }

    mutating func decode(_ root: YAMLNodeID) -> ScenarioFile? {
        guard document.isMapping(root) else {
            sink.report(document.span(root), WrongTypeRule.self,
                        "a scenario test file must be a mapping with 'sop' and 'cases', found \(document.kindDescription(root))")
            return nil
        }
        let r = MappingReader<TopKey>(document, root, owner: .testFile, ownerSpan: SourceSpan(at: document.span(root).start),
                                      into: &sink)
        let sop = r.required(.sop, &sink).flatMap { id($0, "sop") }
        var cases: [ScenarioCase] = []
        if let casesNode = r.required(.cases, &sink) {
            if document.isSequence(casesNode) {
                for (i, item) in document.items(casesNode).enumerated() {
                    if let c = decodeCase(item, number: i + 1) { cases.append(c) }
                }
            } else {
                sink.report(document.span(casesNode), WrongTypeRule.self,
                            "'cases' must be a list of cases, found \(document.kindDescription(casesNode))")
            }
        }
        guard let sop else { return nil }
        return ScenarioFile(sop: sop, cases: cases)
    }

    private mutating func decodeCase(_ node: YAMLNodeID, number: Int) -> ScenarioCase? {
        let span = document.span(node)
        guard document.isMapping(node) else {
            sink.report(span, WrongTypeRule.self, "case \(number) must be a mapping with 'name' and 'steps', found \(document.kindDescription(node))")
            return nil
        }
        let owner = MappingOwner.testCase(number)
        let r = MappingReader<CaseKey>(document, node, owner: owner, ownerSpan: SourceSpan(at: span.start), into: &sink)
        let name = r.required(.name, &sink).flatMap { document.isScalar($0) ? document.text($0) : nil } ?? owner.description
        var now: Int64?
        if let n = r.value(.now) {
            now = document.isScalar(n) ? CivilTime.parseDateTime(document.text(n)) : nil
            if now == nil {
                sink.report(document.span(n), WrongTypeRule.self,
                            "'now' must be an RFC 3339 datetime such as 2026-11-02T09:00:00Z, found \(document.kindDescription(n))")
            }
        }
        let ticket = r.value(.ticket)
        if let ticket, !document.isMapping(ticket) {
            sink.report(document.span(ticket), WrongTypeRule.self, "'ticket' must be a mapping of ticket fields, found \(document.kindDescription(ticket))")
        }
        var steps: [ScenarioStep] = []
        if let stepsNode = r.value(.steps) {
            if document.isSequence(stepsNode) {
                for (i, item) in document.items(stepsNode).enumerated() {
                    if let s = decodeStep(item, owner: .step(i + 1, testCase: number)) { steps.append(s) }
                }
            } else {
                sink.report(document.span(stepsNode), WrongTypeRule.self, "'steps' must be a list, found \(document.kindDescription(stepsNode))")
            }
        }
        let expect = r.value(.expect).flatMap { expectation($0) }
        return ScenarioCase(name: name, span: span, now: now,
                            ticket: ticket.flatMap { document.isMapping($0) ? document.node($0) : nil }, steps: steps,
                            expect: expect)
    }

    private mutating func decodeStep(_ node: YAMLNodeID, owner: MappingOwner) -> ScenarioStep? {
        let span = document.span(node)
        guard document.isMapping(node) else {
            sink.report(span, WrongTypeRule.self, "\(owner) must be a mapping (input, event, ticket or advance), found \(document.kindDescription(node))")
            return nil
        }
        let r = MappingReader<StepKey>(document, node, owner: owner, ownerSpan: SourceSpan(at: span.start), into: &sink)
        let kinds = [StepKey.event, .ticket, .advance].filter { r.has($0) }
        if kinds.count > 1, let second = r.keySpan(kinds[1], in: document) {
            sink.report(second, WrongTypeRule.self,
                        "a step is one of input, event, ticket or advance; \(owner) has \(kinds.map { "\($0)" }.joined(separator: " and "))",
                        help: "split it into separate steps")
        }
        var inputs: [(Located<String>, YAMLNode)] = []
        if let inputNode = r.value(.input) {
            if document.isMapping(inputNode) {
                for (key, value) in document.pairs(inputNode) {
                    if let id = id(key, "an input id") { inputs.append((id, document.node(value))) }
                }
            } else {
                sink.report(document.span(inputNode), WrongTypeRule.self,
                            "'input' must be a mapping of input ids to values, found \(document.kindDescription(inputNode))")
            }
        }
        let action: ScenarioStep.Action
        if let e = r.value(.event) {
            guard let event = id(e, "event") else { return nil }
            action = .event(event)
        } else if let t = r.value(.ticket) {
            guard document.isMapping(t) else {
                sink.report(document.span(t), WrongTypeRule.self, "'ticket' must be a mapping (a merge patch), found \(document.kindDescription(t))")
                return nil
            }
            action = .ticket(document.node(t))
        } else if let a = r.value(.advance) {
            guard document.isScalar(a), let ms = DurationFormat.parse(document.text(a)), ms >= 0 else {
                sink.report(document.span(a), WrongTypeRule.self, "'advance' must be a duration such as 15d or 2h, found \(document.kindDescription(a))")
                return nil
            }
            action = .advance(ms)
        } else if r.has(.input) {
            action = .input
        } else {
            sink.report(SourceSpan(at: span.start), MissingKeyRule.self, "\(owner) has no action",
                        help: "give it 'input', 'event', 'ticket' or 'advance'")
            return nil
        }
        var actor: ScenarioActor?
        if let a = r.value(.actor) {
            let ar = MappingReader<ActorKey>(document, a, owner: .actor, ownerSpan: r.keySpan(.actor, in: document) ?? document.span(a),
                                             into: &sink)
            if !document.isMapping(a) {
                sink.report(document.span(a), WrongTypeRule.self, "'actor' must be a mapping with 'id' and 'role', found \(document.kindDescription(a))")
            } else if let actorID = ar.required(.id, &sink).flatMap({ document.isScalar($0) ? document.text($0) : nil }),
                      let role = ar.required(.role, &sink).flatMap({ id($0, "role") }) {
                actor = ScenarioActor(id: actorID, role: role)
            }
        }
        var check: [Int]?
        if let c = r.value(.check) {
            if document.textEquals(c, "all") {
                check = []
            } else if document.isSequence(c), document.items(c).allSatisfy({ (document.int($0) ?? 0) >= 1 }) {
                check = document.items(c).compactMap { document.int($0) }
            } else {
                sink.report(document.span(c), WrongTypeRule.self,
                            "'check' must be 'all' or a list of checklist item numbers (from 1), found \(document.kindDescription(c))")
            }
        }
        let expect = r.value(.expect).flatMap { expectation($0) }
        var toChild = false
        if let target = r.value(.run) {
            if document.textEquals(target, "child") {
                toChild = true
            } else if !document.textEquals(target, "main") {
                sink.report(document.span(target), WrongTypeRule.self, "'run' must be main or child, found \(document.kindDescription(target))")
            }
        }
        return ScenarioStep(action: action, inputs: inputs, actor: actor, check: check, expect: expect, span: span, toChild: toChild)
    }

    private mutating func expectation(_ node: YAMLNodeID) -> ScenarioExpectation? {
        let span = document.span(node)
        guard document.isMapping(node) else {
            sink.report(span, WrongTypeRule.self, "'expect' must be a mapping, found \(document.kindDescription(node))")
            return nil
        }
        let r = MappingReader<ExpectKey>(document, node, owner: .expectation, ownerSpan: SourceSpan(at: span.start), into: &sink)
        var path: [Located<String>]?
        if let p = r.value(.path) {
            if document.isSequence(p) {
                path = document.items(p).compactMap { id($0, "a state in 'path'") }
            } else {
                sink.report(document.span(p), WrongTypeRule.self, "'path' must be a list of states, found \(document.kindDescription(p))")
            }
        }
        for key in [ExpectKey.ticket, .vars] {
            if let v = r.value(key), !document.isMapping(v) {
                sink.report(document.span(v), WrongTypeRule.self, "'\(key)' must be a mapping, found \(document.kindDescription(v))")
            }
        }
        if let o = r.value(.outbox), !document.isSequence(o), !document.isMapping(o), document.int(o) == nil {
            sink.report(document.span(o), WrongTypeRule.self, "'outbox' must be a count or a list of messages, found \(document.kindDescription(o))")
        }
        func mappingValue(_ key: ExpectKey) -> YAMLNode? {
            r.value(key).flatMap { document.isMapping($0) ? document.node($0) : nil }
        }
        return ScenarioExpectation(
            state: r.value(.state).flatMap { id($0, "state") }, outcome: r.value(.outcome).flatMap { id($0, "outcome") },
            ticket: mappingValue(.ticket), vars: mappingValue(.vars), path: path,
            outbox: r.value(.outbox).map(document.node),
            error: r.value(.error).flatMap { document.isScalar($0) ? document.text($0) : nil }, span: span)
    }

    private mutating func id(_ node: YAMLNodeID, _ key: String) -> Located<String>? {
        guard document.isScalar(node), !document.isNull(node) else {
            sink.report(document.span(node), WrongTypeRule.self, "\(SOPDecoder.name(key)) must be an id, found \(document.kindDescription(node))")
            return nil
        }
        let text = document.text(node)
        guard SOPIdentifier.isValid(text) else {
            sink.report(document.span(node), InvalidIDRule.self, "'\(text)' is not a valid id", help: SOPDecoder.idHelp)
            return nil
        }
        return Located(text, at: document.span(node))
    }
}

/// Loads scenario test files: bytes → YAML → model, with every diagnostic.
public enum ScenarioLoader {
    public static func load(_ source: SourceFile, limits: YAMLLimits = YAMLLimits()) -> (file: ScenarioFile?, diagnostics: [Diagnostic]) {
        let document = YAMLParser.parse(source, limits: limits)
        guard let root = document.root else {
            let parsed = document.diagnostics(file: source.path)
            let diagnostics = parsed.isEmpty
                ? [Diagnostic(file: source.path, span: .fileStart, rule: MissingKeyRule.self, message: "the test file holds no cases",
                              help: "a test file needs 'sop' and 'cases'")]
                : parsed
            return (nil, diagnostics)
        }
        var decoder = ScenarioDecoder(document: document, file: source.path)
        let file = decoder.decode(root)
        return (file, document.diagnostics(file: source.path) + decoder.sink.diagnostics)
    }
}
