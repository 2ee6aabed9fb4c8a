import Foundation
import SOPCore
import SOPJSON
import SOPStore

/// What `sop migrate` and `POST /v1/migrations` are asked: move the runs in flight of an SOP to
/// another version of it (docs/changing-sops.md).
public struct MigrationRequest: Sendable {
    /// The version to move to, compiled under the ticket schema new runs start under.
    public var target: CompiledSOP
    /// `OLD=NEW`: runs waiting in state OLD go to state NEW (others keep their state's name).
    public var map: [(from: String, to: String)]
    /// `INPUT=VALUE`, as an agent types it: inputs the target state needs that the run lacks.
    public var set: [(input: String, value: String)]
    /// Only runs in this state, waiting on this role, of this ticket, or with these ids.
    public var state: String?
    public var role: String?
    public var ticketID: String?
    public var runs: [String]?
    /// Plan only: nothing is written.
    public var dryRun: Bool
    public var who: Acting
    public var now: Int64

    public init(target: CompiledSOP, map: [(from: String, to: String)] = [], set: [(input: String, value: String)] = [],
                state: String? = nil, role: String? = nil, ticketID: String? = nil, runs: [String]? = nil, dryRun: Bool,
                who: Acting, now: Int64) {
        self.target = target
        self.map = map
        self.set = set
        self.state = state
        self.role = role
        self.ticketID = ticketID
        self.runs = runs
        self.dryRun = dryRun
        self.who = who
        self.now = now
    }
}

/// What a migration did, or would do (a dry run): the runs it moves, by mapping, and every
/// refusal with its rule. Problems with the plan itself (a map to a state the target lacks)
/// stop it before any run is looked at.
public struct MigrationResult: Sendable {
    public struct Move: Sendable, Equatable {
        public var from: String
        public var to: String
        public var runs: [String]
    }

    public struct Refused: Sendable, Equatable {
        public var run: String
        public var state: String
        public var refusal: MigrationRefusal
    }

    public var sop: String
    public var targetVersion: Int
    public var targetDigest: String
    public var dryRun: Bool
    public var moves: [Move] = []
    public var refused: [Refused] = []
    /// Runs already pinned to the target version (left as they are).
    public var already = 0
    public var problems: [MigrationRefusal] = []
    /// What the plan asked that matched nothing (a map of a state no run waits in), and runs
    /// moved between two different files that say the same `version:`.
    public var warnings: [String] = []
    /// Runs moved from a file with the target's own `version:` number but other content.
    var sameVersion = 0

    public var moved: Int { moves.reduce(0) { $0 + $1.runs.count } }

    mutating func add(run: String, from: String, to: String) {
        if let i = moves.firstIndex(where: { $0.from == from && $0.to == to }) {
            moves[i].runs.append(run)
        } else {
            moves.append(Move(from: from, to: to, runs: [run]))
        }
    }

    /// The JSON `sop migrate --format json` prints and `POST /v1/migrations` answers
    /// (docs/cli.md, "sop migrate").
    public func json() -> JSONValue {
        .object([
            ("sop", .string(sop)), ("version", .int(targetVersion)), ("digest", .string(targetDigest)), ("dry_run", .bool(dryRun)),
            ("migrated", .int(moved)), ("refused", .int(refused.count)), ("already", .int(already)),
            ("moves", .array(moves.map { .object([("from", .string($0.from)), ("to", .string($0.to)), ("runs", .array($0.runs.map { .string($0) }))]) })),
            ("refusals", .array(refused.map {
                .object([("run", .string($0.run)), ("state", .string($0.state)), ("rule", .string($0.refusal.rule)),
                         ("message", .string($0.refusal.message))])
            })),
            ("problems", .array(problems.map { .object([("rule", .string($0.rule)), ("message", .string($0.message))]) })),
            ("warnings", .array(warnings.map { .string($0) })),
        ])
    }
}

extension RunService {
    /// Runs one read or write covers: a migration of many runs commits a page at a time, each
    /// run whole in its page's transaction.
    static let migrationPage = 5_000

