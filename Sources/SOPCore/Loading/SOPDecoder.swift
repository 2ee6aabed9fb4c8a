import SOPDiagnostics
import SOPExpression
import SOPYAML

/// Decodes the SOP model from a parsed YAML document, reporting every structural problem it
/// meets rather than stopping at the first. It returns a definition whenever the parts every
/// later analysis needs (`sop`, `start`, `states`) could be read.
///
/// It reads the document's nodes in place and makes a `String` only for what the model keeps;
/// message text is built only when there is something to report.
struct SOPDecoder {
    let document: YAMLDocument
    var sink: DiagnosticSink
    /// Human texts that hold `${{ }}` templates (titles, instructions, checklist items, prompts,
    /// labels), collected as `text(_:key:)` decodes them, for the linter to check. They are not
    /// part of the model: at run time the texts are rendered from the model's strings.
    private(set) var templateTexts: [ExpressionText] = []
    /// Where each decoded state is written, from its id to the end of its body, in the order of
    /// the model's states: the linter's knock-on rule reads it (docs/decisions.md).
    private(set) var stateSpans: [SourceSpan] = []

    enum TopKey: String, MappingKey {
        case sop, version, title, description, category, applies_when, roles, vars, start, states, sla
        static let names = MappingKeyNames(TopKey.self)
    }

    enum StateKey: String, MappingKey {
        case title, instructions, checklist, inputs, role, enter, transitions, call, end
        static let names = MappingKeyNames(StateKey.self)
    }

    enum TransitionKey: String, MappingKey {
        case to, on, after, when, label, role, `do`
        static let names = MappingKeyNames(TransitionKey.self)
    }

    enum SLAKey: String, MappingKey {
        case calendar, targets
        static let names = MappingKeyNames(SLAKey.self)
    }

    enum SLATargetKey: String, MappingKey {
        case calendar, target, start, pause, stop, warning
        static let names = MappingKeyNames(SLATargetKey.self)
    }

    enum SLALengthKey: String, MappingKey {
        case by, values, `default`
        static let names = MappingKeyNames(SLALengthKey.self)
    }

    /// `sla.calendar`: the calendar of business timers that name none.
    private var defaultCalendar: Located<String>?
    /// Inputs whose declaration did not decode, by name (`SOPDefinition.undecodedInputs`).
    private var undecodedInputs: [String] = []

    enum BusinessTimerKey: String, MappingKey {
        case business, calendar
        static let names = MappingKeyNames(BusinessTimerKey.self)
    }

    enum InputKey: String, MappingKey {
        // Spelled as the YAML keys are: a key enum's case names are its keys.
        case type, prompt, required, values, min, max, min_length, max_length, pattern, scope
        static let names = MappingKeyNames(InputKey.self)
    }

    enum FieldKey: String, MappingKey {
        case type, values, initial
        static let names = MappingKeyNames(FieldKey.self)
    }

    enum EnumValueKey: String, MappingKey {
        case value, label
        static let names = MappingKeyNames(EnumValueKey.self)
    }

    enum NotifyKey: String, MappingKey {
        case to, template
        static let names = MappingKeyNames(NotifyKey.self)
    }

    enum AssignKey: String, MappingKey {
        case role, queue
        static let names = MappingKeyNames(AssignKey.self)
    }

    enum StartKey: String, MappingKey {
        case sop
        static let names = MappingKeyNames(StartKey.self)
    }

    static let actionKeys = ["set", "notify", "assign", "tag", "start"]

    init(document: YAMLDocument, file: String) {
        self.document = document
        sink = DiagnosticSink(file: file)
    }

    // MARK: Top level

    mutating func decode(_ root: YAMLNodeID) -> SOPDefinition? {
        let requiredHelp = "an SOP needs at least 'sop', 'version', 'title', 'start' and 'states'"
        if document.isNull(root) {
            sink.report(document.span(root), MissingKeyRule.self, "the file holds no SOP", help: requiredHelp)
            return nil
        }
        guard document.isMapping(root) else {
            sink.report(document.span(root), WrongTypeRule.self,
                        "the top level of an SOP file must be a mapping, found \(document.kindDescription(root))",
                        help: requiredHelp)
            return nil
        }
        let r = MappingReader<TopKey>(document, root, owner: .sop, ownerSpan: SourceSpan(at: document.span(root).start),
                                      into: &sink)
        let id = r.required(.sop, &sink).flatMap { self.id($0, key: "sop") }
        let version = r.required(.version, &sink).flatMap { positiveInteger($0, key: "version") }
        let title = r.required(.title, &sink, help: "add 'title: …', the name agents see").flatMap { text($0, key: "title") }
        let description = r.value(.description).flatMap { text($0, key: "description") }
        let category = r.value(.category).flatMap { decodeCategory($0) }
        let appliesWhen = r.value(.applies_when).flatMap { expression($0, key: "applies_when") }
        let roles = r.value(.roles).map { ids($0, key: "roles") }
        let vars = r.value(.vars).map { fieldSpecs($0) } ?? []
        let firstState = r.value(.states).flatMap { document.firstPair($0) }.map { document.text($0.key) }
        let start = r.required(.start, &sink, help: "add 'start: \(firstState ?? "STATE")', the state a run begins in")
            .flatMap { self.id($0, key: "start") }
        // Before the states: its calendar is the one of business timers that name none.
        let sla = r.value(.sla).flatMap { slaPolicy($0) }
        defaultCalendar = sla?.calendar
        let states = r.required(.states, &sink).flatMap { self.states($0) }

        guard let id, let start, let states else { return nil }
        return SOPDefinition(
            id: id, version: version ?? 1, title: title ?? id.value, description: description, category: category,
            appliesWhen: appliesWhen,
            roles: roles ?? SOPDefinition.defaultRoles.map { Located($0, at: id.span) },
            vars: vars, start: start, states: states, sla: sla, undecodedInputs: undecodedInputs)
    }

