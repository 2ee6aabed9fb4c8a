import Foundation
@testable import SOPCore
import SOPDiagnostics
import Testing
import TestSupport

/// `SOPDiff.compare` on its own: how transitions are matched, and the diff drawings read back
/// from their SVG (no overprinting, every transition of both versions drawn once).
@Suite struct SOPDiffTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("SOPCLITests/Fixtures/diff/sops")

    static func definition(_ text: String, path: String = "x.sop.yaml") throws -> SOPDefinition {
        let result = Linter().lint(SourceFile(path: path, text: text))
        #expect(result.diagnostics.filter { $0.severity == .error }.isEmpty, "\(result.diagnostics.map(\.message))")
        return try #require(result.definition)
    }

    static func sop(_ transitions: String) -> String {
        """
        sop: pick
        version: 1
        title: Pick
        start: a
        states:
          a:
            title: A
            inputs:
              n: {type: integer}
            transitions:
        \(transitions)
          b: {title: B, end: b}
          c: {title: C, end: c}

        """
    }

    /// Guarded alternatives to one target put in another order are a reorder, not two guards
    /// changed (they are alike in trigger and target, so only the whole-transition pass tells them).
    @Test func alikeTransitionsPutInAnotherOrderAreAReorder() throws {
        let old = try Self.definition(Self.sop("""
                  - {to: b, when: input.n > 10}
                  - {to: b, when: input.n < 0}
                  - {to: c}
            """))
        let new = try Self.definition(Self.sop("""
                  - {to: b, when: input.n < 0}
                  - {to: b, when: input.n > 10}
                  - {to: c}
            """))
        let changes = SOPDiff.compare(old, new)
        #expect(changes.map(\.kind) == [.transitionsReordered])
        let change = try #require(changes.first)
        #expect(change.path == "states.a.transitions")
        #expect(change.old == "→ b [input.n > 10]; → b [input.n < 0]; → c")
        #expect(change.new == "→ b [input.n < 0]; → b [input.n > 10]; → c")
    }

    /// A guard changed in place is "guard changed", and nothing else.
    @Test func aGuardChangedInPlaceIsOneChange() throws {
        let old = try Self.definition(Self.sop("      - {to: b, when: input.n > 10}\n      - {to: c}"))
        let new = try Self.definition(Self.sop("      - {to: b, when: input.n > 20}\n      - {to: c}"))
        let changes = SOPDiff.compare(old, new)
        #expect(changes.map(\.kind) == [.guardChanged])
        #expect(changes.first?.path == "states.a.transitions[0].guard")
        #expect(changes.first?.span.start.line == 11)
        #expect(changes.first?.migration == false)
    }

    /// The drawings of the fixture pairs: nothing overprints, no edge runs through a state or a
    /// label, and every transition of NEW and every removed one of OLD is drawn.
    @Test(arguments: ["states", "inputs", "transitions", "sop"])
    func diffDrawingsDrawCleanly(_ pair: String) throws {
        let oldText = try String(contentsOf: Self.fixtures.appendingPathComponent("\(pair)-old.sop.yaml"), encoding: .utf8)
        let newText = try String(contentsOf: Self.fixtures.appendingPathComponent("\(pair)-new.sop.yaml"), encoding: .utf8)
        let old = try Self.definition(oldText, path: "old.sop.yaml"), new = try Self.definition(newText, path: "new.sop.yaml")
        let changes = SOPDiff.compare(old, new)
        let diagram = DiffDiagram(old: old, new: new, changes: changes)
        let drawing = DiagramGeometry(svg: diagram.svg(), textWidth: TextMetrics.width, ascent: TextMetrics.ascent,
                                      descent: TextMetrics.descent)
        #expect(drawing.problems().isEmpty, "\(pair):\n\(drawing.problems().joined(separator: "\n"))")
        let removed = changes.filter { $0.kind == .transitionRemoved }.count
            + changes.filter { $0.kind == .targetChanged }.count
            + old.states.filter { new.state($0.id.value) == nil }.reduce(0) { $0 + $1.transitions.count }
        let transitions = new.states.reduce(0) { $0 + $1.transitions.count }
        #expect(drawing.edges.count == transitions + removed + 1, "\(pair): the transitions and the start's arrow")
        #expect(drawing.nodes.count == new.states.count + old.states.filter { new.state($0.id.value) == nil }.count)
    }
}
