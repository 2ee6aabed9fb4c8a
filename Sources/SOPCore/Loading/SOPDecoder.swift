import SOPDiagnostics
import SOPYAML

/// Decodes the SOP model from a YAML tree, reporting every structural problem it meets rather
/// than stopping at the first. It returns a definition whenever the parts every later analysis
/// needs (`sop`, `start`, `states`) could be read.
struct SOPDecoder {
    var sink: DiagnosticSink

    static let topKeys = ["sop", "version", "title", "description", "category", "applies_when", "roles",
                          "vars", "start", "states"]
    static let stateKeys = ["title", "instructions", "checklist", "inputs", "role", "enter", "transitions",
                            "call", "end"]
    static let transitionKeys = ["to", "on", "after", "when", "label", "role", "do"]
    static let inputKeys = ["type", "prompt", "required", "values", "min", "max"]
    static let fieldKeys = ["type", "values", "initial"]
    static let actionKeys = ["set", "notify", "assign", "tag", "start"]

    init(file: String) {
        sink = DiagnosticSink(file: file)
    }

    // MARK: Top level

    mutating func decode(_ root: YAMLNode) -> SOPDefinition? {
        let requiredHelp = "an SOP needs at least 'sop', 'version', 'title', 'start' and 'states'"
        if case .scalar(let s) = root.kind, s.resolved == .null {
            sink.report(root.span, .missingKey, "the file holds no SOP", help: requiredHelp)
            return nil
        }
        guard root.mapping != nil else {
            sink.report(root.span, .wrongType, "the top level of an SOP file must be a mapping, found \(root.kindDescription)",
                        help: requiredHelp)
            return nil
        }
        let r = MappingReader(root, owner: "the SOP", ownerSpan: SourceSpan(at: root.span.start),
                              allowed: Self.topKeys, into: &sink)
        let id = r.required("sop", &sink).flatMap { self.id($0, key: "sop") }
        let version = r.required("version", &sink).flatMap { positiveInteger($0, key: "version") }
        let title = r.required("title", &sink).flatMap { text($0, key: "title") }
        let description = r.value("description").flatMap { text($0, key: "description") }
        let category = r.value("category").flatMap { decodeCategory($0) }
        let appliesWhen = r.value("applies_when").flatMap { expression($0, key: "applies_when") }
        let roles = r.value("roles").map { ids($0, key: "roles") }
        let vars = r.value("vars").map { fieldSpecs($0) } ?? []
        let start = r.required("start", &sink).flatMap { self.id($0, key: "start") }
        let states = r.required("states", &sink).flatMap { self.states($0) }

        guard let id, let start, let states else { return nil }
        return SOPDefinition(
            id: id, version: version ?? 1, title: title ?? id.value, description: description, category: category,
            appliesWhen: appliesWhen,
            roles: roles ?? SOPDefinition.defaultRoles.map { Located($0, at: id.span) },
            vars: vars, start: start, states: states,
            texts: ["title", "description"].compactMap { r.value($0) }.filter { $0.scalar != nil })
    }

    private mutating func decodeCategory(_ node: YAMLNode) -> SOPCategory? {
        guard let value = node.stringValue else {
            sink.report(node.span, .wrongType, "'category' must be one of \(Self.list(SOPCategory.allCases.map(\.rawValue))), found \(node.kindDescription)")
            return nil
        }
        guard let category = SOPCategory(rawValue: value) else {
            sink.report(node.span, .wrongType, "'category' must be one of \(Self.list(SOPCategory.allCases.map(\.rawValue))), found '\(value)'",
                        help: Suggestions.didYouMean(value, in: SOPCategory.allCases.map(\.rawValue)))
            return nil
        }
        return category
    }