    // MARK: SLA targets

    private mutating func slaPolicy(_ node: YAMLNodeID) -> SLAPolicy? {
        guard mapping(node, key: "'sla'", expected: "a mapping with 'targets' (and a default 'calendar')") else { return nil }
        let r = MappingReader<SLAKey>(document, node, owner: .sla, ownerSpan: SourceSpan(at: document.span(node).start), into: &sink)
        let calendar = r.value(.calendar).flatMap { id($0, key: "calendar") }
        var targets: [SLATarget] = []
        if let list = r.value(.targets), mapping(list, key: "'targets'", expected: "a mapping of target ids to targets") {
            for (key, value) in document.pairs(list) {
                guard let id = id(key, key: "an SLA target id") else { continue }
                if let target = slaTarget(value, id: id, defaultCalendar: calendar) { targets.append(target) }
            }
        }
        return SLAPolicy(calendar: calendar, targets: targets)
    }

    private mutating func slaTarget(_ node: YAMLNodeID, id: Located<String>, defaultCalendar: Located<String>?) -> SLATarget? {
        let owner = MappingOwner.slaTarget(id.value)
        guard mapping(node, key: owner, expected: "a mapping with 'target' and 'stop'") else { return nil }
        let r = MappingReader<SLATargetKey>(document, node, owner: owner, ownerSpan: id.span, into: &sink)
        let calendar = r.value(.calendar).flatMap { self.id($0, key: "calendar") }
        if calendar == nil, defaultCalendar == nil, !r.has(.calendar) {
            sink.report(id.span, MissingKeyRule.self, "SLA target '\(id.value)' has no calendar",
                        help: "give it 'calendar: ID', or give 'sla' a 'calendar' for all its targets")
        }
        let length = r.required(.target, &sink, help: "give the business time allowed: target: 4h").flatMap { slaLength($0, owner: id.value) }
        let start = r.value(.start).map { ids($0, key: "start") } ?? []
        let pause = r.value(.pause).map { ids($0, key: "pause") } ?? []
        let stop = r.required(.stop, &sink, help: "list the states whose entry stops the clock: stop: [resolved]").map { ids($0, key: "stop") } ?? []
        var warning: Int?
        if let w = r.value(.warning) {
            let text = document.isScalar(w) ? document.text(w) : ""
            if text.hasSuffix("%"), let n = Int(text.dropLast()), n > 0, n < 100 {
                warning = n
            } else {
                sink.report(document.span(w), WrongTypeRule.self,
                            "'warning' must be a percentage of the target between 1% and 99%, found "
                                + (document.isScalar(w) ? "'\(text)'" : document.kindDescription(w)),
                            help: "warning: 75% warns when three quarters of the target have passed")
            }
        }
        guard let length else { return nil }
        return SLATarget(id: id, calendar: calendar, length: length, start: start, pause: pause, stop: stop, warningPercent: warning)
    }

    private mutating func slaLength(_ node: YAMLNodeID, owner: String) -> SLALength? {
        if !document.isMapping(node) { return businessDuration(node, key: "target").map(SLALength.fixed) }
        let r = MappingReader<SLALengthKey>(document, node, owner: .slaLength(owner), ownerSpan: SourceSpan(at: document.span(node).start),
                                            into: &sink)
        guard let by = r.required(.by, &sink, help: "name the ticket field the target depends on: by: ticket.priority")
            .flatMap({ expression($0, key: "by") }) else { return nil }
        var values: [SLAValue] = []
        if let list = r.required(.values, &sink, help: "give a duration per value: values: {urgent: 1h, high: 4h}"),
           mapping(list, key: "'values'", expected: "a mapping of values to business durations") {
            for (key, value) in document.pairs(list) {
                guard document.isScalar(key), !document.isNull(key) else { continue }
                if let duration = businessDuration(value, key: "a target") {
                    values.append(SLAValue(value: Located(document.text(key), at: document.span(key)), duration: duration))
                }
            }
        }
        let fallback = r.value(.default).flatMap { businessDuration($0, key: "default") }
        return .by(by, values: values, default: fallback)
    }

    /// A literal business duration (`4h`, `5d`, `2d 4h`), or a `wrong-type` error.
    private mutating func businessDuration(_ node: YAMLNodeID, key: String) -> Located<String>? {
        guard document.isScalar(node), !document.isNull(node), BusinessDuration.parse(document.text(node)) != nil else {
            let found = document.isScalar(node) ? "'\(document.text(node))'" : document.kindDescription(node)
            sink.report(document.span(node), WrongTypeRule.self,
                        "\(Self.name(key)) must be a business duration such as 4h, 1h30m, 5d or 2d 4h, found \(found)",
                        help: "business days are 'd'; weeks are not business time: write 5d")
            return nil
        }
        return Located(document.text(node), at: document.span(node))
    }

    /// The case of `Word` that a string scalar spells, matched as bytes (no `String` is built and
    /// no search over the case names is made); nil when it spells none.
    private func word<Word: MappingKey>(_ node: YAMLNodeID, _: Word.Type) -> Word? {
        guard document.scalarType(node) == .string,
              let slot = document.withUTF8(node, { Word.names.index(of: $0) }) else { return nil }
        return Word.allCases[slot]
    }

    /// A known category, or a team's own: any id, with a warning naming the known ones (reports
    /// and routing group an unknown category on its own).
    private mutating func decodeCategory(_ node: YAMLNodeID) -> String? {
        if let known = word(node, SOPCategory.self) { return known.rawValue }
        let names = SOPCategory.allCases.map(\.rawValue)
        guard let value = document.string(node), SOPIdentifier.isValid(value) else {
            sink.report(document.span(node), WrongTypeRule.self,
                        "'category' must be one of \(Self.list(names)), or an id of your own, found "
                            + (document.string(node).map { "'\($0)'" } ?? document.kindDescription(node)))
            return nil
        }
        sink.report(document.span(node), UnknownCategoryRule.self,
                    "category '\(value)' is not one of \(Self.list(names)); reports will group it on its own",
                    help: Suggestions.didYouMean(value, in: names) ?? "keep it if your team uses it, or use one of the known ones: \(names.joined(separator: ", "))")
        return value
    }

