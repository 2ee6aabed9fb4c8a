import SOPCore
import SOPJSON
import SOPStore

/// A helpdesk's ticket updates (`POST /v1/hooks/tickets`), carried to every open run of the
/// ticket: each delivery once, never an older update after a newer one.
extension RunService {
    /// What an inbound helpdesk delivery did.
    public enum HelpdeskResult: Sendable {
        /// This delivery id was applied before: nothing done again.
        case duplicate
        /// A later update of the ticket was applied before: this one would move it backwards.
        case stale
        /// Carried to every open run of the ticket: the runs it changed, those it found already
        /// as it says (no record written), and those that refused it, with their reasons.
        case carried(runs: [String], unchanged: [String], refused: [(run: String, reason: String)])

        /// The answer's `result`: `applied` when some run changed, else `refused` when some run
        /// refused it, else `unchanged` (no run changed, or the ticket has no open run);
        /// `duplicate` and `stale` as they are.
        public var result: String {
            switch self {
            case .duplicate: return "duplicate"
            case .stale: return "stale"
            case .carried(let runs, _, let refused): return !runs.isEmpty ? "applied" : !refused.isEmpty ? "refused" : "unchanged"
            }
        }
    }

    /// Applies a helpdesk's ticket update to every open run of the ticket, as `sop update` would,
    /// in one transaction: a merge patch, or a full ticket (the patch is then what changed). The
    /// delivery id is claimed, and the sender's `updated_at` must be later than the last applied.
    public func applyHelpdeskUpdate(delivery: String, ticketID: String, updatedAt: Int64, patch: JSONValue?, ticket: JSONValue?,
                                    now: Int64) throws -> HelpdeskResult {
        try write { tx in
            guard try tx.claimHookDelivery(delivery, at: now) else { return .duplicate }
            guard try tx.advanceTicket(ticketID, updatedAt: updatedAt) else { return .stale }
            var applied: [String] = [], unchanged: [String] = [], refused: [(String, String)] = []
            for id in try tx.openRuns(ticketID: ticketID) {
                guard let stored = try tx.run(id) else { continue }
                let (run, _) = try self.load(stored, tx)
                let change = patch ?? JSONValue.mergePatch(from: run.ticket, to: ticket ?? .object(JSONObject()))
                do {
                    let result = try tx.savepoint {
                        try self.step(StepRequest(run: id, command: .update(patch: change), who: .actor(Self.helpdesk), now: now), tx)
                    }
                    if result.run.version == run.version { unchanged.append(id) } else { applied.append(id) }
                } catch let error as RunError {
                    if error.isStoreFailure { throw error }
                    self.pinnedInStore = []  // the savepoint undid any pin
                    refused.append((id, error.reason))
                }
            }
            return .carried(runs: applied, unchanged: unchanged, refused: refused)
        }
    }

    /// The actor a helpdesk's updates are recorded as.
    public static let helpdesk = Actor(id: "helpdesk", role: "system")
}

extension JSONValue {
    /// The JSON merge patch (RFC 7396) that turns `old` into `new`: changed members, removed ones
    /// as null, objects compared member by member.
    public static func mergePatch(from old: JSONValue, to new: JSONValue) -> JSONValue {
        guard case .object(let before) = old, case .object(let after) = new else { return new }
        var patch = JSONObject()
        for (key, value) in after {
            guard let previous = before[key] else { patch[key] = value; continue }
            if previous.canonical() == value.canonical() { continue }
            if case .object = previous, case .object = value {
                patch[key] = mergePatch(from: previous, to: value)
            } else {
                patch[key] = value
            }
        }
        for (key, _) in before where after[key] == nil { patch[key] = .null }
        return .object(patch)
    }
}
