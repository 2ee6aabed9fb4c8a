import Foundation
import SOPJSON
import TestSupport
import Testing

/// Issue 36: a write needs a confirmation given in the same visit of the hub state (an input
/// with `scope: visit`), and a refused event names the condition of its guard that failed.
/// Whole outputs through the binary, then `sop verify` over the store.
@Suite struct FreshConfirmationTests {
    let dir: URL

    init() throws { dir = try SOPBinary.workspace(extra: ["retail": Self.retail]) }

    @discardableResult
    func sop(_ arguments: String..., status expected: Int32 = 0) throws -> SOPBinary.Result {
        let r = try SOPBinary.run(arguments, in: dir)
        #expect(r.status == expected, "sop \(arguments.joined(separator: " ")): \(r.stdout)\(r.stderr)")
        #expect(!r.terminatedBySignal)
        return r
    }

    static let retail = """
        sop: retail
        version: 1
        title: Retail service for ${{ ticket.id }}
        start: serving
        states:
          serving:
            title: Serving the customer
            inputs:
              order_id: {type: string, prompt: "Order number", required: false}
              confirmed: {type: boolean, prompt: "Did the customer confirm this write?", required: false, scope: visit}
            transitions:
              - to: serving
                on: modify_pending_order
                when: "input.confirmed == true and input.order_id == ticket.order_id and ticket.priority != 'urgent'"
                do:
                  - set: {ticket.priority: high}
              - to: serving
                on: cancel_pending_order
                when: >-
                  input.confirmed == true
                  and (input.order_id == ticket.order_id or input.order_id == null)
                  and ticket.status == 'pending'
                do:
                  - set: {ticket.status: closed}
              - to: done
                on: finish
          done: {title: Done, end: done}

        """

    /// One confirmation, one write: the loop back to `serving` forgets it, so a second write
    /// without a fresh `confirmed` is refused, naming the rule; with one it goes through. Every
    /// step verifies, the refused ones having changed nothing.
    @Test func aConfirmationCountsForOneWriteOnly() throws {
        try sop("start", "retail", "--ticket", #"{"id":"T-1","status":"pending","order_id":"A-1"}"#, "--id", "r1",
                "--now", "2026-11-02T09:00:00Z")
        try sop("step", "r1", "--event", "modify_pending_order", "--input", "order_id=A-1", "--input", "confirmed=true",
                "--now", "2026-11-02T09:01:00Z")
        let status = try JSONParser.parse(try sop("status", "r1", "--format", "json").stdout)
        #expect(status["state"] == .string("serving"))
        #expect(status["inputs"] == .object([("order_id", .string("A-1"))]))
        let specs = try #require({ if case .array(let items)? = status["input_specs"] { items } else { nil } }() as [JSONValue]?)
        #expect(specs.last == .object([
            ("name", .string("confirmed")), ("type", .string("boolean")), ("prompt", .string("Did the customer confirm this write?")),
            ("required", .bool(false)), ("given", .bool(false)), ("scope", .string("visit"))]))
        #expect(try sop("status", "r1").stdout.contains("""

            inputs:
              order_id (string, optional) — Order number
              confirmed (boolean, optional, this visit only) — Did the customer confirm this write?

            """))

        let refused = try sop("step", "r1", "--event", "cancel_pending_order", "--input", "order_id=A-1", "--now", "2026-11-02T09:02:00Z",
                              status: 1)
        #expect(refused.stdout == "")
        #expect(refused.stderr == """
            error: rejected: event 'cancel_pending_order' is not enabled in state 'serving': `input.confirmed == true` does not hold
              - event finish (finish)

            """)
        let json = try sop("step", "r1", "--event", "cancel_pending_order", "--format", "json", "--now", "2026-11-02T09:02:00Z", status: 1)
        #expect(json.stdout == """
            {"error":"refused","reason":"event 'cancel_pending_order' is not enabled in state 'serving': `input.confirmed == true` does not hold",\
            "instead":["event finish (finish)"],"exit":1}

            """)

        try sop("step", "r1", "--event", "cancel_pending_order", "--input", "confirmed=true", "--now", "2026-11-02T09:03:00Z")
        // Confirmed afresh, but the order is no longer pending: the third condition is named,
        // as the SOP writes it (a folded YAML scalar, parentheses kept).
        let third = try sop("step", "r1", "--event", "cancel_pending_order", "--input", "confirmed=true", "--now", "2026-11-02T09:04:00Z",
                            status: 1)
        #expect(third.stderr.hasPrefix(
            "error: rejected: event 'cancel_pending_order' is not enabled in state 'serving': `ticket.status == 'pending'` does not hold\n"))
        let wrongOrder = try sop("step", "r1", "--event", "modify_pending_order", "--input", "order_id=B-7", "--input", "confirmed=true",
                                 "--now", "2026-11-02T09:05:00Z", status: 1)
        #expect(wrongOrder.stderr.hasPrefix(
            "error: rejected: event 'modify_pending_order' is not enabled in state 'serving': `input.order_id == ticket.order_id` does not hold\n"))

        let v = try sop("verify", "r1")
        #expect(v.stdout == "r1: ok (3 records)\n")
        let log = try sop("log", "r1").stdout
        #expect(log.split(separator: "\n").count == 3)
    }

    /// A parenthesised conjunct is named with its parentheses; one that reads null does not hold.
    @Test func theConditionIsNamedAsWritten() throws {
        try sop("start", "retail", "--ticket", #"{"id":"T-2","status":"pending","order_id":"A-2"}"#, "--id", "r2",
                "--now", "2026-11-02T09:00:00Z")
        let r = try sop("step", "r2", "--event", "cancel_pending_order", "--input", "confirmed=true", "--input", "order_id=Z-1",
                        "--now", "2026-11-02T09:01:00Z", status: 1)
        #expect(r.stderr.hasPrefix("error: rejected: event 'cancel_pending_order' is not enabled in state 'serving': "
            + "`(input.order_id == ticket.order_id or input.order_id == null)` does not hold\n"), "\(r.stderr)")
    }
}
