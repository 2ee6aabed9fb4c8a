import Foundation
import GRDB
import SOPJSON
import Testing

private let counter = """
    sop: counter
    version: 1
    title: Count to ten
    vars:
      count: {type: integer, initial: 0}
    start: counting
    states:
      counting:
        title: Counting
        transitions:
          - to: counting
            on: inc
            when: var.count < 10
            do:
              - set: {var.count: "${{ var.count + 1 }}"}
          - to: done
            on: stop
      done:
        title: Done
        end: done

    """

private func workspace(extra: [String: String] = [:]) throws -> URL { try SOPBinary.workspace(extra: extra) }

@Suite struct RunCommandTests {
    /// A ticket schema with a keyword sopkit would not enforce is an error for lint and is
    /// refused by every command that would check tickets against it: never half-applied.
    /// A store that cannot be reached is told by its kind, `store_unavailable`, exit 2 — with
    /// `--format json` as one JSON object on standard output too (it printed nothing there when
    /// the store could not even be opened).
    @Test func anUnreachableStoreIsToldByItsKindInJSON() throws {
        let dir = try workspace()
        let store = "postgres://sopkit@127.0.0.1:1/sopkit?sslmode=disable"
        for command in [["status", "r-1"], ["step", "r-1", "--event", "e"], ["runs"], ["start", "returns", "--ticket", #"{"id": "T-1"}"#]] {
            let r = try SOPBinary.run(command + ["--store", store, "--format", "json"], in: dir)
            #expect(r.status == 2, "\(command): \(r.stderr)")
            let object = try JSONParser.parse(r.stdout)
            #expect(object["error"]?.render() == "\"store_unavailable\"", "\(command): \(r.stdout)")
            #expect(object["exit"]?.render() == "2")
            #expect(r.stderr.contains("the run store cannot be reached now"), "\(command): \(r.stderr)")
        }
    }

    @Test func aSchemaLintRejectsIsRefusedByEveryCommand() throws {
        let dir = try workspace()
        let schema = dir.appendingPathComponent("schemas/ticket.schema.json")
        let text = try String(contentsOf: schema, encoding: .utf8)
        try text.replacingOccurrences(of: #""required": ["id"],"#, with: #""required": ["id"], "patternProperties": {"^x-": {}},"#)
            .write(to: schema, atomically: false, encoding: .utf8)
        let lint = try SOPBinary.run(["lint", "sops"], in: dir)
        #expect(lint.status == 1)
        #expect(lint.stdout.contains("unsupported JSON Schema keyword 'patternProperties'"))
        for command in [["start", "returns", "--ticket", #"{"id": "T-1"}"#], ["test", "sops"], ["route", "--ticket", #"{"id": "T-1"}"#],
                        ["tick"], ["runs"]] {
            let r = try SOPBinary.run(command, in: dir)
            #expect(r.status == 2, "\(command): \(r.stdout)\(r.stderr)")
            #expect(r.stderr.contains("sopkit would not enforce all of it"), "\(command): \(r.stderr)")
            #expect(r.stderr.contains("unsupported JSON Schema keyword 'patternProperties'"))
        }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent(".sop/runs.sqlite").path))
    }

    /// Who must act (issue 32, item 13): an agent looking at a run in a supervisor's state is told
    /// the role it waits for and the events that role may send, in JSON and in text.
    @Test func statusSaysWhoMustActAndWhatOtherRolesMaySend() throws {
        let approval = """
            sop: approval
            version: 1
            title: Approve a credit
            roles: [agent, supervisor]
            start: ask
            states:
              ask:
                title: Ask for approval
                transitions: [{to: decide, on: asked}]
              decide:
                title: Decide
                role: supervisor
                transitions:
                  - {to: done, on: approve, label: Approve the credit}
                  - {to: done, on: withdraw, role: agent}
              done: {title: Done, end: done}

            """
        let dir = try workspace(extra: ["approval": approval])
        _ = try SOPBinary.run(["start", "approval", "--ticket", #"{"id": "T-1"}"#, "--id", "a1", "--now", "2026-11-02T09:00:00Z",
                               "--actor", "ana:agent"], in: dir)
        _ = try SOPBinary.run(["step", "a1", "--event", "asked", "--now", "2026-11-02T09:01:00Z", "--actor", "ana:agent"], in: dir)
        let json = try SOPBinary.run(["status", "a1", "--actor", "ana:agent", "--format", "json", "--now", "2026-11-02T09:02:00Z"], in: dir)
        #expect(json.status == 0, "\(json.stderr)")
        let status = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(status["role_to_act"] as? String == "supervisor")
        #expect((status["events"] as? [[String: Any]])?.compactMap { $0["event"] as? String } == ["withdraw"])
        let others = try #require(status["other_events"] as? [[String: Any]])
        #expect(others.count == 1)
        #expect(others.first?["event"] as? String == "approve" && others.first?["label"] as? String == "Approve the credit")
        #expect(others.first?["roles"] as? [String] == ["supervisor"])
        let text = try SOPBinary.run(["status", "a1", "--actor", "ana:agent", "--now", "2026-11-02T09:02:00Z"], in: dir)
        #expect(text.stdout.contains("\nwaiting for the role 'supervisor' (you act as 'agent')\n"), "\(text.stdout)")
        #expect(text.stdout.contains("\nevents for other roles:\n  approve — Approve the credit (supervisor)\n"), "\(text.stdout)")
        // The supervisor is told nothing of the kind.
        let boss = try SOPBinary.run(["status", "a1", "--actor", "sue:supervisor", "--format", "json", "--now", "2026-11-02T09:02:00Z"], in: dir)
        let bossStatus = try #require(try JSONSerialization.jsonObject(with: Data(boss.stdout.utf8)) as? [String: Any])
        #expect((bossStatus["other_events"] as? [Any])?.count == 1)  // withdraw is the agent's
        #expect((bossStatus["events"] as? [[String: Any]])?.compactMap { $0["event"] as? String } == ["approve"])
    }

    /// `sop status` lists every input with its type and bounds, as README.md says.
    @Test func statusListsInputsWithTheirBounds() throws {
        let form = """
            sop: form
            version: 1
            title: Form
            start: ask
            states:
              ask:
                title: Ask
                inputs:
                  amount: {type: number, min: 0, max: 500, prompt: Amount}
                  ref: {type: string, min_length: 3, max_length: 8, pattern: "^R", required: false}
                transitions: [{to: done, when: "input.amount >= 0 and exists(input.ref)"}]
              done: {title: Done, end: done}

            """
        let dir = try workspace(extra: ["form": form])
        let r = try SOPBinary.run(["start", "form", "--ticket", #"{"id": "T-1"}"#, "--id", "f1", "--now", "2026-11-02T09:00:00Z",
                                   "--actor", "ana:agent"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("  amount (number, min 0, max 500, required) — Amount\n"), "\(r.stdout)")
        #expect(r.stdout.contains("  ref (string, at least 3 characters, at most 8 characters, matching ^R, optional)\n"), "\(r.stdout)")
        #expect(!r.stdout.contains("confirm the checklist"))
    }

    /// Without $USER (a container, a CI job) the default actor is the account's name, never a
    /// made-up `agent` that reads like a person's id.
    @Test func theDefaultActorIsTheAccountWithoutUSER() throws {
        let dir = try workspace()
        let r = try SOPBinary.run(["start", "returns", "--ticket", #"{"id": "T-1"}"#, "--id", "u1", "--format", "json"], in: dir,
                                  environment: ["USER": "", "LOGNAME": ""])
        #expect(r.status == 0, "\(r.stderr)")
        let log = try SOPBinary.run(["log", "u1", "--format", "json"], in: dir)
        let first = try #require(try JSONSerialization.jsonObject(with: Data((log.stdout.split(separator: "\n").first ?? "").utf8)) as? [String: Any])
        let actor = try #require(first["actor"] as? [String: Any])
        #expect(actor["id"] as? String == NSUserName() && actor["role"] as? String == "agent", "\(actor)")
    }

    /// A step without --now is stamped by the machine's clock: on a run last changed later (by a
    /// machine whose clock is ahead; here a --now in the future) it is recorded at that change,
    /// while a --now before it is refused (issue 38).
    @Test func aStepWithoutNowIsRecordedAtTheRunsLastChangeAndAnEarlierNowIsRefused() throws {
        let dir = try workspace(extra: ["answer": """
            sop: answer
            version: 1
            title: Answer
            roles: [agent]
            start: open
            states:
              open:
                title: Open
                transitions:
                  - {to: done, on: answered}
              done: {title: Done, end: done}
            """])
        let start = try SOPBinary.run(["start", "answer", "--ticket", #"{"id": "T-1"}"#, "--id", "a1", "--now", "2099-01-01T09:00:00Z",
                                       "--actor", "ana:agent"], in: dir)
        #expect(start.status == 0, "\(start.stderr)")
        let early = try SOPBinary.run(["step", "a1", "--event", "answered", "--now", "2026-11-02T09:00:00Z", "--actor", "ana:agent"], in: dir)
        #expect(early.status == 1)
        #expect(early.stderr.contains("run a1 was last changed at 2099-01-01T09:00:00Z, later than this command's time, 2026-11-02T09:00:00Z"),
                "\(early.stderr)")
        let step = try SOPBinary.run(["step", "a1", "--event", "answered", "--actor", "ana:agent"], in: dir)
        #expect(step.status == 0, "\(step.stderr)")
        let log = try SOPBinary.run(["log", "a1", "--format", "json"], in: dir)
        let times = log.stdout.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["at"] as? String
        }
        #expect(times == ["2099-01-01T09:00:00Z", "2099-01-01T09:00:00Z"], "\(log.stdout)")
    }

    /// A run whose inputs are all given but whose checklist is not confirmed says what holds it
    /// (a new user's afternoon: status showed the inputs given and nothing else).
    @Test func statusSaysTheChecklistHoldsTheRun() throws {
        let dir = try workspace()
        try #"{"id": "T-1", "category": "returns", "order_id": "A-17"}"#.write(to: dir.appendingPathComponent("t.json"), atomically: true, encoding: .utf8)
        _ = try SOPBinary.run(["start", "returns", "--ticket", "t.json", "--id", "w1", "--now", "2026-11-02T09:00:00Z", "--actor", "ana:agent"], in: dir)
        let r = try SOPBinary.run(["step", "w1", "--input", "order_found=true", "--input", "purchased_on=2026-10-20", "--input", "amount=49.90",
                                   "--now", "2026-11-02T09:01:00Z", "--actor", "ana:agent"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("\nto go on, confirm the checklist: item 1 (--check)\n"), "\(r.stdout)")
    }

    @Test func startStepStatusAndLogThroughTheBinary() throws {
        let dir = try workspace()
        try #"{"id": "T-1", "category": "returns", "order_id": "A-17"}"#.write(to: dir.appendingPathComponent("t.json"), atomically: true, encoding: .utf8)
        let start = try SOPBinary.run(["start", "returns", "--ticket", "t.json", "--id", "w1", "--now", "2026-11-02T09:00:00Z",
                                       "--actor", "ana:agent", "--format", "json"], in: dir)
        #expect(start.status == 0, "\(start.stderr)")
        let status = try #require(try JSONSerialization.jsonObject(with: Data(start.stdout.utf8)) as? [String: Any])
        for key in ["run", "sop", "sop_version", "state", "status", "outcome", "version", "ticket", "vars", "inputs", "inputs_needed",
                    "checklist", "events", "timers", "outbox"] {
            #expect(status[key] != nil, "status lacks \(key)")
        }
        #expect(status["state"] as? String == "verify_purchase")
        #expect(status["inputs_needed"] as? [String] == ["order_found", "purchased_on", "amount"])

        let bad = try SOPBinary.run(["step", "w1", "--input", "amount=lots", "--now", "2026-11-02T09:01:00Z", "--actor", "ana:agent"], in: dir)
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("input 'amount' expects a number such as 19.99, found 'lots'"))

        // Several bad inputs: every one is reported, in the text and in the JSON error's `fields`.
        let several = try SOPBinary.run(["step", "w1", "--input", "amount=lots", "--input", "purchased_on=soon", "--now", "2026-11-02T09:01:00Z",
                                         "--actor", "ana:agent"], in: dir)
        #expect(several.status == 1)
        #expect(several.stderr.contains("""
            rejected: 2 inputs are not valid: 'amount', 'purchased_on'
              - input 'amount' expects a number such as 19.99, found 'lots'
              - input 'purchased_on' expects a date as YYYY-MM-DD, found 'soon'
            """), "\(several.stderr)")
        let severalJSON = try SOPBinary.run(["step", "w1", "--input", "amount=lots", "--input", "purchased_on=soon", "--now", "2026-11-02T09:01:00Z",
                                             "--actor", "ana:agent", "--format", "json"], in: dir)
        let error = try #require(try JSONSerialization.jsonObject(with: Data(severalJSON.stdout.utf8)) as? [String: Any])
        let fields = try #require(error["fields"] as? [[String: Any]])
        #expect(fields.map { $0["input"] as? String } == ["amount", "purchased_on"])
        #expect(fields.map { $0["reason"] as? String } == ["input 'amount' expects a number such as 19.99, found 'lots'",
                                                           "input 'purchased_on' expects a date as YYYY-MM-DD, found 'soon'"])
        let step = try SOPBinary.run(["step", "w1", "--input", "order_found=true", "--input", "purchased_on=2026-10-20",
                                      "--input", "amount=50", "--check", "all", "--now", "2026-11-02T09:05:00Z", "--actor", "ana:agent",
                                      "--format", "json"], in: dir)
        #expect(step.status == 0, "\(step.stderr)")
        #expect(step.stdout.contains(#""state":"send_label""#))

        let log = try SOPBinary.run(["log", "w1", "--format", "json"], in: dir)
        let records = log.stdout.split(separator: "\n")
        #expect(records.count == 3)
        #expect(records[0].hasPrefix(#"{"run":"w1","seq":0,"version":1,"at":"2026-11-02T09:00:00Z","actor":{"id":"ana","role":"agent"},"sop":"returns""#))
        #expect(records.allSatisfy { $0.contains(#""hash":"sha256:"#) })

        let verify = try SOPBinary.run(["verify", "w1"], in: dir)
        #expect(verify.status == 0)
        #expect(verify.stdout == "w1: ok (3 records)\n")
    }

    @Test func errorsHaveTheirExitCodes() throws {
        let dir = try workspace()
        #expect(try SOPBinary.run(["status", "nope"], in: dir).status == 2)
        #expect(try SOPBinary.run(["start", "nope", "--ticket", "{}"], in: dir).status == 2)
        #expect(try SOPBinary.run(["status", "x", "--now", "yesterday"], in: dir).status == 2)
        #expect(try SOPBinary.run(["step", "x", "--check", "first"], in: dir).status == 2)
        let invalid = try SOPBinary.run(["start", "returns", "--ticket", #"{"priority": "whenever"}"#], in: dir)
        #expect(invalid.status == 1)
        #expect(invalid.stderr.contains("ticket.id: is required but missing"))
        #expect(invalid.stderr.contains("ticket.priority:"))
        #expect(try SOPBinary.run(["runs", "--format", "json"], in: dir).stdout == "[]\n")
        // Valid JSON with a number sopkit cannot keep exactly: refused as that, not as bad JSON.
        let huge = try SOPBinary.run(["start", "returns", "--ticket", #"{"id": "T-1", "amount": 1e308}"#], in: dir)
        #expect(huge.status == 2)
        #expect(huge.stderr.contains("the ticket cannot be read: the number 1e308 cannot be kept exactly"), "\(huge.stderr)")
        #expect(!huge.stderr.contains("not valid JSON"))
    }

    /// With `--format json`, a refused or failed command prints one JSON error object on
    /// standard output (kind, reason, what is possible, exit code) as well as its message.
    @Test func refusalsAndFailuresAreJSONWithFormatJSON() throws {
        let dir = try workspace(extra: ["counter": counter])
        let now = ["--now", "2026-11-02T09:00:00Z"]
        _ = try SOPBinary.run(["start", "counter", "--ticket", #"{"id": "T-1"}"#, "--id", "c"] + now, in: dir)
        let refused = try SOPBinary.run(["step", "c", "--event", "nope", "--format", "json"] + now, in: dir)
        #expect(refused.status == 1)
        let error = try #require(try JSONSerialization.jsonObject(with: Data(refused.stdout.utf8)) as? [String: Any])
        #expect(error["error"] as? String == "refused")
        #expect(error["reason"] as? String == "event 'nope' is not possible in state 'counting'")
        #expect(error["instead"] as? [String] == ["event inc (inc)", "event stop (stop)"])
        #expect(error["exit"] as? Int == 1)
        #expect(refused.stderr.contains("rejected: event 'nope'"))
        let unknown = try SOPBinary.run(["status", "zzz", "--format", "json"], in: dir)
        #expect(unknown.status == 2 && unknown.stdout.contains(#""error":"unknown_run""#) && unknown.stdout.contains(#""exit":2"#))
        // An ended run: its ticket cannot change, and starting it again says it has ended.
        _ = try SOPBinary.run(["step", "c", "--event", "stop"] + now, in: dir)
        let update = try SOPBinary.run(["update", "c", "--ticket", #"{"x": 1}"#, "--format", "json"] + now, in: dir)
        #expect(update.status == 1 && update.stdout.contains("has ended with outcome 'done'"), "\(update.stdout)")
        let again = try SOPBinary.run(["start", "counter", "--ticket", #"{"id": "T-1"}"#, "--id", "c"] + now, in: dir)
        #expect(again.status == 0)
        #expect(again.stdout.hasPrefix("run c already exists, for this SOP and ticket, and has ended with outcome 'done'\n"), "\(again.stdout)")
    }

    @Test func runsAreFilteredAndPaged() throws {
        let dir = try workspace(extra: ["counter": counter])
        let now = ["--now", "2026-11-02T09:00:00Z"]
        for i in 0..<3 { _ = try SOPBinary.run(["start", "counter", "--ticket", #"{"id": "T-\#(i)"}"#, "--id", "c\(i)"] + now, in: dir) }
        _ = try SOPBinary.run(["step", "c1", "--event", "stop"] + now, in: dir)
        let ids = { (args: [String]) throws -> [String] in
            let r = try SOPBinary.run(["runs", "--format", "json"] + args, in: dir)
            let list = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]], "\(r.stdout)\(r.stderr)")
            return list.compactMap { $0["run"] as? String }
        }
        #expect(try ids(["--status", "ended"]) == ["c1"])
        #expect(try ids(["--waiting"]) == ["c0", "c2"])
        #expect(try ids(["--ticket-id", "T-2"]) == ["c2"])
        #expect(try ids(["--role", "agent"]) == ["c0", "c2"])
        let page = try SOPBinary.run(["runs", "--limit", "2", "--format", "json"], in: dir)
        #expect(page.stdout.contains(#""next":"2""#), "\(page.stdout)")
        let unknown = try SOPBinary.run(["runs", "--sop", "nope"], in: dir)
        #expect(unknown.status == 2 && unknown.stderr.contains("no SOP 'nope'"))
    }

    @Test func tamperedJournalFailsVerify() throws {
        let dir = try workspace(extra: ["counter": counter])
        _ = try SOPBinary.run(["start", "counter", "--ticket", #"{"id": "T-1"}"#, "--id", "c", "--now", "2026-11-02T09:00:00Z"], in: dir)
        _ = try SOPBinary.run(["step", "c", "--event", "inc", "--now", "2026-11-02T09:01:00Z"], in: dir)
        // Edit the stored record with sqlite3's own tool: the hash no longer matches.
        let edit = Process()
        edit.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        edit.arguments = ["python3", "-c", """
            import sqlite3; c = sqlite3.connect('.sop/runs.sqlite')
            c.execute("UPDATE journal SET record = replace(record, '\\"var.count\\":[0,1]', '\\"var.count\\":[0,9]') WHERE seq = 1")
            c.commit()
            """]
        edit.currentDirectoryURL = dir
        try edit.run()
        edit.waitUntilExit()
        let verify = try SOPBinary.run(["verify"], in: dir)
        #expect(verify.status == 1)
        #expect(verify.stdout.contains("c: FAILED at record 1"))
    }

    /// A reader that stops early (`sop runs | head -1`) ends `sop` as it ends `cat`: by SIGPIPE,
    /// quietly, never with a trap and a backtrace (SwiftNIO, linked for PostgreSQL, ignores
    /// SIGPIPE, so the write fails with EPIPE instead).
    @Test func aClosedStandardOutputEndsTheCommandQuietly() throws {
        let dir = try workspace(extra: ["counter": counter])
        let lines = (0..<3000).map { #"{"id": "T-\#($0)"}"# }.joined(separator: "\n")
        try lines.write(to: dir.appendingPathComponent("bulk.jsonl"), atomically: true, encoding: .utf8)
        _ = try SOPBinary.run(["start", "counter", "--tickets", "bulk.jsonl", "--now", "2026-11-02T09:00:00Z"], in: dir)
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        // SIGPIPE ignored, as SwiftNIO leaves it once a PostgreSQL store is open (and as a
        // parent may hand it down): the write to the closed pipe then fails with EPIPE.
        shell.arguments = ["-c", "trap '' PIPE; '\(SOPBinary.url.path)' runs 2>err.txt | head -1 >/dev/null"]
        shell.currentDirectoryURL = dir
        try shell.run()
        shell.waitUntilExit()
        let stderr = try String(contentsOf: dir.appendingPathComponent("err.txt"), encoding: .utf8)
        #expect(stderr.isEmpty, "sop wrote to standard error: \(stderr.prefix(300))")
    }

    /// 20 processes send the same guarded event to one run at once: every step is applied or
    /// refused whole, the variable and the journal agree, and the journal verifies.
    @Test func twentyConcurrentStepsLoseNothing() throws {
        let dir = try workspace(extra: ["counter": counter])
        _ = try SOPBinary.run(["start", "counter", "--ticket", #"{"id": "T-1"}"#, "--id", "c", "--now", "2026-11-02T09:00:00Z"], in: dir)
        let results = ConcurrentResults()
        DispatchQueue.concurrentPerform(iterations: 20) { i in
            let r = try? SOPBinary.run(["step", "c", "--event", "inc", "--request-id", "req-\(i)", "--now", "2026-11-02T09:01:00Z"], in: dir, timeout: 60)
            results.add(r?.status ?? -1)
        }
        let codes = results.codes
        #expect(codes.filter { $0 == 0 }.count == 10, "\(codes)")
        #expect(codes.filter { $0 == 1 }.count == 10, "\(codes)")
        let status = try SOPBinary.run(["status", "c", "--format", "json"], in: dir)
        #expect(status.stdout.contains(#""vars":{"count":10}"#))
        #expect(status.stdout.contains(#""version":11"#))
        let log = try SOPBinary.run(["log", "c", "--format", "json"], in: dir)
        #expect(log.stdout.split(separator: "\n").count == 11)
        #expect(try SOPBinary.run(["verify", "c"], in: dir).status == 0)
    }

    /// kill -9 in the middle of a bulk start: the store opens, every run is at a step boundary
    /// (its stored state is where its journal leads) and verify passes.
    @Test func killedMidBulkLeavesAConsistentStore() throws {
        let dir = try workspace(extra: ["counter": counter])
        let lines = (0..<30_000).map { #"{"id": "T-\#($0)"}"# }.joined(separator: "\n")
        try lines.write(to: dir.appendingPathComponent("bulk.jsonl"), atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = SOPBinary.url
        process.arguments = ["start", "counter", "--tickets", "bulk.jsonl", "--now", "2026-11-02T09:00:00Z"]
        process.currentDirectoryURL = dir
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait until a batch is committed (read through a read-only connection, which WAL lets
        // run beside the writer), then kill it without warning.
        let store = dir.appendingPathComponent(".sop/runs.sqlite").path
        var readOnly = Configuration()
        readOnly.readonly = true
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: store),
               let queue = try? DatabaseQueue(path: store, configuration: readOnly),
               let committed = try? queue.read({ db in try Int.fetchOne(db, sql: "SELECT count(*) FROM runs") }), committed > 0 {
                break
            }
            usleep(10_000)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        let runs = try SOPBinary.run(["runs", "--format", "json"], in: dir, timeout: 60)
        #expect(runs.status == 0)
        let count = (try JSONSerialization.jsonObject(with: Data(runs.stdout.utf8)) as? [Any])?.count ?? -1
        #expect(count > 0 && count < 30_000, "runs after the kill: \(count)")
        #expect(count % 5000 == 0, "a batch was kept in part: \(count)")
        let verify = try SOPBinary.run(["verify"], in: dir, timeout: 300)
        #expect(verify.status == 0, "\(verify.stdout.suffix(500))")
    }
}

private final class ConcurrentResults: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Int32] = []
    func add(_ v: Int32) { lock.lock(); values.append(v); lock.unlock() }
    var codes: [Int32] { lock.lock(); defer { lock.unlock() }; return values }
}
