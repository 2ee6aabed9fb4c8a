import SOPDiagnostics
import SOPExpression

/// One difference between two versions of an SOP, by meaning: a state added, a guard changed, an
/// input's bounds narrowed. `sop diff` renders a list of them (docs/cli.md, `sop diff`).
public struct SOPChange: Sendable, Hashable {
    /// What changed. The raw values are the `kind`s of `sop diff --format json`.
    public enum Kind: String, Sendable, CaseIterable {
        case sopIDChanged = "sop-id-changed", versionChanged = "version-changed", sopTitleChanged = "sop-title-changed"
        case descriptionChanged = "description-changed", categoryChanged = "category-changed"
        case appliesWhenChanged = "applies-when-changed", rolesChanged = "roles-changed", startChanged = "start-changed"
        case varAdded = "var-added", varRemoved = "var-removed", varChanged = "var-changed"
        case stateAdded = "state-added", stateRemoved = "state-removed"
        case titleChanged = "title-changed", instructionsChanged = "instructions-changed"
        case checklistItemAdded = "checklist-item-added", checklistItemRemoved = "checklist-item-removed"
        case checklistReordered = "checklist-reordered"
        case roleChanged = "role-changed", enterActionsChanged = "enter-actions-changed"
        case callChanged = "call-changed", endChanged = "end-changed"
        case inputAdded = "input-added", inputRemoved = "input-removed", inputTypeChanged = "input-type-changed"
        case inputRequiredChanged = "input-required-changed", inputBoundsChanged = "input-bounds-changed"
        case inputValuesChanged = "input-values-changed", inputPatternChanged = "input-pattern-changed"
        case inputPromptChanged = "input-prompt-changed", inputScopeChanged = "input-scope-changed"
        case transitionAdded = "transition-added", transitionRemoved = "transition-removed"
        case transitionsReordered = "transitions-reordered", guardChanged = "guard-changed", targetChanged = "target-changed"
        case eventChanged = "event-changed", timerChanged = "timer-changed", transitionRoleChanged = "transition-role-changed"
        case labelChanged = "label-changed", actionsChanged = "actions-changed"
        case slaCalendarChanged = "sla-calendar-changed", slaTargetAdded = "sla-target-added"
        case slaTargetRemoved = "sla-target-removed", slaTargetChanged = "sla-target-changed"
    }

    public var kind: Kind
    /// Where in the SOP, as a path of keys: `states.triage.transitions[2].guard`. Indexes are
    /// NEW's, or OLD's for what was removed.
    public var path: String
    /// The state the change belongs to; nil for the SOP's own keys, variables and SLA targets.
    public var state: String?
    /// The old and the new value as text; nil for what did not exist.
    public var old: String?
    public var new: String?
    /// Where it is written: in NEW, or in OLD for what was removed (`inOld`).
    public var span: SourceSpan
    public var inOld: Bool
    /// Whether a run waiting in `state` (every waiting run of the SOP when `state` is nil) on
    /// OLD would be stranded or broken by moving it to NEW: it needs a migration
    /// (`SOPDiff.needsMigration`, docs/cli.md).
    public var migration: Bool

    public init(kind: Kind, path: String, state: String?, old: String?, new: String?, span: SourceSpan, inOld: Bool = false,
                migration: Bool = false) {
        self.kind = kind
        self.path = path
        self.state = state
        self.old = old
        self.new = new
        self.span = span
        self.inOld = inOld
        self.migration = migration
    }
}