    private mutating func fieldSpecs(_ node: YAMLNode) -> [FieldSpec] {
        guard let pairs = mapping(node, key: "'vars'", expected: "a mapping of variable ids to their specs") else { return [] }
        var specs: [FieldSpec] = []
        for pair in pairs {
            guard let id = id(pair.key, key: "a variable id") else { continue }
            let owner = "variable '\(id.value)'"
            guard mapping(pair.value, key: owner, expected: "a mapping with 'type'") != nil else { continue }
            let r = MappingReader(pair.value, owner: owner, ownerSpan: id.span, allowed: Self.fieldKeys, into: &sink)
            guard let type = r.required("type", &sink).flatMap({ valueType($0) }) else { continue }
            let values = enumValues(r, type: type, owner: owner)
            specs.append(FieldSpec(id: id, type: type, values: values, initial: r.value("initial")))
        }
        return specs
    }

    // MARK: States

    private mutating func states(_ node: YAMLNode) -> [StateDefinition]? {
        guard let pairs = mapping(node, key: "'states'", expected: "a mapping of state ids to states") else { return nil }
        if pairs.isEmpty {
            sink.report(node.span, .missingKey, "'states' is empty; an SOP needs at least one state")
            return nil
        }
        var result: [StateDefinition] = []
        for pair in pairs {
            guard let id = id(pair.key, key: "a state id") else { continue }
            if let state = state(pair.value, id: id) { result.append(state) }
        }
        return result
    }

    private mutating func state(_ node: YAMLNode, id: Located<String>) -> StateDefinition? {
        let owner = "state '\(id.value)'"
        guard mapping(node, key: owner, expected: "a mapping with at least 'title'") != nil else { return nil }
        let r = MappingReader(node, owner: owner, ownerSpan: id.span, allowed: Self.stateKeys, into: &sink)
        let title = r.required("title", &sink).flatMap { text($0, key: "title") }
        let instructions = r.value("instructions").flatMap { text($0, key: "instructions") }
        let checklist = r.value("checklist").map { texts($0, key: "checklist") } ?? []
        let inputs = r.value("inputs").map { inputSpecs($0, state: id.value) } ?? []
        let role = r.value("role").flatMap { self.id($0, key: "role") }
        let enter = r.value("enter").map { actions($0, key: "enter") } ?? []
        let transitions = r.value("transitions").map { self.transitions($0, state: id.value) } ?? []
        let call = r.value("call").flatMap { self.id($0, key: "call") }
        let end = r.value("end").flatMap { self.id($0, key: "end") }
        var textNodes = ["title", "instructions"].compactMap { r.value($0) }.filter { $0.scalar != nil }
        textNodes += (r.value("checklist")?.sequence ?? []).filter { $0.scalar != nil }
        for inputs in r.value("inputs")?.mapping ?? [] {
            textNodes += (inputs.value.mapping ?? []).filter { $0.key.stringValue == "prompt" && $0.value.scalar != nil }.map(\.value)
        }
        for transition in r.value("transitions")?.sequence ?? [] {
            textNodes += (transition.mapping ?? []).filter { $0.key.stringValue == "label" && $0.value.scalar != nil }.map(\.value)
        }
        return StateDefinition(id: id, title: title ?? id.value, instructions: instructions, checklist: checklist,
                               inputs: inputs, role: role, enter: enter, transitions: transitions, call: call, end: end,
                               texts: textNodes)
    }

