import SOPDiagnostics
import SOPExpression
import SOPYAML

/// Decodes scenario test files, reporting structural problems like the SOP decoder does.
struct ScenarioDecoder {
    var sink: DiagnosticSink

    static let topKeys = ["sop", "cases"]
    static let caseKeys = ["name", "now", "ticket", "steps", "expect"]
    static let stepKeys = ["input", "event", "ticket", "advance", "actor", "check", "expect", "run"]
    static let expectKeys = ["state", "outcome", "ticket", "vars", "path", "outbox", "error"]

    init(file: String) {
        sink = DiagnosticSink(file: file)
    }

    mutating func decode(_ root: YAMLNode) -> ScenarioFile? {
        guard root.mapping != nil else {
            sink.report(root.span, .wrongType, "a scenario test file must be a mapping with 'sop' and 'cases', found \(root.kindDescription)")
            return nil
        }
        let r = MappingReader(root, owner: "the test file", ownerSpan: SourceSpan(at: root.span.start), allowed: Self.topKeys, into: &sink)
        let sop = r.required("sop", &sink).flatMap { id($0, "sop") }
        var cases: [ScenarioCase] = []
        if let casesNode = r.required("cases", &sink) {
            if let items = casesNode.sequence {
                for (i, item) in items.enumerated() { if let c = decodeCase(item, number: i + 1) { cases.append(c) } }
            } else {
                sink.report(casesNode.span, .wrongType, "'cases' must be a list of cases, found \(casesNode.kindDescription)")
            }
        }
        guard let sop else { return nil }
        return ScenarioFile(sop: sop, cases: cases)
    }

    private mutating func decodeCase(_ node: YAMLNode, number: Int) -> ScenarioCase? {
        guard node.mapping != nil else {
            sink.report(node.span, .wrongType, "case \(number) must be a mapping with 'name' and 'steps', found \(node.kindDescription)")
            return nil
        }
        let owner = "case \(number)"
        let r = MappingReader(node, owner: owner, ownerSpan: SourceSpan(at: node.span.start), allowed: Self.caseKeys, into: &sink)
        let name = r.required("name", &sink).flatMap { $0.scalar?.text } ?? owner
        var now: Int64?
        if let n = r.value("now") {
            now = n.scalar.flatMap { CivilTime.parseDateTime($0.text) }
            if now == nil {
                sink.report(n.span, .wrongType, "'now' must be an RFC 3339 datetime such as 2026-11-02T09:00:00Z, found \(n.kindDescription)")
            }
        }
        let ticket = r.value("ticket")
        if let ticket, ticket.mapping == nil {
            sink.report(ticket.span, .wrongType, "'ticket' must be a mapping of ticket fields, found \(ticket.kindDescription)")
        }
        var steps: [ScenarioStep] = []
        if let stepsNode = r.value("steps") {
            if let items = stepsNode.sequence {
                for (i, item) in items.enumerated() { if let s = decodeStep(item, owner: "step \(i + 1) of \(owner)") { steps.append(s) } }
            } else {
                sink.report(stepsNode.span, .wrongType, "'steps' must be a list, found \(stepsNode.kindDescription)")
            }
        }
        let expect = r.value("expect").flatMap { expectation($0) }
        return ScenarioCase(name: name, span: node.span, now: now, ticket: ticket?.mapping != nil ? ticket : nil, steps: steps,
                            expect: expect)
    }