/// Compares two versions of an SOP by meaning, not by line: a pure function of the two loaded
/// definitions (docs/cli.md, `sop diff`; docs/decisions.md, "Comparing versions").
///
/// States, inputs, variables and SLA targets are matched by id (a state renamed is one removed
/// and one added). Transitions have no ids: within a state they are matched first whole (trigger,
/// timer, target and guard alike), then by their trigger (the event, a timer, or automatic) and
/// target together, then by trigger alone, then
/// by target alone, each pass taking the first unmatched in written order (so alike transitions
/// pair by position); a reordered list shows as reordered, and a transition whose guard changed
/// as "guard changed", not as removed and added. One whose trigger and target both changed
/// shares nothing with its old self: it shows as one removed and one added.
public enum SOPDiff {
    public static func compare(_ old: SOPDefinition, _ new: SOPDefinition) -> [SOPChange] {
        var out = Changes()
        let whole = new.id.span
        if old.id.value != new.id.value {
            out.add(.sopIDChanged, "sop", old: old.id.value, new: new.id.value, at: new.id.span)
        }
        if old.version != new.version {
            out.add(.versionChanged, "version", old: String(old.version), new: String(new.version), at: whole)
        }
        if old.title != new.title { out.add(.sopTitleChanged, "title", old: old.title, new: new.title, at: whole) }
        if old.description != new.description {
            out.add(.descriptionChanged, "description", old: old.description, new: new.description, at: whole)
        }
        if old.category != new.category { out.add(.categoryChanged, "category", old: old.category, new: new.category, at: whole) }
        if old.appliesWhen?.text != new.appliesWhen?.text {
            out.add(.appliesWhenChanged, "applies_when", old: old.appliesWhen?.text, new: new.appliesWhen?.text,
                    at: new.appliesWhen?.span ?? whole)
        }
        let oldRoles = old.roles.map(\.value), newRoles = new.roles.map(\.value)
        if oldRoles != newRoles {
            out.add(.rolesChanged, "roles", old: list(oldRoles), new: list(newRoles), at: new.roles.first?.span ?? whole)
        }
        if old.start.value != new.start.value {
            out.add(.startChanged, "start", old: old.start.value, new: new.start.value, at: new.start.span)
        }
        compareVars(old.vars, new.vars, into: &out)
        compareSLA(old.sla, new.sla, whole: whole, into: &out)
        for state in new.states {
            guard let before = old.state(state.id.value) else {
                out.add(.stateAdded, "states.\(state.id.value)", state: state.id.value, old: nil, new: state.title, at: state.id.span)
                continue
            }
            compareState(before, state, into: &out)
        }
        for state in old.states where new.state(state.id.value) == nil {
            out.add(.stateRemoved, "states.\(state.id.value)", state: state.id.value, old: state.title, new: nil, at: state.id.span,
                    inOld: true)
        }
        return out.list.map { change in
            var c = change
            c.migration = needsMigration(c)
            return c
        }
    }

    /// Whether a run waiting in the change's state (or, for a change of no state, any waiting
    /// run) would be stranded or broken by moving it to the new version. The list, and why each
    /// is on it, is in docs/cli.md (`sop diff`, "Changes that need a migration").
    public static func needsMigration(_ change: SOPChange) -> Bool {
        alwaysMigration.contains(change.kind) || change.migration
    }

    /// The kinds that always need a decision or a refusal when a waiting run is migrated (the
    /// rules of docs/runtime.md, "Migrating a run"). Others do when what they changed narrowed
    /// (an input made required, bounds or enum values narrowed, a pattern set, a variable's
    /// type changed): that is decided where the values are compared. A change the migration
    /// rules carry a run through by themselves (a role, a checklist, a transition, a timer, a
    /// variable or an SLA target dropped) is not on the list.
    static let alwaysMigration: Set<SOPChange.Kind> = [.stateRemoved, .inputTypeChanged, .callChanged, .endChanged]

    // MARK: Parts

    /// The list being built, with the narrowing decisions kept on the change until `compare`
    /// applies the migration rules.
    struct Changes {
        var list: [SOPChange] = []

        mutating func add(_ kind: SOPChange.Kind, _ path: String, state: String? = nil, old: String?, new: String?, at span: SourceSpan,
                          inOld: Bool = false, narrowed: Bool = false) {
            list.append(SOPChange(kind: kind, path: path, state: state, old: old, new: new, span: span, inOld: inOld, migration: narrowed))
        }
    }

