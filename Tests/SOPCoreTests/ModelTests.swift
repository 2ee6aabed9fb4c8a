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

    /// An enum's values may carry labels; an entry is a value or `{value, label}`, nothing else.
    @Test func enumValuesMayCarryLabels() throws {
        let labelled = Self.text.replacingOccurrences(of: "    title: A\n", with: """
                title: A
                inputs:
                  pick:
                    type: enum
                    values: [{value: a, label: "The first"}, b]

            """)
        let sop = try load(labelled)
        let spec = try #require(sop.states[0].inputs.first)
        #expect(spec.values.map(\.value) == ["a", "b"])
        #expect(spec.labels == ["a": "The first"])
        for (entry, rule, message) in [
            (#"{value: a, lable: "x"}"#, UnknownKeyRule.id, "value 1 of input 'pick'"),
            (#"{label: "x"}"#, MissingKeyRule.id, "value 1 of input 'pick'"),
            ("[a]", WrongTypeRule.id, "enum values must be plain text or {value: …, label: …}"),
        ] {
            let text = labelled.replacingOccurrences(of: #"{value: a, label: "The first"}"#, with: entry)
            let diagnostics = SOPLoader.load(SourceFile(path: "eq.sop.yaml", text: text)).diagnostics
            #expect(diagnostics.contains { $0.rule == rule && $0.message.contains(message) }, "\(entry): \(diagnostics.map(\.message))")
        }
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

    /// `category` and `type` are read by matching bytes: every spelling decodes to its case, and a
    /// quoted spelling is the same word.
    @Test func categoriesAndTypesDecodeFromEverySpelling() throws {
        for category in SOPCategory.allCases {
            let sop = try load(Self.text.replacingOccurrences(of: "title: Equality", with: "title: Equality\ncategory: '\(category.rawValue)'"))
            #expect(sop.category == category.rawValue)
        }
        for type in ValueType.allCases where type != .enum && type != .list {
            let input = "    inputs:\n      x: {type: \(type.rawValue)}\n    transitions:"
            let sop = try load(Self.text.replacingOccurrences(of: "    transitions:", with: input))
            #expect(sop.states[0].inputs.first?.type == type)
        }
    }
}

/// The key enums of the decoders (and the value words matched like them): each case's slot is its
/// position, its name is its raw value (for keys, its case name), and a reader finds every name
/// (and only those) among the keys of a mapping.
@Suite struct MappingKeyTests {
    func check<Key: MappingKey>(_: Key.Type, spelledAsCases: Bool = true) {
        let names = Key.names
        #expect(names.strings == Key.allCases.map(\.rawValue))
        if spelledAsCases { #expect(names.strings == Key.allCases.map { String(describing: $0) }) }
        for (i, key) in Key.allCases.enumerated() {
            #expect(key.slot == i)
            var name = key.rawValue
            #expect(name.withUTF8 { names.index(of: $0) } == i)
            // Near misses: longer, shorter, the same length with another last or first byte.
            let misses = [name + "x", String(name.dropLast()), String(name.dropLast()) + "#", "#" + name.dropFirst(),
                          "é" + name.dropFirst()]
            for var miss in misses where !Key.allCases.contains(where: { $0.rawValue == miss }) {
                #expect(miss.withUTF8 { names.index(of: $0) } == nil, "\(miss)")
            }
        }
        var empty = ""
        #expect(empty.withUTF8 { names.index(of: $0) } == nil)
    }

    @Test func sopKeys() {
        check(SOPDecoder.TopKey.self)
        check(SOPDecoder.StateKey.self)
        check(SOPDecoder.TransitionKey.self)
        check(SOPDecoder.InputKey.self)
        check(SOPDecoder.FieldKey.self)
        check(SOPDecoder.NotifyKey.self)
        check(SOPDecoder.AssignKey.self)
        check(SOPDecoder.StartKey.self)
    }

    /// Words allowed as values are matched the same way; a category may be spelled unlike its case.
    @Test func valueWords() {
        check(ValueType.self)
        check(SOPCategory.self, spelledAsCases: false)
    }

    @Test func scenarioKeys() {
        check(ScenarioDecoder.TopKey.self)
        check(ScenarioDecoder.CaseKey.self)
        check(ScenarioDecoder.StepKey.self)
        check(ScenarioDecoder.ExpectKey.self)
        check(ScenarioDecoder.ActorKey.self)
    }
}
