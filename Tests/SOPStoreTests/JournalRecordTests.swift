import Foundation
import SOPCore
import SOPJSON
import Testing

/// Journal records are read through one type that accepts exactly what sopkit writes.
@Suite struct JournalRecordTests {
    func record() throws -> JournalRecord {
        var r = JournalRecord(run: "r1", seq: 1, version: 2, at: 1_793_610_000_000, actor: Actor(id: "ana", role: "agent"), sop: "s",
                              sopVersion: 3, sopDigest: "sha256:ab", from: "a", to: "b",
                              trigger: JournalTrigger(kind: .event, event: "go", checks: [1, 2], transition: 2),
                              inputs: [("amount", .number(Decimal(string: "12.50")!)), ("kind", .string("x"))])
        r.change("ticket.priority", from: .string("low"), to: .string("high"))
        r.change("var.n", from: .int(0), to: .int(1))
        r.change("ticket.priority", from: .string("high"), to: .string("urgent"))
        r.change("var.n", from: .int(1), to: .int(0))
        r.effects = [.object([("notify", .object([("to", .string("customer"))]))])]
        r.seal(after: "sha256:prev")
        return r
    }

    @Test func severalChangesOfOnePathAreOneChange() throws {
        let r = try record()
        // priority: low → high → urgent is one change; var.n: 0 → 1 → 0 changed nothing.
        #expect(r.changes == [JournalChange(path: "ticket.priority", old: .string("low"), new: .string("urgent"))])
    }

    @Test func aRecordReadsBackToItselfAndItsBytes() throws {
        let r = try record()
        let text = r.json().render()
        let read = try JournalReadError.decode(text, run: "r1", seq: 1)
        #expect(read == r)
        #expect(read.json().render() == text)
        #expect(read.hash == read.computedHash)
    }

    @Test(arguments: [
        (#""hash":"#, #""extra":1,"hash":"#, "a member sopkit does not write: 'extra'"),
        (#""at":"2026-11-02T09:00:00Z""#, #""at":"2026-11-02T10:00:00+01:00""#, "at is not a UTC time as the journal writes it"),
        (#""seq":1"#, #""seq":"1""#, "seq is missing or not a whole number"),
        (#""kind":"event""#, #""kind":"jump""#, "trigger.kind is not one of"),
        (#""changes":{"#, #""changes":{"ticket.x":[1],"#, "the change of ticket.x is not [old, new]"),
        (#""inputs":{"amount""#, #""inputs":{"kind":"y","amount""#, "it is not valid JSON"),
    ])
    func aRecordSopkitDidNotWriteIsRefusedByName(_ find: String, _ replace: String, _ reason: String) throws {
        let text = try record().json().render()
        #expect(text.contains(find))
        let bad = text.replacingOccurrences(of: find, with: replace)
        #expect {
            try JournalReadError.decode(bad, run: "r1", seq: 1)
        } throws: { error in
            let e = error as? JournalReadError
            return e?.run == "r1" && e?.seq == 1 && e?.reason.contains(reason) == true
                && "\(error)".hasPrefix("record 1 of run 'r1' cannot be read: ")
        }
    }
}
