import Foundation
import Testing


private func workspace() throws -> URL { try SOPBinary.workspace() }

@Suite struct GuideTests {
    /// Drives `sop guide` from a pipe through the returns SOP to its end, then checks the journal:
    /// the guide's steps are ordinary journal records, and the run verifies.
    @Test func pipedGuideWalksAReturnToItsRefund() throws {
        let dir = try workspace()
        let answers = [
            "y",            // checklist: identity matches
            "maybe", "y",   // order found? (a bad answer is asked again)
            "2026-10-20",   // purchase date
            "49.90",        // amount
            "y", "y",       // label checklist
            "1",            // event: the label has been sent
            "1",            // event: the item has arrived
            "1",            // condition: as_new
        ].joined(separator: "\n") + "\n"
        let r = try SOPBinary.run(["guide", "returns", "--ticket", #"{"id": "T-1", "category": "returns", "order_id": "A-17"}"#,
                                   "--id", "g1", "--now", "2026-11-02T09:00:00Z", "--actor", "ana:agent"],
                                  in: dir, stdin: Data(answers.utf8), timeout: 60)
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(!r.stdout.contains("\u{1B}["), "colour on a pipe")
        #expect(r.stdout.contains("▶ Verify the purchase"))
        #expect(r.stdout.contains("(A-17)"), "the instructions' template is filled in")
        #expect(r.stdout.contains("[y/n]: maybe\n  input 'order_found' expects true or false (yes/no), found 'maybe'\n"))
        #expect(r.stdout.contains("1) The label has been sent"))
        #expect(r.stdout.contains("✔ Product return and refund: done — outcome refunded"))
        let log = try SOPBinary.run(["log", "g1", "--format", "json"], in: dir)
        let kinds = log.stdout.split(separator: "\n").compactMap { line -> String? in
            guard let r = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let trigger = r["trigger"] as? [String: Any] else { return nil }
            return trigger["kind"] as? String
        }
        #expect(kinds == ["start", "input", "auto", "input", "event", "event", "input", "auto"], "\(kinds)")
        #expect(try SOPBinary.run(["verify", "g1"], in: dir).status == 0)
    }

    /// Enum values with labels: the guide lists the labels, status gives them by value, and the
    /// answer recorded is the value.
    @Test func enumLabelsAreShownAndValuesRecorded() throws {
        let dir = try SOPBinary.workspace(extra: ["resolve": """
            sop: resolve
            version: 1
            title: Resolve
            start: choose
            states:
              choose:
                title: Choose a resolution
                inputs:
                  resolution:
                    type: enum
                    values:
                      - {value: refund, label: "Refund the full amount"}
                      - {value: replace, label: "Send a replacement"}
                      - other
                transitions:
                  - {to: done, when: "input.resolution == 'replace'"}
                  - {to: choose, on: retry}
              done: {title: Done, end: done}
            """])
        let start = try SOPBinary.run(["start", "resolve", "--ticket", #"{"id": "T-9"}"#, "--id", "e1", "--format", "json",
                                       "--now", "2026-11-02T09:00:00Z"], in: dir)
        #expect(start.status == 0, "\(start.stderr)")
        let status = try #require(try JSONSerialization.jsonObject(with: Data(start.stdout.utf8)) as? [String: Any])
        let spec = try #require((status["input_specs"] as? [[String: Any]])?.first)
        #expect(spec["values"] as? [String] == ["refund", "replace", "other"])
        #expect(spec["labels"] as? [String: String] == ["refund": "Refund the full amount", "replace": "Send a replacement"])
        let r = try SOPBinary.run(["guide", "--run", "e1", "--now", "2026-11-02T09:01:00Z"], in: dir, stdin: Data("2\n".utf8))
        #expect(r.stdout.contains("1) Refund the full amount (refund)"), "\(r.stdout)")
        #expect(r.stdout.contains("2) Send a replacement (replace)"))
        #expect(r.stdout.contains("3) other\n"))
        let log = try SOPBinary.run(["log", "e1", "--format", "json"], in: dir)
        #expect(log.stdout.contains(#""inputs":{"resolution":"replace"}"#), "\(log.stdout)")
    }