    private mutating func inputSpecs(_ node: YAMLNode, state: String) -> [InputSpec] {
        guard let pairs = mapping(node, key: "'inputs'", expected: "a mapping of input ids to their specs") else { return [] }
        var specs: [InputSpec] = []
        for pair in pairs {
            guard let id = id(pair.key, key: "an input id") else { continue }
            let owner = "input '\(id.value)'"
            guard mapping(pair.value, key: owner, expected: "a mapping with 'type'") != nil else { continue }
            let r = MappingReader(pair.value, owner: owner, ownerSpan: id.span, allowed: Self.inputKeys, into: &sink)
            guard let type = r.required("type", &sink).flatMap({ valueType($0) }) else { continue }
            let values = enumValues(r, type: type, owner: owner)
            var bounds: [Double?] = []
            for key in ["min", "max"] {
                guard let n = r.value(key) else { bounds.append(nil); continue }
                if type != .integer && type != .number {
                    sink.report(r.keySpan(key) ?? n.span, .wrongType,
                                "'\(key)' applies to integer and number inputs, but \(owner) is of type \(type.rawValue)",
                                help: "remove '\(key)'")
                }
                bounds.append(number(n, key: key))
            }
            if let lo = bounds[0], let hi = bounds[1], lo > hi, let maxNode = r.value("max") {
                sink.report(maxNode.span, .wrongType, "'max' of \(owner) is below its 'min'", help: "swap 'min' and 'max'")
            }
            let prompt = r.value("prompt").flatMap { text($0, key: "prompt") }
            let required = r.value("required").flatMap { boolean($0, key: "required") } ?? true
            specs.append(InputSpec(id: id, type: type, prompt: prompt, required: required, values: values,
                                   min: bounds[0], max: bounds[1]))
        }
        return specs
    }

    /// `values` of an enum spec: required for `enum`, not allowed for other types.
    private mutating func enumValues(_ r: MappingReader, type: ValueType, owner: String) -> [Located<String>] {
        guard let node = r.value("values") else {
            if type == .enum {
                sink.report(r.ownerSpan, .missingKey, "\(owner) is of type enum but has no 'values'",
                            help: "list the allowed values, e.g. values: [low, normal, high]")
            }
            return []
        }
        if type != .enum {
            sink.report(r.keySpan("values") ?? node.span, .wrongType,
                        "'values' applies to enum types, but \(owner) is of type \(type.rawValue)",
                        help: "use type: enum, or remove 'values'")
        }
        guard let items = node.sequence, !items.isEmpty else {
            sink.report(node.span, .wrongType, "'values' must be a non-empty list, found \(node.kindDescription)")
            return []
        }
        var seen = Set<String>()
        var result: [Located<String>] = []
        for item in items {
            guard let s = item.scalar, s.resolved != .null else {
                sink.report(item.span, .wrongType, "enum values must be plain text, found \(item.kindDescription)")
                continue
            }
            if !seen.insert(s.text).inserted {
                sink.report(item.span, .duplicateKey, "enum value '\(s.text)' is listed twice", help: "remove one of them")
                continue
            }
            result.append(Located(s.text, at: item.span))
        }
        return result
    }

    private mutating func valueType(_ node: YAMLNode) -> ValueType? {
        let names = ValueType.allCases.map(\.rawValue)
        guard let value = node.stringValue else {
            sink.report(node.span, .wrongType, "'type' must be one of \(Self.list(names)), found \(node.kindDescription)")
            return nil
        }
        guard let type = ValueType(rawValue: value) else {
            let aliases = ["int": "integer", "bool": "boolean", "float": "number", "str": "string", "text": "string",
                           "timestamp": "datetime", "array": "list", "time": "datetime"]
            sink.report(node.span, .wrongType, "'type' must be one of \(Self.list(names)), found '\(value)'",
                        help: aliases[value].map { "did you mean '\($0)'?" } ?? Suggestions.didYouMean(value, in: names))
            return nil
        }
        return type
    }

    // MARK: Transitions and actions

    private mutating func transitions(_ node: YAMLNode, state: String) -> [TransitionDefinition] {
        guard let items = sequence(node, key: "'transitions'", expected: "a list of transitions") else { return [] }
        var result: [TransitionDefinition] = []
        for (index, item) in items.enumerated() {
            let owner = "transition \(index + 1) of state '\(state)'"
            guard mapping(item, key: owner, expected: "a mapping with at least 'to'") != nil else { continue }
            let r = MappingReader(item, owner: owner, ownerSpan: SourceSpan(at: item.span.start),
                                  allowed: Self.transitionKeys, into: &sink)
            let to = r.required("to", &sink, help: "name the state this transition leads to").flatMap { id($0, key: "to") }
            let on = r.value("on").flatMap { id($0, key: "on") }
            let after = r.value("after").flatMap { expression($0, key: "after") }
            if r.has("on"), r.has("after"), let afterKey = r.keySpan("after") {
                sink.report(afterKey, .wrongType, "a transition has either 'on' (an event) or 'after' (a timer), not both",
                            help: "split it into two transitions")
            }
            let when = r.value("when").flatMap { expression($0, key: "when") }
            let label = r.value("label").flatMap { text($0, key: "label") }
            let role = r.value("role").flatMap { id($0, key: "role") }
            let actions = r.value("do").map { self.actions($0, key: "do") } ?? []
            guard let to else { continue }
            result.append(TransitionDefinition(to: to, on: on, after: after, when: when, label: label, role: role,
                                               actions: actions, span: item.span))
        }
        return result
    }

