import Foundation
import Testing

private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

private func checkJSONSchema(_ files: [String], schema: String = "schemas/sop.schema.json") throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["check-jsonschema", "--schemafile", root.appendingPathComponent(schema).path] + files
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    return (p.terminationStatus, out)
}

/// The shipped SOP library, `sop test`, `sop graph`, `sop route`, and the SOP JSON schema.
@Suite struct LibraryTests {
    @Test func shippedSOPsLintCleanAndPassTheirTestsWithFullCoverage() throws {
        let lint = try SOPBinary.run(["lint", "--strict", "sops"], in: root)
        #expect(lint.status == 0, "\(lint.stdout)")
        let test = try SOPBinary.run(["test", "--min-coverage", "100", "--format", "json", "sops"], in: root, timeout: 120)
        #expect(test.status == 0, "\(test.stdout.prefix(2000))")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(test.stdout.utf8)) as? [String: Any])
        let coverage = try #require(report["coverage"] as? [[String: Any]])
        #expect(Set(coverage.compactMap { $0["sop"] as? String }) == ["intake", "escalation", "returns", "complaint", "follow-up", "enforcement"])
        let cases = try #require(report["cases"] as? [[String: Any]])
        for sop in ["intake", "escalation", "returns", "complaint", "follow-up", "enforcement"] {
            #expect(cases.filter { $0["sop"] as? String == sop }.count >= 3, "\(sop) has fewer than 3 cases")
        }
    }

    @Test func shippedSOPsHaveFiveStatesACategoryAndTheSchemaComment() throws {
        for name in ["intake", "escalation", "returns", "complaint", "follow-up", "enforcement"] {
            let text = try String(contentsOf: root.appendingPathComponent("sops/\(name).sop.yaml"), encoding: .utf8)
            #expect(text.hasPrefix("# yaml-language-server: $schema=../schemas/sop.schema.json\n"), "\(name)")
            #expect(text.contains("\ncategory: "), "\(name)")
            let graph = try SOPBinary.run(["graph", "sops/\(name).sop.yaml"], in: root)
            let states = graph.stdout.split(separator: "\n").filter { $0.hasPrefix("    ") && $0.contains(": ") && !$0.contains("-->") }
            #expect(states.count >= 5, "\(name) has \(states.count) states")
        }
    }