    private mutating func decodeStep(_ node: YAMLNode, owner: String) -> ScenarioStep? {
        guard node.mapping != nil else {
            sink.report(node.span, .wrongType, "\(owner) must be a mapping (input, event, ticket or advance), found \(node.kindDescription)")
            return nil
        }
        let r = MappingReader(node, owner: owner, ownerSpan: SourceSpan(at: node.span.start), allowed: Self.stepKeys, into: &sink)
        let kinds = ["event", "ticket", "advance"].filter { r.has($0) }
        if kinds.count > 1, let second = r.keySpan(kinds[1]) {
            sink.report(second, .wrongType, "a step is one of input, event, ticket or advance; \(owner) has \(kinds.joined(separator: " and "))",
                        help: "split it into separate steps")
        }
        var inputs: [(Located<String>, YAMLNode)] = []
        if let inputNode = r.value("input") {
            if let pairs = inputNode.mapping {
                for pair in pairs { if let key = id(pair.key, "an input id") { inputs.append((key, pair.value)) } }
            } else {
                sink.report(inputNode.span, .wrongType, "'input' must be a mapping of input ids to values, found \(inputNode.kindDescription)")
            }
        }
        let action: ScenarioStep.Action
        if let e = r.value("event") {
            guard let event = id(e, "event") else { return nil }
            action = .event(event)
        } else if let t = r.value("ticket") {
            guard t.mapping != nil else {
                sink.report(t.span, .wrongType, "'ticket' must be a mapping (a merge patch), found \(t.kindDescription)")
                return nil
            }
            action = .ticket(t)
        } else if let a = r.value("advance") {
            guard let ms = a.scalar.flatMap({ DurationFormat.parse($0.text) }), ms >= 0 else {
                sink.report(a.span, .wrongType, "'advance' must be a duration such as 15d or 2h, found \(a.kindDescription)")
                return nil
            }
            action = .advance(ms)
        } else if r.has("input") {
            action = .input
        } else {
            sink.report(SourceSpan(at: node.span.start), .missingKey, "\(owner) has no action",
                        help: "give it 'input', 'event', 'ticket' or 'advance'")
            return nil
        }
        var actor: ScenarioActor?
        if let a = r.value("actor") {
            let ar = MappingReader(a, owner: "'actor'", ownerSpan: r.keySpan("actor") ?? a.span, allowed: ["id", "role"], into: &sink)
            if a.mapping == nil {
                sink.report(a.span, .wrongType, "'actor' must be a mapping with 'id' and 'role', found \(a.kindDescription)")
            } else if let actorID = ar.required("id", &sink)?.scalar?.text, let role = ar.required("role", &sink).flatMap({ id($0, "role") }) {
                actor = ScenarioActor(id: actorID, role: role)
            }
        }
        var check: [Int]?
        if let c = r.value("check") {
            if c.scalar?.text == "all" {
                check = []
            } else if let items = c.sequence, items.allSatisfy({ if case .int(let i)? = $0.scalar?.resolved { return i >= 1 } else { return false } }) {
                check = items.compactMap { if case .int(let i)? = $0.scalar?.resolved { return i } else { return nil } }
            } else {
                sink.report(c.span, .wrongType, "'check' must be 'all' or a list of checklist item numbers (from 1), found \(c.kindDescription)")
            }
        }
        let expect = r.value("expect").flatMap { expectation($0) }
        var toChild = false
        if let target = r.value("run") {
            switch target.scalar?.text {
            case "child": toChild = true
            case "main": toChild = false
            default: sink.report(target.span, .wrongType, "'run' must be main or child, found \(target.kindDescription)")
            }
        }
        return ScenarioStep(action: action, inputs: inputs, actor: actor, check: check, expect: expect, span: node.span, toChild: toChild)
    }

    private mutating func expectation(_ node: YAMLNode) -> ScenarioExpectation? {
        guard node.mapping != nil else {
            sink.report(node.span, .wrongType, "'expect' must be a mapping, found \(node.kindDescription)")
            return nil
        }
        let r = MappingReader(node, owner: "'expect'", ownerSpan: SourceSpan(at: node.span.start), allowed: Self.expectKeys, into: &sink)
        var path: [Located<String>]?
        if let p = r.value("path") {
            if let items = p.sequence { path = items.compactMap { id($0, "a state in 'path'") } } else {
                sink.report(p.span, .wrongType, "'path' must be a list of states, found \(p.kindDescription)")
            }
        }
        for key in ["ticket", "vars"] {
            if let v = r.value(key), v.mapping == nil {
                sink.report(v.span, .wrongType, "'\(key)' must be a mapping, found \(v.kindDescription)")
            }
        }
        if let o = r.value("outbox"), o.sequence == nil, o.mapping == nil {
            if case .int = o.scalar?.resolved {} else {
                sink.report(o.span, .wrongType, "'outbox' must be a count or a list of messages, found \(o.kindDescription)")
            }
        }
        return ScenarioExpectation(
            state: r.value("state").flatMap { id($0, "state") }, outcome: r.value("outcome").flatMap { id($0, "outcome") },
            ticket: r.value("ticket").flatMap { $0.mapping != nil ? $0 : nil },
            vars: r.value("vars").flatMap { $0.mapping != nil ? $0 : nil }, path: path,
            outbox: r.value("outbox"), error: r.value("error")?.scalar?.text, span: node.span)
    }

    private mutating func id(_ node: YAMLNode, _ key: String) -> Located<String>? {
        guard let s = node.scalar, s.resolved != .null else {
            sink.report(node.span, .wrongType, "\(SOPDecoder.name(key)) must be an id, found \(node.kindDescription)")
            return nil
        }
        guard SOPIdentifier.isValid(s.text) else {
            sink.report(node.span, .invalidID, "'\(s.text)' is not a valid id", help: SOPDecoder.idHelp)
            return nil
        }
        return Located(s.text, at: node.span)
    }
}

/// Loads scenario test files: bytes → YAML → model, with every diagnostic.
public enum ScenarioLoader {
    public static func load(_ source: SourceFile, limits: YAMLLimits = YAMLLimits()) -> (file: ScenarioFile?, diagnostics: [Diagnostic]) {
        let document = YAMLParser.parse(source, limits: limits)
        guard let root = document.root else {
            let diagnostics = document.diagnostics.isEmpty
                ? [Diagnostic(file: source.path, span: .fileStart, rule: .missingKey, message: "the test file holds no cases",
                              help: "a test file needs 'sop' and 'cases'")]
                : document.diagnostics
            return (nil, diagnostics)
        }
        var decoder = ScenarioDecoder(file: source.path)
        let file = decoder.decode(root)
        return (file, document.diagnostics + decoder.sink.diagnostics)
    }
}
