import Foundation
import SOPExpression

/// Draws an SOP as an SVG picture by itself, with no browser script and nothing fetched: the
/// agent console shows it inline and `sop graph --format svg` writes it. The states are laid out
/// top to bottom by `LayeredLayout` (ranks from the start state, few crossings, edges routed
/// round the states, each label in room of its own), so no text overprints another and no edge
/// runs through a state. Edges carry the same labels as the Mermaid and DOT drawings
/// (`GraphExport.edges`): numbered guards, "otherwise", timers dashed, other roles coloured.
///
/// Every text carries its own `font-size` and `text-anchor`, and its room is measured with
/// `TextMetrics`, so a test can check the drawing for overlaps from the SVG alone.
public enum GraphSVG {
    static let titleSize = 13.0, subSize = 11.0, labelSize = 11.0
    static let nodeHeight = 46.0, subLineHeight = 15.0, labelColumns = 30, labelPadding = 4.0

    /// A state as drawn: its lines (title, then role and outcome in smaller type).
    struct StateBox {
        var id: String
        var lines: [String]
        var isEnd: Bool
        var size: LayeredLayout.Size {
            let widest = lines.enumerated().map { TextMetrics.width($1, fontSize: $0 == 0 ? titleSize : subSize) }.max() ?? 0
            return .init(width: max(120, widest + 28), height: nodeHeight + Double(lines.count - 1) * subLineHeight)
        }
    }

