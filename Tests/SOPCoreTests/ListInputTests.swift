import SOPDiagnostics
import SOPExpression
import Testing
@testable import SOPCore

/// A `list` input as an agent types it (`--input items=…`) or an API body gives it (an array,
/// rendered as JSON text by StepCommand.submit): a JSON array of scalars, or items separated by
/// commas; text that opens with `[` and is not such an array is refused, not read as one item.
@Suite struct ListInputTests {
    let spec = InputSpec(id: Located("items", at: .fileStart), type: .list)

    func parsed(_ text: String) throws(StepRejection) -> [String] {
        guard case .list(let items) = try InputParser.parse(text, spec: spec) else { return [] }
        return items.map { if case .string(let s) = $0 { s } else { "?" } }
    }

    @Test func aJSONArrayOfScalarsIsTheList() throws {
        #expect(try parsed(#"["a", "b,c"]"#) == ["a", "b,c"])
        #expect(try parsed(#" ["a", 1, 2.5, true]"#) == ["a", "1", "2.5", "true"])
        #expect(try parsed("[]") == [])
    }

    @Test func textWithCommasIsTheList() throws {
        #expect(try parsed("a, b ,c") == ["a", "b", "c"])
    }

    @Test(arguments: ["[a]", "[\"a\",", "[\"a\"] x"])
    func textThatOpensWithABracketMustBeAnArray(_ text: String) {
        #expect(throws: StepRejection.self) { try parsed(text) }
        do { _ = try parsed(text) } catch {
            #expect(error.reason.contains("a JSON array of strings such as [\"a\", \"b\"], or items separated by commas"))
        }
    }

    @Test(arguments: [#"["a", null]"#, #"[["a"]]"#, #"[{"a": 1}]"#])
    func anItemMustBeAScalar(_ text: String) {
        do { _ = try parsed(text); Issue.record("accepted \(text)") } catch {
            #expect(error.reason.hasPrefix("input 'items' is a list of strings: an item may be a string, a number or a boolean, not "))
        }
    }
}
