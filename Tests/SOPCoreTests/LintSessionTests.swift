import Foundation
import SOPCore
import SOPDiagnostics
import Testing

/// A `LintSession` (what `sop lsp` keeps between keystrokes) finds what `Linter` finds on the
/// same set: at start, after any one file is set again, and after a file changes its id.
struct LintSessionTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Every lint fixture (each as `sop lint` would lint it) and the shipped sops/ folder.
    static let sets: [String] = Fixtures.cases(in: "lint/err").map { "err/" + $0 } + ["ok", "sops"]

    static func sources(_ set: String) throws -> [SourceFile] {
        if set == "sops" {
            let folder = repository.appendingPathComponent("sops").path
            return try Linter.files(in: [folder]).map { path in
                SourceFile(path: String(path.dropFirst(repository.path.count + 1)), bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
            }
        }
        let url = Fixtures.lintRoot.appendingPathComponent(set)
        var isDirectory: ObjCBool = false
        let isFolder = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
        let names = isFolder ? try FileManager.default.contentsOfDirectory(atPath: url.path).sorted().map { set + "/" + $0 } : [set]
        return try names.map { SourceFile(path: $0, bytes: [UInt8](try Data(contentsOf: Fixtures.lintRoot.appendingPathComponent($0)))) }
    }

    @Test(arguments: sets)
    func aSessionFindsWhatTheLinterFinds(set: String) throws {
        let sources = try Self.sources(set)
        try #require(!sources.isEmpty)
        let expected = Fixtures.linter.lint(sources: sources).diagnostics
        let session = LintSession(linter: Fixtures.linter, sources: sources)
        #expect(session.allDiagnostics() == expected)
    }

    /// Each file of the set, first empty and then set to its text, leaves the session where a
    /// full lint is: what re-linting one file against the others' kept entries must give.
    @Test(arguments: ["sops", "ok"] + sets.filter { $0.hasPrefix("err/") && !$0.hasSuffix(".yaml") })
    func settingOneFileAgainFindsWhatTheLinterFinds(set: String) throws {
        let sources = try Self.sources(set)
        let expected = Fixtures.linter.lint(sources: sources).diagnostics
        for (i, source) in sources.enumerated() {
            var blanked = sources
            blanked[i] = SourceFile(path: source.path, bytes: Array("x: [".utf8))
            var session = LintSession(linter: Fixtures.linter, sources: blanked)
            #expect(session.allDiagnostics() != expected || sources.count == 0)
            session.set(source)
            #expect(session.allDiagnostics() == expected, "after setting \(source.path) again")
        }
    }

    @Test func aCalledSOPsNewIDReachesItsCaller() throws {
        let caller = SourceFile(path: "a.sop.yaml", text: """
            sop: a
            version: 1
            title: A
            start: s
            states:
              s:
                title: S
                call: b
                transitions:
                  - to: done
              done:
                title: Done
                end: resolved
            """)
        let callee = { (id: String) in SourceFile(path: "b.sop.yaml", text: """
            sop: \(id)
            version: 1
            title: B
            start: s
            states:
              s:
                title: S
                end: resolved
            """) }
        var session = LintSession(linter: Linter(), sources: [caller, callee("b")])
        #expect(!session.diagnostics(for: "a.sop.yaml").contains { $0.rule.rawValue == "unknown-sop" })
        let change = session.set(callee("c"))
        #expect(change.affected.contains("a.sop.yaml"))
        #expect(session.diagnostics(for: "a.sop.yaml").contains { $0.rule.rawValue == "unknown-sop" })
        #expect(session.allDiagnostics() == Linter().lint(sources: [caller, callee("c")]).diagnostics)
        session.remove("b.sop.yaml")
        #expect(session.allDiagnostics() == Linter().lint(sources: [caller]).diagnostics)
    }
}