    static func compareVars(_ old: [FieldSpec], _ new: [FieldSpec], into out: inout Changes) {
        for v in new {
            let path = "vars.\(v.id.value)"
            guard let before = old.first(where: { $0.id.value == v.id.value }) else {
                out.add(.varAdded, path, old: nil, new: fieldText(v), at: v.id.span)
                continue
            }
            if fieldText(before) != fieldText(v) {
                // A variable's value is kept with the run: another type, or fewer enum values,
                // can leave a stored value the new version cannot read.
                let narrowed = before.type != v.type || !Set(before.values.map(\.value)).isSubset(of: v.values.map(\.value))
                out.add(.varChanged, path, old: fieldText(before), new: fieldText(v), at: v.id.span, narrowed: narrowed)
            }
        }
        for v in old where !new.contains(where: { $0.id.value == v.id.value }) {
            out.add(.varRemoved, "vars.\(v.id.value)", old: fieldText(v), new: nil, at: v.id.span, inOld: true)
        }
    }

    static func fieldText(_ v: FieldSpec) -> String {
        var parts = [v.type.rawValue]
        if !v.values.isEmpty { parts.append("values " + list(v.values.map(\.value))) }
        if let initial = v.initial { parts.append("initial " + literalText(initial)) }
        return parts.joined(separator: ", ")
    }

    static func compareSLA(_ old: SLAPolicy?, _ new: SLAPolicy?, whole: SourceSpan, into out: inout Changes) {
        if old?.calendar?.value != new?.calendar?.value {
            out.add(.slaCalendarChanged, "sla.calendar", old: old?.calendar?.value, new: new?.calendar?.value,
                    at: new?.calendar?.span ?? old?.calendar?.span ?? whole, inOld: new?.calendar == nil)
        }
        let oldTargets = old?.targets ?? [], newTargets = new?.targets ?? []
        for target in newTargets {
            let path = "sla.targets.\(target.id.value)"
            guard let before = oldTargets.first(where: { $0.id.value == target.id.value }) else {
                out.add(.slaTargetAdded, path, old: nil, new: targetText(target), at: target.id.span)
                continue
            }
            for (key, a, b) in targetParts(before).merged(with: targetParts(target)) where a != b {
                out.add(.slaTargetChanged, path + "." + key, old: a, new: b, at: target.id.span)
            }
        }
        for target in oldTargets where !newTargets.contains(where: { $0.id.value == target.id.value }) {
            out.add(.slaTargetRemoved, "sla.targets.\(target.id.value)", old: targetText(target), new: nil, at: target.id.span,
                    inOld: true)
        }
    }

    /// A target's keys as text, in the order written in docs/format.md.
    static func targetParts(_ t: SLATarget) -> [(String, String?)] {
        let length: String
        switch t.length {
        case .fixed(let d): length = d.value
        case .by(let path, let values, let fallback):
            length = "by \(path.text): " + values.map { "\($0.value.value) \($0.duration.value)" }.joined(separator: ", ")
                + (fallback.map { ", default \($0.value)" } ?? "")
        }
        func states(_ s: [Located<String>]) -> String? { s.isEmpty ? nil : list(s.map(\.value)) }
        return [("target", length), ("calendar", t.calendar?.value), ("start", states(t.start)), ("pause", states(t.pause)),
                ("stop", states(t.stop)), ("warning", t.warningPercent.map { "\($0)%" })]
    }

    static func targetText(_ t: SLATarget) -> String {
        targetParts(t).compactMap { key, value in value.map { "\(key) \($0)" } }.joined(separator: ", ")
    }

    static func compareState(_ old: StateDefinition, _ new: StateDefinition, into out: inout Changes) {
        let id = new.id.value, base = "states.\(id)", at = new.id.span
        if old.title != new.title { out.add(.titleChanged, base + ".title", state: id, old: old.title, new: new.title, at: at) }
        if old.instructions != new.instructions {
            out.add(.instructionsChanged, base + ".instructions", state: id, old: old.instructions, new: new.instructions, at: at)
        }
        compareChecklist(old, new, into: &out)
        if old.role?.value != new.role?.value {
            out.add(.roleChanged, base + ".role", state: id, old: old.role?.value, new: new.role?.value, at: new.role?.span ?? at)
        }
        let oldEnter = old.enter.map(actionText), newEnter = new.enter.map(actionText)
        if oldEnter != newEnter {
            out.add(.enterActionsChanged, base + ".enter", state: id, old: actionsText(oldEnter), new: actionsText(newEnter), at: at)
        }
        if old.call?.value != new.call?.value {
            out.add(.callChanged, base + ".call", state: id, old: old.call?.value, new: new.call?.value, at: new.call?.span ?? at)
        }
        if old.end?.value != new.end?.value {
            out.add(.endChanged, base + ".end", state: id, old: old.end?.value, new: new.end?.value, at: new.end?.span ?? at)
        }
        compareInputs(old, new, into: &out)
        compareTransitions(old, new, into: &out)
    }

