import Foundation
import SOPExpression

/// The drawing of a diff: the states and transitions of both versions in one graph, those added,
/// removed and changed drawn apart (`sop diff --format svg|mermaid`). It reuses the state
/// machine drawing's labels (`GraphExport.edges`) and layout (`LayeredLayout`).
public struct DiffDiagram {
    /// How a state or a transition fares between the versions.
    public enum Mark: String, Sendable {
        case same, added, removed, changed

        /// The prefix of an edge label in Mermaid, which cannot style transitions.
        var sign: String {
            switch self {
            case .same: return ""
            case .added: return "+ "
            case .removed: return "− "
            case .changed: return "~ "
            }
        }
    }

    public struct State: Sendable {
        public var definition: StateDefinition
        public var mark: Mark
    }

    struct Edge {
        var from: String
        var edge: GraphExport.Edge
        var mark: Mark
    }

    public var start: String
    public var title: String
    /// NEW's states in their order, then those only OLD has.
    public var states: [State]
    var edges: [Edge]

    public init(old: SOPDefinition, new: SOPDefinition, changes: [SOPChange]) {
        start = new.start.value
        title = new.title
        var states: [State] = [], edges: [Edge] = []
        for state in new.states {
            let id = state.id.value
            let mark: Mark
            if changes.contains(where: { $0.kind == .stateAdded && $0.state == id }) {
                mark = .added
            } else {
                mark = changes.contains { $0.state == id } ? .changed : .same
            }
            states.append(State(definition: state, mark: mark))
            let drawn = GraphExport.edges(state)
            guard let before = old.state(id) else {
                edges += drawn.map { Edge(from: id, edge: $0, mark: .added) }
                continue
            }
            let pairs = SOPDiff.matchTransitions(before.transitions, state.transitions)
            let oldDrawn = GraphExport.edges(before)
            for (n, edge) in drawn.enumerated() {
                let prefix = "states.\(id).transitions[\(n)]."
                let pair = pairs.first { $0.1 == n }
                let mark: Mark = pair == nil ? .added : changes.contains { $0.state == id && $0.path.hasPrefix(prefix) } ? .changed : .same
                edges.append(Edge(from: id, edge: edge, mark: mark))
                // A transition that now leads elsewhere: its old arrow is drawn as removed.
                if let (o, _) = pair, before.transitions[o].to.value != state.transitions[n].to.value {
                    edges.append(Edge(from: id, edge: oldDrawn[o], mark: .removed))
                }
            }
            for o in before.transitions.indices where !pairs.contains(where: { $0.0 == o }) {
                edges.append(Edge(from: id, edge: oldDrawn[o], mark: .removed))
            }
        }
        for state in old.states where new.state(state.id.value) == nil {
            states.append(State(definition: state, mark: .removed))
            edges += GraphExport.edges(state).map { Edge(from: state.id.value, edge: $0, mark: .removed) }
        }
        self.states = states
        self.edges = edges
    }

    // MARK: Mermaid

    public func mermaid() -> String {
        var out = "stateDiagram-v2\n    direction TB\n"
        out += "    classDef added fill:#dafbe1,stroke:#1a7f37,color:#1a7f37\n"
        out += "    classDef removed fill:#ffebe9,stroke:#cf222e,color:#cf222e,stroke-dasharray:5 5\n"
        out += "    classDef changed fill:#fff8c5,stroke:#9a6700,color:#6f4e00\n"
        out += "    [*] --> \(start)\n"
        for state in states {
            out += "    \(state.definition.id.value): \(GraphExport.escapeMermaid(GraphExport.stateLabel(state.definition)))\n"
        }
        for e in edges {
            let text = e.edge.text.isEmpty ? e.mark.sign.trimmingCharacters(in: .whitespaces) : e.mark.sign + e.edge.text
            out += "    \(e.from) --> \(e.edge.to)" + (text.isEmpty ? "" : ": \(GraphExport.escapeMermaid(text))") + "\n"
        }
        for state in states {
            if let end = state.definition.end, state.mark != .removed {
                out += "    \(state.definition.id.value) --> [*]: \(GraphExport.escapeMermaid("end: " + end.value))\n"
            }
        }
        for mark in [Mark.added, .removed, .changed] {
            let ids = states.filter { $0.mark == mark }.map(\.definition.id.value)
            if !ids.isEmpty { out += "    class \(ids.joined(separator: ",")) \(mark.rawValue)\n" }
        }
        return out
    }