    /// Checks a migration's plan and, unless it is a dry run, applies it: each run of the page is
    /// read, checked and moved in the page's transaction, under its version (a step that races
    /// it is refused as a conflict, never lost); a run the plan refuses is left as it was.
    public func migrate(_ request: MigrationRequest) throws -> MigrationResult {
        let actor = try Self.migrator(request.who)
        let target = request.target
        var result = MigrationResult(sop: target.id, targetVersion: target.version, targetDigest: target.digest, dryRun: request.dryRun)
        // The plan first, like lint: every problem at once.
        var map: [String: String] = [:]
        for (from, to) in request.map {
            if let state = target.definition.state(to) {
                if let end = state.end {
                    result.problems.append(MigrationRefusal("migrate/invalid-map", "map \(from) → \(to): state '\(to)' of the target ends the run (outcome '\(end.value)'); a migration never ends a run"))
                }
            } else {
                result.problems.append(MigrationRefusal("migrate/invalid-map", "map \(from) → \(to): the target has no state '\(to)'"))
            }
            if let earlier = map[from], earlier != to {
                result.problems.append(MigrationRefusal("migrate/invalid-map", "map \(from) → …: state '\(from)' is mapped to both '\(earlier)' and '\(to)'"))
            }
            map[from] = to
        }
        var setNames = Set<String>()
        for (name, value) in request.set {
            let declaring = target.definition.states.compactMap { state in state.inputs.first { $0.id.value == name }.map { (state, $0) } }
            if declaring.isEmpty {
                result.problems.append(MigrationRefusal("migrate/invalid-set", "set \(name): no state of the target has an input '\(name)'"))
            } else if !setNames.insert(name).inserted {
                result.problems.append(MigrationRefusal("migrate/invalid-set", "set \(name): the input is set more than once"))
            } else {
                // The value, as each state that declares the input would take it.
                for (state, spec) in declaring {
                    do { _ = try InputParser.parse(value, spec: spec) } catch {
                        result.problems.append(MigrationRefusal("migrate/invalid-set", "set \(name), for state '\(state.id.value)': \(error.reason)"))
                        break
                    }
                }
            }
        }
        guard result.problems.isEmpty else { return result }

        let engine = self.engine(target)
        if request.role != nil { try backfillWaitingRoles() }
        // Each run once, in the order given.
        var seen = Set<String>()
        var after: Int64?, given = request.runs?.filter { seen.insert($0).inserted }[...]
        while true {
            // The runs asked for by id, a page at a time; else a page of the SOP's runs in flight.
            let ids: [String]
            if let rest = given {
                guard !rest.isEmpty else { break }
                ids = Array(rest.prefix(Self.migrationPage))
                given = rest.dropFirst(ids.count)
            } else {
                let filter = RunFilter(sops: [target.id], state: request.state, status: "waiting", role: request.role,
                                       ticketID: request.ticketID, after: after, limit: Self.migrationPage)
                let page = try store.read { tx in try tx.runPage(filter) }
                ids = page.runs.map(\.run)
                if ids.isEmpty { break }
                after = page.next
            }
            let body = { (tx: any StoreTransaction) throws -> MigrationResult in
                var part = result
                try self.migratePage(ids, byID: request.runs != nil, request, engine: engine, map: map, actor: actor, into: &part, tx)
                return part
            }
            result = request.dryRun ? try store.read(body) : try write(body)
            if request.runs == nil && after == nil { break }
        }
        if result.sameVersion > 0 {
            result.warnings.append("\(result.sameVersion) run\(result.sameVersion == 1 ? " was" : "s were") on another file with the same version \(target.version): raise the target's `version:` so the two can be told apart")
        }
        // A map whose state no run waited in is most likely a misspelt state: said, not refused.
        let waitedIn = Set(result.moves.map(\.from) + result.refused.map(\.state))
        for (from, to) in request.map where !waitedIn.contains(from) {
            result.warnings.append("map \(from) → \(to): no run in flight waits in state '\(from)'")
        }
        return result
    }

    /// What the check of one run came to.
    private enum Checked: Sendable {
        case skipped, already
        case refused(state: String, MigrationRefusal)
        case moved(from: String, to: String, step: PreparedStep?, sameVersion: Bool)
        case unreadable(String)
    }

