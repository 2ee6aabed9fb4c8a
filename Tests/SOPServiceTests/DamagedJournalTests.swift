import Foundation
import GRDB
import SOPCore
import SOPJSON
@testable import SOPService
import SOPStore
import StoreTestSupport
import Testing

/// A journal damaged behind sopkit's back (a row edited by hand, a record lost, bytes flipped
/// inside one): a step on that run is refused as `damaged_run`, naming the record where the
/// chain breaks, and every other run steps as before, one by one and in a batch. On the store
/// under test (SQLite, or PostgreSQL in the PostgreSQL pass).
struct DamagedJournalTests {
    static let loop = """
        sop: loop
        version: 1
        title: A run an agent pings
        start: open
        states:
          open:
            title: Open
            transitions:
              - {to: open, on: ping}
              - {to: closed, on: close}
          closed: {title: Closed, end: closed}
        """

    static let ping = StepCommand.submit(inputs: [], event: "ping", checks: nil)

    /// Two runs of four records each (a start and three pings).
    func workspace() throws -> Workspace {
        let w = try Workspace(["loop": Self.loop])
        for id in ["r1", "r2"] {
            _ = try w.service.start(sop: "loop", ticket: .object([("id", .string("T-\(id)"))]), runID: id, actor: ana, now: t0)
            for k in 1...3 { _ = try w.service.step(id, Self.ping, actor: ana, now: t0 + Int64(k) * 1000) }
        }
        return w
    }

    func texts(_ w: Workspace, _ run: String) throws -> [String] {
        try #require(try w.service.store.read { tx in try tx.journalTexts([run]) }[run])
    }

    /// Rewrites a record through another connection, as a hand edit or another process would:
    /// the service's memory of the chains it checked is of no use then (`changeMark`).
    func edit(_ w: Workspace, _ run: String, seq: Int, _ change: (String) -> String) throws {
        let old = try texts(w, run)[seq]
        let new = change(old)
        try #require(new != old)
        try w.reopened().store.transaction { tx in try tx.rewriteJournal(run: run, seq: seq, record: new) }
    }

    func expectDamaged(_ w: Workspace, _ run: String, record: Int?, reason: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let before = try w.service.run(run).0.version
        do {
            _ = try w.service.step(run, Self.ping, actor: ana, now: t0 + 10_000)
            Issue.record("the step on \(run) was taken", sourceLocation: sourceLocation)
        } catch RunError.damagedRun(let named, let at, let why) {
            #expect(named == run, sourceLocation: sourceLocation)
            #expect(at == record, sourceLocation: sourceLocation)
            #expect(why.contains(reason), "\(why)", sourceLocation: sourceLocation)
        }
        #expect(try w.service.run(run).0.version == before, sourceLocation: sourceLocation)
    }

    @Test func aRecordEditedByHandStopsItsRunAndNoOther() throws {
        let w = try workspace()
        // The actor of record 1 changed in place, its hash left as it was.
        try edit(w, "r1", seq: 1) { $0.replacingOccurrences(of: #""id":"ana""#, with: #""id":"eve""#) }
        try expectDamaged(w, "r1", record: 1, reason: "its hash does not match its content")
        let error = RunError.damagedRun(run: "r1", record: 1, reason: "its hash does not match its content (the record was changed)")
        #expect(error.kind == "damaged_run")
        #expect(error.exitCode == 2)
        #expect(error.description == "run r1 is not stepped: its journal's chain is broken at record 1 (its hash does not match its content "
            + "(the record was changed)); run `sop verify r1` to see what is wrong")
        // The other run steps, alone and in a batch beside the damaged one.
        #expect(try w.service.step("r2", Self.ping, actor: ana, now: t0 + 10_000).run.version == 5)
        let batch = w.service.stepBatch([StepRequest(run: "r1", command: Self.ping, who: .actor(ana), now: t0 + 11_000, requestID: nil),
                                         StepRequest(run: "r2", command: Self.ping, who: .actor(ana), now: t0 + 11_000, requestID: nil)])
        guard case .failure(.damagedRun(run: "r1", record: 1, _)) = batch[0] else { Issue.record("r1 in the batch: \(batch[0])"); return }
        #expect(try batch[1].get().run.version == 6)
        // With a request id the batch steps it alone: the same refusal.
        let keyed = w.service.stepBatch([StepRequest(run: "r1", command: Self.ping, who: .actor(ana), now: t0 + 12_000, requestID: "k1")])
        guard case .failure(.damagedRun(run: "r1", record: 1, _)) = keyed[0] else { Issue.record("r1 with a request id: \(keyed[0])"); return }
        // verify names the same run and record.
        let verified = try w.service.verify("r1")[0]
        #expect(verified.failure?.seq == 1)
        #expect(try w.service.verify("r2")[0].failure == nil)
    }

    /// A record edited and sealed again (its own hash right) breaks the chain at the next record,
    /// whose prev no longer names it.
    @Test func aRecordResealedBreaksTheNextOne() throws {
        let w = try workspace()
        let texts = try texts(w, "r1")
        var record = try JournalReadError.decode(texts[1], run: "r1", seq: 1)
        record.actor = Actor(id: "eve", role: "agent")
        let resealed = record.sealForStore(after: record.prev)
        try w.reopened().store.transaction { tx in try tx.rewriteJournal(run: "r1", seq: 1, record: resealed) }
        try expectDamaged(w, "r1", record: 2, reason: "its prev is not the hash of record 1")
    }

    /// A record lost from the end (the run's last_hash names it) and one lost from the middle.
    @Test func aLostRecordBreaksTheChain() throws {
        let w = try workspace()
        let texts = try texts(w, "r1")
        #expect(StoredChain.check(Array(texts.dropLast()), run: "r1", lastHash: try w.service.run("r1").0.lastHash)
            == StoredChain.Break(record: 2, reason: "the run's last hash is not its last record's (records are missing from the journal's end)"))
        var middle = texts
        middle.remove(at: 1)
        #expect(StoredChain.check(middle, run: "r1", lastHash: try w.service.run("r1").0.lastHash)?.record == 1)
        // Another run's records are not this run's.
        #expect(StoredChain.check(try self.texts(w, "r2"), run: "r1", lastHash: try w.service.run("r2").0.lastHash)?.record == 0)
        #expect(StoredChain.check(texts, run: "r1", lastHash: try w.service.run("r1").0.lastHash) == nil)
    }