    /// A title with a template: the guide's header fills it from the run's ticket, the run's end
    /// too; `sop route` fills it from the ticket it routes (issue 32, item 6).
    @Test func titlesWithTemplatesAreFilledFromTheTicket() throws {
        let dir = try SOPBinary.workspace(extra: ["dispute": """
            sop: dispute
            version: 1
            title: Chargeback dispute for ${{ ticket.id }}
            applies_when: ticket.category == 'billing'
            start: gather
            states:
              gather:
                title: Gather the evidence
                transitions:
                  - {to: done, on: sent, label: The evidence is sent}
              done: {title: Done, end: sent}
            """])
        let r = try SOPBinary.run(["guide", "dispute", "--ticket", #"{"id": "T-55"}"#, "--id", "d1", "--now", "2026-11-02T09:00:00Z"],
                                  in: dir, stdin: Data("1\n".utf8))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Chargeback dispute for T-55 · run d1"), "\(r.stdout)")
        #expect(r.stdout.contains("✔ Chargeback dispute for T-55: done"), "\(r.stdout)")
        #expect(!r.stdout.contains("${{"), "\(r.stdout)")
        let route = try SOPBinary.run(["route", "--ticket", #"{"id": "T-56", "category": "billing"}"#], in: dir)
        #expect(route.stdout.contains("dispute  Chargeback dispute for T-56\n"), "\(route.stdout)\(route.stderr)")
    }

    /// A state another role acts on is announced before anything is asked, and an agent is not
    /// asked for what it cannot give; an enum is answered by its value as well as its number.
    @Test func aStateForAnotherRoleIsSaidUpFront() throws {
        let dir = try workspace()
        let answers = ["y", "y", "2026-10-20", "640", "y", "y", "1", "1", "as_new", "q"].joined(separator: "\n") + "\n"
        let r = try SOPBinary.run(["guide", "returns", "--ticket", #"{"id": "T-3", "category": "returns", "order_id": "A-19"}"#, "--id", "g3",
                                   "--now", "2026-11-02T09:00:00Z", "--actor", "ana:agent"], in: dir, stdin: Data(answers.utf8))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("▶ Supervisor approval"))
        #expect(r.stdout.contains("this step is for the role 'supervisor'; you act as 'agent'"), "\(r.stdout)")
        #expect(!r.stderr.contains("rejected"))
        let status = try SOPBinary.run(["status", "g3", "--format", "json"], in: dir)
        #expect(status.stdout.contains(#""state":"approval""#))
        #expect(status.stdout.contains(#""condition":"as_new""#))
    }

    @Test func quittingLeavesTheRunToResume() throws {
        let dir = try workspace()
        let r = try SOPBinary.run(["guide", "returns", "--ticket", #"{"id": "T-2"}"#, "--id", "g2", "--now", "2026-11-02T09:00:00Z"],
                                  in: dir, stdin: Data("y\nq\n".utf8))
        #expect(r.status == 0)
        #expect(r.stdout.contains("Resume with: sop guide --run g2"))
        let resumed = try SOPBinary.run(["guide", "--run", "g2", "--now", "2026-11-02T09:01:00Z"], in: dir, stdin: Data())
        #expect(resumed.status == 0)
        #expect(resumed.stdout.contains("▶ Verify the purchase"))
        #expect(try SOPBinary.run(["guide", "--run", "nope"], in: dir).status == 2)
    }

    /// Under a pseudo-terminal the screen shows the state title, the instructions and the first
    /// prompt, in colour.
    @Test func guideInAPseudoTerminal() throws {
        let dir = try workspace()
        let driver = """
            import os, pty, select, sys, time
            pid, fd = pty.fork()
            if pid == 0:
                os.chdir(sys.argv[1])
                os.environ.pop("NO_COLOR", None)
                os.environ["TERM"] = "xterm"
                os.execv(sys.argv[2], [sys.argv[2], "guide", "returns", "--ticket", '{"id": "T-3"}', "--id", "pty1",
                                       "--now", "2026-11-02T09:00:00Z"])
            out = b""
            deadline = time.time() + 20
            while time.time() < deadline and b"done? [y/n]" not in out:
                r, _, _ = select.select([fd], [], [], 0.5)
                if r:
                    try:
                        out += os.read(fd, 4096)
                    except OSError:
                        break
            os.write(fd, b"y\\n")          # confirm the checklist item
            time.sleep(0.5)
            os.write(fd, b"\\x03")          # then Ctrl-C at the next prompt
            time.sleep(0.5)
            try:
                while True:
                    r, _, _ = select.select([fd], [], [], 0.5)
                    if not r: break
                    out += os.read(fd, 4096)
            except OSError:
                pass
            os.waitpid(pid, 0)
            sys.stdout.write(out.decode("utf-8", "replace"))
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", driver, dir.path, SOPBinary.url.path]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let screen = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(screen.contains("Verify the purchase"), "\(screen)")
        #expect(screen.contains("Look the order up in the shop admin"))
        #expect(screen.contains("The customer's identity matches the order — done? [y/n]"))
        #expect(screen.contains("\u{1B}[1m"), "no colour on a terminal")
        // Ctrl-C stopped the guide and left the run consistent: it verifies and can be resumed.
        #expect(screen.contains("interrupted; the run stays where it is. Resume with: sop guide --run pty1"), "\(screen)")
        #expect(try SOPBinary.run(["verify", "pty1"], in: dir).status == 0)
        #expect(try SOPBinary.run(["status", "pty1", "--format", "json"], in: dir).stdout.contains(#""state":"verify_purchase""#))
    }
}

/// `sop guide --record-test FILE`: the session becomes a case of a scenario test file, which
/// `sop test` replays.
@Suite struct GuideRecordTests {
    static let answers = ["y", "maybe", "y", "2026-10-20", "49.90", "y", "y", "1", "1", "1"].joined(separator: "\n") + "\n"
    static let ticket = #"{"id": "T-1", "category": "returns", "order_id": "A-17"}"#

    /// A new file is created with the session as its one case, whole; `sop test` passes it.
    @Test func aSessionIsRecordedAsANewTestFile() throws {
        let dir = try workspace()
        let r = try SOPBinary.run(["guide", "returns", "--ticket", Self.ticket, "--id", "g1", "--now", "2026-11-02T09:00:00Z",
                                   "--actor", "ana:agent", "--record-test", "recorded.test.yaml"],
                                  in: dir, stdin: Data(Self.answers.utf8), timeout: 60)
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.hasSuffix("recorded the session as case 'recorded with sop guide' of recorded.test.yaml\n"), "\(r.stdout)")
        let text = try String(contentsOf: dir.appendingPathComponent("recorded.test.yaml"), encoding: .utf8)
        #expect(text == """
            # yaml-language-server: $schema=../schemas/sop-test.schema.json
            sop: returns
            cases:
              - name: recorded with sop guide
                now: 2026-11-02T09:00:00Z
                ticket: {"id": "T-1", "category": "returns", "order_id": "A-17"}
                steps:
                  - input: {order_found: true, purchased_on: 2026-10-20, amount: 49.90}
                    check: [1]
                    expect: {state: send_label}
                  - input: {}
                    check: [1, 2]
                    expect: {state: send_label}
                  - event: label_sent
                    expect: {state: awaiting_item}
                  - event: item_received
                    expect: {state: inspect}
                  - input: {condition: as_new}
                    expect: {state: refunded, outcome: refunded}
                expect:
                  outcome: refunded
                  path: [verify_purchase, check_window, send_label, awaiting_item, inspect, refund, refunded]

            """)
        let test = try SOPBinary.run(["test", "recorded.test.yaml"], in: dir, timeout: 60)
        #expect(test.status == 0, "\(test.stdout)\(test.stderr)")
        #expect(test.stdout.contains("✓ recorded with sop guide"), "\(test.stdout)")
    }

    /// An existing test file of the SOP gets the case appended under a name of its own; the
    /// file's other cases are untouched and every case passes.
    @Test func aSessionIsAppendedToTheSOPsTestFile() throws {
        let dir = try workspace()
        let file = dir.appendingPathComponent("sops/returns.test.yaml")
        let before = try String(contentsOf: file, encoding: .utf8)
        for id in ["g1", "g2"] {
            let r = try SOPBinary.run(["guide", "returns", "--ticket", Self.ticket, "--id", id, "--now", "2026-11-02T09:00:00Z",
                                       "--actor", "ana:agent", "--record-test", "sops/returns.test.yaml"],
                                      in: dir, stdin: Data(Self.answers.utf8), timeout: 60)
            #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        }
        let after = try String(contentsOf: file, encoding: .utf8)
        #expect(after.hasPrefix(before))
        #expect(after.contains("  - name: recorded with sop guide\n"))
        #expect(after.contains("  - name: recorded with sop guide 2\n"))
        let test = try SOPBinary.run(["test", "sops/returns.test.yaml"], in: dir, timeout: 120)
        #expect(test.status == 0, "\(test.stdout)\(test.stderr)")
        #expect(test.stdout.contains("✓ recorded with sop guide 2"), "\(test.stdout)")
    }

    /// A file that tests another SOP is refused before a run starts; so is recording a resumed
    /// run, whose start the guide did not see.
    @Test func aFileOfAnotherSOPOrAResumedRunIsRefused() throws {
        let dir = try workspace()
        let other = try SOPBinary.run(["guide", "returns", "--ticket", Self.ticket, "--id", "g9", "--record-test", "sops/intake.test.yaml"],
                                      in: dir, stdin: Data(Self.answers.utf8))
        #expect(other.status == 2)
        #expect(other.stderr == "error: sops/intake.test.yaml tests SOP 'intake', not 'returns'; record into another file\n")
        #expect(other.stdout == "")
        #expect(try SOPBinary.run(["status", "g9"], in: dir).status == 2, "no run was started")
        let resumed = try SOPBinary.run(["guide", "--run", "g9", "--record-test", "x.test.yaml"], in: dir)
        #expect(resumed.status == 2)
        #expect(resumed.stderr.contains("--record-test records a session from its start"), "\(resumed.stderr)")
        let named = try SOPBinary.run(["guide", "returns", "--ticket", Self.ticket, "--record-test", "x.yaml"], in: dir)
        #expect(named.status == 2)
        #expect(named.stderr.contains("named NAME.test.yaml"), "\(named.stderr)")
    }
}
