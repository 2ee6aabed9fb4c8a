import Foundation
import SOPCore
import SOPDiagnostics
import Testing

/// The rule registry is the one home of every rule: each has its own file named after its id,
/// nothing else mints ids, each example is real (it triggers the rule in its golden fixture, and
/// its fix clears it), and docs/lint-rules.md is generated from it.
struct RuleRegistryTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let rulesFolder = repository.appendingPathComponent("Sources/SOPCore/Lint/Rules")

    @Test func everyRuleHasItsOwnFileNamedAfterIt() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.rulesFolder.path).filter { $0.hasSuffix(".swift") }
        var expected: [String] = []
        for rule in LintRules.all {
            let typeName = String(describing: rule)
            // `id-mismatch` → IDMismatchRule: Swift capitalises acronyms, so the name is compared without case.
            #expect(typeName.lowercased() == rule.id.pascalCaseName.lowercased() + "rule", "\(rule.id) is declared by \(typeName)")
            let file = typeName + ".swift"
            expected.append(file)
            let text = try String(contentsOf: Self.rulesFolder.appendingPathComponent(file), encoding: .utf8)
            #expect(text.contains("RuleID(\"\(rule.id.rawValue)\")"), "\(file) does not declare \(rule.id)")
        }
        #expect(files.sorted() == expected.sorted(), "Lint/Rules holds exactly one file per rule")
        #expect(Set(LintRules.all.map { $0.id }).count == LintRules.all.count, "rule ids are unique")
    }

    /// Ids are declared in Lint/Rules only: anywhere else, code reports through a rule's type.
    @Test func noIDIsMintedOutsideItsRule() throws {
        let sources = Self.repository.appendingPathComponent("Sources")
        let walker = try #require(FileManager.default.enumerator(atPath: sources.path))
        while let relative = walker.nextObject() as? String {
            guard relative.hasSuffix(".swift"), !relative.hasPrefix("SOPCore/Lint/Rules/") else { continue }
            let text = try String(contentsOf: sources.appendingPathComponent(relative), encoding: .utf8)
            #expect(!text.contains("RuleID(\""), "\(relative) declares a rule id; declare it in Lint/Rules")
        }
    }

    static let exampleRules = LintRules.all.filter { $0.id != NoTicketSchemaRule.id }.map { $0.id.rawValue }

    /// The bad example is part of a golden fixture of the rule and triggers it there; the same
    /// fixture with the good example in its place does not.
    @Test(arguments: exampleRules)
    func exampleTriggersTheRuleAndItsFixClearsIt(_ id: String) throws {
        let rule = try #require(LintRules.rule(named: id))
        let bad = rule.example.bad
        let found = try Self.fixtureFiles(of: rule).first { $0.text.contains(bad) }
        let (set, file) = try #require(found.map { ($0.set, $0) }, "no fixture of \(id) contains its bad example")
        let start = file.text.range(of: bad)!.lowerBound
        let firstLine = file.text[..<start].count(where: { $0 == "\n" }) + 1

        func findings(replacing: String) -> [Diagnostic] {
            let lines = firstLine...(firstLine + max(0, replacing.count(where: { $0 == "\n" })))
            let sources = set.map { f in
                SourceFile(path: f.path, text: f.path == file.path ? f.text.replacingCharacters(in: f.text.range(of: bad)!, with: replacing) : f.text)
            }
            return Fixtures.linter.lint(sources: sources).diagnostics.filter {
                $0.rule == rule.id && $0.file == file.path && lines.contains($0.span.start.line) && $0.suppression == nil
            }
        }
        #expect(!findings(replacing: bad).isEmpty, "\(id)'s bad example does not trigger it in \(file.path)")
        #expect(findings(replacing: rule.example.good).isEmpty, "\(id)'s good example still triggers it in \(file.path)")
    }

    /// docs/lint-rules.md, from its table to its last rule, is generated from the registry
    /// (`SOP_RECORD=1 swift test --filter RuleRegistryTests` rewrites it), with each example's
    /// output taken from linting its fixture.
    @Test func lintRulesDocIsGeneratedFromTheRegistry() throws {
        let url = Self.repository.appendingPathComponent("docs/lint-rules.md")
        let doc = try String(contentsOf: url, encoding: .utf8)
        let begin = "<!-- BEGIN generated from the rule registry (Sources/SOPCore/Lint/Rules); SOP_RECORD=1 swift test --filter RuleRegistryTests rewrites it -->\n"
        let end = "<!-- END generated -->\n"
        let from = try #require(doc.range(of: begin), "docs/lint-rules.md has no BEGIN marker")
        let to = try #require(doc.range(of: end), "docs/lint-rules.md has no END marker")
        let generated = try Self.renderRules()
        let current = String(doc[from.upperBound..<to.lowerBound])
        if Fixtures.recording {
            try (String(doc[..<from.upperBound]) + generated + String(doc[to.lowerBound...])).write(to: url, atomically: true, encoding: .utf8)
        } else {
            #expect(current == generated, "docs/lint-rules.md differs from the registry; run `SOP_RECORD=1 swift test --filter RuleRegistryTests`")
        }
    }

    // MARK: Helpers

    struct FixtureFile {
        var path: String
        var text: String
        /// The files linted with it (itself included).
        var set: [FixtureFile] = []
    }

    /// Every file of every fixture named after the rule, each with the set it is linted in.
    static func fixtureFiles(of rule: any LintRule.Type) throws -> [FixtureFile] {
        var result: [FixtureFile] = []
        for name in Fixtures.cases(in: "lint/err") where name.hasPrefix(rule.id.rawValue) {
            let url = Fixtures.lintRoot.appendingPathComponent("err/" + name)
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
            let names = isDirectory.boolValue
                ? try FileManager.default.contentsOfDirectory(atPath: url.path).sorted().map { "err/\(name)/\($0)" }
                : ["err/" + name]
            // Fixtures that are not UTF-8 on purpose (yaml-syntax-invalid-utf8) hold no example.
            let set = names.compactMap { name in
                (try? Data(contentsOf: Fixtures.lintRoot.appendingPathComponent(name)))
                    .flatMap { String(data: $0, encoding: .utf8) }.map { FixtureFile(path: name, text: $0) }
            }
            guard set.count == names.count else { continue }
            result += set.map { var f = $0; f.set = set; return f }
        }
        return result
    }

    /// The generated part of docs/lint-rules.md: the table, then a section per rule.
    static func renderRules() throws -> String {
        var out = "| rule | severity | what it catches |\n|---|---|---|\n"
        for rule in LintRules.all {
            out += "| [`\(rule.id)`](#\(rule.id)) | \(rule.severity.rawValue) | \(rule.summary) |\n"
        }
        for rule in LintRules.all {
            out += "\n## \(rule.id)\n\(rule.summary) (\(rule.severity.rawValue))\n"
            if !rule.example.bad.isEmpty {
                out += "\n```\(rule.exampleLanguage)\n\(rule.example.bad)\n```\n"
                if let finding = try firstFinding(of: rule) {
                    out += "```\n\(finding.severity.rawValue): \(finding.message) [\(finding.rule)]\n"
                    if let help = finding.help { out += "  help: \(help)\n" }
                    out += "```\n"
                }
                out += rule.example.good.isEmpty ? "Fix: remove these lines.\n" : "Fixed:\n```\(rule.exampleLanguage)\n\(rule.example.good)\n```\n"
            }
            if !rule.details.isEmpty {
                out += "\n" + rule.details + "\n"
            }
        }
        return out
    }

    /// The rule's first finding inside its bad example, linted in its fixture.
    static func firstFinding(of rule: any LintRule.Type) throws -> Diagnostic? {
        guard let file = try fixtureFiles(of: rule).first(where: { $0.text.contains(rule.example.bad) }) else { return nil }
        let start = file.text.range(of: rule.example.bad)!.lowerBound
        let firstLine = file.text[..<start].count(where: { $0 == "\n" }) + 1
        let lines = firstLine...(firstLine + rule.example.bad.count(where: { $0 == "\n" }))
        let report = Fixtures.linter.lint(sources: file.set.map { SourceFile(path: $0.path, text: $0.text) })
        return report.diagnostics.first { $0.rule == rule.id && $0.file == file.path && lines.contains($0.span.start.line) }
    }
}
