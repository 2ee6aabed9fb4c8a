import SOPDiagnostics
import SOPExpression
import SOPYAML

/// Parses and type-checks every expression of an SOP (guards, `applies_when`, timers, `set`
/// values, templates in text, `initial` values) and maps each finding back to the file: the
/// rules `expression-syntax`, `unknown-field`, `unknown-variable`, `unknown-input`,
/// `unknown-function`, `type-mismatch` and `invalid-enum-value`.
struct ExpressionPass {
    let sop: SOPDefinition
    /// The human texts that hold templates, as the decoder found them.
    let templateTexts: [ExpressionText]
    let source: SourceFile
    let ticketType: ExprType?
    var sink: DiagnosticSink
    var checker: TypeChecker
    /// `set` paths already found valid, with the type they assign.
    private var validTargets: [String: ExprType] = [:]
    /// The inputs named in expressions that do not parse: what they read is not known, so each
    /// `input.NAME` written in them counts as read (no knock-on `unused-input`).
    private var unparsedInputReads: [String] = []

    init(sop: SOPDefinition, templateTexts: [ExpressionText], source: SourceFile, ticketType: ExprType?) {
        self.sop = sop
        self.templateTexts = templateTexts
        self.source = source
        self.ticketType = ticketType
        self.sink = DiagnosticSink(file: source.path)
        self.checker = TypeChecker(environment: sop.expressionEnvironment(ticket: ticketType))
    }

    /// What the pass found: diagnostics, the inputs that some expression reads, and the parsed
    /// guards by state and transition index.
    struct Outcome {
        var diagnostics: [Diagnostic]
        var inputsRead: [String]
        var guards: ParsedGuards
        var childOutcomeComparisons: [(outcome: String, span: SourceSpan, state: Int)]
    }

    /// Runs the pass.
    mutating func run() -> Outcome {
        var guards = ParsedGuards()
        var comparisons: [(outcome: String, span: SourceSpan, state: Int)] = []
        if let applies = sop.appliesWhen { condition(applies, what: "applies_when") }
        for v in sop.vars {
            if let initial = v.initial {
                literal(initial, expected: v.type.exprType(values: v.values.map(\.value)), what: "var.\(v.id.value)")
            }
        }
        for (s, state) in sop.states.enumerated() {
            actions(state.enter)
            guards.startState()
            for transition in state.transitions {
                var parsed: Expr?
                if let when = transition.when {
                    let before = checker.childOutcomesCompared.count
                    parsed = condition(when, what: "a guard")
                    for (outcome, range) in checker.childOutcomesCompared[before...] {
                        comparisons.append((outcome, span(range, in: when), s))
                    }
                }
                guards.append(parsed)
                if let after = transition.after, transition.business == nil { timer(after) }
                actions(transition.actions)
            }
        }
        for target in sop.sla?.targets ?? [] {
            // `by: ticket.priority`: any expression; its value (as text) picks the target's length.
            if case .by(let by, _, _) = target.length, let expr = parseExpression(by) {
                let before = checker.diagnostics.count
                _ = checker.check(expr)
                flush(from: before, in: by)
            }
        }
        for text in templateTexts { templateText(text) }
        let inputsRead = checker.inputsRead + unparsedInputReads.filter { !checker.inputsRead.contains($0) }
        return Outcome(diagnostics: sink.diagnostics, inputsRead: inputsRead, guards: guards,
                      childOutcomeComparisons: comparisons)
    }

    // MARK: Places

    @discardableResult
    private mutating func condition(_ text: ExpressionText, what: String) -> Expr? {
        guard let expr = parseExpression(text) else { return nil }
        let before = checker.diagnostics.count
        checker.checkCondition(expr, what: what)
        flush(from: before, in: text)
        return expr
    }

    private mutating func timer(_ text: ExpressionText) {
        if Template.containsTemplate(text.text) {
            guard let expr = parseExpression(text) else { return }
            let before = checker.diagnostics.count
            checker.check(expr, expecting: .duration, what: "'after'")
            flush(from: before, in: text)
        } else if DurationFormat.parse(text.text) == nil {
            sink.report(text.span, TypeMismatchRule.self, "'after' must be a duration such as 48h, 2d or 1h30m, found '\(text.text)'",
                        help: "units are w, d, h, m and s, largest first; or compute one with ${{ … }}")
        }
    }