    /// Decides the migration of each run of a page and, when `write` is set, saves it: runs
    /// whose migration has no effects together, the others one by one with their effects. The
    /// rows and the engines they are pinned to are read on this thread; the decisions are made
    /// (and their records sealed) on all cores, as a tick's are.
    private func migratePage(_ ids: [String], byID: Bool, _ request: MigrationRequest, engine: Engine, map: [String: String],
                             actor: Actor, into result: inout MigrationResult, _ tx: any StoreTransaction) throws {
        let stored = try tx.runs(ids)
        var rows: [(id: String, row: StoredRun, old: Engine)] = []
        rows.reserveCapacity(ids.count)
        for id in ids {
            guard let row = stored[id] else { throw RunError.unknownRun(id) }
            // Runs named by id: each must be a run of the target's SOP; the filters narrow them.
            guard !byID || row.sop == engine.sop.id else {
                result.refused.append(.init(run: id, state: "", refusal: MigrationRefusal("migrate/other-sop", "run \(id) is a run of SOP '\(row.sop)', not '\(engine.sop.id)'")))
                continue
            }
            rows.append((id, row, try pinnedEngine(row, tx)))
        }
        let write = !request.dryRun
        let checked = parallelMap(rows, chunk: 32) { item -> Checked in
            Self.check(item.row, old: item.old, byID: byID, request, engine: engine, map: map, actor: actor, prepare: write)
        }
        var plain: [PreparedStep] = []
        func savePlain() throws {
            guard !plain.isEmpty else { return }
            let saved = try tx.updateRuns(plain.map { ($0.row, $0.previousVersion) })
            // Read in this transaction, locked until it ends: no step can have come between.
            guard saved.count == plain.count else {
                throw RunError.rejected(StepRejection("a run was changed by a step while its migration was being written; nothing of this page was kept: try again"))
            }
            try tx.appendJournal(plain.flatMap(\.journal))
            try tx.repin(plain.map(\.run.id), sopDigest: engine.sop.digest, schemaDigest: engine.schemaDigest)
            plain.removeAll(keepingCapacity: true)
        }
        var pinned = false
        for (item, outcome) in zip(rows, checked) {
            switch outcome {
            case .skipped: continue
            case .already: result.already += 1
            case .unreadable(let id): throw RunError.store("run \(id) cannot be read from the store")
            case .refused(let state, let refusal): result.refused.append(.init(run: item.id, state: state, refusal: refusal))
            case .moved(let from, let to, let step, let sameVersion):
                result.add(run: item.id, from: from, to: to)
                if sameVersion { result.sameVersion += 1 }
                guard write, let step else { continue }
                if !pinned {
                    try pin(engine.sop, tx)
                    pinned = true
                }
                if step.effects.isEmpty {
                    plain.append(step)
                    continue
                }
                try savePlain()
                let saved = try save(step, tx)
                try tx.repin([item.id], sopDigest: engine.sop.digest, schemaDigest: engine.schemaDigest)
                try carryOut(step.effects, from: saved, now: request.now, tx)
            }
        }
        try savePlain()
    }

    /// Checks one run against the plan and decides its migration (pure: runs on any core).
    private static func check(_ row: StoredRun, old: Engine, byID: Bool, _ request: MigrationRequest, engine: Engine,
                              map: [String: String], actor: Actor, prepare: Bool) -> Checked {
        guard let run = RunState(json: row.json, sop: old.sop, schema: old.schema) else {
            return .unreadable(row.json["id"]?.render() ?? "?")
        }
        if byID, (request.state.map { $0 != run.state } ?? false) || (request.ticketID.map { $0 != TicketID.of(run.ticket) } ?? false)
            || (request.role.map { $0 != old.stateRole(run.state) } ?? false) { return .skipped }
        if run.sopDigest == engine.sop.digest && old.schemaDigest == engine.schemaDigest { return .already }
        let to = map[run.state] ?? run.state
        guard let target = engine.sop.definition.state(to) else {
            return .refused(state: run.state, MigrationRefusal("migrate/state-removed",
                                                               "the target has no state '\(run.state)': map it to a state of the target (--map \(run.state)=STATE)"))
        }
        let set = request.set.filter { name, _ in target.inputs.contains { $0.id.value == name } }.map { ($0.input, $0.value) }
        do {
            let decision = try engine.migrate(run, from: old, to: to, set: set, actor: actor, now: request.now)
            return .moved(from: run.state, to: to, step: prepare ? Self.prepare(decision, engine: engine, previousVersion: run.version) : nil,
                          sameVersion: run.sopVersion == engine.sop.version)
        } catch {
            return .refused(state: run.state, error)
        }
    }

    /// Who may migrate: from the command line, whoever can open the store (as their actor); a
    /// caller with the role `supervisor` or `admin`, who acts in that role.
    static func migrator(_ who: Acting) throws -> Actor {
        switch who {
        case .actor(let actor): return actor
        case .caller(let caller):
            guard let role = ["supervisor", "admin"].first(where: caller.roles.contains) else {
                throw RunError.forbidden("migrating runs is for the role 'supervisor' or 'admin'")
            }
            return Actor(id: caller.id, role: role)
        }
    }
}
