import Foundation
import SOPJSON
import TestSupport
import Testing

/// The seven ways the journal or the run view used to lie on an ordinary day, each reproduced
/// through the binary as a new user would meet it: every run here must verify.
@Suite struct JournalTruthTests {
    let dir: URL

    init() throws { dir = try SOPBinary.workspace(extra: ["twice": Self.twice, "form": Self.form]) }

    @discardableResult
    func sop(_ arguments: String..., status expected: Int32 = 0) throws -> SOPBinary.Result {
        let r = try SOPBinary.run(arguments, in: dir)
        #expect(r.status == expected, "sop \(arguments.joined(separator: " ")): \(r.stderr)")
        #expect(!r.terminatedBySignal)
        return r
    }

    /// The journal as JSON Lines, each line read by the strict parser (a repeated key fails).
    func records(_ run: String) throws -> [JSONValue] {
        try sop("log", run, "--format", "json").stdout.split(separator: "\n").map { try JSONParser.parse(String($0)) }
    }

    func expectVerifies(_ run: String, records count: Int) throws {
        let v = try sop("verify", run)
        #expect(v.stdout == "\(run): ok (\(count) records)\n")
    }

    /// 1. The first-response SLA (2 business hours) breaches when the agent steps: the command
    /// takes the SLA's warning and breach first (the breach moves the run on), then the step.
    @Test func aDueTimerAndAStepInOneCommand() throws {
        try sop("start", "complaint", "--ticket", #"{"id":"T-5","category":"complaint"}"#, "--id", "c1", "--now", "2026-11-02T09:00:00Z")
        try sop("step", "c1", "--input", "summary=late parcel", "--check", "all", "--now", "2026-11-02T11:00:00Z")
        let journal = try records("c1")
        // start; the two clocks start; then, in the step: warning, breach (→ listen), the clock stops, the input.
        #expect(journal.map { $0["trigger"]?["kind"] } == [.string("start"), .string("sla"), .string("sla"), .string("sla"),
                                                            .string("sla"), .string("sla"), .string("input")])
        #expect(journal[4]["to"] == .string("listen") && journal[4]["at"] == .string("2026-11-02T11:00:00Z"))
        // One command, one step: the SLA records it took first and the input share a version, the run's.
        #expect(journal.map { $0["version"] } == [.int(1), .int(1), .int(1), .int(2), .int(2), .int(2), .int(2)])
        try expectVerifies("c1", records: 7)
    }

    /// 2. A tick a week late takes two timers of one run (tier 2 → supervisor → unresolved).
    @Test func oneTickFiringTwoTimersOfOneRun() throws {
        try sop("start", "escalation", "--ticket", #"{"id":"T-6"}"#, "--id", "e1", "--now", "2026-11-02T09:00:00Z")
        try sop("step", "e1", "--input", "complexity=routine", "--input", "frustration=calm", "--input", "impact=one_user",
                "--check", "all", "--now", "2026-11-02T09:00:00Z")
        try sop("step", "e1", "--input", "timeline_hours=4", "--check", "all", "--now", "2026-11-02T09:00:00Z")
        #expect(try sop("tick", "--now", "2026-11-09T09:00:00Z").stdout == "1 runs due, 2 transitions taken\n")
        let journal = try records("e1")
        #expect(journal.suffix(2).map { $0["trigger"]?["kind"] } == [.string("timer"), .string("timer")])
        #expect(journal.suffix(2).map { $0["version"] } == [.int(4), .int(4)])
        try expectVerifies("e1", records: 5)
    }

    /// 3. A transition's `do` and the target's `enter` both set ticket.priority: one change.
    @Test func aFieldChangedTwiceInOneStep() throws {
        try sop("start", "twice", "--ticket", #"{"id":"T-7","priority":"low"}"#, "--id", "t1", "--now", "2026-11-02T09:00:00Z")
        try sop("step", "t1", "--event", "go", "--now", "2026-11-02T09:05:00Z")
        let journal = try records("t1")  // strict JSON: a repeated key would throw here
        #expect(journal[1]["changes"] == .object([("ticket.priority", .array([.string("low"), .string("urgent")]))]))
        let text = try sop("log", "t1").stdout
        #expect(text.split(separator: "\n").count == 2)
        #expect(text.contains("[event go] changes: ticket.priority=\"urgent\""))
        try expectVerifies("t1", records: 2)
    }

    /// 4. `--input kind=threat --input kind=insult`: which one counts? Neither: a usage error.
    @Test func aRepeatedInputIsAUsageError() throws {
        try sop("start", "enforcement", "--ticket", #"{"id":"T-8"}"#, "--id", "a1", "--now", "2026-11-02T09:00:00Z")
        try sop("step", "a1", "--event", "offence", "--now", "2026-11-02T09:01:00Z")
        let r = try sop("step", "a1", "--input", "kind=threat", "--input", "kind=offensive_language", "--now", "2026-11-02T09:02:00Z",
                        status: 2)
        #expect(r.stderr.contains("--input kind is given more than once"))
        #expect(try records("a1").count == 2)  // nothing changed
        try expectVerifies("a1", records: 2)
    }

    /// 5. The ticket schema changes after a run started, and verify runs from another folder:
    /// the run keeps the schema it started under.
    @Test func verifyUsesTheTicketSchemaTheRunStartedUnder() throws {
        try sop("start", "twice", "--ticket", #"{"id":"T-9","priority":"low"}"#, "--id", "s1", "--now", "2026-11-02T09:00:00Z")
        // Today's schema no longer allows 'normal' and wants a field the run's ticket lacks.
        try #"{"type": "object", "required": ["id", "brand"], "properties": {"id": {"type": "string"}, "brand": {"type": "string"}, "priority": {"enum": ["low", "high", "urgent"]}}}"#
            .write(to: dir.appendingPathComponent("schemas/ticket.schema.json"), atomically: true, encoding: .utf8)
        try sop("step", "s1", "--event", "go", "--now", "2026-11-02T09:05:00Z")
        try expectVerifies("s1", records: 2)
        let elsewhere = try ScratchDirectory.make("elsewhere")
        let v = try SOPBinary.run(["verify", "--store", dir.appendingPathComponent(".sop/runs.sqlite").path], in: elsewhere)
        #expect(v.status == 0, "\(v.stdout)\(v.stderr)")
        // A new run starts under today's schema.
        let r = try sop("start", "twice", "--ticket", #"{"id":"T-10"}"#, "--id", "s2", status: 1)
        #expect(r.stderr.contains("ticket.brand"))
    }

    /// 6. After a deadline, status shows what the next command will find, templates rendered.
    @Test func statusShowsTheRunAsTheNextCommandFindsIt() throws {
        try sop("start", "complaint", "--ticket", #"{"id":"T-11","category":"complaint"}"#, "--id", "c6", "--now", "2026-11-02T09:00:00Z")
        let text = try sop("status", "c6", "--now", "2026-11-02T11:00:00Z").stdout
        #expect(text.contains("state: listen — Listen and apologise"))
        // The first-response SLA's warning and breach (→ listen), and its clock stopping.
        #expect(text.contains("with the due timers taken (3 records"))
        #expect(text.contains("first_response: breached"))
        let json = try JSONParser.parse(try sop("status", "c6", "--now", "2026-11-02T11:00:00Z", "--format", "json").stdout)
        #expect(json["state"] == .string("listen"))
        #expect(json["due_timers_applied"] == .int(3))
        #expect(json["version"] == .int(1))  // what is stored: nothing was written
        #expect(try records("c6").count == 3)
        // Templates are rendered in text and JSON.
        try sop("start", "form", "--ticket", #"{"id":"T-12"}"#, "--id", "f6", "--now", "2026-11-02T09:00:00Z")
        let form = try sop("status", "f6").stdout
        #expect(form.contains("Call about T-12") && !form.contains("${{"))
        let formJSON = try JSONParser.parse(try sop("status", "f6", "--format", "json").stdout)
        #expect(formJSON["title"] == .string("Call about T-12"))
        #expect(formJSON["instructions"] == .string("Ticket T-12 needs a reference.\n"))
        // And the next command finds the run where status said.
        try sop("step", "c6", "--input", "summary=late parcel", "--check", "all", "--now", "2026-11-02T11:00:00Z")
        try expectVerifies("c6", records: 7)
    }

    /// `sop runs` prints a run's SLA due time as `sop status` does: in the calendar's zone
    /// (Europe/Berlin for the complaint SOP's support-eu), not in UTC.
    @Test func runsPrintsTheSLADueTimeAsStatusDoes() throws {
        try sop("start", "complaint", "--ticket", #"{"id":"T-14","category":"complaint"}"#, "--id", "c14", "--now", "2026-11-02T09:00:00Z")
        let status = try sop("status", "c14", "--now", "2026-11-02T09:00:00Z").stdout
        let due = try #require(status.split(separator: "\n").lazy.compactMap { line -> Substring? in
            guard line.contains("first_response: running"), let range = line.range(of: "due ") else { return nil }
            return line[range.upperBound...].split(whereSeparator: { $0 == " " || $0 == "," }).first
        }.first)
        #expect(due.hasSuffix("+01:00"), "\(status)")
        let runs = try sop("runs").stdout
        #expect(runs.contains("c14  complaint  ") && runs.contains("  SLA due \(due)\n"), "\(runs)")
    }

    /// 7. A required text input refuses a blank answer; bounds and pattern are checked; every
    /// input of the state is described, optional ones included; an input without a prompt is
    /// asked by its id (docs/format.md), never with a null prompt (openapi.yaml: a string).
    @Test func inputsAreCheckedAndDescribed() throws {
        try sop("start", "form", "--ticket", #"{"id":"T-13"}"#, "--id", "f7", "--now", "2026-11-02T09:00:00Z")
        for (answer, reason) in [("reference=", "cannot be empty or blank"), ("reference=   ", "cannot be empty or blank"),
                                 ("reference=A-1", "must be at least 4 characters long, found 3"),
                                 ("reference=ABCDEF", "must match the pattern ^[A-Z]-[0-9]+$")] {
            let r = try sop("step", "f7", "--input", answer, status: 1)
            #expect(r.stderr.contains(reason), "\(answer): \(r.stderr)")
        }
        #expect(try records("f7").count == 1)
        let json = try JSONParser.parse(try sop("status", "f7", "--format", "json").stdout)
        #expect(json["input_specs"] == .array([
            .object([("name", .string("reference")), ("type", .string("string")), ("prompt", .string("Reference for T-13")),
                     ("required", .bool(true)), ("given", .bool(false)), ("min_length", .int(4)), ("max_length", .int(12)),
                     ("pattern", .string("^[A-Z]-[0-9]+$"))]),
            .object([("name", .string("note")), ("type", .string("string")), ("prompt", .string("note")), ("required", .bool(false)),
                     ("given", .bool(false))]),
            .object([("name", .string("channel")), ("type", .string("enum")), ("prompt", .string("channel")), ("required", .bool(false)),
                     ("given", .bool(false)), ("values", .array([.string("phone"), .string("email")]))]),
        ]))
        let text = try sop("status", "f7").stdout
        #expect(text.contains("  note (string, optional)\n"))
        #expect(text.contains("  channel (phone|email, optional)\n"))
        try sop("step", "f7", "--input", "reference=A-12", "--input", "note=called twice")
        try expectVerifies("f7", records: 2)
        let outbox = try JSONParser.parse(try sop("status", "f7", "--format", "json").stdout)["outbox"]
        #expect(outbox?.render().contains("(reference A-12)") == true)
    }

    static let twice = """
        sop: twice
        version: 1
        title: Set a field twice
        start: a
        states:
          a:
            title: A
            transitions:
              - to: b
                on: go
                do:
                  - set: {ticket.priority: high}
          b:
            title: B
            enter:
              - set: {ticket.priority: urgent}
            transitions:
              - to: c
                on: finish
          c: {title: C, end: done}

        """

    static let form = """
        sop: form
        version: 1
        title: Fill in a form
        start: ask
        states:
          ask:
            title: Call about ${{ ticket.id }}
            instructions: |
              Ticket ${{ ticket.id }} needs a reference.
            inputs:
              reference: {type: string, prompt: "Reference for ${{ ticket.id }}", min_length: 4, max_length: 12, pattern: '^[A-Z]-[0-9]+$'}
              note: {type: string, required: false}
              channel: {type: enum, values: [phone, email], required: false}
            transitions:
              - to: done
                when: input.reference != null and (input.note != null or input.channel == 'phone' or true)
                do:
                  - notify: {to: customer, template: "We have your reference (reference ${{ input.reference }})."}
          done: {title: Done, end: done}

        """
}
