import Foundation
import Testing
import TestSupport

/// `sop diff` (issue 35): whole outputs of every format over pairs of SOPs that between them make
/// every kind of change (`Fixtures/diff/sops/NAME-old.sop.yaml` and `NAME-new.sop.yaml`, compared
/// with `Fixtures/diff/expected/NAME.FORMAT`; `SOP_RECORD=1` rewrites them, and fails), then
/// `--store`, `--git`, `--exit-code` and bad input.
@Suite struct DiffCommandTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/diff")
    static let pairs = ["states", "inputs", "transitions", "sop"]
    static let formats = ["text", "json", "markdown", "mermaid", "svg"]

    static var cases: [(String, String)] { pairs.flatMap { pair in formats.map { (pair, $0) } } }

    @Test(arguments: cases)
    func diffMatchesGolden(_ pair: String, _ format: String) throws {
        let r = try SOPBinary.run(["diff", "sops/\(pair)-old.sop.yaml", "sops/\(pair)-new.sop.yaml", "--format", format], in: Self.folder)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr == "")
        try Self.compare(r.stdout, golden: "\(pair).\(format)")
    }

    static func compare(_ output: String, golden name: String) throws {
        let golden = folder.appendingPathComponent("expected/\(name)")
        if ProcessInfo.processInfo.environment["SOP_RECORD"] == "1" {
            try output.write(to: golden, atomically: true, encoding: .utf8)
            Issue.record("recorded \(name)")
            return
        }
        #expect(output == (try String(contentsOf: golden, encoding: .utf8)), "\(name) differs; SOP_RECORD=1 re-records it if intended")
    }

    /// The JSON goldens between them hold every kind `docs/cli.md` lists, so no kind goes
    /// untested (`sop-id-changed` is `differentSOPsAreComparedWithAWarning`'s).
    @Test func theGoldensCoverEveryKindTheDocsList() throws {
        let doc = try String(contentsOf: SOPBinary.repositoryRoot.appendingPathComponent("docs/cli.md"), encoding: .utf8)
        let section = try #require(doc.components(separatedBy: "\n## `sop diff").dropFirst().first)
        let table = try #require(section.components(separatedBy: "### Kinds of change").dropFirst().first?.components(separatedBy: "\n### ").first)
        // Each kind is a table row of its own: | `kind` | …
        let documented = Set(table.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("| `") else { return nil }
            return line.dropFirst(3).split(separator: "`").first.map(String.init)
        })
        #expect(documented.count >= 40, "\(documented.count) kinds documented")
        var seen: Set<String> = ["sop-id-changed"]
        for pair in Self.pairs {
            let data = try Data(contentsOf: Self.folder.appendingPathComponent("expected/\(pair).json"))
            let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            let changes = try #require(object["changes"] as? [[String: Any]])
            for change in changes { seen.insert(try #require(change["kind"] as? String)) }
        }
        #expect(documented.subtracting(seen).isEmpty, "no fixture makes \(documented.subtracting(seen).sorted())")
        #expect(seen.subtracting(documented).isEmpty, "not documented: \(seen.subtracting(documented).sorted())")
    }

    @Test func identicalVersionsHaveNoChanges() throws {
        let same = ["diff", "sops/states-new.sop.yaml", "sops/states-new.sop.yaml"]
        let text = try SOPBinary.run(same, in: Self.folder)
        #expect(text.status == 0)
        #expect(text.stdout == "intake-demo: version 2: no changes\n")
        let json = try SOPBinary.run(same + ["--format", "json"], in: Self.folder)
        #expect(json.stdout.contains(#""changes":[],"summary":{"changes":0,"migration":0}"#))
        let markdown = try SOPBinary.run(same + ["--format", "markdown"], in: Self.folder)
        #expect(markdown.stdout == "### `sop diff` intake-demo: version 2\n\nNo changes.\n")
        // --exit-code: 0 without changes, 1 with.
        #expect(try SOPBinary.run(same + ["--exit-code"], in: Self.folder).status == 0)
        let changed = try SOPBinary.run(["diff", "sops/states-old.sop.yaml", "sops/states-new.sop.yaml", "--exit-code"], in: Self.folder)
        #expect(changed.status == 1)
        #expect(changed.stdout.hasPrefix("intake-demo: version 1 → 2: "))
    }

    @Test func differentSOPsAreComparedWithAWarning() throws {
        let r = try SOPBinary.run(["diff", "sops/inputs-old.sop.yaml", "sops/states-new.sop.yaml", "--format", "json"], in: Self.folder)
        #expect(r.status == 0)
        #expect(r.stderr == "warning: sops/inputs-old.sop.yaml is SOP 'refund-demo' and sops/states-new.sop.yaml is SOP 'intake-demo'; they are compared all the same\n")
        #expect(r.stdout.contains(#"{"kind":"sop-id-changed","path":"sop","state":null,"old":"refund-demo","new":"intake-demo","file":"sops/states-new.sop.yaml","line":1,"migration":false}"#))
    }

    @Test func badInputExitsTwoWithTheReason() throws {
        let dir = try SOPBinary.temporaryDirectory()
        try "sop: broken\nversion: 1\ntitle: [unclosed\n".write(to: dir.appendingPathComponent("broken.sop.yaml"), atomically: true, encoding: .utf8)
        try "sop: bad\nversion: 1\ntitle: Bad\nstart: a\nstates:\n  a: {title: A, transitions: [{to: nowhere, on: go}]}\n"
            .write(to: dir.appendingPathComponent("bad.sop.yaml"), atomically: true, encoding: .utf8)
        let good = Self.folder.appendingPathComponent("sops/states-new.sop.yaml").path

        let missing = try SOPBinary.run(["diff", "nope.sop.yaml", good], in: dir)
        #expect(missing.status == 2)
        #expect(missing.stderr == "error: nope.sop.yaml: no such file, and no SOP with this id in sops\n")
        #expect(missing.stdout == "")

        let yaml = try SOPBinary.run(["diff", "broken.sop.yaml", good], in: dir)
        #expect(yaml.status == 2)
        #expect(yaml.stderr.hasPrefix("broken.sop.yaml:"))
        #expect(yaml.stderr.hasSuffix("error: broken.sop.yaml has lint errors; it is not compared\n"))

        let lint = try SOPBinary.run(["diff", good, "bad.sop.yaml"], in: dir)
        #expect(lint.status == 2)
        #expect(lint.stderr.contains("error: transition target 'nowhere' is not a state of this SOP [unknown-state]"))
        #expect(lint.stderr.hasSuffix("error: bad.sop.yaml has lint errors; it is not compared\n"))

        let one = try SOPBinary.run(["diff", good], in: dir)
        #expect(one.status == 2)
        #expect(one.stderr.contains("give two versions to compare, OLD and NEW (or one SOP with --git REV)"))
        let two = try SOPBinary.run(["diff", good, good, "--git", "HEAD"], in: dir)
        #expect(two.status == 2)
        #expect(two.stderr.contains("with --git, give one SOP (a file or an id), not 2"))

        let store = try SOPBinary.run(["diff", good, good, "--store", "no/such/runs.sqlite"], in: dir)
        #expect(store.status == 2)
        #expect(store.stderr == "error: no store at no/such/runs.sqlite\n")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("no").path))
        for r in [missing, yaml, lint, one, two, store] { #expect(!r.terminatedBySignal) }
    }

    // MARK: --store

    static let flowV1 = """
        sop: flow
        version: 1
        title: A flow
        start: ask
        states:
          ask:
            title: Ask
            transitions:
              - {to: check, on: asked}
          check:
            title: Check
            transitions:
              - {to: done, on: checked}
          quiet:
            title: Nobody waits here
            transitions:
              - {to: done, on: go}
          done: {title: Done, end: done}

        """

    /// v2: `check` is gone (ask leads to done), `ask` asks for a required input, and `quiet`,
    /// where no run waits, lost a checklist item.
    static let flowV2 = """
        sop: flow
        version: 2
        title: A flow
        start: ask
        states:
          ask:
            title: Ask
            inputs:
              order: {type: string}
            transitions:
              - {to: done, on: asked}
          quiet:
            title: Nobody waits here
            checklist:
              - Nothing to do
            transitions:
              - {to: done, on: go}
          done: {title: Done, end: done}

        """

    /// Runs in flight on v1: two waiting in `ask`, three in `check`, one ended; one started on
    /// v2 waits in `ask` and is not counted (it needs no migration).
    @Test func storeCountsTheWaitingRunsEachChangeTouches() throws {
        let dir = try SOPBinary.temporaryDirectory()
        let sops = dir.appendingPathComponent("sops")
        try FileManager.default.createDirectory(at: sops, withIntermediateDirectories: true)
        try Self.flowV1.write(to: sops.appendingPathComponent("flow.sop.yaml"), atomically: true, encoding: .utf8)
        try Self.flowV1.write(to: dir.appendingPathComponent("flow-v1.sop.yaml"), atomically: true, encoding: .utf8)
        let env = ["SOP_STORE": ""]
        func sop(_ arguments: [String]) throws {
            let r = try SOPBinary.run(arguments, in: dir, environment: env)
            #expect(r.status == 0, "sop \(arguments.joined(separator: " ")): \(r.stderr)")
        }
        for i in 1...6 { try sop(["start", "flow", "--ticket", #"{"id": "T-\#(i)"}"#, "--id", "r\(i)"]) }
        for i in 3...6 { try sop(["step", "r\(i)", "--event", "asked"]) }
        try sop(["step", "r6", "--event", "checked"])
        try Self.flowV2.write(to: sops.appendingPathComponent("flow.sop.yaml"), atomically: true, encoding: .utf8)
        try sop(["start", "flow", "--ticket", #"{"id": "T-7"}"#, "--id", "r7"])

        let r = try SOPBinary.run(["diff", "flow-v1.sop.yaml", "sops/flow.sop.yaml", "--store", ".sop/runs.sqlite"], in: dir, environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == """
            flow: version 1 → 2: 5 changes, 2 need a migration (5 runs waiting)

            sop
              sops/flow.sop.yaml:1: version-changed version: 1 → 2  (5 runs waiting)

            state ask
              sops/flow.sop.yaml:9: input-added states.ask.inputs.order: (none) → string, required  [migration: 2 runs]
              sops/flow.sop.yaml:11: target-changed states.ask.transitions[0].to: check → done  (2 runs waiting)

            state quiet
              sops/flow.sop.yaml:15: checklist-item-added states.quiet.checklist[0]: (none) → Nothing to do

            state check (removed)
              flow-v1.sop.yaml:10: state-removed states.check: Check → (none)  [migration: 3 runs]

            """)
        let json = try SOPBinary.run(["diff", "flow-v1.sop.yaml", "sops/flow.sop.yaml", "--store", ".sop/runs.sqlite", "--format", "json"],
                                     in: dir, environment: env)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let changes = try #require(object["changes"] as? [[String: Any]])
        let removed = try #require(changes.first { $0["kind"] as? String == "state-removed" })
        #expect(removed["runs"] as? Int == 3 && removed["migration"] as? Bool == true)
        let added = try #require(changes.first { $0["kind"] as? String == "input-added" })
        #expect(added["runs"] as? Int == 2 && added["migration"] as? Bool == true)
        let quiet = try #require(changes.first { $0["kind"] as? String == "checklist-item-added" })
        #expect(quiet["runs"] as? Int == 0 && quiet["migration"] as? Bool == false)
        #expect((object["summary"] as? [String: Any])?["runs"] as? Int == 5)
    }

    // MARK: --git

    @Test func gitComparesTheFileAtARevisionWithTheWorkingTree() throws {
        let dir = try SOPBinary.temporaryDirectory()
        let sops = dir.appendingPathComponent("sops")
        try FileManager.default.createDirectory(at: sops, withIntermediateDirectories: true)
        func git(_ arguments: [String]) throws {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["git", "-C", dir.path, "-c", "user.email=t@example.com", "-c", "user.name=T"] + arguments
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            p.waitUntilExit()
            #expect(p.terminationStatus == 0, "git \(arguments)")
        }
        try git(["init", "-q"])
        try Self.flowV1.write(to: sops.appendingPathComponent("flow.sop.yaml"), atomically: true, encoding: .utf8)
        try git(["add", "sops/flow.sop.yaml"])
        try git(["commit", "-q", "-m", "v1"])
        try Self.flowV2.write(to: sops.appendingPathComponent("flow.sop.yaml"), atomically: true, encoding: .utf8)

        // By id in the --sops folder, and by path from a folder below the repository's top.
        let byID = try SOPBinary.run(["diff", "flow", "--git", "HEAD"], in: dir)
        #expect(byID.status == 0, "\(byID.stderr)")
        #expect(byID.stdout == """
            flow: version 1 → 2: 5 changes, 2 need a migration

            sop
              sops/flow.sop.yaml:1: version-changed version: 1 → 2

            state ask
              sops/flow.sop.yaml:9: input-added states.ask.inputs.order: (none) → string, required  [migration]
              sops/flow.sop.yaml:11: target-changed states.ask.transitions[0].to: check → done

            state quiet
              sops/flow.sop.yaml:15: checklist-item-added states.quiet.checklist[0]: (none) → Nothing to do

            state check (removed)
              HEAD:sops/flow.sop.yaml:10: state-removed states.check: Check → (none)  [migration]

            """)
        let byPath = try SOPBinary.run(["diff", "flow.sop.yaml", "--git", "HEAD", "--format", "json"], in: sops)
        #expect(byPath.status == 0)
        #expect(byPath.stdout.hasPrefix(#"{"old":{"file":"HEAD:sops/flow.sop.yaml","sop":"flow","version":1},"new":{"file":"flow.sop.yaml","sop":"flow","version":2}"#))

        let unknown = try SOPBinary.run(["diff", "flow", "--git", "v9"], in: dir)
        #expect(unknown.status == 2)
        #expect(unknown.stderr.hasPrefix("error: 'v9' is not a git revision of "))
        try Self.flowV1.write(to: sops.appendingPathComponent("other.sop.yaml"), atomically: true, encoding: .utf8)
        let untracked = try SOPBinary.run(["diff", "sops/other.sop.yaml", "--git", "HEAD"], in: dir)
        #expect(untracked.status == 2)
        #expect(untracked.stderr == "error: sops/other.sop.yaml did not exist at HEAD; there is no earlier version to compare with\n")
        let outside = try SOPBinary.temporaryDirectory()
        try Self.flowV1.write(to: outside.appendingPathComponent("flow.sop.yaml"), atomically: true, encoding: .utf8)
        let noRepository = try SOPBinary.run(["diff", "flow.sop.yaml", "--git", "HEAD"], in: outside)
        #expect(noRepository.status == 2)
        #expect(noRepository.stderr == "error: flow.sop.yaml is not in a git repository; --git needs one\n")
        let noGit = try SOPBinary.run(["diff", "flow", "--git", "HEAD"], in: dir, environment: ["PATH": outside.path])
        #expect(noGit.status == 2)
        #expect(noGit.stderr == "error: --git needs git, and there is none on PATH\n")
    }
}
