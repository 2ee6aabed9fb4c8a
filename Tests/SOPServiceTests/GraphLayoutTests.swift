import Foundation
@testable import SOPCore
import SOPDiagnostics
import SOPExpression
import SOPJSON
@testable import SOPService
import SOPStore
import StoreTestSupport
import Testing
import TestSupport

/// The drawings sopkit lays out itself (`sop graph --format svg`, the console's SOP page, the
/// report's directly-follows graph) read back from the SVG they are: no text box overlaps another
/// or a node, no edge runs through a node or a text, and no more edge crossings than Graphviz's
/// `dot` gives for the same graph. Over every shipped SOP, every example SOP of the docs, and
/// 200 generated ones (seeded: a failure names its seed and prints its SOP).
@Suite struct GraphLayoutTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let generatedCount = 200

    static func geometry(_ svg: String) -> DiagramGeometry {
        DiagramGeometry(svg: svg, textWidth: TextMetrics.width, ascent: TextMetrics.ascent, descent: TextMetrics.descent)
    }

    /// The shipped SOPs and the docs' examples, by path.
    static func libraryFiles() throws -> [(String, String)] {
        var out: [(String, String)] = []
        for folder in ["sops", "docs/examples"] {
            let names = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(folder).path)
            for name in names.sorted() where name.hasSuffix(".sop.yaml") {
                let path = folder + "/" + name
                out.append((path, try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)))
            }
        }
        return out
    }

    static func definition(_ path: String, _ text: String) -> (SOPDefinition?, [Diagnostic]) {
        let result = Linter().lint(SourceFile(path: path, text: text))
        return (result.definition, result.diagnostics.filter { $0.severity == .error })
    }

    /// What is wrong with one SOP's drawing, and the crossings of ours and of dot's.
    static func check(_ sop: SOPDefinition) throws -> (problems: [String], ours: Int, dots: Int) {
        let svg = GraphSVG.svg(sop)
        let drawing = geometry(svg)
        var problems = drawing.problems()
        let transitions = sop.states.reduce(0) { $0 + $1.transitions.count }
        // The transitions, and the arrow from the start dot.
        if drawing.edges.count != transitions + 1 { problems.append("\(drawing.edges.count) edges drawn for \(transitions) transitions and the start") }
        if drawing.nodes.count != sop.states.count { problems.append("\(drawing.nodes.count) nodes drawn for \(sop.states.count) states") }
        // Both drawings have the start's arrow: dot's from `__start`, ours from `[start]`.
        let dotEdges = try GraphvizDot.edges(dot: GraphExport.dot(sop)).map { e in
            DiagramGeometry.Edge(from: e.from == "__start" ? "[start]" : e.from, to: e.to, points: e.points)
        }
        // A comparison with a dot drawing that lost edges would prove nothing.
        if dotEdges.count != transitions + 1 || dotEdges.contains(where: { $0.points.count < 2 }) {
            problems.append("dot's layout has \(dotEdges.count) edges for \(transitions) transitions and the start, or an edge without points")
        }
        return (problems, DiagramGeometry.crossings(drawing.edges), DiagramGeometry.crossings(dotEdges))
    }

    @Test func theLibraryAndTheDocsExamplesDrawCleanly() throws {
        let files = try Self.libraryFiles()
        #expect(files.count >= 9, "found only \(files.map(\.0))")
        var ours = 0, dots = 0
        for (path, text) in files {
            let (sop, errors) = Self.definition(path, text)
            #expect(errors.isEmpty, "\(path): \(errors.map(\.message))")
            let definition = try #require(sop, "\(path) did not load")
            let result = try Self.check(definition)
            #expect(result.problems.isEmpty, "\(path):\n\(result.problems.joined(separator: "\n"))")
            #expect(result.ours <= result.dots, "\(path): \(result.ours) crossings, dot \(result.dots)")
            ours += result.ours
            dots += result.dots
        }
        print("graph layout: \(files.count) library SOPs, \(ours) crossings (dot: \(dots))")
    }

    @Test func twoHundredGeneratedSOPsDrawCleanly() throws {
        var ours = 0, dots = 0, worse: [String] = []
        var edgesDrawn = 0
        for seed in 1...UInt64(Self.generatedCount) {
            let text = try #require(RandomGraphSOP.generate(seed: seed), "seed \(seed): no SOP without lint errors")
            let (sop, _) = Self.definition("generated.sop.yaml", text)
            let definition = try #require(sop)
            let result = try Self.check(definition)
            #expect(result.problems.isEmpty, "seed \(seed):\n\(result.problems.prefix(10).joined(separator: "\n"))\n\(text)")
            if result.ours > result.dots {
                worse.append("seed \(seed): \(result.ours) crossings, dot \(result.dots)")
                print("seed \(seed), \(result.ours) crossings, dot \(result.dots):\n\(text)")
            }
            ours += result.ours
            dots += result.dots
            edgesDrawn += definition.states.reduce(0) { $0 + $1.transitions.count }
        }
        print("graph layout: \(Self.generatedCount) generated SOPs, \(edgesDrawn) edges, \(ours) crossings (dot: \(dots)); more than dot in \(worse.count): \(worse.prefix(20))")
        #expect(worse.isEmpty, "\(worse.count) graphs with more crossings than dot: \(worse.prefix(20))")
    }

    /// An SLA event reads as words, in every drawing.
    @Test func anSLAEdgeIsLabelledInWords() throws {
        let path = "sops/complaint.sop.yaml"
        let text = try String(contentsOf: Self.root.appendingPathComponent(path), encoding: .utf8)
        let sop = try #require(Self.definition(path, text).0)
        let svg = GraphSVG.svg(sop)
        #expect(svg.contains(">SLA first response breached</text>"))
        #expect(!svg.contains("sla.first_response.breached"))
        #expect(GraphExport.dot(sop).contains("label=\"SLA first response breached\""))
        #expect(GraphExport.eventText("sla.resolution.warning") == "SLA resolution warning")
        #expect(GraphExport.eventText("sla.x") == "sla.x")
    }

    /// Issue 32, item 6: a diagram knows no ticket, so a template in a title shows as `…`, in the
    /// SVG (its label and its boxes) and in DOT and Mermaid.
    @Test func templatesInTitlesAreNotDrawnRaw() throws {
        let text = """
            sop: dispute
            version: 1
            title: Chargeback dispute for ${{ ticket.id }}
            start: gather
            states:
              gather:
                title: Gather evidence for ${{ ticket.id }}
                transitions: [{to: done, on: gathered}]
              done: {title: Done, end: won}
            """
        let sop = try #require(Self.definition("dispute.sop.yaml", text).0)
        for drawing in [GraphSVG.svg(sop), GraphExport.dot(sop), GraphExport.mermaid(sop)] {
            #expect(!drawing.contains("${{"), "\(drawing)")
            #expect(drawing.contains("Gather evidence for …"))
        }
        #expect(GraphSVG.svg(sop).contains("aria-label=\"Chargeback dispute for …\""))
    }

    /// The report's directly-follows graph: two SOPs that share state names keep their states
    /// apart, each arrow is a move some run made (and every move has its arrow), nodes are in
    /// layers, and nothing overprints.
    @Test func theDirectlyFollowsGraphShowsOnlyRealMovesWithoutOverprinting() throws {
        func sop(_ id: String, _ middle: String) -> String {
            """
            sop: \(id)
            version: 1
            title: \(id)
            start: open
            states:
              open:
                title: Open
                transitions: [{to: \(middle), on: go}, {to: done, on: skip}]
              \(middle):
                title: Middle
                transitions: [{to: done, on: go}, {to: open, on: back}]
              done: {title: Done, end: resolved}
            """
        }
        let w = try Workspace(["care": sop("care", "working"), "claim": sop("claim", "review")])
        let agent = Actor(id: "ana", role: "agent")
        func t(_ minutes: Int) -> Int64 { CivilTime.parseDateTime("2026-11-02T09:00:00Z")! + Int64(minutes) * 60_000 }
        func go(_ run: String, _ e: String, _ at: Int) throws {
            _ = try w.service.step(run, .submit(inputs: [], event: e, checks: nil), actor: agent, now: t(at))
        }
        // care: open → working → open → working → done; claim: open → done, open → review.
        _ = try w.service.start(sop: "care", ticket: .object([("id", .string("T1"))]), runID: "c1", actor: agent, now: t(0))
        try go("c1", "go", 1); try go("c1", "back", 2); try go("c1", "go", 3); try go("c1", "go", 4)
        _ = try w.service.start(sop: "claim", ticket: .object([("id", .string("T2"))]), runID: "k1", actor: agent, now: t(0))
        try go("k1", "skip", 5)
        _ = try w.service.start(sop: "claim", ticket: .object([("id", .string("T3"))]), runID: "k2", actor: agent, now: t(0))
        try go("k2", "go", 6)
        let report = try ReportBuilder.build(store: w.service.store, options: ReportOptions(from: t(-60), to: t(600)), categories: [:])
        let moves = report.edges.map { "\($0.sop): \($0.from) → \($0.sop): \($0.to) ×\($0.count)" }
        #expect(moves == ["care: open → care: working ×2", "care: working → care: done ×1", "care: working → care: open ×1",
                          "claim: open → claim: done ×1", "claim: open → claim: review ×1"])
        let html = report.html()
        let start = try #require(html.range(of: "<svg class=\"chart dfg\""))
        let end = try #require(html[start.lowerBound...].range(of: "</svg>"))
        let drawing = Self.geometry(String(html[start.lowerBound..<end.upperBound]))
        #expect(drawing.problems().isEmpty, "\(drawing.problems())")
        #expect(Set(drawing.nodes.map(\.name)) == ["care: open", "care: working", "care: done", "claim: open", "claim: done", "claim: review"])
        #expect(drawing.edges.map { "\($0.from) → \($0.to)" }.sorted()
                == ["care: open → care: working", "care: working → care: done", "care: working → care: open",
                    "claim: open → claim: done", "claim: open → claim: review"])
        // Counts placed beside their arrows, each once.
        #expect(drawing.texts.filter { $0.node == nil }.map(\.text).sorted() == ["1 · 1m", "1 · 1m", "1 · 5m", "1 · 6m", "2 · 1m"])
        #expect(Set(drawing.nodes.map(\.box.y0)).count >= 3, "the nodes are not in layers")
    }
}

