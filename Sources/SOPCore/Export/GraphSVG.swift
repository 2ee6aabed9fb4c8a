import Foundation

/// Draws an SOP as an SVG picture by itself, with no browser script and nothing fetched: the
/// agent console shows it inline and `sop graph --format svg` writes it. States are laid out top
/// to bottom in layers (a state's layer is its distance in transitions from the start state),
/// each layer ordered to keep states near the states that lead to them. Forward transitions go
/// down between layers; transitions back up, within a layer and to the state itself go round
/// the right-hand side. Edges carry the same labels as the Mermaid and DOT drawings
/// (`GraphExport.edges`): numbered guards, "otherwise", timers dashed, other roles coloured.
public enum GraphSVG {
    static let rowGap = 96.0, columnGap = 56.0, margin = 24.0, nodeHeight = 46.0, charWidth = 7.0

    struct Node {
        var id: String
        var lines: [String]
        var isEnd: Bool
        var layer = 0
        var x = 0.0, y = 0.0, width = 0.0
        var height: Double { nodeHeight + Double(lines.count - 1) * 15 }
    }

    public static func svg(_ sop: SOPDefinition) -> String {
        var nodes = sop.states.map { state -> Node in
            var lines = [state.title]
            if let role = state.role?.value, role != "agent" { lines.append("(\(role))") }
            if let end = state.end { lines.append("end: \(end.value)") }
            return Node(id: state.id.value, lines: lines, isEnd: state.end != nil)
        }
        let index = Dictionary(nodes.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        let targets = sop.states.map { $0.transitions.compactMap { index[$0.to.value] } }

        // Layers: breadth-first distance from the start; states it cannot reach go last.
        var layer = [Int](repeating: -1, count: nodes.count)
        var order: [Int] = []
        if let start = index[sop.start.value] {
            layer[start] = 0
            order.append(start)
            var head = 0
            while head < order.count {
                let n = order[head]
                head += 1
                for t in targets[n] where layer[t] < 0 {
                    layer[t] = layer[n] + 1
                    order.append(t)
                }
            }
        }
        let deepest = (layer.max() ?? 0)
        for n in nodes.indices where layer[n] < 0 {
            layer[n] = deepest + 1
            order.append(n)
        }
        var layers = [[Int]](repeating: [], count: (layer.max() ?? 0) + 1)
        for n in order { layers[layer[n]].append(n) }
        for n in nodes.indices {
            nodes[n].layer = layer[n]
            nodes[n].width = max(120, Double(nodes[n].lines.map(\.count).max() ?? 0) * charWidth + 28)
        }

        // Order each layer by the mean position of the states that lead to it (two sweeps).
        var parents = [[Int]](repeating: [], count: nodes.count)
        for (n, ts) in targets.enumerated() { for t in ts where layer[t] == layer[n] + 1 { parents[t].append(n) } }
        for _ in 0..<2 {
            for l in layers.indices.dropFirst() {
                let position = Dictionary(uniqueKeysWithValues: layers[l - 1].enumerated().map { ($1, Double($0)) })
                layers[l] = layers[l].enumerated().sorted { a, b in
                    let pa = parents[a.element].compactMap { position[$0] }, pb = parents[b.element].compactMap { position[$0] }
                    let ka = pa.isEmpty ? Double(a.offset) : pa.reduce(0, +) / Double(pa.count)
                    let kb = pb.isEmpty ? Double(b.offset) : pb.reduce(0, +) / Double(pb.count)
                    return ka == kb ? a.offset < b.offset : ka < kb
                }.map(\.element)
            }
        }

        // Place: each layer centred on the widest.
        let widths = layers.map { l in l.map { nodes[$0].width }.reduce(0, +) + Double(max(0, l.count - 1)) * columnGap }
        let contentWidth = widths.max() ?? 0
        var y = margin + 20
        for (l, members) in layers.enumerated() {
            var x = margin + (contentWidth - widths[l]) / 2
            let rowHeight = members.map { nodes[$0].height }.max() ?? nodeHeight
            for n in members {
                nodes[n].x = x
                nodes[n].y = y
                x += nodes[n].width + columnGap
            }
            y += rowHeight + rowGap
        }

        // Edges, with the space on the right for those that go back up.
        var body = ""
        var labels = ""
        var loopLane = margin + contentWidth + 30
        var laneWidth = 0.0
        for (s, state) in sop.states.enumerated() {
            let edges = GraphExport.edges(state)
            let forward = edges.enumerated().filter { index[$0.element.to].map { nodes[$0].layer > nodes[s].layer } ?? false }
            for (i, edge) in edges.enumerated() {
                guard let t = index[edge.to] else { continue }
                let from = nodes[s], to = nodes[t]
                let style = (edge.isTimer ? " stroke-dasharray=\"6 4\"" : "") + (edge.role != nil ? " class=\"role\"" : "")
                let midX: Double, midY: Double
                if to.layer > from.layer {
                    let slot = Double(forward.firstIndex { $0.offset == i } ?? 0) + 1
                    let x1 = from.x + from.width * slot / Double(forward.count + 1), y1 = from.y + from.height
                    let x2 = to.x + to.width / 2, y2 = to.y
                    body += "<path d=\"M\(f(x1)),\(f(y1)) C\(f(x1)),\(f(y1 + 40)) \(f(x2)),\(f(y2 - 40)) \(f(x2)),\(f(y2 - 2))\"\(style) marker-end=\"url(#arrow)\"/>\n"
                    midX = (x1 + x2) / 2
                    // Labels of a fan-out alternate up and down, so that neighbours do not overlap.
                    midY = (y1 + y2) / 2 + (forward.count > 1 ? (Int(slot) % 2 == 0 ? 16 : -14) : 0)
                } else if to.layer == from.layer && s != t {
                    // Across a layer: next to each other, between the facing sides; further apart,
                    // below the row, so as not to cross the states between.
                    let rightward = to.x > from.x
                    let adjacent = abs(layers[from.layer].firstIndex(of: s)! - layers[to.layer].firstIndex(of: t)!) == 1
                    if adjacent {
                        let x1 = rightward ? from.x + from.width : from.x, y1 = from.y + from.height / 2 + 6
                        let x2 = rightward ? to.x : to.x + to.width, y2 = to.y + to.height / 2 + 6
                        body += "<path d=\"M\(f(x1)),\(f(y1)) L\(f(x2 + (rightward ? -2 : 2))),\(f(y2))\"\(style) marker-end=\"url(#arrow)\"/>\n"
                        midX = (x1 + x2) / 2
                        midY = y1 - 12
                    } else {
                        let x1 = from.x + from.width / 2 + (rightward ? 12 : -12), y1 = from.y + from.height
                        let x2 = to.x + to.width / 2 + (rightward ? -12 : 12), y2 = to.y + to.height
                        let depth = max(from.height, to.height) / 2 + 34
                        body += "<path d=\"M\(f(x1)),\(f(y1)) C\(f(x1)),\(f(y1 + depth)) \(f(x2)),\(f(y2 + depth)) \(f(x2)),\(f(y2 + 2))\"\(style) marker-end=\"url(#arrow)\"/>\n"
                        midX = (x1 + x2) / 2
                        midY = max(y1, y2) + depth * 0.75
                    }
                } else {
                    // Back up, across or to itself: round the right-hand side.
                    let x1 = from.x + from.width, y1 = from.y + from.height / 2
                    let x2 = to.x + to.width, y2 = to.y + to.height / 2 + (s == t ? 12 : 0)
                    let lane = s == t ? x1 + 40 : loopLane
                    if s != t { loopLane += 14 }
                    body += "<path d=\"M\(f(x1)),\(f(y1 - (s == t ? 10 : 0))) C\(f(lane)),\(f(y1)) \(f(lane)),\(f(y2)) \(f(x2 + 2)),\(f(y2))\"\(style) marker-end=\"url(#arrow)\"/>\n"
                    midX = lane - 8
                    midY = (y1 + y2) / 2
                }
                // The dashed line marks a timer; the clock sign is left to the text drawings.
                let text = edge.text.replacingOccurrences(of: "⏱ ", with: "")
                if !text.isEmpty {
                    let w = Double(text.count) * 6.2 + 8
                    laneWidth = max(laneWidth, midX + w / 2 - (margin + contentWidth))
                    labels += "<g class=\"label\"><rect x=\"\(f(midX - w / 2))\" y=\"\(f(midY - 9))\" width=\"\(f(w))\" height=\"16\" rx=\"3\"/>"
                    labels += "<text x=\"\(f(midX))\" y=\"\(f(midY + 3))\"\(edge.role != nil ? " class=\"role\"" : "")>\(escape(text))</text></g>\n"
                }
            }
        }
        if let start = index[sop.start.value] {
            let n = nodes[start]
            body += "<circle class=\"start\" cx=\"\(f(n.x + n.width / 2))\" cy=\"\(f(n.y - 26))\" r=\"6\"/>"
            body += "<path d=\"M\(f(n.x + n.width / 2)),\(f(n.y - 20)) L\(f(n.x + n.width / 2)),\(f(n.y - 2))\" marker-end=\"url(#arrow)\"/>\n"
        }
        var boxes = ""
        for n in nodes {
            boxes += "<g class=\"state\(n.isEnd ? " end" : "")\" id=\"state-\(escape(n.id))\"><title>\(escape(n.id))</title>"
            boxes += "<rect x=\"\(f(n.x))\" y=\"\(f(n.y))\" width=\"\(f(n.width))\" height=\"\(f(n.height))\" rx=\"10\"/>"
            if n.isEnd { boxes += "<rect class=\"inner\" x=\"\(f(n.x + 3))\" y=\"\(f(n.y + 3))\" width=\"\(f(n.width - 6))\" height=\"\(f(n.height - 6))\" rx=\"8\"/>" }
            for (i, line) in n.lines.enumerated() {
                boxes += "<text x=\"\(f(n.x + n.width / 2))\" y=\"\(f(n.y + 27 + Double(i) * 15))\"\(i > 0 ? " class=\"sub\"" : "")>\(escape(line))</text>"
            }
            boxes += "</g>\n"
        }
        let width = margin * 2 + contentWidth + max(60, laneWidth + loopLane - (margin + contentWidth))
        let height = y - rowGap + margin
        return """
            <svg xmlns="http://www.w3.org/2000/svg" class="sop-graph" viewBox="0 0 \(f(width)) \(f(height))" width="\(f(width))" height="\(f(height))" role="img" aria-label="\(escape(sop.title))">
            <style>
            .sop-graph path { fill: none; stroke: #555; stroke-width: 1.4; }
            .sop-graph path.role { stroke: #1f5fa8; }
            .sop-graph .state rect { fill: #f4f6fa; stroke: #444; stroke-width: 1.2; }
            .sop-graph .state.end rect.inner { fill: none; }
            .sop-graph text { font: 13px sans-serif; text-anchor: middle; fill: #111; }
            .sop-graph text.sub { font-size: 11px; fill: #555; }
            .sop-graph .label rect { fill: #fff; fill-opacity: 0.9; stroke: none; }
            .sop-graph .label text { font-size: 11px; fill: #333; }
            .sop-graph .label text.role { fill: #1f5fa8; }
            .sop-graph circle.start { fill: #222; }
            </style>
            <defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" style="fill:#555;stroke:none"/></marker></defs>
            \(body)\(boxes)\(labels)</svg>

            """
    }

    static func f(_ x: Double) -> String {
        let rounded = (x * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    static func escape(_ s: String) -> String { XMLText.escape(s) }
}
