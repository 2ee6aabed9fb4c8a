import Foundation
import SOPCore
import SOPDiagnostics
import SOPExpression
import SOPJSON
import Testing

/// Builds an engine for an SOP written inline.
func engine(_ yaml: String, schema: TicketSchema? = nil, file: String = "t.sop.yaml") throws -> Engine {
    Engine(sop: try CompiledSOP.compile(SourceFile(path: file, text: yaml), schema: schema), schema: schema)
}

func at(_ s: String) -> Int64 { CivilTime.parseDateTime(s)! }

let ana = Actor(id: "ana", role: "agent")
let sue = Actor(id: "sue", role: "supervisor")
let t0 = at("2026-11-02T09:00:00Z")

extension StepDecision {
    var kinds: [String] { records.map(\.trigger.kind.rawValue) }
    var moves: [String] { records.map { "\($0.from ?? "∅")→\($0.to)" } }
}

private let review = """
    sop: review
    version: 1
    title: Review
    roles: [agent, supervisor]
    vars:
      count: {type: integer, initial: 0}
    start: intake
    states:
      intake:
        title: Intake
        checklist: [Identity confirmed]
        inputs:
          amount: {type: number, min: 0}
          kind: {type: enum, values: [refund, repair]}
          note: {type: string, required: false}
        transitions:
          - to: approve
            when: input.amount > 100
            do:
              - set: {var.count: "${{ var.count + 1 }}", ticket.priority: high}
          - to: done
            when: input.kind == 'repair'
          - to: waiting
      waiting:
        title: Waiting
        enter:
          - notify: {to: customer, template: "We got your ${{ input.kind }} request of ${{ input.amount }}."}
          - assign: {role: agent, queue: "q-${{ input.kind }}"}
          - tag: [waiting, "${{ input.kind }}"]
        transitions:
          - to: done
            on: resolve
            when: ticket.priority == 'high'
          - to: done
            on: resolve
            label: Resolve it
          - to: approve
            on: escalate
          - to: done
            after: 48h
          - to: approve
            after: 24h
            when: ticket.priority == 'high'
      approve:
        title: Approve
        role: supervisor
        transitions:
          - to: done
            on: approve
          - to: waiting
            on: reject
      done:
        title: Done
        end: resolved
    """

struct EngineTests {
    let e: Engine
    init() throws { e = try engine(review) }

    func started(_ ticket: JSONValue = .object([("id", .string("T-1"))])) throws -> RunState {
        try e.start(id: "r1", ticket: ticket, actor: ana, now: t0).run
    }

    @Test func startEntersTheStartStateAndWaitsForItsInputs() throws {
        let d = try e.start(id: "r1", ticket: .object([]), actor: ana, now: t0)
        #expect(d.moves == ["∅→intake"])
        #expect(d.kinds == ["start"])
        #expect(d.run.version == 1)
        #expect(e.inputsNeeded(d.run) == ["amount", "kind"])
    }

    @Test func inputsAndChecklistThenAutomaticTransitionsInDocumentOrder() throws {
        let run = try started()
        let d = try e.apply(.submit(inputs: [("amount", "250"), ("kind", "refund")], event: nil, checks: .all), to: run, actor: ana, now: t0 + 1000)
        #expect(d.moves == ["intake→approve"])
        #expect(d.kinds == ["input"])
        #expect(d.run.vars["count"] == .integer(1))
        #expect(d.run.ticket["priority"] == .string("high"))
        #expect(d.records[0].changes.map(\.path) == ["var.count", "ticket.priority"])
        #expect(JSONValue.object(d.records[0].inputs).render() == #"{"amount":250,"kind":"refund"}"#)
    }