    public static func svg(_ sop: SOPDefinition) -> String {
        let states = sop.states.map { state -> StateBox in
            // No ticket is known here: a template in a title shows as … (docs/decisions.md).
            var lines = [Template.withoutExpressions(state.title)]
            if let role = state.role?.value, role != "agent" { lines.append("(\(role))") }
            if let end = state.end { lines.append("end: \(end.value)") }
            return StateBox(id: state.id.value, lines: lines, isEnd: state.end != nil)
        }
        let index = Dictionary(states.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        var drawn: [(from: Int, to: Int, edge: GraphExport.Edge, label: [String])] = []
        for (s, state) in sop.states.enumerated() {
            for edge in GraphExport.edges(state) {
                guard let t = index[edge.to] else { continue }
                // The dashed line marks a timer; the clock sign is left to the text drawings.
                let text = edge.text.replacingOccurrences(of: "⏱ ", with: "")
                drawn.append((s, t, edge, text.isEmpty ? [] : TextMetrics.wrap(text, columns: labelColumns)))
            }
        }
        // The start is a node of its own (a dot with an arrow to the start state), laid out like
        // the states, so that it never lands on an edge or a label.
        let start = index[sop.start.value]
        var edges = drawn.map { LayeredLayout.Edge(from: $0.from, to: $0.to, label: $0.label.isEmpty ? nil : labelSize(of: $0.label)) }
        if let start { edges.append(.init(from: states.count, to: start)) }
        let layout = LayeredLayout.layout(nodes: states.map(\.size) + [.init(width: 12, height: 12)], edges: edges, first: states.count)
        return document(sop: sop, states: states, drawn: drawn, layout: layout, start: start)
    }

    static func labelSize(of lines: [String]) -> LayeredLayout.Size {
        let widest = lines.map { TextMetrics.width($0, fontSize: labelSize) }.max() ?? 0
        return .init(width: widest + 2 * labelPadding, height: Double(lines.count) * TextMetrics.lineHeight(fontSize: labelSize) + 4)
    }

    static func document(sop: SOPDefinition, states: [StateBox], drawn: [(from: Int, to: Int, edge: GraphExport.Edge, label: [String])],
                         layout: LayeredLayout.Result, start: Int?) -> String {
        var body = "", labels = ""
        for (e, d) in drawn.enumerated() {
            let classes = "edge" + (d.edge.role != nil ? " role" : "")
            body += "<path class=\"\(classes)\" data-from=\"\(escape(states[d.from].id))\" data-to=\"\(escape(states[d.to].id))\" d=\"\(pathData(layout.routes[e]))\""
                + (d.edge.isTimer ? " stroke-dasharray=\"6 4\"" : "") + " marker-end=\"url(#arrow)\"/>\n"
            if let box = layout.labels[e] {
                labels += "<g class=\"label\"><rect x=\"\(f(box.x))\" y=\"\(f(box.y))\" width=\"\(f(box.width))\" height=\"\(f(box.height))\" rx=\"3\"/>"
                labels += textLines(d.label, x: box.x + labelPadding, top: box.y + 2, size: labelSize, anchor: "start",
                                    classes: d.edge.role != nil ? "role" : nil)
                labels += "</g>\n"
            }
        }
        if start != nil {
            let dot = layout.nodes[states.count]
            body += "<circle class=\"start\" cx=\"\(f(dot.x + dot.width / 2))\" cy=\"\(f(dot.y + dot.height / 2))\" r=\"6\"/>"
            body += "<path class=\"edge start\" data-from=\"[start]\" data-to=\"\(escape(sop.start.value))\" d=\"\(pathData(layout.routes[drawn.count]))\" marker-end=\"url(#arrow)\"/>\n"
        }
        var boxes = ""
        for (v, state) in states.enumerated() {
            let n = layout.nodes[v]
            boxes += "<g class=\"state\(state.isEnd ? " end" : "")\" id=\"state-\(escape(state.id))\"><title>\(escape(state.id))</title>"
            boxes += "<rect x=\"\(f(n.x))\" y=\"\(f(n.y))\" width=\"\(f(n.width))\" height=\"\(f(n.height))\" rx=\"10\"/>"
            if state.isEnd {
                boxes += "<rect class=\"inner\" x=\"\(f(n.x + 3))\" y=\"\(f(n.y + 3))\" width=\"\(f(n.width - 6))\" height=\"\(f(n.height - 6))\" rx=\"8\"/>"
            }
            for (i, line) in state.lines.enumerated() {
                boxes += "<text x=\"\(f(n.x + n.width / 2))\" y=\"\(f(n.y + 27 + Double(i) * subLineHeight))\" font-size=\"\(f(i == 0 ? titleSize : subSize))\" text-anchor=\"middle\"\(i > 0 ? " class=\"sub\"" : "")>\(escape(line))</text>"
            }
            boxes += "</g>\n"
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" class="sop-graph" viewBox="0 0 \(f(layout.width)) \(f(layout.height))" width="\(f(layout.width))" height="\(f(layout.height))" role="img" aria-label="\(escape(Template.withoutExpressions(sop.title)))">
            <style>
            .sop-graph path { fill: none; stroke: #555; stroke-width: 1.4; }
            .sop-graph path.role { stroke: #1f5fa8; }
            .sop-graph .state rect { fill: #f4f6fa; stroke: #444; stroke-width: 1.2; }
            .sop-graph .state.end rect.inner { fill: none; }
            .sop-graph text { font-family: sans-serif; fill: #111; }
            .sop-graph text.sub { fill: #555; }
            .sop-graph .label rect { fill: #fff; fill-opacity: 0.9; stroke: none; }
            .sop-graph .label text { fill: #333; }
            .sop-graph .label text.role { fill: #1f5fa8; }
            .sop-graph circle.start { fill: #222; }
            </style>
            <defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" style="fill:#555;stroke:none"/></marker></defs>
            \(body)\(boxes)\(labels)</svg>

            """
    }

    /// Lines of text from the top of their box down, each with its size and anchor.
    static func textLines(_ lines: [String], x: Double, top: Double, size: Double, anchor: String, classes: String?) -> String {
        var out = ""
        for (i, line) in lines.enumerated() {
            let baseline = top + TextMetrics.ascent * size + Double(i) * TextMetrics.lineHeight(fontSize: size)
            out += "<text x=\"\(f(x))\" y=\"\(f(baseline))\" font-size=\"\(f(size))\" text-anchor=\"\(anchor)\""
                + (classes.map { " class=\"\($0)\"" } ?? "") + ">\(escape(line))</text>"
        }
        return out
    }

    /// A polyline as SVG path data.
    public static func pathData(_ points: [LayeredLayout.Point]) -> String {
        points.enumerated().map { i, p in (i == 0 ? "M" : "L") + "\(f(p.x)),\(f(p.y))" }.joined(separator: " ")
    }

    static func f(_ x: Double) -> String {
        let rounded = (x * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    static func escape(_ s: String) -> String { XMLText.escape(s) }
}