/// Random SOPs for the layout tests: 2 to 14 states with titles of varied length, and
/// transitions of every kind a drawing shows (events, timers, guards tried in turn, labels,
/// other roles; SLA events need a calendar file, and the shipped complaint SOP has them), forward, back, across and to the same state. Seeded (`SplitMix64`),
/// like the SOPs of `ModelBasedTests`; a draw with lint errors is drawn again.
enum RandomGraphSOP {
    static let words = ["check", "the", "order", "refund", "customer", "reply", "escalate", "wait", "for", "approval",
                        "ship", "replacement", "close", "ticket", "review", "damage", "photos", "call", "back", "supervisor"]

    static func generate(seed: UInt64) -> String? {
        var rng = SplitMix64(seed: seed &* 0x2545_F491_4F6C_DD1D)
        var lastErrors: [String] = []
        for _ in 0..<50 {
            let text = draw(&rng)
            let errors = GraphLayoutTests.definition("generated.sop.yaml", text).1
            if errors.isEmpty { return text }
            lastErrors = errors.map { "\($0.message)" }
        }
        print("seed \(seed): the last draw's lint errors: \(lastErrors)")
        return nil
    }

    static func draw(_ rng: inout SplitMix64) -> String {
        func chance(_ percent: UInt64) -> Bool { rng.next() % 100 < percent }
        let count = 2 + Int(rng.next() % 13)
        var y = "sop: generated\nversion: 1\ntitle: Generated\nroles: [agent, supervisor, system]\n"
        y += "start: s0\nstates:\n"
        let ends = Set((1..<count).filter { _ in chance(30) } + [count - 1])
        for i in 0..<count {
            let titleWords = (0..<(1 + Int(rng.next() % 5))).map { _ in rng.pick(words) }
            y += "  s\(i):\n    title: \"\(titleWords.joined(separator: " ").capitalized)\"\n"
            if chance(20) { y += "    role: supervisor\n" }
            if ends.contains(i) {
                y += "    end: \(rng.pick(["resolved", "refunded", "dropped"]))\n"
                continue
            }
            y += "    transitions:\n"
            var events = 0
            for k in 0..<(1 + Int(rng.next() % 4)) {
                // Mostly forward, some back, some to itself.
                let roll = rng.next() % 100
                let target = roll < 70 ? min(count - 1, i + 1 + Int(rng.next() % 3)) : roll < 90 ? Int(rng.next() % UInt64(count)) : i
                y += "      - to: s\(target)\n"
                switch rng.next() % 6 {
                case 0: y += "        after: \(rng.pick(["1h", "2d", "1w"]))\n"
                case 1: y += "        on: \(rng.pick(["customer.replied", "payment.received", "carrier.lost_parcel"]))\n"
                case 2:
                    y += "        when: ticket.priority == '\(rng.pick(["high", "low", "urgent"]))'\n"
                default:
                    events += 1
                    y += "        on: e\(k % 2)\n"
                    if chance(40) { y += "        when: ticket.complaint_count > \(rng.next() % 9)\n" }
                }
                if chance(20) { y += "        label: \"\((0..<(2 + Int(rng.next() % 6))).map { _ in rng.pick(words) }.joined(separator: " "))\"\n" }
                if chance(10) { y += "        role: system\n" }
            }
            _ = events
        }
        return y
    }
}