    static func compareChecklist(_ old: StateDefinition, _ new: StateDefinition, into out: inout Changes) {
        let id = new.id.value, base = "states.\(id).checklist"
        let oldItems = old.checklist.map(\.value), newItems = new.checklist.map(\.value)
        guard oldItems != newItems else { return }
        var remaining = oldItems
        for (i, item) in new.checklist.enumerated() {
            if let k = remaining.firstIndex(of: item.value) { remaining.remove(at: k); continue }
            out.add(.checklistItemAdded, base + "[\(i)]", state: id, old: nil, new: item.value, at: item.span)
        }
        var unmatched = newItems
        for (i, item) in old.checklist.enumerated() {
            if let k = unmatched.firstIndex(of: item.value) { unmatched.remove(at: k); continue }
            out.add(.checklistItemRemoved, base + "[\(i)]", state: id, old: item.value, new: nil, at: item.span, inOld: true)
        }
        // The items both keep, in each order: another order is a change of its own (a run's
        // confirmations are kept by position).
        let kept = newItems.filter(oldItems.contains), keptBefore = oldItems.filter(newItems.contains)
        if kept != keptBefore {
            out.add(.checklistReordered, base, state: id, old: list(keptBefore), new: list(kept), at: new.checklist.first?.span ?? new.id.span)
        }
    }

    static func compareInputs(_ old: StateDefinition, _ new: StateDefinition, into out: inout Changes) {
        let id = new.id.value
        for input in new.inputs {
            let path = "states.\(id).inputs.\(input.id.value)", at = input.id.span
            guard let before = old.inputs.first(where: { $0.id.value == input.id.value }) else {
                out.add(.inputAdded, path, state: id, old: nil, new: inputText(input), at: at, narrowed: input.required)
                continue
            }
            if before.type != input.type {
                out.add(.inputTypeChanged, path + ".type", state: id, old: before.type.rawValue, new: input.type.rawValue, at: at)
            }
            if before.required != input.required {
                out.add(.inputRequiredChanged, path + ".required", state: id, old: requiredText(before.required),
                        new: requiredText(input.required), at: at, narrowed: input.required)
            }
            let oldBounds = boundsText(before), newBounds = boundsText(input)
            if oldBounds != newBounds {
                out.add(.inputBoundsChanged, path, state: id, old: oldBounds, new: newBounds, at: at, narrowed: narrows(before, input))
            }
            let oldValues = before.values.map(\.value), newValues = input.values.map(\.value)
            if oldValues != newValues || before.labels != input.labels {
                out.add(.inputValuesChanged, path + ".values", state: id, old: valuesText(before), new: valuesText(input), at: at,
                        narrowed: !Set(oldValues).isSubset(of: newValues))
            }
            if before.pattern != input.pattern {
                // Any new pattern may refuse an answer the old one took.
                out.add(.inputPatternChanged, path + ".pattern", state: id, old: before.pattern, new: input.pattern, at: at,
                        narrowed: input.pattern != nil)
            }
            if before.prompt != input.prompt {
                out.add(.inputPromptChanged, path + ".prompt", state: id, old: before.prompt, new: input.prompt, at: at)
            }
            // Never a migration: a migrated run stays in its visit, and the rule for visit
            // inputs (docs/runtime.md, "Migrating a run") needs no decision.
            if before.scope != input.scope {
                out.add(.inputScopeChanged, path + ".scope", state: id, old: before.scope.rawValue, new: input.scope.rawValue, at: at)
            }
        }
        for input in old.inputs where !new.inputs.contains(where: { $0.id.value == input.id.value }) {
            out.add(.inputRemoved, "states.\(id).inputs.\(input.id.value)", state: id, old: inputText(input), new: nil,
                    at: input.id.span, inOld: true)
        }
    }

