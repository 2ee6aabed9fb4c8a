import Foundation
import SOPCore
import SOPExpression
import SOPJSON

/// Verifies one run's journal: the hash chain, then a replay of the journal's commands against
/// the SOP source the run was pinned to, record by record.
struct Replay {
    let service: RunService
    let tx: StoreTransaction
    let stored: StoredRun
    let runID: String
    let lines: [String]

    func verify() throws -> Verification {
        var records: [JSONValue] = []
        var previous: String?
        for (i, line) in lines.enumerated() {
            guard let record = try? JSONParser.parse(line) else { return fail(i, "the record is not valid JSON") }
            guard record["seq"] == .int(i) else { return fail(i, "the record's seq is \(record["seq"]?.render() ?? "missing"), expected \(i)") }
            guard record["prev"] == .optional(previous) else { return fail(i, "prev does not match the hash of record \(i - 1)") }
            guard case .string(let hash)? = record["hash"], JournalRecord.hash(of: record.removing("hash")) == hash else {
                return fail(i, "the hash does not match the record's content (the record was changed)")
            }
            previous = hash
            records.append(record)
        }
        // Replay.
        let sop: CompiledSOP
        do { sop = try service.pinnedSOP(stored.sopDigest, tx) } catch { return fail(0, "\(error)") }
        let engine = Engine(sop: sop, schema: service.schema)
        var run: RunState?
        var produced: [JSONValue] = []
        var i = 0
        while i < records.count {
            let head = records[i]
            let kind: String = { if case .string(let k)? = head["trigger"]?["kind"] { return k } else { return "" } }()
            guard case .string(let atText)? = head["at"], let at = CivilTime.parseDateTime(atText),
                  case .string(let actorID)? = head["actor"]?["id"], case .string(let actorRole)? = head["actor"]?["role"] else {
                return fail(i, "the record lacks its time or actor")
            }
            let actor = Actor(id: actorID, role: actorRole)
            let decision: StepDecision
            do {
                if kind == "start" {
                    decision = try engine.start(id: runID, ticket: stored.initialTicket, actor: actor, now: at,
                                                parent: { if case .string(let p)? = stored.json["parent"] { return p } else { return nil } }())
                } else {
                    guard let current = run else { return fail(i, "the journal does not begin with a start record") }
                    decision = try engine.apply(try command(for: head, kind: kind, current: current), to: current, actor: actor, now: at)
                }
            } catch {
                return fail(i, "replaying it was rejected: \(error)")
            }
            guard decision.changed else { return fail(i, "replaying it changes nothing") }
            var next = decision.run
            let sealed = RunService.seal(decision.records, after: produced.last.flatMap { if case .string(let h)? = $0["hash"] { return h } else { return nil } })
            next.lastHash = sealed.last?.hash
            for record in sealed {
                let index = produced.count
                guard index < records.count else { return fail(records.count - 1, "replay produces more records than the journal holds") }
                if record.json().canonical() != records[index].canonical() {
                    return fail(index, "replay gives a different record: \(record.json().render())")
                }
                produced.append(record.json())
            }
            run = next
            i = produced.count
        }
        guard produced.count == records.count else {
            return fail(produced.count, "the journal holds records that replay does not produce")
        }
        // The stored run must be exactly where its journal leads: at a step boundary.
        if let run {
            let stored = self.stored.json
            for key in ["state", "status", "outcome", "version", "ticket", "vars", "last_hash"] {
                guard stored[key]?.canonical() == run.json()[key]?.canonical() else {
                    return fail(max(0, records.count - 1), "the stored run's \(key) does not match its journal")
                }
            }
        }
        return Verification(run: runID, records: records.count, failure: nil)
    }

    /// The command that produced a step's first record.
    func command(for head: JSONValue, kind: String, current: RunState) throws -> StepCommand {
        switch kind {
        case "timer", "auto":
            return .tick
        case "event", "input":
            if let patch = head["trigger"]?["ticket"] { return .update(patch: patch) }
            var inputs: [(String, String)] = []
            if case .object(let members)? = head["inputs"] {
                for (name, value) in members {
                    if case .string(let s) = value { inputs.append((name, s)) } else { inputs.append((name, value.render())) }
                }
            }
            var checks: ChecklistSelection?
            if case .array(let items)? = head["trigger"]?["checks"] {
                checks = .items(items.compactMap { if case .int(let n) = $0 { return n } else { return nil } })
            }
            let event: String? = { if case .string(let e)? = head["trigger"]?["event"] { return e } else { return nil } }()
            return .submit(inputs: inputs, event: event, checks: checks)
        case "child":
            var ticket = current.ticket
            if case .object(let changes)? = head["changes"] {
                for (path, pair) in changes where path.hasPrefix("ticket.") {
                    if case .array(let oldNew) = pair, oldNew.count == 2 {
                        ticket = ticket.setting([String(path.dropFirst("ticket.".count))], to: oldNew[1])
                    }
                }
            }
            let outcome: String = { if case .string(let o)? = head["trigger"]?["outcome"] { return o } else { return "" } }()
            return .childEnded(outcome: outcome, ticket: ticket)
        default:
            throw StepRejection("unknown trigger kind '\(kind)'")
        }
    }

    func fail(_ seq: Int, _ reason: String) -> Verification {
        Verification(run: runID, records: lines.count, failure: (seq, reason))
    }
}