    private mutating func fieldSpecs(_ node: YAMLNodeID) -> [FieldSpec] {
        guard mapping(node, key: "'vars'", expected: "a mapping of variable ids to their specs") else { return [] }
        var specs: [FieldSpec] = []
        specs.reserveCapacity(document.count(node))
        for (key, value) in document.pairs(node) {
            guard let id = id(key, key: "a variable id") else { continue }
            let owner = MappingOwner.variable(id.value)
            guard mapping(value, key: owner, expected: "a mapping with 'type'") else { continue }
            let r = MappingReader<FieldKey>(document, value, owner: owner, ownerSpan: id.span, into: &sink)
            guard let type = r.required(.type, &sink).flatMap({ valueType($0) }) else { continue }
            let (values, labels) = enumValues(r.value(.values), keySpan: r.keySpan(.values, in: document), ownerSpan: r.ownerSpan,
                                    type: type, owner: owner)
            specs.append(FieldSpec(id: id, type: type, values: values, labels: labels, initial: r.value(.initial).map { literal($0, what: "var.\(id.value)") }))
        }
        return specs
    }

    // MARK: States

    private mutating func states(_ node: YAMLNodeID) -> [StateDefinition]? {
        guard mapping(node, key: "'states'", expected: "a mapping of state ids to states") else { return nil }
        if document.count(node) == 0 {
            sink.report(document.span(node), MissingKeyRule.self, "'states' is empty; an SOP needs at least one state")
            return nil
        }
        var result: [StateDefinition] = []
        result.reserveCapacity(document.count(node))
        for (key, value) in document.pairs(node) {
            guard let id = id(key, key: "a state id") else { continue }
            if let state = state(value, id: id) {
                result.append(state)
                stateSpans.append(SourceSpan(start: id.span.start, end: max(id.span.end, document.span(value).end)))
            }
        }
        return result
    }

    private mutating func state(_ node: YAMLNodeID, id: Located<String>) -> StateDefinition? {
        let owner = MappingOwner.state(id.value)
        guard mapping(node, key: owner, expected: "a mapping with at least 'title'") else { return nil }
        let r = MappingReader<StateKey>(document, node, owner: owner, ownerSpan: id.span, into: &sink)
        let title = r.required(.title, &sink, help: "add 'title: …', a short label for the state").flatMap { text($0, key: "title") }
        let instructions = r.value(.instructions).flatMap { text($0, key: "instructions") }
        let checklist = r.value(.checklist).map { texts($0, key: "checklist") } ?? []
        let inputs = r.value(.inputs).map { inputSpecs($0) } ?? []
        let role = r.value(.role).flatMap { self.id($0, key: "role") }
        let enter = r.value(.enter).map { actions($0, key: "enter") } ?? []
        let transitions = r.value(.transitions).map { self.transitions($0, state: id.value) } ?? []
        let call = r.value(.call).flatMap { self.id($0, key: "call") }
        let end = r.value(.end).flatMap { self.id($0, key: "end") }
        return StateDefinition(id: id, title: title ?? id.value, instructions: instructions, checklist: checklist,
                               inputs: inputs, role: role, enter: enter, transitions: transitions, call: call, end: end)
    }

    private mutating func inputSpecs(_ node: YAMLNodeID) -> [InputSpec] {
        guard mapping(node, key: "'inputs'", expected: "a mapping of input ids to their specs") else {
            // Written as a list (`- amount: {…}`): the names are still what the author declared.
            for item in document.items(node) {
                if let (key, _) = document.firstPair(item), let name = document.string(key) { undecodedInputs.append(name) }
            }
            return []
        }
        var specs: [InputSpec] = []
        specs.reserveCapacity(document.count(node))
        for (key, value) in document.pairs(node) {
            guard let id = id(key, key: "an input id") else { continue }
            let owner = MappingOwner.input(id.value)
            guard mapping(value, key: owner, expected: "a mapping with 'type'") else { undecodedInputs.append(id.value); continue }
            let r = MappingReader<InputKey>(document, value, owner: owner, ownerSpan: id.span, into: &sink)
            let prompt = r.value(.prompt).flatMap { text($0, key: "prompt") }
            guard let type = r.required(.type, &sink).flatMap({ valueType($0) }) else { undecodedInputs.append(id.value); continue }
            let (values, labels) = enumValues(r.value(.values), keySpan: r.keySpan(.values, in: document), ownerSpan: r.ownerSpan,
                                    type: type, owner: owner)
            let min = bound(r, .min, type: type, owner: owner)
            let max = bound(r, .max, type: type, owner: owner)
            if let min, let max, min > max, let maxNode = r.value(.max) {
                sink.report(document.span(maxNode), WrongTypeRule.self, "'max' of \(owner) is below its 'min'", help: "swap 'min' and 'max'")
            }
            let required = r.value(.required).flatMap { boolean($0, key: "required") } ?? true
            let minLength = length(r, .min_length, type: type, owner: owner)
            let maxLength = length(r, .max_length, type: type, owner: owner)
            if let minLength, let maxLength, minLength > maxLength, let maxNode = r.value(.max_length) {
                sink.report(document.span(maxNode), WrongTypeRule.self, "'max_length' of \(owner) is below its 'min_length'",
                            help: "swap 'min_length' and 'max_length'")
            }
            let pattern = pattern(r, type: type, owner: owner)
            let scope = r.value(.scope).flatMap { inputScope($0, owner: owner) } ?? .run
            specs.append(InputSpec(id: id, type: type, prompt: prompt, required: required, values: values, labels: labels, min: min,
                                   max: max, minLength: minLength, maxLength: maxLength, pattern: pattern, scope: scope))
        }
        return specs
    }

