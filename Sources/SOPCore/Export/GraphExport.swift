import SOPDiagnostics
import SOPExpression

/// Draws an SOP's state machine as Mermaid or Graphviz DOT, top to bottom, for a supervisor to
/// read: states with their title (and their role when it is not `agent`), terminal states with
/// their outcome, and each transition with what takes it.
///
/// An edge's label, from `EdgeLabel`: the author's `label:` when there is one, else the event or
/// the timer and the guard (an SLA event in words: "SLA first response breached"). Transitions tried in turn for the same trigger (a state's automatic
/// ones, one event's) are numbered in the order they are tried, and an unguarded one after
/// guarded ones reads "otherwise", so a fallback never looks unconditional. A timer edge is
/// marked (`⏱`, dashed in DOT), and so is one restricted to a role other than its state's (the
/// role named, coloured in DOT).
public enum GraphExport {
    public static func mermaid(_ sop: SOPDefinition) -> String {
        var out = "stateDiagram-v2\n    direction TB\n"
        out += "    [*] --> \(sop.start.value)\n"
        for state in sop.states {
            out += "    \(state.id.value): \(escapeMermaid(stateLabel(state)))\n"
        }
        for state in sop.states {
            for edge in edges(state) {
                out += "    \(state.id.value) --> \(edge.to)" + (edge.text.isEmpty ? "" : ": \(escapeMermaid(edge.text))") + "\n"
            }
            if let end = state.end {
                out += "    \(state.id.value) --> [*]: \(escapeMermaid("end: " + end.value))\n"
            }
        }
        return out
    }

    public static func dot(_ sop: SOPDefinition) -> String {
        var out = "digraph \"\(escapeDOT(sop.id.value))\" {\n  rankdir=TB;\n  node [shape=box, style=rounded];\n"
        out += "  \"__start\" [shape=point];\n  \"__start\" -> \"\(escapeDOT(sop.start.value))\";\n"
        for state in sop.states {
            var attributes = "label=\"\(escapeDOT(stateLabel(state)))\""
            if let end = state.end { attributes = "label=\"\(escapeDOT(Template.withoutExpressions(state.title)))\\n(end: \(escapeDOT(end.value)))\", peripheries=2" }
            out += "  \"\(escapeDOT(state.id.value))\" [\(attributes)];\n"
        }
        for state in sop.states {
            for edge in edges(state) {
                var attributes = "label=\"\(escapeDOT(edge.text))\""
                if edge.isTimer { attributes += ", style=dashed" }
                if edge.role != nil { attributes += ", color=\"#1f5fa8\", fontcolor=\"#1f5fa8\"" }
                out += "  \"\(escapeDOT(state.id.value))\" -> \"\(escapeDOT(edge.to))\" [\(attributes)];\n"
            }
        }
        return out + "}\n"
    }

    /// A state's title, with its role when it is not the default.
    static func stateLabel(_ state: StateDefinition) -> String {
        let title = Template.withoutExpressions(state.title)
        guard let role = state.role?.value, role != "agent" else { return title }
        return "\(title) (\(role))"
    }

    /// One transition as drawn.
    struct Edge {
        var to: String
        var text: String
        var isTimer: Bool
        /// The role that takes it, when it differs from its state's.
        var role: String?
    }

    /// A state's transitions as edges, numbered within the group of transitions tried in turn.
    static func edges(_ state: StateDefinition) -> [Edge] {
        // Transitions tried in turn: the automatic ones together, each event's together. Timers
        // run each on its own.
        func group(_ t: TransitionDefinition) -> String? {
            if t.after != nil { return nil }
            return t.on.map { "on " + $0.value } ?? "auto"
        }
        var members: [String: [Int]] = [:]
        for (i, t) in state.transitions.enumerated() { if let g = group(t) { members[g, default: []].append(i) } }
        let stateRole = state.role?.value ?? "agent"
        return state.transitions.enumerated().map { i, t in
            var parts: [String] = []
            let inGroup = group(t).flatMap { members[$0] } ?? [i]
            let guarded = inGroup.contains { state.transitions[$0].when != nil }
            if inGroup.count > 1 && guarded, let position = inGroup.firstIndex(of: i) {
                parts.append("\(position + 1).")
            }
            if let label = t.label {
                parts.append(label)
            } else {
                if let on = t.on { parts.append(eventText(on.value)) }
                if let timer = t.timerText { parts.append("⏱ after \(timer)") }
                if let when = t.when {
                    parts.append("[\(when.text.split(whereSeparator: \.isNewline).joined(separator: " "))]")
                } else if inGroup.count > 1 && guarded {
                    parts.append(t.on == nil ? "otherwise" : "(otherwise)")
                }
            }
            if t.label != nil, let timer = t.timerText { parts.insert("⏱ after \(timer):", at: parts.count - 1) }
            let role = t.role.map(\.value).flatMap { $0 == stateRole ? nil : $0 }
            if let role { parts.append("— \(role)") }
            return Edge(to: t.to.value, text: parts.joined(separator: " "), isTimer: t.after != nil, role: role)
        }
    }

    /// An event as a reader says it: the SLA clock's `sla.first_response.breached` reads
    /// "SLA first response breached"; any other event is shown as written.
    static func eventText(_ event: String) -> String {
        let parts = event.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "sla", !parts[1].isEmpty, ["warning", "breached"].contains(parts[2]) else { return event }
        return "SLA \(String(parts[1]).replacingAll("_", " ")) \(parts[2])"
    }

    static func escapeMermaid(_ s: String) -> String {
        // Mermaid state labels end at a newline and treat ':' specially only in the first position.
        s.split(whereSeparator: \.isNewline).joined(separator: " ").replacingAll("#", "#35;").replacingAll(";", "#59;")
    }

    static func escapeDOT(_ s: String) -> String {
        s.replacingAll("\\", "\\\\").replacingAll("\"", "\\\"").split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
