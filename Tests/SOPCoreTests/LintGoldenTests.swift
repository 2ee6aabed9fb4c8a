import Foundation
import SOPCore
import SOPDiagnostics
import Testing

/// Golden pairs: each `Fixtures/lint/err/NAME.sop.yaml` (or `NAME.test.yaml`, or a folder `NAME/`
/// linted as one set) sits next to `NAME.out`, the exact human output it must produce; the files
/// in `Fixtures/lint/ok/`, linted together, must produce nothing.
struct LintGoldenTests {
    static let errFixtures = Fixtures.cases(in: "lint/err")

    @Test(arguments: errFixtures)
    func errFixtureMatchesGolden(_ name: String) throws {
        let actual = Fixtures.renderHuman(try Fixtures.lint("err/" + name))
        let golden = Fixtures.lintRoot.appendingPathComponent("err/\(Fixtures.stem(name)).out")
        if let problem = try Fixtures.assertGolden(actual, golden) {
            Issue.record(Comment(rawValue: problem + (Fixtures.recording ? "" : "\nrun `SOP_RECORD=1 swift test` to re-record if intended")))
        }
    }

    /// A fixture named after a rule must trigger that rule, so a golden file cannot silently lose
    /// the diagnostic it exists for.
    @Test(arguments: errFixtures)
    func errFixtureTriggersTheRuleItIsNamedFor(_ name: String) throws {
        let report = try Fixtures.lint("err/" + name)
        let rule = try #require(LintRules.all.map { $0.id }.filter { name.hasPrefix($0.rawValue) }.max { $0.rawValue.count < $1.rawValue.count },
                                "fixture \(name) is not named after a rule")
        #expect(report.diagnostics.contains { $0.rule == rule }, "\(name) does not report \(rule.rawValue)")
    }

    @Test func okFixturesAreSilent() throws {
        let report = try Fixtures.lint("ok")
        #expect(report.diagnostics.allSatisfy { $0.suppression != nil }, "\(Fixtures.renderHuman(report))")
        // ok/suppressed.sop.yaml: each of its warnings is there, suppressed with its comment's reason.
        let suppressed = report.diagnostics.filter { $0.file.hasSuffix("suppressed.sop.yaml") }
        #expect(suppressed.map(\.rule).sorted() == [IDMismatchRule.id, TemplateMisspeltRule.id, UnusedInputRule.id])
        #expect(suppressed.first { $0.rule == UnusedInputRule.id }?.suppression == "read by the monthly report, not by this SOP")
        #expect(suppressed.first { $0.rule == UnusedInputRule.id }?.span.start.line == 11, "ignore[...] alone on line 10 covers line 11")
    }

    /// Every rule has a golden fixture, except `no-ticket-schema`, which concerns the run (tested
    /// through the command line).
    @Test func everyRuleHasAFixture() {
        for rule in LintRules.all.map({ $0.id }) where rule != NoTicketSchemaRule.id {
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
