import Foundation

/// Reads back an SVG drawing of a graph as sopkit writes it (`GraphSVG`, the report's
/// directly-follows graph) into plain geometry, and finds what overprints: text boxes that
/// overlap, text over a node it does not belong to, edges through nodes or through text.
///
/// Text boxes are measured from each `<text>`'s x, y, `font-size` and `text-anchor` with the
/// width estimate the layout used (passed in as `textWidth`, `TextMetrics.width`), reaching
/// `ascent` em above the baseline and `descent` em below. Nodes are the first `<rect>` of a
/// `<g class="state…">` or `<g class="node…">`; edges are `<path class="edge…">` polylines
/// (`M`/`L` commands) with `data-from` and `data-to`.
public struct DiagramGeometry {
    public struct Box: CustomStringConvertible {
        public var x0, y0, x1, y1: Double
        public var description: String { String(format: "[%.1f,%.1f – %.1f,%.1f]", x0, y0, x1, y1) }
        public func overlaps(_ o: Box, by tolerance: Double = 0.5) -> Bool {
            x0 < o.x1 - tolerance && o.x0 < x1 - tolerance && y0 < o.y1 - tolerance && o.y0 < y1 - tolerance
        }
        public func contains(_ o: Box, tolerance: Double = 0.5) -> Bool {
            o.x0 >= x0 - tolerance && o.x1 <= x1 + tolerance && o.y0 >= y0 - tolerance && o.y1 <= y1 + tolerance
        }
    }

    public struct Text { public var text: String; public var box: Box; public var node: Int? }
    public struct Edge {
        public var from: String, to: String
        public var points: [(Double, Double)]
        public init(from: String, to: String, points: [(Double, Double)]) { self.from = from; self.to = to; self.points = points }
    }

    public var nodes: [(name: String, box: Box)] = []
    public var texts: [Text] = []
    public var edges: [Edge] = []

    public init(svg: String, textWidth: (String, Double) -> Double, ascent: Double, descent: Double) {
        var currentNode: Int?
        var inNodeGroup = false
        var rest = Substring(svg)
        while let open = rest.firstIndex(of: "<") {
            guard let close = rest[open...].firstIndex(of: ">") else { break }
            let tag = rest[rest.index(after: open)..<close]
            rest = rest[rest.index(after: close)...]
            let attributes = Self.attributes(tag)
            if tag.hasPrefix("g ") {
                let cls = attributes["class"] ?? ""
                if cls.hasPrefix("state") || cls.hasPrefix("node") {
                    inNodeGroup = true
                    currentNode = nil
                }
            } else if tag == "/g" {
                inNodeGroup = false
                currentNode = nil
            } else if tag.hasPrefix("rect "), inNodeGroup, currentNode == nil,
                      let x = attributes["x"].flatMap(Double.init), let y = attributes["y"].flatMap(Double.init),
                      let w = attributes["width"].flatMap(Double.init), let h = attributes["height"].flatMap(Double.init) {
                let name = attributes["data-name"] ?? "node \(nodes.count)"
                nodes.append((name, Box(x0: x, y0: y, x1: x + w, y1: y + h)))
                currentNode = nodes.count - 1
            } else if tag.hasPrefix("title"), inNodeGroup, let end = rest.range(of: "</title>") {
                pendingTitle = Self.unescape(String(rest[..<end.lowerBound]))
            } else if tag.hasPrefix("text "), let end = rest.range(of: "</text>") {
                let content = Self.unescape(String(rest[..<end.lowerBound]))
                rest = rest[end.upperBound...]
                let x = attributes["x"].flatMap(Double.init) ?? 0, y = attributes["y"].flatMap(Double.init) ?? 0
                let size = attributes["font-size"].flatMap(Double.init) ?? 16
                let width = textWidth(content, size)
                let x0: Double
                switch attributes["text-anchor"] ?? "start" {
                case "middle": x0 = x - width / 2
                case "end": x0 = x - width
                default: x0 = x
                }
                texts.append(Text(text: content, box: Box(x0: x0, y0: y - ascent * size, x1: x0 + width, y1: y + descent * size),
                                  node: inNodeGroup ? currentNode : nil))
            } else if tag.hasPrefix("path "), (attributes["class"] ?? "").split(separator: " ").contains("edge"),
                      let d = attributes["d"] {
                edges.append(Edge(from: attributes["data-from"] ?? "", to: attributes["data-to"] ?? "", points: Self.polyline(d)))
            }
            if let title = pendingTitle, let n = currentNode {
                nodes[n].name = title
                pendingTitle = nil
            }
        }
    }

