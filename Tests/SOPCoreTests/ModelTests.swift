import SOPDiagnostics
import Testing
@testable import SOPCore

/// States and transitions are classes for speed; their equality must still be by content.
struct ModelTests {
    static let text = """
        sop: eq
        version: 1
        title: Equality
        start: a
        states:
          a:
            title: A
            transitions:
              - to: b
                on: go
                label: Go on
          b:
            title: B
            end: done
        """

    func load(_ text: String) throws -> SOPDefinition {
        try #require(SOPLoader.load(SourceFile(path: "eq.sop.yaml", text: text)).definition)
    }

    @Test func definitionsDecodedTwiceAreEqualAndHashAlike() throws {
        let a = try load(Self.text), b = try load(Self.text)
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(a.states[0] !== b.states[0])
    }

    @Test func aChangedTransitionMakesThemDiffer() throws {
        let a = try load(Self.text)
        let b = try load(Self.text.replacingOccurrences(of: "Go on", with: "Go ahead"))
        #expect(a != b)
        #expect(a.states[0].transitions[0] != b.states[0].transitions[0])
        #expect(a.states[1] == b.states[1])
    }
}
