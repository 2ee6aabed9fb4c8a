import Foundation
import SOPCore
import SOPExpression
import SOPStore

/// `sop report --html FILE`: one self-contained page, its figures drawn as inline SVG by this
/// code (no script, no request), readable offline and printable.
extension ServiceReport {
    static func escape(_ s: String) -> String { XMLText.escape(s) }

    public func html() -> String {
        var body = "<h1>Service report</h1>\n<p class=\"period\">\(Self.escape(CivilTime.formatDateTime(options.from))) – "
            + "\(Self.escape(CivilTime.formatDateTime(options.to))) · \(recordsRead) journal records · days in \(Self.escape(options.timeZone))</p>\n"
        if recordsUnreadable > 0 {
            body += "<p class=\"warning\">\(Self.unreadableNote(recordsUnreadable)); <code>sop verify</code> says why.</p>\n"
        }
        body += "<section><h2>Runs</h2>" + kpiTable() + "</section>\n"
        body += "<section><h2>Started and ended per \(options.weekly ? "week" : "day")</h2>" + trendChart() + "</section>\n"
        body += "<section><h2>Time to end</h2>" + histogram() + "</section>\n"
        body += "<section><h2>SLA targets</h2>" + slaChart() + "</section>\n"
        body += "<section><h2>Directly-follows graph</h2>" + dfgChart() + "</section>\n"
        body += "<section><h2>Path variants</h2><table class=\"paths\"><tr><th>runs</th><th>median to end</th><th>path</th></tr>"
            + variants.prefix(20).map { "<tr><td>\($0.count)</td><td>\(DurationText.text($0.medianToEnd))</td><td>\(Self.escape($0.path.joined(separator: " → ")))</td></tr>" }.joined()
            + "</table></section>\n"
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>sopkit service report</title>
            <style>
            body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:62em;color:#1d2433;padding:0 1em}
            h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #d6dae3}
            .period{color:#5a6376}table{border-collapse:collapse;margin:.5em 0}td,th{padding:.25em .7em;border-bottom:1px solid #eceef3;text-align:right}
            td:first-child,th:first-child{text-align:left}svg{max-width:100%;height:auto}svg text{font:11px system-ui,sans-serif;fill:#1d2433}
            .paths td:last-child,.paths th:last-child{text-align:left}section{break-inside:avoid}@media print{body{margin:0}}
            </style></head><body>
            \(body)</body></html>

            """
    }

    func kpiTable() -> String {
        var rows = "<table><tr><th>group</th><th>started</th><th>ended</th><th>open</th><th>median to end</th><th>p90</th><th>median, business time</th><th>escalated</th><th>first contact</th><th>CSAT</th></tr>"
        for (n, k) in [("all", overall)] + bySOP {
            rows += "<tr><td>\(Self.escape(n))</td><td>\(k.started)</td><td>\(k.ended)</td><td>\(k.open)</td>"
                + "<td>\(k.timeToEnd.map { DurationText.text($0.median) } ?? "–")</td><td>\(k.timeToEnd.map { DurationText.text($0.p90) } ?? "–")</td>"
                + "<td>\(k.businessTimeToEnd.map { DurationText.text($0.median) } ?? "–")</td>"
                + "<td>\(Self.percent(k.escalationRate))</td><td>\(Self.percent(k.fcrRate))</td><td>\(Self.percent(k.csatShare))</td></tr>"
        }
        return rows + "</table>"
    }

    func trendChart() -> String {
        guard !trend.isEmpty else { return "<p>No runs started or ended in the period.</p>" }
        let w = 640.0, h = 200.0, left = 36.0, bottom = 24.0
        let top = Double(max(1, trend.map { max($0.started, $0.ended) }.max() ?? 1))
        let step = trend.count > 1 ? (w - left - 10) / Double(trend.count - 1) : 0
        func point(_ i: Int, _ v: Int) -> String {
            String(format: "%.1f,%.1f", left + Double(i) * step, h - bottom - Double(v) / top * (h - bottom - 10))
        }
        var svg = "<svg class=\"chart trend\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" role=\"img\" aria-label=\"runs started and ended per day\">"
        svg += "<line x1=\"\(left)\" y1=\"\(h - bottom)\" x2=\"\(w - 5)\" y2=\"\(h - bottom)\" stroke=\"#9aa3b5\"/>"
        svg += "<text x=\"2\" y=\"14\">\(Int(top))</text><text x=\"2\" y=\"\(Int(h - bottom))\">0</text>"
        for (series, color) in [(trend.map(\.started), "#2f6fde"), (trend.map(\.ended), "#1f9d62")] {
            svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(series.enumerated().map { point($0.offset, $0.element) }.joined(separator: " "))\"/>"
            for (i, v) in series.enumerated() { svg += "<circle cx=\"\(point(i, v).split(separator: ",")[0])\" cy=\"\(point(i, v).split(separator: ",")[1])\" r=\"3\" fill=\"\(color)\"/>" }
        }
        for (i, d) in trend.enumerated() where trend.count <= 14 || i % max(1, trend.count / 7) == 0 {
            svg += "<text x=\(String(format: "\"%.1f\"", left + Double(i) * step - 20)) y=\"\(Int(h) - 6)\">\(d.day)</text>"
        }
        svg += "<text x=\"\(Int(w) - 150)\" y=\"14\" fill=\"#2f6fde\">— started</text><text x=\"\(Int(w) - 80)\" y=\"14\" fill=\"#1f9d62\">— ended</text>"
        return svg + "</svg>"
    }

    func histogram() -> String {
        guard let maxDuration = endDurations.max(), !endDurations.isEmpty else { return "<p>No run ended in the period.</p>" }
        let bins = 12, w = 640.0, h = 200.0, bottom = 36.0
        let width = max(1, (maxDuration + Int64(bins)) / Int64(bins))
        var counts = Array(repeating: 0, count: bins)
        for d in endDurations { counts[min(bins - 1, Int(d / width))] += 1 }
        let top = Double(counts.max() ?? 1), barW = (w - 20) / Double(bins)
        var svg = "<svg class=\"chart histogram\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" role=\"img\" aria-label=\"histogram of time to end\">"
        for (i, c) in counts.enumerated() {
            let bh = Double(c) / top * (h - bottom - 14)
            svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#2f6fde\"><title>%d runs</title></rect>",
                          10 + Double(i) * barW, h - bottom - bh, barW - 3, bh, c)
            if c > 0 { svg += String(format: "<text x=\"%.1f\" y=\"%.1f\">%d</text>", 12 + Double(i) * barW, h - bottom - bh - 3, c) }
            if i % 3 == 0 { svg += String(format: "<text x=\"%.1f\" y=\"%.1f\">%@</text>", 10 + Double(i) * barW, h - bottom + 14,
                                          DurationText.text(Int64(i) * width)) }
        }
        return svg + "<text x=\"10\" y=\"\(Int(h) - 4)\">time from start to end (bins of \(DurationText.text(width)))</text></svg>"
    }

    func slaChart() -> String {
        guard !sla.isEmpty else { return "<p>No SLA target was met or breached in the period.</p>" }
        let rowH = 26.0, w = 640.0, label = 200.0
        let h = rowH * Double(sla.count) + 10
        let top = Double(sla.map { $0.1.met + $0.1.breached }.max() ?? 1)
        var svg = "<svg class=\"chart sla\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" role=\"img\" aria-label=\"SLA targets met and breached\">"
        for (i, (name, t)) in sla.enumerated() {
            let y = 5 + Double(i) * rowH
            let mw = Double(t.met) / max(top, 1) * (w - label - 190), bw = Double(t.breached) / max(top, 1) * (w - label - 190)
            svg += "<text x=\"0\" y=\"\(y + 15)\">\(Self.escape(name))</text>"
            svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"18\" fill=\"#1f9d62\"><title>met %d</title></rect>", label, y, mw, t.met)
            svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"18\" fill=\"#d64545\"><title>breached %d</title></rect>", label + mw, y, bw, t.breached)
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\">%d met, %d breached (%@)</text>", label + mw + bw + 6, y + 14, t.met, t.breached,
                          Self.percent(t.compliance))
        }
        return svg + "</svg>"
    }

    /// The directly-follows graph, laid out in layers by `LayeredLayout` like an SOP's drawing:
    /// a node per state of an SOP (named `SOP: state` when the period has runs of several SOPs),
    /// an arrow for each move runs made, labelled with how often and the median time before it,
    /// in room of its own so that no count overprints another.
    func dfgChart() -> String {
        guard !edges.isEmpty else { return "<p>No moves in the period.</p>" }
        let severalSOPs = Set(edges.map(\.sop)).count > 1
        var index: [String: Int] = [:], nodes: [(sop: String, state: String, name: String)] = []
        func node(_ sop: String, _ state: String) -> Int {
            let key = sop + "\u{0}" + state
            if let i = index[key] { return i }
            index[key] = nodes.count
            nodes.append((sop, state, severalSOPs ? "\(sop): \(state)" : state))
            return nodes.count - 1
        }
        // The start states first, so that the layout puts a start at the top.
        let starts = Set(variants.compactMap(\.path.first))
        for e in edges where starts.contains(e.from) { _ = node(e.sop, e.from) }
        let links = edges.map { (from: node($0.sop, $0.from), to: node($0.sop, $0.to), label: "\($0.count) · \(DurationText.text($0.median))") }
        let fontSize = 11.0
        let layout = LayeredLayout.layout(
            nodes: nodes.map { .init(width: max(90, TextMetrics.width($0.name, fontSize: fontSize) + 16), height: 26) },
            edges: links.map { .init(from: $0.from, to: $0.to, label: .init(width: TextMetrics.width($0.label, fontSize: fontSize) + 6, height: 16)) },
            first: nodes.isEmpty ? nil : 0)
        var svg = "<svg class=\"chart dfg\" viewBox=\"0 0 \(Int(layout.width.rounded(.up))) \(Int(layout.height.rounded(.up)))\" width=\"\(Int(layout.width.rounded(.up)))\" role=\"img\" aria-label=\"directly-follows graph\">"
        svg += "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerUnits=\"userSpaceOnUse\" markerWidth=\"9\" markerHeight=\"9\" orient=\"auto-start-reverse\"><path d=\"M0,0L10,5L0,10z\" fill=\"#5a6376\"/></marker></defs>"
        for (i, e) in edges.enumerated() {
            let link = links[i]
            svg += String(format: "<path class=\"edge\" data-from=\"%@\" data-to=\"%@\" d=\"%@\" fill=\"none\" stroke=\"#5a6376\" stroke-width=\"%.1f\" marker-end=\"url(#arrow)\"><title>%@</title></path>",
                          Self.escape(nodes[link.from].name), Self.escape(nodes[link.to].name), GraphSVG.pathData(layout.routes[i]),
                          1 + min(4, log2(Double(e.count))), Self.escape("\(nodes[link.from].name) → \(nodes[link.to].name): \(link.label)"))
            if let box = layout.labels[i] {
                svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"start\">%@</text>", box.x + 3, box.y + 12, Self.escape(link.label))
            }
        }
        for (i, n) in nodes.enumerated() {
            let box = layout.nodes[i]
            svg += String(format: "<g class=\"node\"><title>%@</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" rx=\"5\" fill=\"#eef3fd\" stroke=\"#2f6fde\"/>",
                          Self.escape(n.name), box.x, box.y, box.width, box.height)
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">%@</text></g>", box.x + box.width / 2, box.y + 17, Self.escape(n.name))
        }
        return svg + "</svg>"
    }
}