    /// `scope` of an input: `run` or `visit`.
    private mutating func inputScope(_ node: YAMLNodeID, owner: MappingOwner) -> InputScope? {
        if let known = word(node, InputScope.self) { return known }
        let names = InputScope.allCases.map(\.rawValue)
        let found = document.string(node).map { "'\($0)'" } ?? document.kindDescription(node)
        sink.report(document.span(node), WrongTypeRule.self, "'scope' of \(owner) must be one of \(Self.list(names)), found \(found)",
                    help: document.string(node).flatMap { Suggestions.didYouMean($0, in: names) }
                        ?? "'run' keeps the answer for the rest of the run; 'visit' until the run next enters this state")
        return nil
    }

    /// `min` or `max` of an input: a number, for integer and number inputs only.
    private mutating func bound(_ r: MappingReader<InputKey>, _ key: InputKey, type: ValueType, owner: MappingOwner) -> Double? {
        guard let n = r.value(key) else { return nil }
        let name = key.rawValue
        if type != .integer && type != .number {
            sink.report(r.keySpan(key, in: document) ?? document.span(n), WrongTypeRule.self,
                        "'\(name)' applies to integer and number inputs, but \(owner) is of type \(type.rawValue)",
                        help: "remove '\(name)'")
        }
        return number(n, key: name)
    }

    /// `min_length` or `max_length` of an input: a whole number of characters, for string inputs.
    private mutating func length(_ r: MappingReader<InputKey>, _ key: InputKey, type: ValueType, owner: MappingOwner) -> Int? {
        guard let n = r.value(key) else { return nil }
        let name = key.rawValue
        if type != .string {
            sink.report(r.keySpan(key, in: document) ?? document.span(n), WrongTypeRule.self,
                        "'\(name)' applies to string inputs, but \(owner) is of type \(type.rawValue)", help: "remove '\(name)'")
        }
        guard let value = document.int(n), value >= 0 else {
            sink.report(document.span(n), WrongTypeRule.self, "'\(name)' must be a whole number of characters (0 or more), found \(document.kindDescription(n))")
            return nil
        }
        return value
    }

    /// `pattern` of an input: a regular expression, for string inputs.
    private mutating func pattern(_ r: MappingReader<InputKey>, type: ValueType, owner: MappingOwner) -> String? {
        guard let node = r.value(.pattern) else { return nil }
        if type != .string {
            sink.report(r.keySpan(.pattern, in: document) ?? document.span(node), WrongTypeRule.self,
                        "'pattern' applies to string inputs, but \(owner) is of type \(type.rawValue)", help: "remove 'pattern'")
        }
        guard document.isScalar(node), !document.isNull(node) else {
            sink.report(document.span(node), WrongTypeRule.self, "'pattern' must be a regular expression written as text, found \(document.kindDescription(node))")
            return nil
        }
        let text = document.text(node)
        if let problem = InputPattern.problem(text) {
            sink.report(document.span(node), InvalidPatternRule.self, "'pattern' of \(owner) is not a valid regular expression: \(problem)",
                        help: Self.patternHelp(problem))
            return nil
        }
        return text
    }

    /// `values` of an enum spec: required for `enum`, not allowed for other types. Each entry is
    /// a value, or `{value: x, label: "…"}` for a value shown to people by its label.
    private mutating func enumValues(_ node: YAMLNodeID?, keySpan: SourceSpan?, ownerSpan: SourceSpan, type: ValueType,
                                     owner: MappingOwner) -> ([Located<String>], [String: String]) {
        guard let node else {
            if type == .enum {
                sink.report(ownerSpan, MissingKeyRule.self, "\(owner) is of type enum but has no 'values'",
                            help: "list the allowed values, e.g. values: [low, normal, high]")
            }
            return ([], [:])
        }
        if type != .enum {
            sink.report(keySpan ?? document.span(node), WrongTypeRule.self,
                        "'values' applies to enum types, but \(owner) is of type \(type.rawValue)",
                        help: "use type: enum, or remove 'values'")
        }
        guard document.isSequence(node), document.count(node) > 0 else {
            sink.report(document.span(node), WrongTypeRule.self, "'values' must be a non-empty list, found \(document.kindDescription(node))")
            return ([], [:])
        }
        var result: [Located<String>] = []
        var labels: [String: String] = [:]
        result.reserveCapacity(document.count(node))
        for (n, item) in document.items(node).enumerated() {
            var valueNode = item
            var label: String?
            if document.isMapping(item) {
                let entry = MappingOwner.enumValue(n + 1, of: owner)
                let r = MappingReader<EnumValueKey>(document, item, owner: entry, ownerSpan: document.span(item), into: &sink)
                guard let v = r.required(.value, &sink) else { continue }
                valueNode = v
                label = r.value(.label).flatMap { self.text($0, key: "label") }
            }
            guard document.isScalar(valueNode), !document.isNull(valueNode) else {
                sink.report(document.span(valueNode), WrongTypeRule.self,
                            "enum values must be plain text or {value: …, label: …}, found \(document.kindDescription(valueNode))")
                continue
            }
            let text = document.text(valueNode)
            if result.contains(where: { $0.value == text }) {
                sink.report(document.span(valueNode), DuplicateKeyRule.self, "enum value '\(text)' is listed twice", help: "remove one of them")
                continue
            }
            result.append(Located(text, at: document.span(valueNode)))
            if let label { labels[text] = label }
        }
        return (result, labels)
    }

