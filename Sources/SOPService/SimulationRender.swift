import Foundation
import SOPCore
import SOPJSON

/// `sop simulate`'s outputs: text for people, JSON for scripts, one HTML page with charts
/// (docs/cli.md, `sop simulate`). Built from `SimulationReport` alone.
extension SimulationReport {
    /// Outcome pairs, most runs first (then by name).
    var outcomePairs: [(recorded: String, candidate: String, runs: Int)] {
        outcomes.flatMap { r, row in row.map { (r, $0.key, $0.value) } }
            .sorted { ($0.runs, $1.recorded, $1.candidate) > ($1.runs, $0.recorded, $0.candidate) }
    }

    /// Targets with breaches, the candidate's first in its order, then those only recorded.
    var breachRows: [(target: String, recorded: Int, candidate: Int)] {
        let own = targets.map(\.target)
        let others = breaches.keys.filter { !own.contains($0) }.sorted()
        return (own + others).map { ($0, breaches[$0]?.recorded ?? 0, breaches[$0]?.candidate ?? 0) }
    }

    static func percentText(_ part: Int, of whole: Int) -> String {
        whole == 0 ? "0.0%" : String(format: "%.1f%%", Double(part) * 100 / Double(whole))
    }

    public func text() -> String {
        var out = "simulate \(sop) v\(version) (\(file)) against \(replayed) recorded run\(replayed == 1 ? "" : "s") of \(sop)\n"
        out += "  identical  \(identical)\n"
        out += "  diverged   \(diverged.count) (\(Self.percentText(diverged.count, of: replayed)))\n"
        if !unreadable.isEmpty { out += "  not replayed \(unreadable.count) (journals that cannot be read; sop verify says why)\n" }
        if !groups.isEmpty {
            out += "\nwhere and why runs diverge:\n"
            for g in groups {
                out += "  \(g.runs) in \(g.state): \(g.reason)\n"
                out += "    e.g. \(g.examples.joined(separator: ", "))\n"
            }
        }
        let pairs = outcomePairs
        out += "\noutcomes (recorded → candidate) of runs ended under both:\(pairs.isEmpty ? " none" : "")\n"
        for p in pairs { out += "  \(p.recorded) → \(p.candidate)\(p.recorded == p.candidate ? "" : " (changed)")  \(p.runs)\n" }
        let rows = breachRows
        if !rows.isEmpty {
            out += "\nSLA breaches per target (recorded → candidate):\n"
            for r in rows {
                let calendar = targets.first { $0.target == r.target }.map { $0.calendar.isEmpty ? "" : ", calendar \($0.calendar)" }
                    ?? ", not a target of the candidate"
                out += "  \(r.target)\(calendar): \(r.recorded) → \(r.candidate)\n"
            }
        }
        out += "\nstranded (waiting in a state the candidate lacks): \(stranded.count)\n"
        for s in stranded.prefix(20) { out += "  \(s.run) in \(s.state)\n" }
        if stranded.count > 20 { out += "  … and \(stranded.count - 20) more (--format json lists every one)\n" }
        return out
    }

    public func json() -> JSONValue {
        .object([
            ("candidate", .object([("sop", .string(sop)), ("version", .int(version)), ("digest", .string(digest)), ("file", .string(file))])),
            ("replayed", .int(replayed)),
            ("identical", .int(identical)),
            ("diverged", .int(diverged.count)),
            ("unreadable", .array(unreadable.map { .object([("run", .string($0.run)), ("reason", .string($0.reason))]) })),
            ("records", .int(records)),
            ("runs", .array(diverged.map { d in
                .object([("run", .string(d.run)), ("record", .int(d.divergence.record)), ("state", .string(d.divergence.state)),
                         ("reason", .string(d.divergence.reason)), ("recorded", .string(d.divergence.recorded)),
                         ("candidate", .string(d.divergence.candidate))])
            })),
            ("groups", .array(groups.map { g in
                .object([("state", .string(g.state)), ("reason", .string(g.reason)), ("runs", .int(g.runs)),
                         ("examples", .array(g.examples.map(JSONValue.string)))])
            })),
            ("outcomes", .array(outcomePairs.map { p in
                .object([("recorded", .string(p.recorded)), ("candidate", .string(p.candidate)), ("runs", .int(p.runs))])
            })),
            ("sla", .array(breachRows.map { r in
                .object([("target", .string(r.target)),
                         ("calendar", targets.first { $0.target == r.target }.map { .string($0.calendar) } ?? .null),
                         ("recorded", .int(r.recorded)), ("candidate", .int(r.candidate))])
            })),
            ("stranded", .array(stranded.map { .object([("run", .string($0.run)), ("state", .string($0.state))]) })),
        ])
    }