    private var pendingTitle: String?

    /// Everything that overprints, one line each; empty for a clean drawing.
    public func problems() -> [String] {
        var out: [String] = []
        for (i, a) in texts.enumerated() {
            if let n = a.node, !nodes[n].box.contains(a.box) {
                out.append("text \"\(a.text)\" \(a.box) sticks out of its node \(nodes[n].name) \(nodes[n].box)")
            }
            for b in texts[(i + 1)...] where a.box.overlaps(b.box) {
                out.append("text \"\(a.text)\" \(a.box) overlaps text \"\(b.text)\" \(b.box)")
            }
            for (n, node) in nodes.enumerated() where n != a.node && node.box.overlaps(a.box) {
                out.append("text \"\(a.text)\" \(a.box) overlaps node \(node.name) \(node.box)")
            }
        }
        for (i, a) in nodes.enumerated() {
            for b in nodes[(i + 1)...] where a.box.overlaps(b.box) { out.append("node \(a.name) overlaps node \(b.name)") }
        }
        for edge in edges {
            for (p, q) in zip(edge.points, edge.points.dropFirst()) {
                for node in nodes where Self.segment(p, q, crosses: node.box, inset: 1) {
                    out.append("edge \(edge.from) → \(edge.to) passes through node \(node.name) \(node.box)")
                }
                for text in texts where Self.segment(p, q, crosses: text.box, inset: 0.5) {
                    out.append("edge \(edge.from) → \(edge.to) passes through text \"\(text.text)\" \(text.box)")
                }
            }
        }
        return out
    }

    /// The points where edges cross, counted over pairs of edges with four distinct ends (edges
    /// that share a node meet there by necessity). Self-loops are left out.
    public static func crossings(_ edges: [Edge]) -> Int {
        var count = 0
        let edges = edges.filter { $0.from != $0.to }
        for i in edges.indices {
            for j in (i + 1)..<edges.count {
                let a = edges[i], b = edges[j]
                guard Set([a.from, a.to, b.from, b.to]).count == 4 else { continue }
                for (p, q) in zip(a.points, a.points.dropFirst()) {
                    for (r, s) in zip(b.points, b.points.dropFirst()) where segmentsCross(p, q, r, s) { count += 1 }
                }
            }
        }
        return count
    }

    static func segmentsCross(_ p: (Double, Double), _ q: (Double, Double), _ r: (Double, Double), _ s: (Double, Double)) -> Bool {
        func orient(_ a: (Double, Double), _ b: (Double, Double), _ c: (Double, Double)) -> Double {
            (b.0 - a.0) * (c.1 - a.1) - (b.1 - a.1) * (c.0 - a.0)
        }
        let d1 = orient(r, s, p), d2 = orient(r, s, q), d3 = orient(p, q, r), d4 = orient(p, q, s)
        // A crossing counts where the segment starts (d ≥ 0 on one side), so a curve crossing at a
        // sampled point counts once.
        return ((d1 > 0 && d2 <= 0) || (d1 <= 0 && d2 > 0)) && ((d3 > 0 && d4 <= 0) || (d3 <= 0 && d4 > 0))
    }

    /// Whether segment p–q enters the box shrunk by `inset` (touching its border is allowed).
    static func segment(_ p: (Double, Double), _ q: (Double, Double), crosses box: Box, inset: Double) -> Bool {
        let x0 = box.x0 + inset, x1 = box.x1 - inset, y0 = box.y0 + inset, y1 = box.y1 - inset
        guard x0 < x1, y0 < y1 else { return false }
        // Liang–Barsky clipping.
        var t0 = 0.0, t1 = 1.0
        let dx = q.0 - p.0, dy = q.1 - p.1
        for (pk, qk) in [(-dx, p.0 - x0), (dx, x1 - p.0), (-dy, p.1 - y0), (dy, y1 - p.1)] {
            if pk == 0 {
                if qk <= 0 { return false }
            } else {
                let t = qk / pk
                if pk < 0 { t0 = max(t0, t) } else { t1 = min(t1, t) }
            }
        }
        return t1 - t0 > 1e-9
    }