    private mutating func valueType(_ node: YAMLNodeID) -> ValueType? {
        if let known = word(node, ValueType.self) { return known }
        guard let value = document.string(node) else {
            sink.report(document.span(node), WrongTypeRule.self,
                        "'type' must be one of \(Self.list(ValueType.allCases.map(\.rawValue))), found \(document.kindDescription(node))")
            return nil
        }
        let names = ValueType.allCases.map(\.rawValue)
        let aliases = ["int": "integer", "bool": "boolean", "float": "number", "str": "string", "text": "string",
                       "timestamp": "datetime", "array": "list", "time": "datetime", "decimal": "number", "double": "number",
                       "money": "number", "currency": "number", "amount": "number", "choice": "enum", "select": "enum",
                       "date-time": "datetime", "date_time": "datetime"]
        sink.report(document.span(node), WrongTypeRule.self, "'type' must be one of \(Self.list(names)), found '\(value)'",
                    help: aliases[value].map { "did you mean '\($0)'?" } ?? Suggestions.didYouMean(value, in: names))
        return nil
    }

    // MARK: Transitions and actions

    private mutating func transitions(_ node: YAMLNodeID, state: String) -> [TransitionDefinition] {
        guard sequence(node, key: "'transitions'", expected: "a list of transitions") else { return [] }
        var result: [TransitionDefinition] = []
        result.reserveCapacity(document.count(node))
        for (index, item) in document.items(node).enumerated() {
            let owner = MappingOwner.transition(index + 1, state: state)
            guard mapping(item, key: owner, expected: "a mapping with at least 'to'") else { continue }
            let span = document.span(item)
            let r = MappingReader<TransitionKey>(document, item, owner: owner, ownerSpan: SourceSpan(at: span.start), into: &sink)
            let to = r.required(.to, &sink, help: "name the state this transition leads to").flatMap { id($0, key: "to") }
            let on = r.value(.on).flatMap { node in
                // The events of SLA clocks: sla.TARGET.warning, sla.TARGET.breached. A name under
                // `sla.` that is not one of them is kept as written, so that unknown-sla-target can
                // suggest the event the SOP's clocks do send (not an id made of its characters).
                if document.isScalar(node), !document.isNull(node), SLAEvent.isSLAName(document.text(node)) {
                    return Located(document.text(node), at: document.span(node))
                }
                return id(node, key: "on")
            }
            var after: ExpressionText?, business: BusinessTimer?
            if let node = r.value(.after) {
                if document.isMapping(node), !Self.isUnquotedTemplate(node, in: document) {
                    (after, business) = businessTimer(node, owner: owner)
                } else {
                    after = expression(node, key: "after")
                }
            }
            if r.has(.on), r.has(.after), let afterKey = r.keySpan(.after, in: document) {
                sink.report(afterKey, WrongTypeRule.self, "a transition has either 'on' (an event) or 'after' (a timer), not both",
                            help: "split it into two transitions")
            }
            let when = r.value(.when).flatMap { expression($0, key: "when") }
            let label = r.value(.label).flatMap { text($0, key: "label") }
            let role = r.value(.role).flatMap { id($0, key: "role") }
            let actions = r.value(.do).map { self.actions($0, key: "do") } ?? []
            guard let to else { continue }
            result.append(TransitionDefinition(to: to, on: on, after: after, business: business, when: when, label: label,
                                               role: role, actions: actions, span: span))
        }
        return result
    }

    /// `after: {business: 4h, calendar: ID}`: a literal business duration (docs/calendars.md),
    /// counted in the calendar named.
    private mutating func businessTimer(_ node: YAMLNodeID, owner: MappingOwner) -> (ExpressionText?, BusinessTimer?) {
        let r = MappingReader<BusinessTimerKey>(document, node, owner: .businessTimer(of: owner),
                                                ownerSpan: SourceSpan(at: document.span(node).start), into: &sink)
        var calendar = r.value(.calendar).flatMap { id($0, key: "calendar") }
        if calendar == nil, !r.has(.calendar) {
            if let defaultCalendar {
                calendar = defaultCalendar
            } else {
                sink.report(document.span(node), MissingKeyRule.self, "\(MappingOwner.businessTimer(of: owner)) is missing the required key 'calendar'",
                            help: "name the calendar the hours are counted in (calendar: ID), or give the SOP's 'sla' a 'calendar'")
            }
        }
        let durationNode = r.required(.business, &sink, help: "give the business duration: business: 4h")
        if let durationNode, !(document.isScalar(durationNode) && !document.isNull(durationNode)
                               && BusinessDuration.parse(document.text(durationNode)) != nil) {
            let found = document.isScalar(durationNode) ? "'\(document.text(durationNode))'" : document.kindDescription(durationNode)
            sink.report(document.span(durationNode), WrongTypeRule.self,
                        "'business' must be a business duration such as 4h, 1h30m, 5d or 2d 4h, found \(found)",
                        help: "business days are 'd'; weeks are not business time: write 5d")
        }
        // Even when written wrong it stays a timer (with its errors reported), so that the
        // transition is not read as automatic and reported again for that. An empty calendar id
        // (it was missing) names no calendar to resolve.
        let span = document.span(durationNode ?? node)
        let duration = ExpressionText(text: durationNode.map { document.text($0) } ?? "",
                                      location: document.location(durationNode ?? node))
        return (duration, BusinessTimer(calendar: calendar ?? Located("", at: SourceSpan(at: span.start))))
    }

