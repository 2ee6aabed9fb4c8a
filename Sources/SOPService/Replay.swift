import Foundation
import SOPCore
import SOPExpression
import SOPJSON
import SOPStore

/// Verifies one run's journal: the hash chain, then a replay of the journal's commands against
/// the SOP source and ticket schema the run was pinned to, step by step.
///
/// The records of one step share a `version` (1 for the start, then one more per step), so the
/// replay knows where each step begins and ends: a step is the timers it took first, the record
/// of its command (an event, inputs, a ticket update, a child's end), and the automatic
/// transitions after. It carries out the same command at the same time as the same actor and
/// must get the same records, byte for byte; a step of timers alone is a tick at the time of
/// its last record. At the end the stored run must be exactly where its journal leads.
struct Replay {
    let service: RunService
    let tx: any StoreTransaction
    let stored: StoredRun
    let runID: String

    func verify() throws -> Verification {
        let records: [JournalRecord]
        do {
            records = try tx.journal(runID)
        } catch let error as JournalReadError {
            return Verification(run: runID, records: error.seq + 1, failure: (error.seq, error.reason))
        } catch where StoreFault.of(error) == .damaged {
            return unreadable(error)
        }
        if let failure = checkChain(records) { return Verification(run: runID, records: records.count, failure: failure) }
        switch try replay(records) {
        case .failure(let failure): return Verification(run: runID, records: records.count, failure: (failure.seq, failure.reason))
        case .success(let run): return Verification(run: runID, records: records.count, failure: nil, replayed: run)
        }
    }

    /// The run's journal as far as it can be read, when the store's file is damaged under it (a
    /// page SQLite cannot read): its records read one by one, the first that cannot be read is
    /// the failure, and the other runs are verified as usual.
    private func unreadable(_ error: any Error) -> Verification {
        var seq = 0
        var failure: any Error = error
        do {
            while try tx.journalText(run: runID, seq: seq) != nil { seq += 1 }
        } catch {
            failure = error
        }
        return Verification(run: runID, records: seq, failure: (seq, "it cannot be read: \(RunError.fromStore(failure).description)"))
    }

    /// Each record in place (its run, seq and version), chained to the one before, and hashed
    /// over its own content.
    private func checkChain(_ records: [JournalRecord]) -> (seq: Int, reason: String)? {
        var previous: String?
        let versioned = records.first?.version != nil
        for (i, r) in records.enumerated() {
            guard r.run == runID else { return (i, "the record belongs to run '\(r.run)'") }
            guard r.seq == i else { return (i, "the record's seq is \(r.seq), expected \(i)") }
            guard r.prev == previous else { return (i, "prev does not match the hash of record \(i - 1)") }
            guard r.hash == r.computedHash else { return (i, "the hash does not match the record's content (the record was changed)") }
            previous = r.hash
            switch (versioned, r.version) {
            case (true, nil), (false, _?):
                return (i, "some records of this journal carry a step version and some do not")
            case (true, let v?):
                let expected = i == 0 ? [1] : [records[i - 1].version!, records[i - 1].version! + 1]
                guard expected.contains(v) else {
                    return (i, "the record's step version is \(v), expected \(expected.map(String.init).joined(separator: " or "))")
                }
            case (false, nil):
                break
            }
        }
        return nil
    }

    /// Why a replay fails: the first record that does not come out as stored.
    struct Mismatch: Error {
        var seq: Int
        var reason: String
    }

