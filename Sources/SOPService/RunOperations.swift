import SOPCore
import SOPJSON
import SOPStore

/// The operations on runs every interface calls, each for who asks (`Acting`): start, read,
/// list, a caller's queue, journals, verification, the stream of changes.
extension RunService {
    /// Starts a run (idempotent for the same id, SOP and ticket) as `who`: a caller acts in the
    /// start state's role if they hold it. Returns the run and whether it already existed.
    public func start(sop id: String, ticket: JSONValue, runID: String?, as who: Acting, now: Int64) throws -> (run: RunState, existed: Bool) {
        let sop = try currentSOP(id)
        let actor = try Self.starter(who, engine(sop))
        return try write { tx in
            let existed = try runID.map { try tx.run($0) != nil } ?? false
            return (try self.start(sop, ticket: ticket, runID: runID, actor: actor, now: now, parent: nil, tx), existed)
        }
    }

    /// The `status` JSON of a run for a caller: the events shown are those the caller's roles may
    /// send. The run is shown with its due timers taken, as the next command will find it.
    public func status(_ id: String, as who: Acting, now: Int64) throws -> (json: JSONValue, version: Int) {
        let (run, engine, due) = try projected(id, as: who, now: now)
        return (RunStatus.json(run, engine, actor: nil, roles: who.caller?.roles, now: now, dueRecords: due), run.version)
    }

    /// A page of runs; the caller sees only runs of SOPs one of their roles acts in. An SOP in the
    /// filter that the folder lacks is an error (not an empty list).
    public func runs(_ filter: RunFilter, as who: Acting) throws -> RunPage {
        var filter = filter
        if let wanted = filter.sops {
            let known = Set(catalogue.entries().compactMap(\.id))
            if let unknown = wanted.first(where: { !known.contains($0) }) {
                throw RunError.badRequest(RunError.unknownSOP(unknown, known.sorted()).description)
            }
        }
        if who.caller != nil {
            let visible = visibleSOPs(who)
            filter.sops = filter.sops.map { $0.filter(visible.contains) } ?? visible
        }
        if filter.role != nil { try backfillWaitingRoles() }
        return try store.read { tx in try tx.runPage(filter) }
    }

    /// How soon a run in a queue must be seen to: by its next deadline (`Engine.nextDeadline`,
    /// the earliest of its timers and its SLA clocks' due times).
    public enum Urgency: String, Sendable {
        case overdue, urgent, soon, ok, none

        /// Past due, under 30 minutes, under an hour, later, or no deadline.
        public init(due: Int64?, now: Int64) {
            guard let due else { self = .none; return }
            let left = due - now
            self = left < 0 ? .overdue : left < 30 * 60_000 ? .urgent : left < 60 * 60_000 ? .soon : .ok
        }
    }

    /// One run of a caller's queue (the console's "My queue").
    public struct QueueItem: Sendable {
        public var run: RunState
        public var engine: Engine
        /// The role of the caller's the run waits on.
        public var role: String
        /// The next deadline and whether it is an SLA target's (its id) or a timer's (nil).
        public var due: Int64?
        public var slaTarget: String?
        public var urgency: Urgency
        public var updatedAt: Int64
    }

    /// The runs waiting on a caller's roles, as work: most urgent first (the earliest deadline
    /// of timers and SLA due times, then the longest waiting). A run waiting on a run it called
    /// is not work for anyone (its child is) and is left out. At most `limit` runs per role, the
    /// longest waiting: `cut` says more wait (and may be more urgent than those ordered).
    public func queue(as who: Acting, sop: String?, state: String?, now: Int64, limit: Int = 500) throws -> (items: [QueueItem], cut: Bool) {
        var seen = Set<String>()
        var items: [QueueItem] = []
        var cut = false
        for role in who.roles {
            let page = try runs(RunFilter(sops: sop.map { [$0] }, state: state, role: role, limit: limit), as: who)
            cut = cut || page.next != nil
            for summary in page.runs where seen.insert(summary.run).inserted {
                let (run, engine, _) = try projected(summary.run, as: who, now: now)
                guard !run.isEnded, run.child == nil else { continue }
                let deadline = engine.nextDeadline(run)
                items.append(QueueItem(run: run, engine: engine, role: role, due: deadline?.at, slaTarget: deadline?.slaTarget,
                                       urgency: Urgency(due: deadline?.at, now: now), updatedAt: summary.updatedAt))
            }
        }
        items.sort { a, b in
            switch (a.due, b.due) {
            case let (x?, y?) where x != y: return x < y
            case (.some, nil): return true
            case (nil, .some): return false
            default: return a.updatedAt < b.updatedAt
            }
        }
        return (items, cut)
    }