    private mutating func actions(_ actions: [Action]) {
        for action in actions {
            switch action {
            case .set(let assignments):
                for assignment in assignments { set(assignment) }
            case .notify(_, let template):
                templateText(template)
            case .assign(_, let queue):
                if let queue { templateText(queue) }
            case .tag(let tags):
                for tag in tags { templateText(tag) }
                if let ticketType, case .object(let fields) = ticketType {
                    if let tagsType = fields["tags"] {
                        if case .list = tagsType {} else if tagsType != .any, let first = tags.first {
                            sink.report(first.span, TypeMismatchRule.self, "'tag' adds to ticket.tags, which the ticket schema declares as \(tagsType)",
                                        help: "declare tags as an array of strings in the ticket schema")
                        }
                    } else if let first = tags.first {
                        sink.report(first.span, UnknownFieldRule.self, "'tag' adds to ticket.tags, which the ticket schema does not declare",
                                    help: "add \"tags\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}} to the ticket schema")
                    }
                }
            case .start:
                break
            }
        }
    }

    private mutating func set(_ assignment: SetAssignment) {
        guard let target = setTarget(assignment.path) else { return }
        let path = assignment.path.value
        let value = assignment.value
        if let text = value.text, Template.containsTemplate(text.text) {
            guard case .success(let template) = parseTemplate(text) else { return }
            let before = checker.diagnostics.count
            if let single = template.singleExpression {
                checker.check(single, expecting: target, what: path)
            } else {
                template.forEach { checker.check($0) }
                if !ExprType.string.fits(target) {
                    sink.report(value.span, TypeMismatchRule.self, "\(path) expects \(target), but text with ${{ }} pieces is a string",
                                help: "use a single ${{ … }} to keep the expression's type")
                }
            }
            flush(from: before, in: text)
        } else {
            literal(value, expected: target, what: path)
        }
    }

    /// The type a `set` path assigns, or nil (with the problem reported) when it assigns nothing
    /// valid. SOPs set the same fields in many places, so a path found valid is remembered.
    private mutating func setTarget(_ located: Located<String>) -> ExprType? {
        let path = located.value
        if let known = validTargets[path] { return known }
        // The target is itself a path; check it as one so unknown fields get the usual message.
        guard case .success(let targetExpr) = ExpressionParser.parse(path), case .path(let root, let segments, _) = targetExpr else {
            sink.report(located.span, ExpressionSyntaxRule.self, "'\(path)' is not a path", help: "write ticket.FIELD or var.NAME")
            return nil
        }
        let before = checker.diagnostics.count
        let target = checker.check(targetExpr)
        flush(from: before, in: ExpressionText(text: path, location: ScalarLocation(span: located.span, style: .plain)))
        if checker.diagnostics.count > before { return nil }
        if root == .ticket && segments.isEmpty {
            sink.report(located.span, TypeMismatchRule.self, "'set' cannot replace the whole ticket", help: "set one field: ticket.FIELD")
            return nil
        }
        if root != .ticket && root != .var {
            sink.report(located.span, TypeMismatchRule.self, "'set' assigns ticket fields or run variables, not \(root.rawValue).*")
            return nil
        }
        validTargets[path] = target
        return target
    }

    /// Templates in human text: any type may be interpolated, but names and syntax must be right.
    private mutating func templateText(_ text: ExpressionText) {
        guard Template.containsTemplate(text.text) else { return }
        guard case .success(let template) = parseTemplate(text) else { return }
        let before = checker.diagnostics.count
        template.forEach { checker.check($0) }
        flush(from: before, in: text)
    }

    // MARK: Literals