    /// The run the journal leads to, or where replaying it parts from the journal.
    private func replay(_ records: [JournalRecord]) throws -> Result<RunState?, Mismatch> {
        func fail(_ seq: Int, _ reason: String) -> Result<RunState?, Mismatch> { .failure(Mismatch(seq: seq, reason: reason)) }
        // A migrated run began on the version its first migration moved it from.
        var engine: Engine
        do {
            if let first = records.lazy.compactMap(\.trigger.migrationPins).first {
                engine = try service.pinnedEngine(sop: first.from.sopDigest, schema: first.from.schemaDigest, tx)
            } else {
                engine = try service.pinnedEngine(stored, tx)
            }
        } catch { return fail(0, "\(error)") }
        // Journals written before records carried their step's version: each step is replayed
        // from its first record, as far as it goes, and the run's version is not compared.
        let versioned = records.first?.version != nil
        var run: RunState?
        var i = 0
        while i < records.count {
            var end = i + 1
            if versioned { while end < records.count && records[end].version == records[i].version { end += 1 } }
            let group = versioned ? records[i..<end] : records[i...]
            let commandRecord = versioned ? group.first { $0.trigger.isCommand } : records[i]
            /// This step replayed with `engine` (a migration replaces it): the run it leads to, or
            /// where it parts from the journal; `advanced` gets the number of records it covers.
            func replayStep(_ engine: inout Engine, advanced: inout Int) -> Result<RunState?, Mismatch> {
                var decision: StepDecision
                do {
                    if let head = commandRecord, head.trigger.kind == .start {
                        guard i == 0, head.seq == i else { return fail(head.seq, "a start record that does not begin the journal") }
                        decision = try engine.start(id: runID, ticket: stored.initialTicket, actor: head.actor, now: head.at,
                                                    parent: { if case .string(let p)? = stored.json["parent"] { return p } else { return nil } }())
                    } else {
                        guard let current = run else { return fail(i, "the journal does not begin with a start record") }
                        if let head = commandRecord, head.trigger.kind == .migrate {
                            // The same migration, decided again from its record: the version it
                            // names, into the state it names, with the inputs it set.
                            guard let pins = head.trigger.migrationPins else { return fail(head.seq, "a migrate record without its pins") }
                            guard pins.from.sopDigest == engine.sop.digest, pins.from.schemaDigest == engine.schemaDigest else {
                                return fail(head.seq, "the migration moves the run from \(pins.from.sopDigest), but it was pinned to \(engine.sop.digest)")
                            }
                            let target = try service.pinnedEngine(sop: pins.to.sopDigest, schema: pins.to.schemaDigest, tx)
                            do {
                                decision = try target.migrate(current, from: engine, to: head.to, set: Self.typed(head.inputs), actor: head.actor,
                                                              now: head.at)
                            } catch {
                                return fail(head.seq, "replaying the migration was refused: \(error)")
                            }
                            engine = target
                        } else if let head = commandRecord, head.trigger.kind != .timer && head.trigger.kind != .auto && head.trigger.kind != .sla {
                            let command = try Self.command(for: head, current: current)
                            decision = try engine.apply(command, to: current, actor: head.actor, now: head.at)
                            // sopkit before 2026-12 recorded a ticket update that changed nothing;
                            // such a record replays as it was written.
                            if !decision.changed, case .update = command, Self.isUnchangedUpdate(head, in: current) {
                                var legacy = engine
                                legacy.recordsUnchangedUpdates = true
                                decision = try legacy.apply(command, to: current, actor: head.actor, now: head.at)
                            }
                        } else {
                            // Timers alone: a tick, as of the last of them (a timer fires at its due time);
                            // without versions, as of the first, as sopkit replayed such journals before.
                            decision = try engine.apply(.tick, to: current, actor: .system, now: versioned ? group.last!.at : records[i].at)
                        }
                    }
                } catch {
                    return fail(i, "replaying it was rejected: \(error)")
                }
                guard decision.changed else { return fail(i, "replaying it changes nothing") }
                if !versioned {
                    for k in decision.records.indices { decision.records[k].version = nil }
                }
                var next = decision.takeRun()
                let sealed = RunService.seal(decision.records, after: i == 0 ? nil : records[i - 1].hash)
                for (k, record) in sealed.enumerated() {
                    let index = i + k
                    guard index < records.count, !versioned || index < end else {
                        return fail(min(index, records.count) - 1, "replaying this step gives more records than the journal holds for it")
                    }
                    if !Self.sameRecord(replayed: record, stored: records[index]) {
                        return fail(index, "replay gives a different record: \(record.json().render())")
                    }
                }
                // The chain goes on from the stored records (the same as the replayed ones but for
                // the spurious changes `sameRecord` forgives).
                next.lastHash = sealed.isEmpty ? next.lastHash : records[i + sealed.count - 1].hash
                if versioned && i + sealed.count < end {
                    return fail(i + sealed.count, "the journal holds records for this step that replay does not produce")
                }
                advanced = sealed.count
                return .success(next)
            }
            var stepEngine = engine, advanced = 0
            var result = replayStep(&stepEngine, advanced: &advanced)
            if case .failure = result, group.contains(where: { $0.trigger.kind == .timer }) {
                // sopkit before 2026-12 recorded a computed timer whose deadline had passed when
                // its state was entered at that deadline, before the entry: such a step replays
                // as it was written (docs/decisions.md).
                var legacy = engine
                legacy.timersBeforeEntry = true
                var legacyAdvanced = 0
                let again = replayStep(&legacy, advanced: &legacyAdvanced)
                if case .success = again {
                    result = again
                    stepEngine = legacy
                    stepEngine.timersBeforeEntry = false
                    advanced = legacyAdvanced
                }
            }
            switch result {
            case .failure(let mismatch): return .failure(mismatch)
            case .success(let next):
                run = next
                engine = stepEngine
                i += advanced
            }
        }
        // The stored run must be exactly where its journal leads (all but the time it was last
        // written, which is the command's time, not a record's).
        if let run {
            let replayed = run.json()
            var keys = ["state", "status", "outcome", "ticket", "vars", "inputs", "submitted", "confirmed", "entered_at", "started_at",
                        "owner_role", "owner_queue", "outbox", "parent", "child", "child_outcome", "child_count", "next_seq", "last_hash",
                        "sop_digest", "sla", "migrated_at"]
            if versioned { keys.append("version") }
            for key in keys where stored.json[key]?.canonical() != replayed[key]?.canonical() {
                return fail(max(0, records.count - 1), "the stored run's \(key) does not match its journal")
            }
        }
        return .success(run)
    }

