import Foundation
import Testing
import TestSupport

/// `sop init` (issue 32, item 20): a first project that lints clean with `--strict` and whose
/// test passes with full coverage, and the repository's pre-commit hooks run on it.
@Suite struct InitCommandTests {
    static let written = [
        "sops/first-reply.sop.yaml", "sops/first-reply.test.yaml", "sops/calendars/support.calendar.yaml",
        "schemas/ticket.schema.json", ".github/workflows/sop.yml", ".gitlab-ci.yml",
    ]

    @Test func initWritesAProjectThatLintsAndTestsClean() throws {
        let dir = try ScratchDirectory.make("sop-init")
        let r = try SOPBinary.run(["init", "support"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == Self.written.map { "created \($0)\n" }.joined()
                + "next: cd support && sop lint --strict && sop test --min-coverage 100\n")
        let project = dir.appendingPathComponent("support")
        for path in Self.written {
            #expect(FileManager.default.fileExists(atPath: project.appendingPathComponent(path).path), "\(path)")
        }
        let lint = try SOPBinary.run(["lint", "--strict"], in: project, environment: ["SOP_STORE": ""])
        #expect(lint.status == 0 && lint.stdout == "no problems in 3 files\n", "\(lint.stdout)\(lint.stderr)")
        let test = try SOPBinary.run(["test", "--min-coverage", "100"], in: project)
        #expect(test.status == 0, "\(test.stdout)\(test.stderr)")
        #expect(test.stdout.hasSuffix("3 passed, 0 failed\n"), "\(test.stdout)")
        #expect(test.stdout.contains("first-reply 3/3 transitions (100.0%)"), "\(test.stdout)")
        // The SOP runs, on the calendar, with the schema it was written with.
        let start = try SOPBinary.run(["start", "first-reply", "--ticket", #"{"id": "T-9", "subject": "Hello"}"#, "--id", "f1",
                                       "--now", "2026-11-02T09:00:00Z"], in: project, environment: ["SOP_STORE": ""])
        #expect(start.status == 0 && start.stdout.contains("First reply to Hello"), "\(start.stdout)\(start.stderr)")
        let status = try SOPBinary.run(["status", "f1", "--now", "2026-11-02T09:00:00Z", "--format", "json"], in: project,
                                       environment: ["SOP_STORE": ""])
        #expect(status.stdout.contains(#""due":"2026-11-02T13:00:00Z""#), "\(status.stdout)")
    }

    @Test func aFolderNameIsQuotedForTheShell() throws {
        let dir = try ScratchDirectory.make("sop-init")
        let r = try SOPBinary.run(["init", "our team's sops"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasSuffix(#"next: cd 'our team'\''s sops' && sop lint --strict && sop test --min-coverage 100"# + "\n"), "\(r.stdout)")
    }

    @Test func initOverwritesNothing() throws {
        let dir = try ScratchDirectory.make("sop-init")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("schemas"), withIntermediateDirectories: true)
        try "{}\n".write(to: dir.appendingPathComponent("schemas/ticket.schema.json"), atomically: true, encoding: .utf8)
        let r = try SOPBinary.run(["init"], in: dir)
        #expect(r.status == 2)
        #expect(r.stderr == "error: . already has schemas/ticket.schema.json; sop init writes nothing over a file\n", "\(r.stderr)")
        #expect(r.stdout.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("sops").path))
        #expect(try String(contentsOf: dir.appendingPathComponent("schemas/ticket.schema.json"), encoding: .utf8) == "{}\n")
    }

    /// The repository's `.pre-commit-hooks.yaml`: each hook's entry, run as pre-commit runs a
    /// `language: system` hook with `pass_filenames: false`, passes on a fresh project.
    @Test func thePreCommitHooksRunOnAFreshProject() throws {
        let hooks = try String(contentsOf: SOPBinary.repositoryRoot.appendingPathComponent(".pre-commit-hooks.yaml"), encoding: .utf8)
        let ids = hooks.split(separator: "\n").filter { $0.hasPrefix("- id: ") }.map { $0.dropFirst(6) }
        #expect(ids == ["sop-lint", "sop-test"])
        let entries = hooks.split(separator: "\n").filter { $0.hasPrefix("  entry: sop ") }.map { $0.dropFirst(13) }
        #expect(entries.count == 2)
        #expect(hooks.components(separatedBy: "pass_filenames: false").count == 3)
        // README's configuration names these hooks.
        let readme = try String(contentsOf: SOPBinary.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let config = try #require(readme.components(separatedBy: "# .pre-commit-config.yaml\n").dropFirst().first?
            .components(separatedBy: "```").first)
        #expect(config.split(separator: "\n").filter { $0.contains("- id: ") }.map { $0.split(separator: " ").last! } == ids)
        let dir = try ScratchDirectory.make("sop-init")
        #expect(try SOPBinary.run(["init"], in: dir).status == 0)
        for entry in entries {
            let r = try SOPBinary.run(entry.split(separator: " ").map(String.init), in: dir)
            #expect(r.status == 0, "sop \(entry): \(r.stdout)\(r.stderr)")
        }
    }
}