    static func requiredText(_ required: Bool) -> String { required ? "required" : "not required" }

    static func inputText(_ input: InputSpec) -> String {
        var parts = [input.type.rawValue, requiredText(input.required)]
        if let bounds = boundsText(input) { parts.append(bounds) }
        if !input.values.isEmpty { parts.append("values " + valuesText(input)) }
        if let pattern = input.pattern { parts.append("pattern \(pattern)") }
        if input.scope != .run { parts.append("scope \(input.scope.rawValue)") }
        return parts.joined(separator: ", ")
    }

    static func boundsText(_ input: InputSpec) -> String? {
        var parts: [String] = []
        if let v = input.min { parts.append("min \(number(v))") }
        if let v = input.max { parts.append("max \(number(v))") }
        if let v = input.minLength { parts.append("min_length \(v)") }
        if let v = input.maxLength { parts.append("max_length \(v)") }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }

    /// Whether the new bounds refuse an answer the old ones took.
    static func narrows(_ old: InputSpec, _ new: InputSpec) -> Bool {
        func lower<T: Comparable>(_ a: T?, _ b: T?) -> Bool { b.map { nb in a.map { nb > $0 } ?? true } ?? false }
        func upper<T: Comparable>(_ a: T?, _ b: T?) -> Bool { b.map { nb in a.map { nb < $0 } ?? true } ?? false }
        return lower(old.min, new.min) || upper(old.max, new.max) || lower(old.minLength, new.minLength) || upper(old.maxLength, new.maxLength)
    }

    static func valuesText(_ input: InputSpec) -> String {
        list(input.values.map { v in input.labels[v.value].map { "\(v.value) (\($0))" } ?? v.value })
    }

    static func number(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
    }

    // MARK: Transitions

    /// What starts a transition: its event, a timer, or nothing (automatic).
    static func trigger(_ t: TransitionDefinition) -> String {
        if let on = t.on { return "on " + on.value }
        if t.after != nil { return "timer" }
        return "auto"
    }

    /// The pairs (old index, new index) of matched transitions, in the order of the passes
    /// described on `SOPDiff`.
    static func matchTransitions(_ old: [TransitionDefinition], _ new: [TransitionDefinition]) -> [(Int, Int)] {
        var oldFree = Array(old.indices), newFree = Array(new.indices)
        var pairs: [(Int, Int)] = []
        func pass(_ same: (TransitionDefinition, TransitionDefinition) -> Bool) {
            for n in newFree {
                guard let k = oldFree.firstIndex(where: { same(old[$0], new[n]) }) else { continue }
                pairs.append((oldFree[k], n))
                oldFree.remove(at: k)
                newFree.removeAll { $0 == n }
            }
        }
        // Alike in all that decides when and where (a list of guarded alternatives put in
        // another order), then alike in trigger and target, …
        pass { transitionText($0) == transitionText($1) }
        pass { trigger($0) == trigger($1) && $0.to.value == $1.to.value }
        pass { trigger($0) == trigger($1) }
        pass { $0.to.value == $1.to.value }
        return pairs.sorted { $0.1 < $1.1 }
    }