    private mutating func actions(_ node: YAMLNode, key: String) -> [Action] {
        guard let items = sequence(node, key: "'\(key)'", expected: "a list of actions") else { return [] }
        var result: [Action] = []
        for item in items {
            guard let pairs = item.mapping, pairs.count == 1, let name = pairs[0].key.stringValue else {
                sink.report(item.span, .wrongType,
                            "an action is a mapping with exactly one key (\(Self.list(Self.actionKeys))), found \(item.mapping.map { "a mapping with \($0.count) keys" } ?? item.kindDescription)",
                            help: "write each action as its own list item, e.g. '- tag: [vip]'")
                continue
            }
            let keySpan = pairs[0].key.span, value = pairs[0].value
            switch name {
            case "set":
                guard let entries = mapping(value, key: "'set'", expected: "a mapping of paths to values") else { continue }
                var assignments: [SetAssignment] = []
                for entry in entries {
                    guard let path = entry.key.stringValue else {
                        sink.report(entry.key.span, .wrongType, "a 'set' path must be text, found \(entry.key.kindDescription)")
                        continue
                    }
                    guard path.hasPrefix("ticket.") || path.hasPrefix("var.") else {
                        sink.report(entry.key.span, .wrongType,
                                    "'set' assigns ticket fields or run variables, found the path '\(path)'",
                                    help: "write 'ticket.FIELD' or 'var.NAME'")
                        continue
                    }
                    assignments.append(SetAssignment(path: Located(path, at: entry.key.span), value: entry.value))
                }
                result.append(.set(assignments))
            case "notify":
                guard mapping(value, key: "'notify'", expected: "a mapping with 'to' and 'template'") != nil else { continue }
                let r = MappingReader(value, owner: "'notify'", ownerSpan: keySpan, allowed: ["to", "template"], into: &sink)
                let to = r.required("to", &sink, help: "write to: customer, team:ID or role:ID").flatMap { notifyTarget($0) }
                let template = r.required("template", &sink, help: "write the message text under 'template'")
                if let template, reportUnquotedTemplate(template, key: "template") {
                    continue
                } else if let template, template.scalar == nil {
                    sink.report(template.span, .wrongType, "'template' must be text, found \(template.kindDescription)",
                                help: template.mapping != nil ? "quote a ${{ … }} template: \"${{ … }}\"" : nil)
                }
                if let to, let template { result.append(.notify(to: to, template: template)) }
            case "assign":
                guard mapping(value, key: "'assign'", expected: "a mapping with 'role' and/or 'queue'") != nil else { continue }
                let r = MappingReader(value, owner: "'assign'", ownerSpan: keySpan, allowed: ["role", "queue"], into: &sink)
                if !r.has("role") && !r.has("queue") && value.mapping?.isEmpty != false {
                    sink.report(keySpan, .missingKey, "'assign' needs 'role' or 'queue'", help: "e.g. assign: {queue: tier2}")
                }
                let role = r.value("role").flatMap { id($0, key: "role") }
                let queue = r.value("queue")
                if let queue, queue.scalar == nil {
                    sink.report(queue.span, .wrongType, "'queue' must be text, found \(queue.kindDescription)")
                }
                result.append(.assign(role: role, queue: queue))
            case "tag":
                let items = value.sequence ?? (value.scalar != nil ? [value] : nil)
                guard let items else {
                    sink.report(value.span, .wrongType, "'tag' must be a list of tags, found \(value.kindDescription)")
                    continue
                }
                for tag in items where tag.scalar == nil || tag.scalar?.resolved == .null {
                    sink.report(tag.span, .wrongType, "a tag must be text, found \(tag.kindDescription)")
                }
                result.append(.tag(items.filter { $0.scalar != nil && $0.scalar?.resolved != .null }))
            case "start":
                guard mapping(value, key: "'start'", expected: "a mapping with 'sop'") != nil else { continue }
                let r = MappingReader(value, owner: "'start'", ownerSpan: keySpan, allowed: ["sop"], into: &sink)
                if let sop = r.required("sop", &sink, help: "name the SOP to start").flatMap({ id($0, key: "sop") }) {
                    result.append(.start(sop: sop))
                }
            default:
                sink.report(keySpan, .unknownKey, "unknown action '\(name)'",
                            help: Suggestions.didYouMean(name, in: Self.actionKeys)
                                ?? "the actions are \(Self.list(Self.actionKeys))")
            }
        }
        return result
    }

