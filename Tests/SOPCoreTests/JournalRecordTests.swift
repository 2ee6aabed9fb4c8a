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

    /// The hash is computed from a form built in canonical order (no sort per record); it must
    /// be the hash of the record as printed, for every shape of trigger.
    @Test(arguments: [
        JournalTrigger(kind: .start),
        JournalTrigger(kind: .event, event: "go", checks: [1], transition: 3),
        JournalTrigger(kind: .timer, after: "48h", transition: 2),
        JournalTrigger(kind: .auto, transition: 1),
        JournalTrigger(kind: .input, checks: [2], moved: false),
        JournalTrigger(kind: .input, ticket: .object([("priority", .string("high"))]), transition: 1),
        JournalTrigger(kind: .child, outcome: "resolved", ticket: .object([("id", .string("T"))]), moved: false),
    ])
    func theHashIsTheHashOfThePrintedRecord(_ trigger: JournalTrigger) throws {
        for version in [nil, 4] as [Int?] {
            var r = try record()
            r.trigger = trigger
            r.version = version
            r.from = version == nil ? nil : "a"
            r.seal(after: version == nil ? nil : "sha256:prev")
            #expect(r.hash == Digest.sha256(r.json(includeHash: false).canonicalBytes()))
        }
    }

    @Test func aRecordReadsBackToItselfAndItsBytes() throws {
        let r = try record()
        let text = r.json().render()
        let read = try JournalReadError.decode(text, run: "r1", seq: 1)
        #expect(read == r)
        #expect(read.json().render() == text)
        #expect(read.hash == read.computedHash)
    }

    /// The store keeps a record as the canonical content its hash is computed over, with the
    /// hash appended: one rendering for both. It reads back to the same record, and it is the
    /// canonical content byte for byte up to the hash.
    @Test func theStoredTextIsTheHashedContentWithItsHash() throws {
        var r = try record()
        let prev = r.prev
        let text = r.sealForStore(after: prev)
        #expect(r.hash == r.computedHash)
        let read = try JournalReadError.decode(text, run: "r1", seq: 1)
        #expect(read == r)
        let content = r.json(includeHash: false).canonical()
        #expect(text == String(content.dropLast()) + #","hash":""# + r.hash! + #""}"#)
        #expect(read.storedText == text)
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