    static func compareTransitions(_ old: StateDefinition, _ new: StateDefinition, into out: inout Changes) {
        let id = new.id.value, base = "states.\(id).transitions"
        let pairs = matchTransitions(old.transitions, new.transitions)
        for n in new.transitions.indices where !pairs.contains(where: { $0.1 == n }) {
            let t = new.transitions[n]
            out.add(.transitionAdded, base + "[\(n)]", state: id, old: nil, new: transitionText(t), at: t.span)
        }
        for o in old.transitions.indices where !pairs.contains(where: { $0.0 == o }) {
            let t = old.transitions[o]
            out.add(.transitionRemoved, base + "[\(o)]", state: id, old: transitionText(t), new: nil, at: t.span, inOld: true)
        }
        // Reordered: the kept transitions are tried in another order.
        let oldOrder = pairs.map(\.0)
        if oldOrder != oldOrder.sorted() {
            let before = pairs.sorted { $0.0 < $1.0 }.map { transitionText(old.transitions[$0.0]) }
            let after = pairs.map { transitionText(new.transitions[$0.1]) }
            out.add(.transitionsReordered, base, state: id, old: before.joined(separator: "; "), new: after.joined(separator: "; "),
                    at: new.transitions[pairs[0].1].span)
        }
        for (o, n) in pairs {
            let a = old.transitions[o], b = new.transitions[n], path = base + "[\(n)]", at = b.span
            if a.on?.value != b.on?.value && (a.on != nil || b.on != nil) {
                out.add(.eventChanged, path + ".on", state: id, old: a.on?.value, new: b.on?.value, at: b.on?.span ?? at)
            }
            if a.timerText != b.timerText {
                out.add(.timerChanged, path + ".after", state: id, old: a.timerText, new: b.timerText, at: b.after?.span ?? at)
            }
            if a.when?.text != b.when?.text {
                out.add(.guardChanged, path + ".guard", state: id, old: a.when?.text, new: b.when?.text, at: b.when?.span ?? at)
            }
            if a.to.value != b.to.value {
                out.add(.targetChanged, path + ".to", state: id, old: a.to.value, new: b.to.value, at: b.to.span)
            }
            if a.role?.value != b.role?.value {
                out.add(.transitionRoleChanged, path + ".role", state: id, old: a.role?.value, new: b.role?.value, at: b.role?.span ?? at)
            }
            if a.label != b.label { out.add(.labelChanged, path + ".label", state: id, old: a.label, new: b.label, at: at) }
            let oldActions = a.actions.map(actionText), newActions = b.actions.map(actionText)
            if oldActions != newActions {
                out.add(.actionsChanged, path + ".do", state: id, old: actionsText(oldActions), new: actionsText(newActions), at: at)
            }
        }
    }

    /// A transition in one line: `on approve → refunded [input.amount > 100]`.
    public static func transitionText(_ t: TransitionDefinition) -> String {
        var parts: [String] = []
        if let on = t.on { parts.append("on \(on.value)") }
        if let timer = t.timerText { parts.append("after \(timer)") }
        parts.append("→ \(t.to.value)")
        if let when = t.when { parts.append("[\(oneLine(when.text))]") }
        return parts.joined(separator: " ")
    }

    // MARK: Actions

    static func actionsText(_ actions: [String]) -> String? { actions.isEmpty ? nil : actions.joined(separator: "; ") }

    /// An action in one line, as it would be written in flow style.
    static func actionText(_ action: Action) -> String {
        switch action {
        case .set(let assignments):
            return "set {" + assignments.map { "\($0.path.value): \(literalText($0.value))" }.joined(separator: ", ") + "}"
        case .notify(let to, let template):
            let target: String
            switch to.value {
            case .customer: target = "customer"
            case .team(let t): target = "team:\(t)"
            case .role(let r): target = "role:\(r)"
            }
            return "notify {to: \(target), template: \(oneLine(template.text))}"
        case .assign(let role, let queue):
            return "assign {" + ([role.map { "role: \($0.value)" }, queue.map { "queue: \($0.text)" }].compactMap { $0 })
                .joined(separator: ", ") + "}"
        case .tag(let tags):
            return "tag " + list(tags.map(\.text))
        case .start(let sop):
            return "start {sop: \(sop.value)}"
        }
    }

    static func literalText(_ literal: Literal) -> String {
        switch literal.value {
        case .list(let items): return list(items.map(literalText))
        case .mapping(let members): return "{" + members.map { "\($0.key): \(literalText($0.value))" }.joined(separator: ", ") + "}"
        default: return oneLine(literal.written ?? "")
        }
    }

    static func list(_ items: [String]) -> String { "[" + items.joined(separator: ", ") + "]" }

    static func oneLine(_ text: String) -> String { text.split(whereSeparator: \.isNewline).joined(separator: " ") }
}

private extension Array where Element == (String, String?) {
    /// The values of the same keys side by side (both lists have the same keys in one order).
    func merged(with other: [(String, String?)]) -> [(String, String?, String?)] {
        zip(self, other).map { ($0.0, $0.1, $1.1) }
    }
}