    private mutating func notifyTarget(_ node: YAMLNode) -> Located<NotifyTarget>? {
        let help = "write 'customer', 'team:ID' or 'role:ID'"
        guard let text = node.stringValue else {
            sink.report(node.span, .wrongType, "'to' must be customer, team:ID or role:ID, found \(node.kindDescription)", help: help)
            return nil
        }
        if text == "customer" { return Located(.customer, at: node.span) }
        for (prefix, make) in [("team:", NotifyTarget.team), ("role:", NotifyTarget.role)] where text.hasPrefix(prefix) {
            let rest = String(text.dropFirst(prefix.count))
            guard SOPIdentifier.isValid(rest) else {
                sink.report(node.span, .invalidID, "'\(rest)' in '\(text)' is not a valid id",
                            help: SOPIdentifier.suggestion(for: rest).map { "write '\(prefix)\($0)'" } ?? Self.idHelp)
                return nil
            }
            return Located(make(rest), at: node.span)
        }
        sink.report(node.span, .wrongType, "'to' must be customer, team:ID or role:ID, found '\(text)'",
                    help: Suggestions.closest(to: text, in: ["customer"]).map { "did you mean '\($0)'?" } ?? help)
        return nil
    }

    // MARK: Scalars

    static let idHelp = "ids start with a lower-case letter and hold only a-z, 0-9, '_' and '-'"

    private mutating func id(_ node: YAMLNode, key: String) -> Located<String>? {
        guard let s = node.scalar, s.resolved != .null else {
            sink.report(node.span, .wrongType, "\(Self.name(key)) must be an id, found \(node.kindDescription)")
            return nil
        }
        guard SOPIdentifier.isValid(s.text) else {
            let fix = SOPIdentifier.suggestion(for: s.text).map { "try '\($0)'; " } ?? ""
            sink.report(node.span, .invalidID, "'\(s.text)' is not a valid id", help: fix + Self.idHelp)
            return nil
        }
        return Located(s.text, at: node.span)
    }

    private mutating func ids(_ node: YAMLNode, key: String) -> [Located<String>] {
        guard let items = sequence(node, key: "'\(key)'", expected: "a list of ids") else { return [] }
        return items.compactMap { id($0, key: key) }
    }

    /// Human text: any non-null scalar, as written.
    private mutating func text(_ node: YAMLNode, key: String) -> String? {
        if reportUnquotedTemplate(node, key: key) { return nil }
        guard let s = node.scalar, s.resolved != .null else {
            sink.report(node.span, .wrongType, "\(Self.name(key)) must be text, found \(node.kindDescription)",
                        help: node.mapping != nil && node.isFlow ? "quote the text if it contains '{' or '${{'" : nil)
            return nil
        }
        return s.text
    }

