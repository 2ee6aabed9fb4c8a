import SOPCore
import SOPJSON
import SOPService
import Testing

/// The journal record for people, the one description `sop log` and the console's timeline
/// render (issue 33).
@Suite struct RecordForPeopleTests {
    static func record(_ trigger: JournalTrigger, from: String? = "open", to: String = "working",
                       inputs: JSONObject = [], changes: [JournalChange] = [], effects: [JSONValue] = []) -> JournalRecord {
        JournalRecord(run: "r-1", seq: 2, version: 1, at: 1_762_077_600_000, actor: Actor(id: "ana", role: "agent"), sop: "care",
                      sopVersion: 1, sopDigest: "d", from: from, to: to, trigger: trigger, inputs: inputs, changes: changes, effects: effects)
    }

    @Test func aMoveByAnEventWithAnswersChangesAndAMessage() {
        let notify = JSONValue.object([("notify", .object([("to", .string("customer")), ("text", .string("on it")), ("state", .string("working"))]))])
        let r = RecordForPeople(Self.record(JournalTrigger(kind: .event, event: "escalate"), inputs: [("csat", .int(5))],
                                            changes: [JournalChange(path: "ticket.priority", old: .string("low"), new: .string("high"))],
                                            effects: [notify]))
        #expect(r.happening == .moved(from: "open", to: "working"))
        #expect(r.trigger == "event escalate")
        #expect(r.why == "escalate")
        #expect(r.inputs.map { "\($0.name)=\($0.value)" } == ["csat=5"])
        #expect(r.changes.map { "\($0.path)=\($0.value)" } == [#"ticket.priority="high""#])
        #expect(r.messages.map { "\($0.to): \($0.text)" } == ["customer: on it"])
        #expect(r.actor == Actor(id: "ana", role: "agent") && r.seq == 2 && r.at == 1_762_077_600_000)
    }

    /// The checklist items a step confirmed are part of what it did (a new user found neither
    /// `sop log` nor the console said who confirmed which item), numbered in the state the step
    /// was taken in.
    @Test func theChecklistItemsAStepConfirmed() {
        let moved = RecordForPeople(Self.record(JournalTrigger(kind: .input, checks: [1, 3]), from: "open", to: "working"))
        #expect(moved.checks == [1, 3] && moved.checkedIn == "open")
        let stayed = RecordForPeople(Self.record(JournalTrigger(kind: .input, checks: [2], moved: false), from: nil, to: "open"))
        #expect(stayed.checks == [2] && stayed.checkedIn == "open")
        #expect(RecordForPeople(Self.record(JournalTrigger(kind: .event, event: "go"))).checks.isEmpty)
    }

    @Test func theStartAndATimer() {
        let start = RecordForPeople(Self.record(JournalTrigger(kind: .start), from: nil, to: "open"))
        #expect(start.happening == .moved(from: nil, to: "open"))
        #expect(start.trigger == "start" && start.why == "start")
        let timer = RecordForPeople(Self.record(JournalTrigger(kind: .timer, after: "4h")))
        #expect(timer.trigger == "timer after 4h" && timer.why == "timer 4h")
    }

    @Test func recordsWithoutAMoveSayWhatTheyKept() {
        let sla = JSONValue.object([("target", .string("first_response")), ("event", .string("started")), ("due", .string("2026-11-02T10:00:00Z"))])
        let clock = RecordForPeople(Self.record(JournalTrigger(kind: .sla, moved: false, sla: sla), from: "working"))
        #expect(clock.happening == .sla("SLA first response started", in: "working"))
        #expect(clock.trigger == "sla first_response started, due 2026-11-02T10:00:00Z")
        let update = RecordForPeople(Self.record(JournalTrigger(kind: .input, ticket: .object([("priority", .string("high"))]), moved: false)))
        #expect(update.happening == .ticketUpdated(in: "working"))
        let answers = RecordForPeople(Self.record(JournalTrigger(kind: .input, moved: false), inputs: [("note", .string("x"))]))
        #expect(answers.happening == .stayed(in: "working") && answers.why == "input")
    }
}
