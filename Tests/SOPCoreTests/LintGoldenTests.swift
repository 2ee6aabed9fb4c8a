import Foundation
import SOPCore
import SOPDiagnostics
import Testing

/// Golden pairs: each `Fixtures/lint/err/NAME.sop.yaml` sits next to `NAME.out`, the exact human
/// output it must produce; files in `Fixtures/lint/ok/` must produce nothing.
struct LintGoldenTests {
    static let errFixtures = Fixtures.files(in: "lint/err")
    static let okFixtures = Fixtures.files(in: "lint/ok")

    @Test(arguments: errFixtures)
    func errFixtureMatchesGolden(_ name: String) throws {
        let result = try Fixtures.lint("err/" + name)
        let actual = Fixtures.renderHuman(result)
        let golden = Fixtures.root.appendingPathComponent("lint/err")
            .appendingPathComponent(String(name.dropLast(".sop.yaml".count)) + ".out")
        if Fixtures.recording {
            try actual.write(to: golden, atomically: true, encoding: .utf8)
            Issue.record("recorded \(golden.lastPathComponent); run again without SOP_RECORD to compare")
            return
        }
        let expected = try String(contentsOf: golden, encoding: .utf8)
        #expect(actual == expected, "run `SOP_RECORD=1 swift test` to re-record if the change is intended")
    }

    /// A fixture named after a rule must trigger that rule (and only rules of the same family
    /// may come with it), so a golden file cannot silently lose the diagnostic it exists for.
    @Test(arguments: errFixtures)
    func errFixtureTriggersTheRuleItIsNamedFor(_ name: String) throws {
        let result = try Fixtures.lint("err/" + name)
        let rule = try #require(RuleID.allCases.filter { name.hasPrefix($0.rawValue) }.max { $0.rawValue.count < $1.rawValue.count },
                                "fixture \(name) is not named after a rule")
        #expect(result.diagnostics.contains { $0.rule == rule }, "\(name) does not report \(rule.rawValue)")
    }

    @Test(arguments: okFixtures)
    func okFixtureIsSilent(_ name: String) throws {
        let result = try Fixtures.lint("ok/" + name)
        #expect(result.diagnostics.isEmpty, "\(Fixtures.renderHuman(result))")
    }

    /// Every rule this layer implements has a golden fixture.
    @Test func implementedRulesAllHaveFixtures() {
        let structural: [RuleID] = [.yamlSyntax, .yamlLimit, .duplicateKey, .unknownKey, .missingKey, .wrongType,
                                    .invalidID, .unknownState, .endWithTransitions, .unknownRole,
                                    .expressionSyntax, .unknownField, .unknownVariable, .unknownInput, .unknownFunction,
                                    .typeMismatch, .invalidEnumValue]
        for rule in structural {
            #expect(Self.errFixtures.contains { $0.hasPrefix(rule.rawValue) }, "no fixture for \(rule.rawValue)")
        }
    }

    @Test func diagnosticsAreInFileOrder() throws {
        for name in Self.errFixtures {
            let d = try Fixtures.lint("err/" + name).diagnostics
            #expect(d == d.sorted(by: Diagnostic.ordered))
        }
    }
}