    private mutating func actions(_ node: YAMLNodeID, key: String) -> [Action] {
        guard sequence(node, key: "'\(key)'", expected: "a list of actions") else { return [] }
        var result: [Action] = []
        result.reserveCapacity(document.count(node))
        for item in document.items(node) {
            guard document.isMapping(item), document.count(item) == 1,
                  let (name, value) = document.firstPair(item), document.scalarType(name) == .string else {
                let found = document.isMapping(item) ? "a mapping with \(document.count(item)) keys" : document.kindDescription(item)
                sink.report(document.span(item), WrongTypeRule.self,
                            "an action is a mapping with exactly one key (\(Self.list(Self.actionKeys))), found \(found)",
                            help: "write each action as its own list item, e.g. '- tag: [vip]'")
                continue
            }
            let keySpan = document.span(name)
            let action: Action?
            if document.textEquals(name, "set") {
                action = setAction(value)
            } else if document.textEquals(name, "notify") {
                action = notifyAction(value, keySpan: keySpan)
            } else if document.textEquals(name, "assign") {
                action = assignAction(value, keySpan: keySpan)
            } else if document.textEquals(name, "tag") {
                action = tagAction(value)
            } else if document.textEquals(name, "start") {
                action = startAction(value, keySpan: keySpan)
            } else {
                let text = document.text(name)
                sink.report(keySpan, UnknownKeyRule.self, "unknown action '\(text)'",
                            help: Suggestions.didYouMean(text, in: Self.actionKeys) ?? "the actions are \(Self.list(Self.actionKeys))")
                action = nil
            }
            if let action { result.append(action) }
        }
        return result
    }

    /// `set: {PATH: VALUE, …}`; a path that is not `ticket.…` or `var.…` is reported and left out.
    private mutating func setAction(_ value: YAMLNodeID) -> Action? {
        guard mapping(value, key: "'set'", expected: "a mapping of paths to values") else { return nil }
        var assignments: [SetAssignment] = []
        assignments.reserveCapacity(document.count(value))
        for (pathNode, valueNode) in document.pairs(value) {
            guard let path = document.string(pathNode) else {
                sink.report(document.span(pathNode), WrongTypeRule.self,
                            "a 'set' path must be text, found \(document.kindDescription(pathNode))")
                continue
            }
            guard path.hasPrefix("ticket.") || path.hasPrefix("var.") else {
                sink.report(document.span(pathNode), WrongTypeRule.self,
                            "'set' assigns ticket fields or run variables, found the path '\(path)'",
                            help: "write 'ticket.FIELD' or 'var.NAME'")
                continue
            }
            assignments.append(SetAssignment(path: Located(path, at: document.span(pathNode)), value: literal(valueNode, what: path)))
        }
        return .set(assignments)
    }

    /// `notify: {to: …, template: …}`.
    private mutating func notifyAction(_ value: YAMLNodeID, keySpan: SourceSpan) -> Action? {
        guard mapping(value, key: "'notify'", expected: "a mapping with 'to' and 'template'") else { return nil }
        let r = MappingReader<NotifyKey>(document, value, owner: .action("notify"), ownerSpan: keySpan, into: &sink)
        let to = r.required(.to, &sink, help: "write to: customer, team:ID or role:ID").flatMap { notifyTarget($0) }
        let template = r.required(.template, &sink, help: "write the message text under 'template'")
        if let template, reportUnquotedTemplate(template, key: "template") {
            return nil
        } else if let template, !document.isScalar(template) {
            sink.report(document.span(template), WrongTypeRule.self,
                        "'template' must be text, found \(document.kindDescription(template))",
                        help: document.isMapping(template) ? "quote a ${{ … }} template: \"${{ … }}\"" : nil)
        }
        guard let template, document.isScalar(template) else { return nil }
        reportMisspeltTemplates(template, document.text(template))
        guard let to else { return nil }
        return .notify(to: to, template: scalarText(template))
    }

    /// `assign: {role: …, queue: …}` (at least one of them).
    private mutating func assignAction(_ value: YAMLNodeID, keySpan: SourceSpan) -> Action? {
        guard mapping(value, key: "'assign'", expected: "a mapping with 'role' and/or 'queue'") else { return nil }
        let r = MappingReader<AssignKey>(document, value, owner: .action("assign"), ownerSpan: keySpan, into: &sink)
        if !r.has(.role) && !r.has(.queue) && document.count(value) == 0 {
            sink.report(keySpan, MissingKeyRule.self, "'assign' needs 'role' or 'queue'", help: "e.g. assign: {queue: tier2}")
        }
        let role = r.value(.role).flatMap { id($0, key: "role") }
        let queue = r.value(.queue)
        if let queue, !document.isScalar(queue) {
            sink.report(document.span(queue), WrongTypeRule.self, "'queue' must be text, found \(document.kindDescription(queue))")
        }
        return .assign(role: role, queue: queue.flatMap { document.isScalar($0) ? scalarText($0) : nil })
    }

    /// `tag: [TAG, …]` or `tag: TAG`; a tag that is not text is reported and left out.
    private mutating func tagAction(_ value: YAMLNodeID) -> Action? {
        guard document.isSequence(value) || document.isScalar(value) else {
            sink.report(document.span(value), WrongTypeRule.self, "'tag' must be a list of tags, found \(document.kindDescription(value))")
            return nil
        }
        var tags: [ExpressionText] = []
        for tag in document.isSequence(value) ? Array(document.items(value)) : [value] {
            if document.isScalar(tag) && !document.isNull(tag) {
                tags.append(scalarText(tag))
            } else {
                sink.report(document.span(tag), WrongTypeRule.self, "a tag must be text, found \(document.kindDescription(tag))")
            }
        }
        return .tag(tags)
    }

    /// `start: {sop: ID}`.
    private mutating func startAction(_ value: YAMLNodeID, keySpan: SourceSpan) -> Action? {
        guard mapping(value, key: "'start'", expected: "a mapping with 'sop'") else { return nil }
        let r = MappingReader<StartKey>(document, value, owner: .action("start"), ownerSpan: keySpan, into: &sink)
        return r.required(.sop, &sink, help: "name the SOP to start").flatMap { id($0, key: "sop") }.map { .start(sop: $0) }
    }

