import SOPDiagnostics

/// Draws an SOP's state machine as Mermaid or Graphviz DOT: states, terminal states with their
/// outcome, and transitions labelled with their event or timer and guard.
public enum GraphExport {
    public static func mermaid(_ sop: SOPDefinition) -> String {
        var out = "stateDiagram-v2\n"
        out += "    [*] --> \(sop.start.value)\n"
        for state in sop.states {
            out += "    \(state.id.value): \(escapeMermaid(state.title))\n"
        }
        for state in sop.states {
            for t in state.transitions {
                let label = label(t)
                out += "    \(state.id.value) --> \(t.to.value)" + (label.isEmpty ? "" : ": \(escapeMermaid(label))") + "\n"
            }
            if let end = state.end {
                out += "    \(state.id.value) --> [*]: \(escapeMermaid("end: " + end.value))\n"
            }
        }
        return out
    }

    public static func dot(_ sop: SOPDefinition) -> String {
        var out = "digraph \"\(escapeDOT(sop.id.value))\" {\n  rankdir=LR;\n  node [shape=box, style=rounded];\n"
        out += "  \"__start\" [shape=point];\n  \"__start\" -> \"\(escapeDOT(sop.start.value))\";\n"
        for state in sop.states {
            var attributes = "label=\"\(escapeDOT(state.title))\""
            if let end = state.end { attributes = "label=\"\(escapeDOT(state.title))\\n(end: \(escapeDOT(end.value)))\", peripheries=2" }
            out += "  \"\(escapeDOT(state.id.value))\" [\(attributes)];\n"
        }
        for state in sop.states {
            for t in state.transitions {
                out += "  \"\(escapeDOT(state.id.value))\" -> \"\(escapeDOT(t.to.value))\" [label=\"\(escapeDOT(label(t)))\"];\n"
            }
        }
        return out + "}\n"
    }

    /// `event [guard]`, `after 48h [guard]`, or `[guard]` for an automatic transition.
    static func label(_ t: TransitionDefinition) -> String {
        var parts: [String] = []
        if let on = t.on { parts.append(t.label ?? on.value) }
        if let after = t.after { parts.append("after \(after.text)") }
        if let when = t.when { parts.append("[\(when.text.split(whereSeparator: \.isNewline).joined(separator: " "))]") }
        return parts.joined(separator: " ")
    }

    static func escapeMermaid(_ s: String) -> String {
        // Mermaid state labels end at a newline and treat ':' specially only in the first position.
        s.split(whereSeparator: \.isNewline).joined(separator: " ").replacingAll("#", "#35;").replacingAll(";", "#59;")
    }

    static func escapeDOT(_ s: String) -> String {
        s.replacingAll("\\", "\\\\").replacingAll("\"", "\\\"").split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