    /// A record stored in another shape (members in `json()`'s order, as an older sopkit or a
    /// repair might write it) is read and checked as verify reads it: whole, it passes; edited, not.
    @Test func aRecordOfAnotherShapeIsParsedAndChecked() throws {
        let w = try workspace()
        let record = try JournalReadError.decode(try texts(w, "r1")[2], run: "r1", seq: 2)
        try w.reopened().store.transaction { tx in try tx.rewriteJournal(run: "r1", seq: 2, record: record.json().render()) }
        #expect(try w.service.step("r1", Self.ping, actor: ana, now: t0 + 10_000).run.version == 5)
        try edit(w, "r1", seq: 2) { $0.replacingOccurrences(of: #""id":"ana""#, with: #""id":"eve""#) }
        try expectDamaged(w, "r1", record: 2, reason: "its hash does not match its content")
        // Bytes that are no longer JSON.
        try edit(w, "r1", seq: 2) { String($0.dropLast(3)) }
        try expectDamaged(w, "r1", record: 2, reason: "it cannot be read")
    }

    /// Bytes flipped in the header of a SQLite page holding one run's records: SQLite cannot read
    /// that page. A batch with a step on that run and one on a run whose records are elsewhere
    /// fails the first as `damaged` and takes the second; verify names the run and the first
    /// record it cannot read, and verifies the others.
    @Test func aPageSQLiteCannotReadFailsItsRunsAndNoOther() throws {
        let w = try Workspace(["loop": Self.loop], sqlite: true)
        let runs = (0..<24).map { "p" + String($0 / 10) + String($0 % 10) }
        for id in runs {
            _ = try w.service.start(sop: "loop", ticket: .object([("id", .string("T-\(id)"))]), runID: id, actor: ana, now: t0)
            for k in 1...3 { _ = try w.service.step(id, Self.ping, actor: ana, now: t0 + Int64(k) * 1000) }
        }
        try DatabaseQueue(path: w.location).writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: w.location)))
        let pageSize = Int(bytes[16]) << 8 | Int(bytes[17])
        func page(_ run: String, _ seq: Int) throws -> Int {
            let needle = Array(#""run":"\#(run)","seq":\#(seq),"#.utf8)
            let at = try #require(bytes.indices.first { i in i + needle.count <= bytes.count && bytes[i..<i + needle.count].elementsEqual(needle) })
            return at / pageSize
        }
        let damaged = try page("p05", 2)
        let spared = try #require(runs.last { run in try (0...3).allSatisfy { try page(run, $0) != damaged } })
        #expect(bytes[damaged * pageSize] == 0x0D)  // a table's leaf page
        for k in 0..<8 { bytes[damaged * pageSize + k] ^= 0xA5 }
        try Data(bytes).write(to: URL(fileURLWithPath: w.location))

        let service = try w.reopened()
        let batch = service.stepBatch([StepRequest(run: "p05", command: Self.ping, who: .actor(ana), now: t0 + 10_000),
                                       StepRequest(run: spared, command: Self.ping, who: .actor(ana), now: t0 + 10_000)])
        guard case .failure(.damaged(let why)) = batch[0] else { Issue.record("p05 in the batch: \(batch[0])"); return }
        #expect(why.contains("malformed"))
        #expect(try batch[1].get().run.version == 5)
        let verified = try service.verify(nil)
        let p05 = try #require(verified.first { $0.run == "p05" })
        let failure = try #require(p05.failure)
        #expect(failure.reason.hasPrefix("it cannot be read: the run store is damaged: "))
        #expect((0...3).contains(failure.seq))
        // Only the runs with a record on that page fail.
        #expect(verified.filter { $0.failure != nil }.map(\.run).allSatisfy { run in (0...3).contains { (try? page(run, $0)) == damaged } })
        #expect(verified.first { $0.run == spared }?.failure == nil)
    }
}