    /// The help for a pattern outside the dialect: what is missing, when the reason says so
    /// (an unclosed class or group), then where the dialect is described.
    static func patternHelp(_ problem: String) -> String {
        let general = "patterns are I-Regexp (RFC 9485) read as JSON Schema reads them, matched in linear time (format.md, Patterns); "
            + "in YAML, quote the pattern with single quotes so backslashes stay as written"
        if let open = problem.range(of: "expected '"), let close = problem[open.upperBound...].firstIndex(of: "'") {
            let missing = problem[open.upperBound..<close]
            return "add the missing '\(missing)' where it belongs; " + general
        }
        return general
    }

    private mutating func notifyTarget(_ node: YAMLNodeID) -> Located<NotifyTarget>? {
        let help = "write 'customer', 'team:ID' or 'role:ID'"
        let span = document.span(node)
        guard let text = document.string(node) else {
            sink.report(span, WrongTypeRule.self, "'to' must be customer, team:ID or role:ID, found \(document.kindDescription(node))", help: help)
            return nil
        }
        if text == "customer" { return Located(.customer, at: span) }
        for (prefix, make) in [("team:", NotifyTarget.team), ("role:", NotifyTarget.role)] where text.hasPrefix(prefix) {
            let rest = String(text.dropFirst(prefix.count))
            guard SOPIdentifier.isValid(rest) else {
                sink.report(span, InvalidIDRule.self, "'\(rest)' in '\(text)' is not a valid id",
                            help: SOPIdentifier.suggestion(for: rest).map { "write '\(prefix)\($0)'" } ?? Self.idHelp)
                return nil
            }
            return Located(make(rest), at: span)
        }
        sink.report(span, WrongTypeRule.self, "'to' must be customer, team:ID or role:ID, found '\(text)'",
                    help: Suggestions.closest(to: text, in: ["customer"]).map { "did you mean '\($0)'?" }
                        ?? (SOPIdentifier.isValid(text) ? "write 'role:\(text)' for a role, 'team:\(text)' for a team, or 'customer'" : help))
        return nil
    }

    // MARK: Scalars

    static let idHelp = "ids start with a lower-case letter and hold only a-z, 0-9, '_' and '-'"

    /// The id the file's name gives (`refund-check.sop.yaml`: `refund-check`) when `text` is that
    /// id written another way (`Refund Check`): the SOP's id must be its file's name anyway
    /// (`id-mismatch`), so that is the suggestion rather than one made from the text.
    private func fileNamedID(like text: String) -> String? {
        var stem = String(sink.file.split(separator: "/").last ?? "")
        for suffix in [".sop.yaml", ".sop.yml"] where stem.hasSuffix(suffix) { stem = String(stem.dropLast(suffix.count)) }
        func letters(_ s: String) -> String { String(s.lowercased().filter { $0.isLetter || $0.isNumber }) }
        return SOPIdentifier.isValid(stem) && letters(stem) == letters(text) ? stem : nil
    }

    private mutating func id(_ node: YAMLNodeID, key: @autoclosure () -> String) -> Located<String>? {
        guard document.isScalar(node), !document.isNull(node) else {
            sink.report(document.span(node), WrongTypeRule.self, "\(Self.name(key())) must be an id, found \(document.kindDescription(node))")
            return nil
        }
        guard document.withUTF8(node, SOPIdentifier.isValid) else {
            let text = document.text(node)
            let fix = (key() == "sop" ? fileNamedID(like: text).map { "try '\($0)', the file's name; " } : nil)
                ?? SOPIdentifier.suggestion(for: text).map { "try '\($0)'; " } ?? ""
            sink.report(document.span(node), InvalidIDRule.self, "'\(text)' is not a valid id", help: fix + Self.idHelp)
            return nil
        }
        return Located(document.text(node), at: document.span(node))
    }

    private mutating func ids(_ node: YAMLNodeID, key: String) -> [Located<String>] {
        guard sequence(node, key: "'\(key)'", expected: "a list of ids") else { return [] }
        return document.items(node).compactMap { id($0, key: key) }
    }

    /// Human text: any non-null scalar, as written. Text with `${{ }}` is also kept to check its templates.
    private mutating func text(_ node: YAMLNodeID, key: @autoclosure () -> String) -> String? {
        if reportUnquotedTemplate(node, key: key()) { return nil }
        guard document.isScalar(node), !document.isNull(node) else {
            sink.report(document.span(node), WrongTypeRule.self, "\(Self.name(key())) must be text, found \(document.kindDescription(node))",
                        help: document.isMapping(node) && document.isFlow(node) ? "quote the text if it contains '{' or '${{'" : nil)
            return nil
        }
        let text = document.text(node)
        if document.withUTF8(node, Template.containsTemplate) {
            templateTexts.append(ExpressionText(text: text, location: document.location(node)))
        }
        reportMisspeltTemplates(node, text)
        return text
    }

    /// `${ x }` and `{{ x }}` in human text would reach the customer or agent as written.
    private mutating func reportMisspeltTemplates(_ node: YAMLNodeID, _ text: String) {
        for (written, meant) in Template.misspellings(text) {
            sink.report(document.span(node), TemplateMisspeltRule.self, "'\(written)' is not a template and would be shown as written",
                        help: "write \(meant)")
        }
    }

    private mutating func texts(_ node: YAMLNodeID, key: String) -> [Located<String>] {
        guard sequence(node, key: "'\(key)'", expected: "a list of text items") else { return [] }
        var result: [Located<String>] = []
        result.reserveCapacity(document.count(node))
        for item in document.items(node) {
            if let t = text(item, key: "an item of '\(key)'") { result.append(Located(t, at: document.span(item))) }
        }
        return result
    }