    /// True when replay gives the stored record. Compared by hash: the stored record's hash is
    /// its content's (checked before), so equal hashes mean equal content, whatever order the
    /// store kept nested members in (it keeps records in their canonical form).
    ///
    /// sopkit before 2026-12 compared objects with their members in order, so a nested ticket
    /// object given in another key order could be recorded as a change of nothing (`ticket.customer`
    /// from `{"name": "Ada", "id": "C-1"}` to `{"id": "C-1", "name": "Ada"}`). Such a journal is
    /// still true: the stored record matches when it is the replayed one but for changes whose
    /// old and new values are equal, and for `prev` (the stored chain is checked on its own).
    static func sameRecord(replayed: JournalRecord, stored: JournalRecord) -> Bool {
        if replayed.hash == stored.hash { return true }
        // Without `prev`: a record after a forgiven one in the same step is chained to the
        // stored record, not to the replayed one.
        var forgiven = stored
        forgiven.changes.removeAll { $0.old == $0.new }
        var again = replayed
        forgiven.prev = nil
        again.prev = nil
        return forgiven.computedHash == again.computedHash
    }

    /// A ticket update's record as sopkit before 2026-12 wrote one for a patch that changed
    /// nothing: no move, and no change but of nothing.
    static func isUnchangedUpdate(_ head: JournalRecord, in run: RunState) -> Bool {
        !head.trigger.moved && head.from == run.state && head.to == run.state && head.changes.allSatisfy { $0.old == $0.new }
    }

    /// Inputs as an agent types them; each parses back to the value recorded.
    static func typed(_ inputs: JSONObject) -> [(String, String)] {
        inputs.map { member -> (String, String) in
            if case .string(let s) = member.value { return (member.key, s) }
            return (member.key, member.value.render())
        }
    }

    /// The command of a step, from its command record (`sop verify`'s replay and `sop simulate`'s).
    static func command(for head: JournalRecord, current: RunState) throws -> StepCommand {
        switch head.trigger.kind {
        case .event, .input:
            if let patch = head.trigger.ticket { return .update(patch: patch) }
            return .submit(inputs: Self.typed(head.inputs), event: head.trigger.event, checks: head.trigger.checks.map { .items($0) })
        case .child:
            // The ticket the child ended with; records from before it was kept are rebuilt from
            // the changes the child made.
            var ticket = current.ticket
            if let kept = head.trigger.ticket {
                ticket = kept
            } else {
                for change in head.changes where change.path.hasPrefix("ticket.") {
                    ticket = ticket.setting([String(change.path.dropFirst("ticket.".count))], to: change.new)
                }
            }
            return .childEnded(child: current.child ?? "", outcome: head.trigger.outcome ?? "", ticket: ticket)
        case .start, .auto, .timer, .sla, .migrate:
            throw StepRejection("a \(head.trigger.kind.rawValue) record is not a command")
        }
    }
}