    private mutating func literal(_ literal: Literal, expected: ExprType, what: String) {
        func mismatch(_ detail: String? = nil) {
            sink.report(literal.span, TypeMismatchRule.self, "\(what) expects \(expected), found \(literal.kindDescription)",
                        help: detail ?? "write a value of type \(expected)")
        }
        switch literal.value {
        case .null, .invalid: return  // null clears a value; the decoder reported an invalid one
        default: break
        }
        switch expected {
        case .any, .null, .object, .map:
            return
        case .string:
            if literal.written == nil { mismatch() }
        case .enumeration(let values):
            guard let s = literal.written else { return mismatch() }
            if !values.contains(s) {
                sink.report(literal.span, InvalidEnumValueRule.self, "'\(s)' is not a value of \(what); the values are \(values.joined(separator: ", "))",
                            help: Suggestions.didYouMean(s, in: values) ?? "use one of its values, or add '\(s)' to its values")
            }
        case .integer:
            guard case .int = literal.value else { return mismatch() }
        case .number:
            switch literal.value {
            case .int, .number: return
            default: mismatch()
            }
        case .boolean:
            guard case .bool = literal.value else { return mismatch("write true or false") }
        case .date:
            guard let text = literal.text?.text, CivilTime.parseDate(text) != nil else { return mismatch("write a date as YYYY-MM-DD") }
        case .datetime:
            guard let text = literal.text?.text, CivilTime.parseDateTime(text) != nil else {
                return mismatch("write an RFC 3339 datetime such as 2026-11-02T09:00:00Z")
            }
        case .duration:
            guard let text = literal.written, DurationFormat.parse(text) != nil else { return mismatch("write a duration such as 48h") }
        case .list(let element):
            guard case .list(let items) = literal.value else { return mismatch("write a list, e.g. [a, b]") }
            for item in items { self.literal(item, expected: element, what: "an item of \(what)") }
        }
    }

    // MARK: Parsing and positions

    /// A guard or timer: either a bare expression or one `${{ … }}`.
    private mutating func parseExpression(_ text: ExpressionText) -> Expr? {
        if Template.containsTemplate(text.text) {
            guard case .success(let template) = parseTemplate(text) else { return nil }
            guard let single = template.singleExpression else {
                sink.report(text.span, ExpressionSyntaxRule.self, "an expression cannot mix text and ${{ }} pieces",
                            help: "write the expression alone, with or without ${{ }}")
                return nil
            }
            return single
        }
        switch ExpressionParser.parse(text.text) {
        case .success(let expr): return expr
        case .failure(let error):
            report(error, in: text)
            return nil
        }
    }

    private mutating func parseTemplate(_ text: ExpressionText) -> Result<Template.Expressions, ExpressionError> {
        let result = Template.parseExpressions(text.text)
        if case .failure(let error) = result { report(error, in: text) }
        return result
    }

    private mutating func report(_ error: ExpressionError, in text: ExpressionText) {
        for name in Self.inputsNamed(in: text.text) where !unparsedInputReads.contains(name) { unparsedInputReads.append(name) }
        sink.diagnostics.append(Diagnostic(file: source.path, span: span(error.range, in: text), rule: LintRules.rule(for: error.kind),
                                           message: error.message, help: error.help))
    }

    private mutating func flush(from index: Int, in text: ExpressionText) {
        for d in checker.diagnostics[index...] {
            sink.diagnostics.append(Diagnostic(file: source.path, span: span(d.range, in: text), rule: LintRules.rule(for: d.kind),
                                               message: d.message, help: d.help))
        }
    }

    /// The NAMEs of `input.NAME` written in a text, found by its characters alone (the text may
    /// not parse).
    static func inputsNamed(in text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        let prefix = Array("input.".unicodeScalars)
        func isNameScalar(_ c: Unicode.Scalar) -> Bool { c == "_" || c == "-" || c.properties.isAlphabetic || ("0"..."9").contains(c) }
        var names: [String] = []
        var i = 0
        while i + prefix.count <= scalars.count {
            if Array(scalars[i..<i + prefix.count]) == prefix, i == 0 || !(isNameScalar(scalars[i - 1]) || scalars[i - 1] == ".") {
                var end = i + prefix.count
                while end < scalars.count, isNameScalar(scalars[end]) { end += 1 }
                if end > i + prefix.count {
                    var name = String(String.UnicodeScalarView(scalars[(i + prefix.count)..<end]))
                    while name.hasSuffix("-") { name.removeLast() }
                    if !name.isEmpty, !names.contains(name) { names.append(name) }
                }
                i = end
            } else {
                i += 1
            }
        }
        return names
    }

    private func span(_ range: Range<Int>, in text: ExpressionText) -> SourceSpan {
        text.span(of: range, in: source)
    }
}

/// The parsed `when` of every transition, by state and transition index (nil: no guard, or one
/// that does not parse). One flat list, not a list per state.
struct ParsedGuards {
    private var guards: [Expr?] = []
    private var stateStarts: [Int] = []

    /// Begins the guards of the next state.
    mutating func startState() { stateStarts.append(guards.count) }

    /// Adds the guard of the current state's next transition.
    mutating func append(_ guardExpression: Expr?) { guards.append(guardExpression) }

    subscript(state: Int, transition: Int) -> Expr? { guards[stateStarts[state] + transition] }
}