    private mutating func expression(_ node: YAMLNodeID, key: @autoclosure () -> String) -> ExpressionText? {
        if reportUnquotedTemplate(node, key: key()) { return nil }
        guard document.isScalar(node), !document.isNull(node) else {
            sink.report(document.span(node), WrongTypeRule.self,
                        "\(Self.name(key())) must be an expression written as text, found \(document.kindDescription(node))",
                        help: document.isMapping(node) && document.isFlow(node) ? "quote it: \"${{ … }}\"" : nil)
            return nil
        }
        return ExpressionText(text: document.text(node), location: document.location(node))
    }

    private mutating func positiveInteger(_ node: YAMLNodeID, key: @autoclosure () -> String) -> Int? {
        guard let value = document.int(node) else {
            sink.report(document.span(node), WrongTypeRule.self, "\(key()) must be an integer, found \(document.kindDescription(node))",
                        help: "write a whole number such as 1")
            return nil
        }
        guard value >= 1 else {
            sink.report(document.span(node), WrongTypeRule.self, "\(key()) must be at least 1, found \(value)")
            return nil
        }
        return value
    }

    private mutating func number(_ node: YAMLNodeID, key: @autoclosure () -> String) -> Double? {
        if let d = document.double(node), d.isFinite { return d }
        sink.report(document.span(node), WrongTypeRule.self, "\(Self.name(key())) must be a number, found \(document.kindDescription(node))")
        return nil
    }

    private mutating func boolean(_ node: YAMLNodeID, key: @autoclosure () -> String) -> Bool? {
        if let b = document.bool(node) { return b }
        let written = document.isScalar(node) ? document.text(node) : ""
        let hint = ["yes": "true", "no": "false", "on": "true", "off": "false"][written.lowercased()]
        sink.report(document.span(node), WrongTypeRule.self, "\(Self.name(key())) must be true or false, found \(document.kindDescription(node))",
                    help: hint.map { "YAML 1.2 reads '\(written)' as text; write \($0)" })
        return nil
    }

    /// Reports `wrong-type` unless the node is a mapping. `what` names the value in messages.
    private mutating func mapping(_ node: YAMLNodeID, key what: @autoclosure () -> String, expected: @autoclosure () -> String) -> Bool {
        if document.isMapping(node) { return true }
        // A list where a mapping is wanted is almost always the same entries with a '-' each.
        let help = document.isSequence(node) ? "remove the '-' before each entry: a mapping's entries are 'NAME: …' lines" : nil
        sink.report(document.span(node), WrongTypeRule.self, "\(what()) must be \(expected()), found \(document.kindDescription(node))",
                    help: help)
        return false
    }

    private mutating func mapping(_ node: YAMLNodeID, key owner: MappingOwner, expected: @autoclosure () -> String) -> Bool {
        mapping(node, key: owner.description, expected: expected())
    }

    private mutating func sequence(_ node: YAMLNodeID, key what: @autoclosure () -> String, expected: @autoclosure () -> String) -> Bool {
        if document.isSequence(node) { return true }
        // One item written as plain text: the list form is what was meant.
        let help = document.isScalar(node) && !document.isNull(node) ? "write each item on its own line, starting with '- '" : nil
        sink.report(document.span(node), WrongTypeRule.self, "\(what()) must be \(expected()), found \(document.kindDescription(node))",
                    help: help)
        return false
    }

    /// `key: {{ x }}` (the classic mistake for `key: "${{ x }}"`): YAML reads a flow mapping whose
    /// only key is another mapping. Reports `template-unquoted` and returns true when it is one.
    mutating func reportUnquotedTemplate(_ node: YAMLNodeID, key: @autoclosure () -> String) -> Bool {
        guard Self.isUnquotedTemplate(node, in: document) else { return false }
        sink.report(document.span(node), TemplateUnquotedRule.self,
                    "\(Self.name(key())) holds a {…} mapping where a template was meant; YAML reads unquoted braces as a mapping",
                    help: "write the template as a quoted string: \"${{ … }}\"")
        return true
    }

    static func isUnquotedTemplate(_ node: YAMLNodeID, in document: YAMLDocument) -> Bool {
        guard document.isMapping(node), document.isFlow(node), document.count(node) == 1,
              let key = document.firstPair(node)?.key else { return false }
        return document.isMapping(key) || document.withUTF8(key) { $0.first == UInt8(ascii: "{") }
    }

    /// A value of a `set` or an `initial`: a `{{ x }}` where a template was meant is reported
    /// and kept as `.invalid`, so nothing checks it as a mapping.
    private mutating func literal(_ node: YAMLNodeID, what: String) -> Literal {
        guard Self.isUnquotedTemplate(node, in: document) else { return Literal(document, node) }
        sink.report(document.span(node), TemplateUnquotedRule.self,
                    "the value of \(what) is a {…} mapping where a template was meant; YAML reads unquoted braces as a mapping",
                    help: "write the template as a quoted string: \"${{ … }}\"")
        return Literal(value: .invalid, span: document.span(node), written: nil)
    }

    /// A scalar's text with where and how it was written.
    private func scalarText(_ node: YAMLNodeID) -> ExpressionText {
        ExpressionText(text: document.text(node), location: document.location(node))
    }

    /// A key as messages show it: quoted when it is a key name, as is when it is a phrase.
    static func name(_ key: String) -> String {
        key.contains(" ") || key.hasPrefix("'") ? key : "'\(key)'"
    }

    static func list(_ names: [String]) -> String {
        names.joined(separator: ", ")
    }
}

// Words the format allows as values, matched as bytes like the keys.
extension ValueType: MappingKey {
    static let names = MappingKeyNames(ValueType.self)
}

extension InputScope: MappingKey {
    static let names = MappingKeyNames(InputScope.self)
}

extension SOPCategory: MappingKey {
    static let names = MappingKeyNames(SOPCategory.self)
}