    // MARK: SVG

    static let colors: [Mark: (stroke: String, fill: String)] = [
        .same: ("#555", "#f4f6fa"), .added: ("#1a7f37", "#dafbe1"), .removed: ("#cf222e", "#ffebe9"), .changed: ("#9a6700", "#fff8c5"),
    ]

    /// A standalone SVG picture: states and arrows added in green, removed in red and dashed,
    /// changed in amber, with a legend under the drawing.
    public func svg() -> String {
        typealias G = GraphSVG
        let boxes = states.map { state -> GraphSVG.StateBox in
            let d = state.definition
            var lines = [Template.withoutExpressions(d.title)]
            if let role = d.role?.value, role != "agent" { lines.append("(\(role))") }
            if let end = d.end { lines.append("end: \(end.value)") }
            return GraphSVG.StateBox(id: d.id.value, lines: lines, isEnd: d.end != nil)
        }
        let index = Dictionary(boxes.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        var drawn: [(from: Int, to: Int, edge: Edge, label: [String])] = []
        for e in edges {
            guard let f = index[e.from], let t = index[e.edge.to] else { continue }
            let text = e.edge.text.replacingOccurrences(of: "⏱ ", with: "")
            drawn.append((f, t, e, text.isEmpty ? [] : TextMetrics.wrap(text, columns: G.labelColumns)))
        }
        let first = index[start]
        var layoutEdges = drawn.map { LayeredLayout.Edge(from: $0.from, to: $0.to, label: $0.label.isEmpty ? nil : G.labelSize(of: $0.label)) }
        if let first { layoutEdges.append(.init(from: boxes.count, to: first)) }
        let layout = LayeredLayout.layout(nodes: boxes.map(\.size) + [.init(width: 12, height: 12)], edges: layoutEdges, first: boxes.count)

        var body = "", labels = ""
        for (i, d) in drawn.enumerated() {
            let mark = d.edge.mark
            var dash = ""
            if mark == .removed { dash = " stroke-dasharray=\"3 3\"" } else if d.edge.edge.isTimer { dash = " stroke-dasharray=\"6 4\"" }
            body += "<path class=\"edge \(mark.rawValue)\" data-from=\"\(G.escape(boxes[d.from].id))\" data-to=\"\(G.escape(boxes[d.to].id))\""
                + " d=\"\(G.pathData(layout.routes[i]))\"\(dash) marker-end=\"url(#arrow-\(mark.rawValue))\"/>\n"
            if let box = layout.labels[i] {
                labels += "<g class=\"label\"><rect x=\"\(G.f(box.x))\" y=\"\(G.f(box.y))\" width=\"\(G.f(box.width))\" height=\"\(G.f(box.height))\" rx=\"3\"/>"
                labels += G.textLines(d.label, x: box.x + G.labelPadding, top: box.y + 2, size: G.labelSize, anchor: "start",
                                      classes: mark == .same ? nil : mark.rawValue)
                labels += "</g>\n"
            }
        }
        if first != nil {
            let dot = layout.nodes[boxes.count]
            body += "<circle class=\"start\" cx=\"\(G.f(dot.x + dot.width / 2))\" cy=\"\(G.f(dot.y + dot.height / 2))\" r=\"6\"/>"
            body += "<path class=\"edge same\" data-from=\"[start]\" data-to=\"\(G.escape(start))\" d=\"\(G.pathData(layout.routes[drawn.count]))\" marker-end=\"url(#arrow-same)\"/>\n"
        }
        var nodes = ""
        for (v, box) in boxes.enumerated() {
            let n = layout.nodes[v], mark = states[v].mark
            nodes += "<g class=\"state \(mark.rawValue)\(box.isEnd ? " end" : "")\" id=\"state-\(G.escape(box.id))\"><title>\(G.escape(box.id)) (\(mark.rawValue))</title>"
            nodes += "<rect x=\"\(G.f(n.x))\" y=\"\(G.f(n.y))\" width=\"\(G.f(n.width))\" height=\"\(G.f(n.height))\" rx=\"10\"/>"
            if box.isEnd {
                nodes += "<rect class=\"inner\" x=\"\(G.f(n.x + 3))\" y=\"\(G.f(n.y + 3))\" width=\"\(G.f(n.width - 6))\" height=\"\(G.f(n.height - 6))\" rx=\"8\"/>"
            }
            for (i, line) in box.lines.enumerated() {
                nodes += "<text x=\"\(G.f(n.x + n.width / 2))\" y=\"\(G.f(n.y + 27 + Double(i) * G.subLineHeight))\" font-size=\"\(G.f(i == 0 ? G.titleSize : G.subSize))\" text-anchor=\"middle\"\(i > 0 ? " class=\"sub\"" : "")>\(G.escape(line))</text>"
            }
            nodes += "</g>\n"
        }
        // The legend, under the drawing: a swatch and a word per mark.
        let legendTop = layout.height
        var legend = "<g class=\"legend\">"
        var x = LayeredLayout.margin
        for (mark, word) in [(Mark.added, "added"), (.removed, "removed"), (.changed, "changed"), (.same, "unchanged")] {
            legend += "<rect class=\"\(mark.rawValue)\" x=\"\(G.f(x))\" y=\"\(G.f(legendTop))\" width=\"14\" height=\"12\" rx=\"3\"/>"
            legend += "<text x=\"\(G.f(x + 19))\" y=\"\(G.f(legendTop + 10))\" font-size=\"11\" text-anchor=\"start\">\(word)</text>"
            x += 19 + TextMetrics.width(word, fontSize: 11) + 16
        }
        legend += "</g>\n"
        let width = max(layout.width, x + LayeredLayout.margin), height = layout.height + 12 + LayeredLayout.margin
        var style = """
            .sop-diff path { fill: none; stroke-width: 1.4; }
            .sop-diff text { font-family: sans-serif; fill: #111; }
            .sop-diff text.sub { fill: #555; }
            .sop-diff .state rect { stroke-width: 1.2; }
            .sop-diff .state.end rect.inner { fill: none; }
            .sop-diff .label rect { fill: #fff; fill-opacity: 0.9; stroke: none; }
            .sop-diff circle.start { fill: #222; }
            .sop-diff .state.removed rect { stroke-dasharray: 5 4; }

            """
        var markers = ""
        for mark in [Mark.same, .added, .removed, .changed] {
            let c = Self.colors[mark]!
            style += ".sop-diff path.\(mark.rawValue) { stroke: \(c.stroke); }\n"
            style += ".sop-diff .state.\(mark.rawValue) rect { fill: \(c.fill); stroke: \(c.stroke); }\n"
            style += ".sop-diff .legend rect.\(mark.rawValue) { fill: \(c.fill); stroke: \(c.stroke); }\n"
            if mark != .same { style += ".sop-diff .label text.\(mark.rawValue) { fill: \(c.stroke); }\n" }
            markers += "<marker id=\"arrow-\(mark.rawValue)\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" style=\"fill:\(c.stroke);stroke:none\"/></marker>"
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" class="sop-diff" viewBox="0 0 \(G.f(width)) \(G.f(height))" width="\(G.f(width))" height="\(G.f(height))" role="img" aria-label="\(G.escape("Changes to " + Template.withoutExpressions(title)))">
            <style>
            \(style)</style>
            <defs>\(markers)</defs>
            \(body)\(nodes)\(labels)\(legend)</svg>

            """
    }
}