    static func polyline(_ d: String) -> [(Double, Double)] {
        let numbers = d.split(whereSeparator: { "MLC ,".contains($0) }).compactMap { Double($0) }
        return stride(from: 0, to: numbers.count - 1, by: 2).map { (numbers[$0], numbers[$0 + 1]) }
    }

    static func attributes(_ tag: Substring) -> [String: String] {
        var out: [String: String] = [:]
        var rest = tag
        while let eq = rest.range(of: "=\"") {
            let name = rest[..<eq.lowerBound].split(separator: " ").last.map(String.init) ?? ""
            let after = rest[eq.upperBound...]
            guard let end = after.firstIndex(of: "\"") else { break }
            out[name] = unescape(String(after[..<end]))
            rest = after[after.index(after: end)...]
        }
        return out
    }

    static func unescape(_ s: String) -> String {
        s.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&#10;", with: "\n").replacingOccurrences(of: "&amp;", with: "&")
    }
}

/// Graphviz's `dot`, run on a DOT text: its layout's edges as polylines (the B-splines sampled),
/// for comparing crossings. Throws with a clear message when `dot` cannot be run.
public enum GraphvizDot {
    public struct Missing: Error, CustomStringConvertible {
        public var description: String
    }

    public static func edges(dot text: String) throws -> [DiagramGeometry.Edge] {
        // Found on PATH first: started through env, a missing dot would close the pipe we write
        // to, and the write would kill the test process (SIGPIPE) instead of failing the test.
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        guard let dot = path.split(separator: ":").map({ "\($0)/dot" }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw Missing(description: "Graphviz's dot is not on PATH (\(path)); scripts/bootstrap --test installs it")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: dot)
        process.arguments = ["-Tjson"]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        do { try process.run() } catch {
            throw Missing(description: "Graphviz's dot could not be run (\(error)); scripts/bootstrap --test installs it")
        }
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Missing(description: "dot failed (exit \(process.terminationStatus)): \(String(decoding: stderr, as: UTF8.self)) — is Graphviz installed? scripts/bootstrap --test installs it")
        }
        guard let json = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw Missing(description: "dot -Tjson gave no JSON object")
        }
        var names: [Int: String] = [:]
        for object in json["objects"] as? [[String: Any]] ?? [] {
            if let id = object["_gvid"] as? Int, let name = object["name"] as? String { names[id] = name }
        }
        var out: [DiagramGeometry.Edge] = []
        for edge in json["edges"] as? [[String: Any]] ?? [] {
            guard let tail = edge["tail"] as? Int, let head = edge["head"] as? Int else { continue }
            var points: [(Double, Double)] = []
            for op in edge["_draw_"] as? [[String: Any]] ?? [] where (op["op"] as? String) == "b" {
                let controls = (op["points"] as? [[Double]] ?? []).map { ($0[0], $0[1]) }
                guard let first = controls.first else { continue }
                points.append(first)
                var i = 1
                while i + 2 < controls.count {
                    let p0 = controls[i - 1], p1 = controls[i], p2 = controls[i + 1], p3 = controls[i + 2]
                    for k in 1...12 {
                        let t = Double(k) / 12, u = 1 - t
                        points.append((u * u * u * p0.0 + 3 * u * u * t * p1.0 + 3 * u * t * t * p2.0 + t * t * t * p3.0,
                                       u * u * u * p0.1 + 3 * u * u * t * p1.1 + 3 * u * t * t * p2.1 + t * t * t * p3.1))
                    }
                    i += 3
                }
            }
            // The spline stops where the arrowhead begins; ours run to the node, so dot's edge is
            // taken on to its arrowhead's tip (the head polygon's point farthest from the spline).
            if let end = points.last {
                let head = (edge["_hdraw_"] as? [[String: Any]] ?? []).filter { ($0["op"] as? String)?.lowercased() == "p" }
                    .flatMap { ($0["points"] as? [[Double]] ?? []).map { ($0[0], $0[1]) } }
                if let tip = head.max(by: { hypot($0.0 - end.0, $0.1 - end.1) < hypot($1.0 - end.0, $1.1 - end.1) }) { points.append(tip) }
            }
            out.append(.init(from: names[tail] ?? "\(tail)", to: names[head] ?? "\(head)", points: points))
        }
        return out
    }
}