    @Test func automaticTransitionsWaitForTheChecklist() throws {
        let run = try started()
        let d = try e.apply(.submit(inputs: [("amount", "5"), ("kind", "refund")], event: nil, checks: nil), to: run, actor: ana, now: t0)
        #expect(d.moves == ["intake→intake"])  // the inputs are kept in a record without a move
        #expect(d.run.state == "intake")
        let d2 = try e.apply(.submit(inputs: [], event: nil, checks: .items([1])), to: d.run, actor: ana, now: t0)
        #expect(d2.moves == ["intake→waiting"])
        #expect(d2.run.outbox.count == 1)
        #expect(d2.run.outbox[0]["text"] == .string("We got your refund request of 5."))
        #expect(d2.run.ownerQueue == "q-refund")
        #expect(d2.run.ticket["tags"]?.render() == #"["waiting","refund"]"#)
    }

    @Test(arguments: [
        ("amount", "abc", "input 'amount' expects a number such as 19.99, found 'abc'"),
        ("amount", "-1", "input 'amount' must be at least 0, found -1"),
        ("kind", "replace", "input 'kind' must be one of refund, repair, found 'replace'"),
        ("colour", "red", "state 'intake' has no input 'colour'"),
    ])
    func badInputsAreRejectedWithTheReasonAndChangeNothing(name: String, value: String, reason: String) throws {
        let run = try started()
        #expect {
            try e.apply(.submit(inputs: [(name, value)], event: nil, checks: .all), to: run, actor: ana, now: t0)
        } throws: { ($0 as? StepRejection)?.reason == reason }
    }

    /// Several bad inputs in one step: each is reported with its own reason (issue 32, item 17);
    /// one bad input keeps its own wording as the reason.
    @Test func everyBadInputOfAStepIsReported() throws {
        let run = try started()
        let error = try #require(throws: StepRejection.self) {
            try e.apply(.submit(inputs: [("amount", "-1"), ("kind", "replace"), ("colour", "red")], event: nil, checks: .all),
                        to: run, actor: ana, now: t0)
        }
        #expect(error.reason == "3 inputs are not valid: 'amount', 'kind', 'colour'")
        #expect(error.inputs.map(\.input) == ["amount", "kind", "colour"])
        #expect(error.instead == ["input 'amount' must be at least 0, found -1", "input 'kind' must be one of refund, repair, found 'replace'",
                                  "state 'intake' has no input 'colour'"])
        #expect(error.inputs[2].instead == ["input amount", "input kind", "input note"])
        let one = try #require(throws: StepRejection.self) {
            try e.apply(.submit(inputs: [("amount", "5"), ("kind", "replace")], event: nil, checks: .all), to: run, actor: ana, now: t0)
        }
        #expect(one.reason == "input 'kind' must be one of refund, repair, found 'replace'")
        #expect(one.inputs.map(\.input) == ["kind"])
        #expect(one.instead == one.inputs[0].instead)
    }

    func waiting(priority: String = "low") throws -> RunState {
        let run = try started(.object([("id", .string("T-1")), ("priority", .string(priority))]))
        return try e.apply(.submit(inputs: [("amount", "5"), ("kind", "refund")], event: nil, checks: .all), to: run, actor: ana, now: t0).run
    }

    @Test func eventsTryTheirTransitionsInDocumentOrder() throws {
        let d = try e.apply(.submit(inputs: [], event: "resolve", checks: nil), to: try waiting(), actor: ana, now: t0 + 60_000)
        #expect(d.moves == ["waiting→done"])
        #expect(d.kinds == ["event"])
        #expect(d.run.status == .ended)
        #expect(d.run.outcome == "resolved")
        #expect(e.enabledEvents(try waiting(), actor: ana).map(\.label) == ["Resolve it", "escalate"])
    }

    @Test func unknownEventIsRejectedWithTheEventsPossibleNow() throws {
        #expect {
            try e.apply(.submit(inputs: [], event: "approve", checks: nil), to: try waiting(), actor: ana, now: t0)
        } throws: { error in
            let r = error as? StepRejection
            return r?.reason == "event 'approve' is not possible in state 'waiting'"
                && r?.instead == ["event resolve (Resolve it)", "event escalate (escalate)"]
        }
    }

    @Test func rolesAreEnforced() throws {
        let run = try e.apply(.submit(inputs: [], event: "escalate", checks: nil), to: try waiting(), actor: ana, now: t0).run
        #expect(run.state == "approve")
        #expect {
            try e.apply(.submit(inputs: [], event: "approve", checks: nil), to: run, actor: ana, now: t0)
        } throws: { ($0 as? StepRejection)?.reason == "event 'approve' needs the role 'supervisor', not 'agent'" }
        let d = try e.apply(.submit(inputs: [], event: "approve", checks: nil), to: run, actor: sue, now: t0)
        #expect(d.run.outcome == "resolved")
        #expect(d.records[0].actor == sue)
    }

    @Test func checklistMustBeConfirmedBeforeLeavingByAnEvent() throws {
        let checklisted = try engine("""
            sop: c
            version: 1
            title: C
            start: a
            states:
              a:
                title: A
                checklist: [One, Two]
                transitions: [{to: b, on: go}]
              b: {title: B, end: done}
            """, file: "c.sop.yaml")
        let run = try checklisted.start(id: "c", ticket: .object([]), actor: ana, now: t0).run
        #expect {
            try checklisted.apply(.submit(inputs: [], event: "go", checks: .items([1])), to: run, actor: ana, now: t0)
        } throws: { ($0 as? StepRejection)?.instead == ["2. Two"] }
        #expect(try checklisted.apply(.submit(inputs: [], event: "go", checks: .all), to: run, actor: ana, now: t0).run.state == "b")
        #expect(throws: StepRejection.self) {
            try checklisted.apply(.submit(inputs: [], event: nil, checks: .items([3])), to: run, actor: ana, now: t0)
        }
    }

    @Test func timersFireAtTheirDueTimeEarliestFirstWhateverTheTickTime() throws {
        let low = try waiting(priority: "low")
        // The 24h timer's guard does not hold for a low-priority ticket: the 48h one fires.
        let d = try e.apply(.tick, to: low, actor: .system, now: t0 + 100 * 3_600_000)
        #expect(d.moves == ["waiting→done"])
        #expect(d.kinds == ["timer"])
        #expect(d.records[0].at == t0 + 48 * 3_600_000)
        #expect(d.records[0].actor == .system)
        let high = try waiting(priority: "high")
        let d2 = try e.apply(.tick, to: high, actor: .system, now: t0 + 100 * 3_600_000)
        #expect(d2.moves == ["waiting→approve"])
        #expect(d2.records[0].at == t0 + 24 * 3_600_000)
        // Nothing due: nothing changes.
        #expect(!(try e.apply(.tick, to: low, actor: .system, now: t0 + 3_600_000)).changed)
    }

    @Test func aTimerBeforeAnEventEndsTheRunAndTheEventIsRefused() throws {
        #expect {
            try e.apply(.submit(inputs: [], event: "resolve", checks: nil), to: try waiting(), actor: ana, now: t0 + 49 * 3_600_000)
        } throws: { ($0 as? StepRejection)?.reason == "the run has ended with outcome 'resolved'" }
    }

    @Test func livelockFailsTheStep() throws {
        let loop = try engine("""
            sop: loop
            version: 1
            title: Loop
            start: a
            states:
              a:
                title: A
                transitions: [{to: b, when: ticket.go == true}, {to: c, on: stop}]
              b:
                title: B
                transitions: [{to: a}]
              c: {title: C, end: done}
            """, file: "loop.sop.yaml")
        #expect {
            try loop.start(id: "l", ticket: .object([("go", .bool(true))]), actor: ana, now: t0)
        } throws: { ($0 as? StepRejection)?.reason.hasPrefix("livelock: more than 100 automatic transitions") == true }
        let run = try loop.start(id: "l", ticket: .object([("go", .bool(false))]), actor: ana, now: t0).run
        #expect(throws: StepRejection.self) { try loop.apply(.update(patch: .object([("go", .bool(true))])), to: run, actor: ana, now: t0) }
    }

    @Test func ticketUpdatesAreValidatedMergedAndRetryAutomatics() throws {
        let schema = try TicketSchema.parse(bytes: Array(#"{"type":"object","properties":{"id":{"type":"string"},"priority":{"enum":["low","high",null]},"tags":{"type":"array","items":{"type":"string"}}}}"#.utf8), path: "s.json")
        let e2 = try engine(review, schema: schema)
        #expect {
            try e2.start(id: "x", ticket: .object([("priority", .string("urgent"))]), actor: ana, now: t0)
        } throws: { ($0 as? StepRejection)?.instead == [#"ticket.priority: the string 'urgent' is not one of "low", "high", null"#] }
        let run = try e2.start(id: "x", ticket: .object([("id", .string("T"))]), actor: ana, now: t0).run
        let d = try e2.apply(.update(patch: .object([("priority", .string("high"))])), to: run, actor: ana, now: t0)
        #expect(d.kinds == ["input"])
        #expect(d.records[0].changes.map(\.path) == ["ticket.priority"])
        #expect(throws: StepRejection.self) { try e2.apply(.update(patch: .object([("priority", .int(3))])), to: run, actor: ana, now: t0) }
    }

    @Test func runTimeExpressionErrorsFailTheStep() throws {
        let bad = try engine("""
            sop: bad
            version: 1
            title: Bad
            start: a
            states:
              a:
                title: A
                transitions: [{to: b, when: ticket.n / ticket.d > 1}, {to: b, on: go}]
              b: {title: B, end: done}
            """, file: "bad.sop.yaml")
        #expect {
            try bad.start(id: "b", ticket: .object([("n", .int(1)), ("d", .int(0))]), actor: ana, now: t0)
        } throws: { ($0 as? StepRejection)?.reason.contains("division by zero") == true }
    }

    /// Issue 36: guards with rules over lists, through the engine, with a ticket schema whose
    /// orders are keyed by id; a `set` appends to a list variable.
    @Test func guardsOverListsDecideSteps() throws {
        let schema = try TicketSchema.parse(bytes: Array(##"""
            {"type": "object", "properties": {"id": {"type": "string"},
              "orders": {"type": "object", "additionalProperties": {"type": "object", "properties": {
                "status": {"enum": ["pending", "delivered"]},
                "items": {"type": "array", "items": {"type": "object", "properties": {"item_id": {"type": "string"}, "price": {"type": "number"}}}}}}}}}
            """##.utf8), path: "s.json")
        let exchange = try engine("""
            sop: exchange
            version: 1
            title: Exchange items
            vars:
              done: {type: list, initial: []}
            start: ask
            states:
              ask:
                title: Which items
                inputs:
                  order_id: {type: string}
                  item_ids: {type: list}
                transitions:
                  - to: exchange
                    when: >-
                      ticket.orders[input.order_id].status == 'delivered'
                      and subset(input.item_ids, map(ticket.orders[input.order_id].items, i -> i.item_id))
                      and all(ticket.orders[input.order_id].items, i -> i.price > 0)
                    do:
                      - set: {var.done: "${{ var.done + [input.order_id] }}"}
                  - to: refuse
                    when: not subset(input.item_ids, map(ticket.orders[input.order_id].items, i -> i.item_id))
              exchange: {title: Exchange, end: done}
              refuse: {title: Refuse, end: refused}
            """, schema: schema, file: "exchange.sop.yaml")
        let ticket = try JSONParser.parse(#"""
            {"id": "T-1", "orders": {"#W1": {"status": "delivered", "items": [
              {"item_id": "a", "price": 10.5}, {"item_id": "b", "price": 20}, {"item_id": "a", "price": 10.5}]}}}
            """#)
        let run = try exchange.start(id: "x1", ticket: ticket, actor: ana, now: t0).run
        let ok = try exchange.apply(.submit(inputs: [("order_id", "#W1"), ("item_ids", "a, a")], event: nil, checks: nil), to: run, actor: ana, now: t0)
        #expect(ok.moves == ["ask→exchange"])
        #expect(ok.run.vars["done"] == .list([.string("#W1")]))
        // Three a's are not in the order (it has two): multiset inclusion.
        let refused = try exchange.apply(.submit(inputs: [("order_id", "#W1"), ("item_ids", "a, a, a")], event: nil, checks: nil), to: run, actor: ana, now: t0)
        #expect(refused.moves == ["ask→refuse"])
        #expect(refused.run.vars["done"] == .list([]))
    }

    @Test func recordsChainByHash() throws {
        let d = try e.start(id: "r1", ticket: .object([]), actor: ana, now: t0)
        var r = d.records[0]
        r.seal(after: nil)
        #expect(r.hash == r.computedHash)
        #expect(r.hash?.hasPrefix("sha256:") == true)
        #expect(r.json().render().hasPrefix(#"{"run":"r1","seq":0,"version":1,"at":"2026-11-02T09:00:00Z","actor":{"id":"ana","role":"agent"},"sop":"review","sop_version":1,"sop_digest":"sha256:"#))
    }
}

/// A refused event names the condition of its guard that failed (issue 36): the first operand
/// of the top-level `and` chain that does not hold, for each transition the event could take.
struct RefusalConditionTests {
    static let hub = """
        sop: hub
        version: 1
        title: Hub
        roles: [agent, supervisor]
        vars:
          v: {type: integer, initial: 0}
        start: serving
        states:
          serving:
            title: Serving
            inputs:
              ok: {type: boolean, required: false, scope: visit}
              n: {type: integer, required: false}
            transitions:
              - to: serving
                on: write
                when: "${{ input.ok == true and var.v < 2 }}"
                do:
                  - set: {var.v: "${{ var.v + 1 }}"}
              - to: done
                on: split
                when: input.n > 5 and input.ok
              - to: other
                on: split
                when: input.n < 0
              - to: done
                on: approve
                role: supervisor
                when: var.v > 9
              - to: done
                on: finish
          other: {title: Other, transitions: [{to: done, on: finish}]}
          done: {title: Done, end: done}
        """

    func reason(_ e: Engine, _ run: RunState, _ inputs: [(String, String)], _ event: String) -> StepRejection? {
        do { _ = try e.apply(.submit(inputs: inputs, event: event, checks: nil), to: run, actor: ana, now: t0); return nil } catch {
            return error
        }
    }

    @Test func eachTransitionOfTheEventNamesItsFailedCondition() throws {
        let e = try engine(Self.hub)
        var run = try e.start(id: "h", ticket: .object([]), actor: ana, now: t0).run
        let none = try #require(reason(e, run, [], "write"))
        #expect(none.reason == "event 'write' is not enabled in state 'serving': `input.ok == true` does not hold")
        // `instead` names only what may be sent now: split's guards need an n.
        #expect(none.instead == ["event finish (finish)"])
        // Null reads false, as in the whole guard: `input.n > 5` with no n does not hold.
        let split = try #require(reason(e, run, [("ok", "true")], "split"))
        #expect(split.reason == "event 'split' is not enabled in state 'serving': `input.n > 5` does not hold (transition 2, to 'done'); "
                + "`input.n < 0` does not hold (transition 3, to 'other')")
        #expect(reason(e, run, [("ok", "true"), ("n", "7")], "split") == nil)
        // Two writes, each confirmed; the third is refused by the second condition (the guard
        // is a `${{ }}` template: its conjuncts are cut from the whole text).
        for _ in 0..<2 { run = try e.apply(.submit(inputs: [("ok", "y")], event: "write", checks: nil), to: run, actor: ana, now: t0).run }
        #expect(reason(e, run, [("ok", "y")], "write")?.reason == "event 'write' is not enabled in state 'serving': `var.v < 2` does not hold")
    }
}