    private mutating func texts(_ node: YAMLNode, key: String) -> [Located<String>] {
        guard let items = sequence(node, key: "'\(key)'", expected: "a list of text items") else { return [] }
        return items.compactMap { item in text(item, key: "an item of '\(key)'").map { Located($0, at: item.span) } }
    }

    private mutating func expression(_ node: YAMLNode, key: String) -> ExpressionText? {
        if reportUnquotedTemplate(node, key: key) { return nil }
        guard let s = node.scalar, s.resolved != .null else {
            sink.report(node.span, .wrongType, "\(Self.name(key)) must be an expression written as text, found \(node.kindDescription)",
                        help: node.mapping != nil && node.isFlow ? "quote it: \"${{ … }}\"" : nil)
            return nil
        }
        return ExpressionText(text: s.text, node: node)
    }

    private mutating func positiveInteger(_ node: YAMLNode, key: String) -> Int? {
        guard case .scalar(let s) = node.kind, case .int(let value) = s.resolved else {
            sink.report(node.span, .wrongType, "\(key) must be an integer, found \(node.kindDescription)",
                        help: "write a whole number such as 1")
            return nil
        }
        guard value >= 1 else {
            sink.report(node.span, .wrongType, "\(key) must be at least 1, found \(value)")
            return nil
        }
        return value
    }

    private mutating func number(_ node: YAMLNode, key: String) -> Double? {
        if case .scalar(let s) = node.kind {
            if case .int(let i) = s.resolved { return Double(i) }
            if case .float(let d) = s.resolved, d.isFinite { return d }
        }
        sink.report(node.span, .wrongType, "\(Self.name(key)) must be a number, found \(node.kindDescription)")
        return nil
    }

    private mutating func boolean(_ node: YAMLNode, key: String) -> Bool? {
        if case .scalar(let s) = node.kind, case .bool(let b) = s.resolved { return b }
        let hint = ["yes": "true", "no": "false", "on": "true", "off": "false"][node.scalar?.text.lowercased() ?? ""]
        sink.report(node.span, .wrongType, "\(Self.name(key)) must be true or false, found \(node.kindDescription)",
                    help: hint.map { "YAML 1.2 reads '\(node.scalar?.text ?? "")' as text; write \($0)" })
        return nil
    }

    /// `what` names the value in messages, quoted where it is a key: "'vars'", "state 'x'".
    private mutating func mapping(_ node: YAMLNode, key what: String, expected: String) -> [YAMLPair]? {
        if let pairs = node.mapping { return pairs }
        sink.report(node.span, .wrongType, "\(what) must be \(expected), found \(node.kindDescription)")
        return nil
    }

    private mutating func sequence(_ node: YAMLNode, key what: String, expected: String) -> [YAMLNode]? {
        if let items = node.sequence { return items }
        sink.report(node.span, .wrongType, "\(what) must be \(expected), found \(node.kindDescription)")
        return nil
    }

    /// `key: {{ x }}` (the classic mistake for `key: "${{ x }}"`): YAML reads a flow mapping whose
    /// only key is another mapping. Reports `template-unquoted` and returns true when it is one.
    mutating func reportUnquotedTemplate(_ node: YAMLNode, key: String) -> Bool {
        guard Self.isUnquotedTemplate(node) else { return false }
        sink.report(node.span, .templateUnquoted,
                    "\(Self.name(key)) holds a {…} mapping where a template was meant; YAML reads unquoted braces as a mapping",
                    help: "write the template as a quoted string: \"${{ … }}\"")
        return true
    }

    static func isUnquotedTemplate(_ node: YAMLNode) -> Bool {
        guard node.isFlow, let pairs = node.mapping, pairs.count == 1 else { return false }
        return pairs[0].key.mapping != nil || pairs[0].key.scalar?.text.hasPrefix("{") == true
    }

    /// A key as messages show it: quoted when it is a key name, as is when it is a phrase.
    static func name(_ key: String) -> String {
        key.contains(" ") || key.hasPrefix("'") ? key : "'\(key)'"
    }

    static func list(_ names: [String]) -> String {
        names.joined(separator: ", ")
    }
}