    /// Sets the role waited on for runs stored before the store kept it.
    func backfillWaitingRoles() throws {
        let missing = try store.read { tx in try tx.runsWithoutRole() }
        guard !missing.isEmpty else { return }
        try write { tx in
            for id in missing {
                guard let stored = try tx.run(id) else { continue }
                let (run, engine) = try self.load(stored, tx)
                try tx.setWaitingRole(run: id, role: engine.stateRole(run.state))
            }
        }
    }

    /// A run's journal records after `after` (a sequence number), for a caller.
    public func journal(_ id: String, after: Int? = nil, as who: Acting) throws -> [JournalRecord] {
        _ = try run(id, as: who)
        let records = try journal(id)
        guard let after else { return records }
        return records.filter { $0.seq > after }
    }

    /// Checks the hash chain of a run's journal (or of every run `who` may see) and replays it
    /// against the pinned SOP source.
    public func verify(_ id: String?, as who: Acting) throws -> [Verification] {
        if let id { _ = try run(id, as: who) }
        let visible = who.caller.map { _ in Set(visibleSOPs(who)) }
        return try verify(id, only: visible)
    }

    /// Verifies every run `who` may see, one at a time, handing each result to `each` as it
    /// comes (failures can be shown at once) and keeping none of them: memory does not grow with
    /// the store. `progress` hears (runs looked at, runs in the store). The counts, in all.
    public func verifyEach(as who: Acting, progress: ((_ done: Int, _ total: Int) -> Void)? = nil,
                           _ each: (Verification) throws -> Void) throws -> VerificationTally {
        let visible = who.caller.map { _ in Set(visibleSOPs(who)) }
        return try verifyEach(only: visible, progress: progress, each)
    }

    /// The run with its engine, if `who` may see it.
    public func run(_ id: String, as who: Acting) throws -> (RunState, Engine) {
        let (run, engine) = try self.run(id)
        try Self.authorize(who, engine)
        return (run, engine)
    }

    /// The run as the next command at `now` will find it (`projected(_:now:)`), if `who` may see it.
    public func projected(_ id: String, as who: Acting, now: Int64) throws -> (run: RunState, engine: Engine, dueRecords: Int) {
        let projected = try projected(id, now: now)
        try Self.authorize(who, projected.engine)
        return projected
    }

    /// The ticket of the latest run (by creation) of a helpdesk ticket id that `who` may see, as
    /// that run holds it now (the helpdesk's updates included); nil when `who` sees no such run.
    public func latestTicket(id ticketID: String, as who: Acting, now: Int64) throws -> JSONValue? {
        var filter = RunFilter(ticketID: ticketID, limit: 1000)
        var last: String?
        while true {
            let page = try runs(filter, as: who)
            last = page.runs.last?.run ?? last
            guard let next = page.next else { break }
            filter.after = next
        }
        return try last.map { try status($0, as: who, now: now).json["ticket"] ?? .null }
    }

    // MARK: Run ids

    /// Whether a text may name a run: 1 to 128 letters, digits, '-', '_' or '.'.
    public static func isRunID(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 128 && text.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D || c == 0x5F || c == 0x2E
        }
    }

    /// The id a new run is asked to have: the one given, or for an idempotency key (the HTTP
    /// API's `Idempotency-Key`) one derived from the key and who sent it, so the same key from
    /// the same caller starts one run. Nil: the service makes one up.
    public static func requestedRunID(_ given: String?, idempotencyKey: String?, as who: Acting) throws -> String? {
        if let given {
            guard isRunID(given) else { throw RunError.badRequest("'id' must be 1 to 128 letters, digits, '-', '_' or '.'") }
            return given
        }
        guard let key = idempotencyKey else { return nil }
        guard isRunID(key) else { throw RunError.badRequest("Idempotency-Key must be 1 to 128 letters, digits, '-', '_' or '.'") }
        let sender: String
        switch who {
        case .actor(let actor): sender = actor.id
        case .caller(let caller): sender = caller.id
        }
        return "k-" + String(Digest.sha256(sender + "\u{0}" + key).dropFirst(7).prefix(24))
    }

    // MARK: Changes as they happen

    /// The last position of the journal (0 when it is empty): where a stream of changes from now
    /// on starts.
    public func journalPosition() throws -> Int64 {
        try store.read { tx in try tx.journalPosition() }
    }

    /// Journal records committed after position `after` (of one run, or of every run), of the
    /// SOPs `who` may see, at most `limit` read: each record's position and text, and the last
    /// position read (which moves on past records `who` may not see).
    public func journalFeed(after: Int64, run: String?, as who: Acting, limit: Int = 500) throws
        -> (records: [(position: Int64, record: String)], last: Int64) {
        if let run { _ = try self.run(run, as: who) }
        let visible = who.caller.map { _ in Set(visibleSOPs(who)) }
        let rows = try store.read { tx in try tx.journalFeed(after: after, run: run, limit: limit) }
        var records: [(position: Int64, record: String)] = []
        for row in rows where visible?.contains(row.sop) ?? true {
            records.append((row.position, row.record))
        }
        return (records, rows.last?.position ?? after)
    }
}