    @Test func failingCasesSayTheStepExpectedAndActual() throws {
        let dir = try SOPBinary.temporaryDirectory(ticketSchema: false)
        try FileManager.default.copyItem(at: root.appendingPathComponent("sops/returns.sop.yaml"), to: dir.appendingPathComponent("returns.sop.yaml"))
        try """
            sop: returns
            cases:
              - name: wrong expectation
                now: 2026-11-02T09:00:00Z
                ticket: {id: T-1}
                steps:
                  - input: {order_found: false, purchased_on: 2026-10-20, amount: 1}
                    check: all
                    expect: {state: send_label}
              - name: a refusal of several lines
                now: 2026-11-02T09:00:00Z
                ticket: {id: T-2}
                steps:
                  - event: label_sent
                    expect: {error: "no such text"}

            """.write(to: dir.appendingPathComponent("returns.test.yaml"), atomically: true, encoding: .utf8)
        let r = try SOPBinary.run(["test", "--min-coverage", "50", "."], in: dir)
        #expect(r.status == 1)
        #expect(r.stdout.contains("  ✗ wrong expectation\n      step 1 (input order_found, purchased_on, amount): expected state 'send_label', got 'denied'\n"))
        // The refusal's alternatives stay under their case, indented as its first line.
        #expect(r.stdout.contains("      step 1 (event label_sent): expected a rejection containing 'no such text', got: "
            + "event 'label_sent' is not possible in state 'verify_purchase'\n        - no event can be sent now\n"), "\(r.stdout)")
        #expect(r.stdout.contains("returns 1/15 transitions (6.7%)"))
        #expect(r.stdout.contains("not taken: check_window → send_label (automatic, transition 1)"))
        #expect(r.stdout.contains("coverage below 50.0%: returns"))
        #expect(r.stdout.hasSuffix("0 passed, 2 failed\n"))
    }

    /// Issue 37: a case that expects another state says why the run stays where it is, for each
    /// way out of its state (toward the expected state first): unticked checklist items, inputs
    /// not given, the guard's first condition that does not hold, a timer not yet due.
    @Test func aFailingCaseSaysWhyNoTransitionWasTaken() throws {
        let dir = try SOPBinary.temporaryDirectory(ticketSchema: false)
        try """
            sop: why
            version: 1
            title: Why not
            start: ask
            states:
              ask:
                title: Ask
                checklist:
                  - Greet the customer
                inputs:
                  restarted: {type: boolean}
                  model: {type: string}
                transitions:
                  - to: waiting
                    on: wait
                  - to: fixed
                    when: input.restarted and var.tries > 2
              waiting:
                title: Wait
                transitions:
                  - to: fixed
                    after: 2d
              fixed: {title: Fixed, end: fixed}
            vars:
              tries: {type: integer, initial: 0}

            """.write(to: dir.appendingPathComponent("why.sop.yaml"), atomically: true, encoding: .utf8)
        try """
            sop: why
            cases:
              - name: restarted
                now: 2026-11-02T09:00:00Z
                steps:
                  - input: {restarted: true}
                    expect: {state: fixed}
              - name: timer
                now: 2026-11-02T09:00:00Z
                steps:
                  - event: wait
                    check: all
                  - advance: 1d
                    expect: {state: fixed}

            """.write(to: dir.appendingPathComponent("why.test.yaml"), atomically: true, encoding: .utf8)
        let r = try SOPBinary.run(["test", "."], in: dir)
        #expect(r.status == 1)
        #expect(r.stdout.hasPrefix("""
            ./why.test.yaml
              ✗ restarted
                  step 1 (input restarted): expected state 'fixed', got 'ask'; why it stays in 'ask':
                    - to 'fixed' (automatic): checklist items not ticked: 1. Greet the customer; inputs not given: model; `var.tries > 2` does not hold
                    - to 'waiting' (on event 'wait'): the event 'wait' was not sent; checklist items not ticked: 1. Greet the customer
                    help: tick the checklist in the step: check: all (or the items' numbers, e.g. check: [1])
              ✗ timer
                  step 2 (advance 1d): expected state 'fixed', got 'waiting'; why it stays in 'waiting':
                    - to 'fixed' (timer after 2d): not yet due: due at 2026-11-04T09:00:00Z
                    help: move the clock to the timer in a step: advance: 1d

            """), "\(r.stdout)")
    }

    /// A `run: child` step's `expect` describes the child run the step went to, for `sop test`
    /// as for `sop lint` (issue 32, item 2): a file that passes one passes the other.
    @Test func aChildStepsExpectationIsTheChildsForLintAndTestAlike() throws {
        let dir = try SOPBinary.temporaryDirectory(ticketSchema: false)
        let sops = dir.appendingPathComponent("sops")
        try FileManager.default.copyItem(at: root.appendingPathComponent("sops"), to: sops)
        for file in try FileManager.default.contentsOfDirectory(atPath: sops.path) where file.hasSuffix(".test.yaml") {
            try FileManager.default.removeItem(at: sops.appendingPathComponent(file))
        }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("schemas"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: root.appendingPathComponent("schemas/ticket.schema.json"),
                                         to: dir.appendingPathComponent("schemas/ticket.schema.json"))
        try """
            sop: complaint
            cases:
              - name: the child's states and outcome
                now: 2026-11-02T09:00:00Z
                ticket: {id: T-1, category: complaint, complaint_count: 3}
                steps:
                  - event: acknowledged
                    check: all
                  - input: {summary: Third time}
                    check: all
                    expect: {state: escalate}
                  - run: child
                    input: {complexity: routine, frustration: calm, impact: one_user}
                    check: all
                    expect: {state: inform, vars: {route: tier2}}
                  - run: child
                    input: {timeline_hours: 4}
                    check: all
                    expect: {state: with_tier2, ticket: {escalation_level: 1}}
                  - run: child
                    event: resolved
                    actor: {id: tom, role: tier2}
                    expect: {state: hand_back}
                  - run: child
                    input: {resolution: Restarted the router}
                    check: all
                    expect: {state: resolved, outcome: resolved, path: [assess, inform, with_tier2, hand_back, resolved]}
                expect: {outcome: resolved}

            """.write(to: sops.appendingPathComponent("complaint.test.yaml"), atomically: true, encoding: .utf8)
        let lint = try SOPBinary.run(["lint", "--strict", "sops"], in: dir)
        #expect(lint.status == 0, "\(lint.stdout)")
        let test = try SOPBinary.run(["test", "sops/complaint.test.yaml"], in: dir)
        #expect(test.status == 0, "\(test.stdout)")
        #expect(test.stdout.hasSuffix("1 passed, 0 failed\n"))
    }

    @Test func graphDrawsMermaidAndDot() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/graph")
        for format in ["mermaid", "dot"] {
            let r = try SOPBinary.run(["graph", "full.sop.yaml", "--format", format], in: folder)
            #expect(r.status == 0)
            let golden = folder.appendingPathComponent("full.\(format)")
            if ProcessInfo.processInfo.environment["SOP_RECORD"] == "1" {
                try r.stdout.write(to: golden, atomically: true, encoding: .utf8)
                Issue.record("recorded \(golden.lastPathComponent)")
                continue
            }
            #expect(r.stdout == (try String(contentsOf: golden, encoding: .utf8)))
        }
    }

    /// `sop graph` takes an SOP's id as well as a file, numbers the transitions tried in turn,
    /// calls a fallback "otherwise", and refuses to draw an SOP with lint errors.
    @Test func graphTakesAnIdAndRefusesLintErrors() throws {
        let byID = try SOPBinary.run(["graph", "returns"], in: root)
        #expect(byID.status == 0)
        #expect(byID.stdout == (try SOPBinary.run(["graph", "sops/returns.sop.yaml"], in: root)).stdout)
        #expect(byID.stdout.contains("check_window --> send_label: 1. [days_since(input.purchased_on) <= 30]\n"))
        #expect(byID.stdout.contains("check_window --> denied: 2. otherwise\n"))
        #expect(byID.stdout.contains("awaiting_item --> denied: ⏱ after 21d — system\n"))
        #expect(byID.stdout.contains("approval: Supervisor approval (supervisor)\n"))
        let unknown = try SOPBinary.run(["graph", "retruns"], in: root)
        #expect(unknown.status == 2 && unknown.stderr.contains("did you mean 'returns'?"))
        let dir = try SOPBinary.workspace(extra: ["broken": "sop: broken\nversion: 1\ntitle: B\nstart: a\nstates:\n  a:\n    title: A\n    transitions: [{to: nowhere}]\n"])
        let broken = try SOPBinary.run(["graph", "broken"], in: dir)
        #expect(broken.status == 1 && broken.stdout.isEmpty)
        #expect(broken.stderr.contains("[unknown-state]") && broken.stderr.contains("has lint errors; it is not drawn"))
    }

    @Test func routeListsTheSOPsThatApply() throws {
        let complaint = try SOPBinary.run(["route", "--ticket", #"{"id": "T-1", "category": "complaint", "status": "open"}"#, "--format", "json"], in: root)
        #expect(complaint.stdout == #"[{"sop":"complaint","title":"Resolve a service complaint"}]"# + "\n")
        let fresh = try SOPBinary.run(["route", "--ticket", #"{"id": "T-2", "category": "returns"}"#], in: root)
        #expect(fresh.stdout == "intake  Take in a new ticket\nreturns  Product return and refund\n")
        let bad = try SOPBinary.run(["route", "--ticket", #"{"category": "returns"}"#], in: root)
        #expect(bad.status == 1)
    }

    /// Route evaluates each SOP's compiled condition, written bare or as one template, and does
    /// not offer an SOP that could not be started (it has lint errors), saying so.
    @Test func routeOffersOnlySOPsThatCouldStart() throws {
        let dir = try SOPBinary.workspace(extra: [
            "vip": """
                sop: vip
                version: 1
                title: VIP care
                applies_when: ${{ ticket.category == 'returns' and ticket.priority == 'high' }}
                start: a
                states:
                  a: {title: A, end: done}
                """,
            "broken": """
                sop: broken
                version: 1
                title: Broken
                applies_when: ticket.category == 'returns'
                start: a
                states:
                  a: {title: A, transitions: [{to: nowhere}]}
                """,
        ])
        let r = try SOPBinary.run(["route", "--ticket", #"{"id": "T-3", "category": "returns", "priority": "high"}"#], in: dir)
        #expect(r.stdout == "intake  Take in a new ticket\nreturns  Product return and refund\nvip  VIP care\n", "\(r.stdout)")
        #expect(r.stderr.contains("sops/broken.sop.yaml has lint errors, so it is not considered"), "\(r.stderr)")
    }

    /// `schemas/sop.schema.json` and `sop lint` agree: the shipped SOPs and the clean fixtures
    /// pass both; the structural error fixtures fail both.
    @Test func sopSchemaAndLintAgree() throws {
        let shipped = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("sops").path)
            .filter { $0.hasSuffix(".sop.yaml") }.map { root.appendingPathComponent("sops/\($0)").path }
        let fixtures = root.appendingPathComponent("Tests/SOPCoreTests/Fixtures/lint")
        let ok = try FileManager.default.contentsOfDirectory(atPath: fixtures.appendingPathComponent("ok").path)
            .filter { $0.hasSuffix(".sop.yaml") }.map { fixtures.appendingPathComponent("ok/\($0)").path }
        let valid = try checkJSONSchema(shipped + ok)
        #expect(valid.status == 0, "\(valid.output)")
        // Structural mistakes the schema can see: each fixture must fail both.
        for name in ["unknown-key", "missing-key", "wrong-type", "wrong-type-root", "wrong-type-version-zero", "invalid-id",
                     "end-with-transitions", "template-unquoted"] {
            let path = fixtures.appendingPathComponent("err/\(name).sop.yaml").path
            let schema = try checkJSONSchema([path])
            #expect(schema.status != 0, "sop.schema.json accepts \(name).sop.yaml")
            let lint = try SOPBinary.run(["lint", "--ticket-schema", fixtures.appendingPathComponent("ticket.schema.json").path, path])
            #expect(lint.status == 1, "sop lint accepts \(name).sop.yaml")
        }
    }

    /// `schemas/sop-test.schema.json` lets editors check test files as they check SOPs: the
    /// shipped test files (which name it on their first line) and the clean fixture pass it; test
    /// files with structural mistakes fail it as they fail lint.
    @Test func testSchemaAcceptsTheShippedTestsAndRefusesBrokenOnes() throws {
        let shipped = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("sops").path)
            .filter { $0.hasSuffix(".test.yaml") }.map { root.appendingPathComponent("sops/\($0)").path }
        #expect(shipped.count == 6)
        for path in shipped {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(text.hasPrefix("# yaml-language-server: $schema=../schemas/sop-test.schema.json\n"), "\(path)")
        }
        let ok = root.appendingPathComponent("Tests/SOPCoreTests/Fixtures/lint/ok/minimal.test.yaml").path
        let valid = try checkJSONSchema(shipped + [ok], schema: "schemas/sop-test.schema.json")
        #expect(valid.status == 0, "\(valid.output)")
        let dir = try SOPBinary.workspace()
        for (name, text) in [
            ("unknown-key", "sop: returns\ncases:\n  - name: x\n    tiket: {id: T-1}\n"),
            ("two-kinds", "sop: returns\ncases:\n  - name: x\n    steps:\n      - {event: go, advance: 1d}\n"),
            ("bad-check", "sop: returns\ncases:\n  - name: x\n    steps:\n      - {event: go, check: some}\n"),
            ("no-cases", "sop: returns\n"),
        ] {
            let path = dir.appendingPathComponent("sops/\(name).test.yaml")
            try text.write(to: path, atomically: false, encoding: .utf8)
            #expect(try checkJSONSchema([path.path], schema: "schemas/sop-test.schema.json").status != 0, "the schema accepts \(name)")
            #expect(try SOPBinary.run(["lint", "sops"], in: dir).status == 1, "lint accepts \(name)")
            try FileManager.default.removeItem(at: path)
        }
    }

    /// Editors show a property's description on hover: every property of the SOP schema has one,
    /// and every key of the format is in docs/format.md.
    @Test func everyKeyOfTheSOPSchemaIsDescribedAndDocumented() throws {
        let data = try Data(contentsOf: root.appendingPathComponent("schemas/sop.schema.json"))
        let schema = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let format = try String(contentsOf: root.appendingPathComponent("docs/format.md"), encoding: .utf8)
        var keys: [(path: String, value: Any)] = []
        func walk(_ node: Any, _ path: String) {
            if let object = node as? [String: Any] {
                if let properties = object["properties"] as? [String: Any] {
                    for (key, value) in properties { keys.append((path + "/" + key, value)) }
                }
                for (key, value) in object { walk(value, path + "/" + key) }
            } else if let array = node as? [Any] {
                for (i, value) in array.enumerated() { walk(value, path + "/\(i)") }
            }
        }
        walk(schema, "")
        #expect(keys.count > 40)
        for (path, value) in keys {
            let description = (value as? [String: Any])?["description"] as? String
            #expect(description?.isEmpty == false, "\(path) has no description")
            let key = String(path.split(separator: "/").last!)
            #expect(format.contains("`\(key)`"), "docs/format.md does not name `\(key)` (\(path))")
        }
    }
}