    static func escape(_ s: String) -> String { XMLText.escape(s) }

    /// One self-contained page: inline SVG charts (no script, no request), as `sop report --html`.
    public func html() -> String {
        var body = "<h1>Simulation of \(Self.escape(sop)) v\(version)</h1>\n<p class=\"period\">\(Self.escape(file)) · \(replayed) recorded runs replayed · \(records) journal records</p>\n"
        body += "<section><h2>Runs</h2>" + runsChart() + "</section>\n"
        body += "<section><h2>Where and why runs diverge</h2>" + groupsChart() + "</section>\n"
        body += "<section><h2>Outcomes, recorded → candidate</h2>" + outcomeMatrix() + "</section>\n"
        body += "<section><h2>SLA breaches per target</h2>" + breachChart() + "</section>\n"
        body += "<section><h2>Stranded runs</h2>"
            + (stranded.isEmpty ? "<p>No waiting run is in a state the candidate lacks.</p>"
               : "<table><tr><th>run</th><th>waiting in</th></tr>"
                 + stranded.prefix(200).map { "<tr><td>\(Self.escape($0.run))</td><td>\(Self.escape($0.state))</td></tr>" }.joined() + "</table>")
            + "</section>\n"
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>sopkit simulation of \(Self.escape(sop))</title>
            <style>
            body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:62em;color:#1d2433;padding:0 1em}
            h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #d6dae3}
            .period{color:#5a6376}table{border-collapse:collapse;margin:.5em 0}td,th{padding:.25em .7em;border-bottom:1px solid #eceef3;text-align:right}
            td:first-child,th:first-child{text-align:left}svg{max-width:100%;height:auto}svg text{font:11px system-ui,sans-serif;fill:#1d2433}
            section{break-inside:avoid}@media print{body{margin:0}}
            </style></head><body>
            \(body)</body></html>

            """
    }

    /// One bar split into identical and diverged runs.
    func runsChart() -> String {
        guard replayed > 0 else { return "<p>No recorded run was replayed.</p>" }
        let w = 640.0, barW = w - 20
        let iw = Double(identical) / Double(replayed) * barW, dw = Double(diverged.count) / Double(replayed) * barW
        var svg = "<svg class=\"chart runs\" viewBox=\"0 0 \(Int(w)) 60\" role=\"img\" aria-label=\"identical and diverged runs\">"
        svg += String(format: "<rect x=\"10\" y=\"5\" width=\"%.1f\" height=\"24\" fill=\"#1f9d62\"><title>identical %d</title></rect>", iw, identical)
        svg += String(format: "<rect x=\"%.1f\" y=\"5\" width=\"%.1f\" height=\"24\" fill=\"#d64545\"><title>diverged %d</title></rect>", 10 + iw, dw, diverged.count)
        svg += "<text x=\"10\" y=\"48\">\(identical) identical, \(diverged.count) diverged (\(Self.percentText(diverged.count, of: replayed)))</text>"
        return svg + "</svg>"
    }

    /// A bar per group of divergences (state and reason), the longest first.
    func groupsChart() -> String {
        guard !groups.isEmpty else { return "<p>No run diverged.</p>" }
        let shown = groups.prefix(20)
        let rowH = 40.0, w = 640.0, h = rowH * Double(shown.count) + 10
        let top = Double(shown.map(\.runs).max() ?? 1)
        var svg = "<svg class=\"chart groups\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" role=\"img\" aria-label=\"diverged runs by state and reason\">"
        for (i, g) in shown.enumerated() {
            let y = 5 + Double(i) * rowH
            let bw = Double(g.runs) / top * (w - 80)
            svg += String(format: "<rect x=\"0\" y=\"%.1f\" width=\"%.1f\" height=\"14\" fill=\"#d64545\"><title>%d runs</title></rect>", y, bw, g.runs)
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\">%d</text>", bw + 4, y + 11, g.runs)
            svg += "<text x=\"0\" y=\"\(Int(y + 28))\">in \(Self.escape(g.state)): \(Self.escape(String(g.reason.prefix(110))))</text>"
        }
        return svg + "</svg>" + "<table><tr><th>runs</th><th>state</th><th>reason</th><th>examples</th></tr>"
            + groups.map { "<tr><td>\($0.runs)</td><td>\(Self.escape($0.state))</td><td>\(Self.escape($0.reason))</td><td>\(Self.escape($0.examples.joined(separator: ", ")))</td></tr>" }.joined()
            + "</table>"
    }

    /// The outcome matrix as a heat table: a row per recorded outcome, a column per candidate one.
    func outcomeMatrix() -> String {
        guard !outcomes.isEmpty else { return "<p>No run ended both as recorded and under the candidate.</p>" }
        let rows = outcomes.keys.sorted()
        let columns = Set(outcomes.values.flatMap(\.keys)).sorted()
        let top = Double(outcomes.values.flatMap(\.values).max() ?? 1)
        let cell = 90.0, label = 140.0
        let w = label + cell * Double(columns.count) + 10, h = 30 + 30 * Double(rows.count)
        var svg = "<svg class=\"chart outcomes\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" role=\"img\" aria-label=\"recorded outcome against candidate outcome\">"
        for (j, c) in columns.enumerated() { svg += String(format: "<text x=\"%.1f\" y=\"16\">%@</text>", label + Double(j) * cell + 4, Self.escape(c)) }
        for (i, r) in rows.enumerated() {
            let y = 24 + Double(i) * 30
            svg += "<text x=\"0\" y=\"\(Int(y + 17))\">\(Self.escape(r))</text>"
            for (j, c) in columns.enumerated() {
                let n = outcomes[r]?[c] ?? 0
                let shade = n == 0 ? 0 : 0.15 + 0.85 * Double(n) / top
                let color = r == c ? "31,157,98" : "214,69,69"
                svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"26\" fill=\"rgba(%@,%.2f)\" stroke=\"#d6dae3\"><title>%@ → %@: %d</title></rect>",
                              label + Double(j) * cell, y, cell - 4, color, shade, Self.escape(r), Self.escape(c), n)
                svg += String(format: "<text x=\"%.1f\" y=\"%.1f\">%d</text>", label + Double(j) * cell + 6, y + 17, n)
            }
        }
        return svg + "</svg>"
    }

    /// Recorded and candidate breaches, side by side per target.
    func breachChart() -> String {
        let rows = breachRows
        guard !rows.isEmpty else { return "<p>No SLA target: neither the recorded runs nor the candidate breached one.</p>" }
        let rowH = 44.0, w = 640.0, label = 180.0, h = rowH * Double(rows.count) + 10
        let top = Double(max(1, rows.map { max($0.recorded, $0.candidate) }.max() ?? 1))
        var svg = "<svg class=\"chart sla\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" role=\"img\" aria-label=\"SLA breaches recorded and under the candidate\">"
        for (i, r) in rows.enumerated() {
            let y = 5 + Double(i) * rowH
            let rw = Double(r.recorded) / top * (w - label - 120), cw = Double(r.candidate) / top * (w - label - 120)
            svg += "<text x=\"0\" y=\"\(Int(y + 22))\">\(Self.escape(r.target))</text>"
            svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"16\" fill=\"#9aa3b5\"><title>recorded %d</title></rect>", label, y, rw, r.recorded)
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\">recorded %d</text>", label + rw + 4, y + 12, r.recorded)
            svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"16\" fill=\"#d64545\"><title>candidate %d</title></rect>", label, y + 19, cw, r.candidate)
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\">candidate %d</text>", label + cw + 4, y + 31, r.candidate)
        }
        return svg + "</svg>"
    }
}
