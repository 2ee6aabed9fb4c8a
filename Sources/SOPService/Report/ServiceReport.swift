import Foundation
import SOPCore
import SOPExpression
import SOPJSON
import SOPStore

/// `sop report` (docs/report.md): the service KPIs of a period, computed from the journals in
/// one pass over the store (runs, then journal records in commit order). Per run it keeps a
/// handful of facts, never the records themselves.
public struct ReportOptions: Sendable {
    /// A bound of the period as `sop report` and `GET /v1/report` take it: an RFC 3339 time, or a
    /// date read as midnight in `timeZone`; nil for anything else (or an unknown zone).
    public static func instant(_ text: String, timeZone: String) -> Int64? {
        if let t = CivilTime.parseDateTime(text) { return t }
        guard let day = CivilTime.parseDate(text), let zone = BusinessCalendar(id: "tz", timeZone: timeZone, week: Array(repeating: [], count: 7)) else {
            return nil
        }
        return zone.instant(day: day, time: 0)
    }

    /// The period: runs started in [from, to) count as started, runs ended in it as ended.
    public var from: Int64
    public var to: Int64
    /// Day boundaries (trends, and the default period) in this zone.
    public var timeZone: String
    /// Outcomes that resolve the customer's problem (first-contact resolution).
    public var resolving: Set<String>
    /// A reopen within this many days of a resolution disqualifies it as first contact.
    public var reopenDays: Int
    /// Trends per day or per week.
    public var weekly: Bool
    /// Only runs of these SOPs (nil: all).
    public var sops: Set<String>?

    public init(from: Int64, to: Int64, timeZone: String = "UTC", resolving: Set<String> = ["resolved", "refunded", "replaced"],
                reopenDays: Int = 7, weekly: Bool = false, sops: Set<String>? = nil) {
        self.sops = sops
        self.from = from
        self.to = to
        self.timeZone = timeZone
        self.resolving = resolving
        self.reopenDays = reopenDays
        self.weekly = weekly
    }
}

/// What is known of one run after reading its journal: a fixed handful of facts, whatever the
/// journal's length (its path is a node of `ReportBuilder`'s path tree). A report holds one per
/// run, so what many runs share is kept once in the builder and named here by index: the run's
/// id is only `ReportBuilder.runIndex`'s key, its SOP an interned name, its calendar an index
/// (a `BusinessCalendar` held in every run cost about 100 bytes a run: docs/benchmarks.md).
struct RunFacts {
    /// The run's SOP, interned (`ReportBuilder.names`).
    var sopName: Int32
    /// The SOP's business calendar, an index into `ReportBuilder.calendarList`; -1 for none.
    var calendar: Int32 = -1
    var version = 0
    var ticketID: String?
    var priority: String?
    var category: String?
    var startedAt: Int64?
    /// From the run's row: it has ended, with this outcome. It ended when it entered its last state.
    var ended = false
    var endedAt: Int64?
    var outcome: String?
    /// The states entered, in order (the start state first): a node of the path tree, -1 before
    /// the start record.
    var path: Int32 = -1
    /// When the last state of `path` was entered.
    var enteredAt: Int64 = 0
    /// When it first entered an escalation state or called or started an escalation SOP.
    var escalatedAt: Int64?
    var escalated: Bool { escalatedAt != nil }
    /// The first person (not `system`) who acted on it, interned; -1 for none.
    var firstActor: Int32 = -1
    /// More than one person acted on it.
    var severalActors = false
    var csatAnswers = 0
    var csatSatisfied = 0

    init(sopName: Int32) {
        self.sopName = sopName
    }

    /// Takes the SOP version and the ticket's priority and category from the run's stored data
    /// (left unknown where the data cannot be read).
    mutating func readData(_ bytes: UnsafeBufferPointer<UInt8>) {
        var s = JSONScanner(bytes)
        do {
            try s.beginObject()
            while let key = try s.nextKey() {
                if JSONScanner.equal(key, "sop_version") {
                    version = try s.intOrSkip() ?? 0
                } else if JSONScanner.equal(key, "ticket"), s.atObject() {
                    try s.beginObject()
                    while let key = try s.nextKey() {
                        if JSONScanner.equal(key, "priority") {
                            priority = try s.stringOrSkip()
                        } else if JSONScanner.equal(key, "category") {
                            category = try s.stringOrSkip()
                        } else {
                            try s.skip()
                        }
                    }
                } else {
                    try s.skip()
                }
            }
        } catch {
            (version, priority, category) = (0, nil, nil)
        }
    }
}

/// Summary statistics of durations (milliseconds): median (the mean of the middle two for an
/// even count), p90 and p95 by nearest rank, mean.
public struct DurationStats: Sendable, Equatable {
    public var count: Int
    public var median: Int64
    public var p90: Int64
    public var p95: Int64
    public var mean: Int64

    public init?(_ values: [Int64]) {
        guard !values.isEmpty else { return nil }
        let v = values.sorted()
        count = v.count
        median = v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2
        func rank(_ p: Int) -> Int64 { v[max(0, Int((Double(p) / 100 * Double(v.count)).rounded(.up)) - 1)] }
        p90 = rank(90)
        p95 = rank(95)
        mean = v.reduce(0, +) / Int64(v.count)
    }

    func json() -> JSONValue {
        .object([("count", .int(count)), ("median", .string(DurationText.text(median))), ("p90", .string(DurationText.text(p90))),
                 ("p95", .string(DurationText.text(p95))), ("mean", .string(DurationText.text(mean))),
                 ("median_seconds", .int(Int(median / 1000))), ("mean_seconds", .int(Int(mean / 1000)))])
    }
}

/// The KPIs of one group of runs (all of them, or those of one SOP, priority, category…).
public struct GroupKPIs: Sendable {
    public var started = 0
    public var ended = 0
    public var open = 0
    public var outcomes: [String: Int] = [:]
    public var timeToEnd: DurationStats?
    /// Time to end in business time, over the runs whose SOP has a calendar.
    public var businessTimeToEnd: DurationStats?
    public var escalated = 0
    public var firstContact = 0
    public var resolved = 0
    /// Of the resolved, those whose ticket was reopened within the reopen window.
    public var reopened = 0
    public var csatAnswers = 0
    public var csatSatisfied = 0

    /// Of the runs started in the period, the share that escalated before its end.
    var escalationRate: Double? { started == 0 ? nil : Double(escalated) / Double(started) }
    var fcrRate: Double? { resolved == 0 ? nil : Double(firstContact) / Double(resolved) }
    var reopenRate: Double? { resolved == 0 ? nil : Double(reopened) / Double(resolved) }
    var csatShare: Double? { csatAnswers == 0 ? nil : Double(csatSatisfied) / Double(csatAnswers) }
}

/// One SLA target's tally over the period (targets met or breached within it).
public struct SLATally: Sendable {
    public var met = 0
    public var breached = 0
    /// The breach records: run, seq, when.
    public var breaches: [(run: String, seq: Int, at: Int64)] = []
    var compliance: Double? { met + breached == 0 ? nil : Double(met) / Double(met + breached) }
}

public struct ServiceReport: Sendable {
    public var options: ReportOptions
    public var overall: GroupKPIs
    public var bySOP: [(String, GroupKPIs)]
    public var byPriority: [(String, GroupKPIs)]
    public var byCategory: [(String, GroupKPIs)]
    /// Time in each state (`SOP.state`), over the moves out of it within the period.
    public var timeInState: [(String, DurationStats)]
    /// The same in business time, for the states of SOPs that have a calendar.
    public var businessTimeInState: [(String, DurationStats)]
    public var byOutcome: [(String, GroupKPIs)]
    /// Per actor: the moves they made within the period, and by role.
    public var byActor: [(String, Int)]
    public var byRole: [(String, Int)]
    public var sla: [(String, SLATally)]
    /// Open runs at `to`, by age.
    public var backlog: [(String, Int)]
    /// Per day (or week, from its first day): runs started and ended.
    public var trend: [(day: String, started: Int, ended: Int)]
    /// Distinct state sequences of the runs that ended in the period.
    public var variants: [(path: [String], count: Int, medianToEnd: Int64)]
    /// Directly-follows: per SOP, state → next state, how often a run moved so within the
    /// period, and the median time between.
    public var edges: [(sop: String, from: String, to: String, count: Int, median: Int64)]
    public var recordsRead: Int
    /// Journal records that could not be read (`sop verify` says why), left out of every figure.
    public var recordsUnreadable: Int
    /// Durations to end of the runs that ended in the period, for the histogram.
    public var endDurations: [Int64]
}

/// Builds a `ServiceReport` from a store, reading each row once. Memory grows with the runs (a
/// fixed `RunFacts` each), the distinct paths, and one duration per move in the period (the
/// percentiles are exact); never with the records themselves.
public struct ReportBuilder {
    let options: ReportOptions
    /// SOP id → category, from the SOP folder (escalation: calling or starting an SOP of the
    /// category `escalation`).
    let categories: [String: String]
    /// SOP id → its business calendar (docs/report.md: its `sla.calendar`, or the one calendar
    /// its business timers name).
    let calendars: [String: BusinessCalendar]
    /// Interned names: states, SOPs, actors and roles.
    var names: [String] = []
    var nameIndex: [String: Int32] = [:]
    /// `names` as UTF-8, to compare with the names a record holds without making strings of them.
    var nameBytes: [[UInt8]] = []
    var runs: [RunFacts] = []
    var runIndex: [String: Int] = [:]
    /// The calendars runs keep their business time in (`RunFacts.calendar`), and each SOP's
    /// index there (-1: none), by its interned name.
    var calendarList: [BusinessCalendar] = []
    var calendarOfSOP: [Int32: Int32] = [:]
    /// The paths runs take, as a tree: node i is the path of node `pathParent[i]` followed by
    /// state `pathState[i]`; the roots (state -1) are the SOPs (`pathRoots`), so a node belongs
    /// to one SOP. A run's path is one node however long its journal, and each node knows where
    /// the durations of its last move go (`moveSlots`), so a move costs no lookup by name.
    var pathState: [Int32] = []
    var pathParent: [Int32] = []
    var pathChildren: [[Int32]] = []
    var pathRoots: [Int32: Int32] = [:]
    /// Per node: the slots of `durations` for the time in the state left (by SOP and state) and
    /// for the edge (state left → state entered); -1 for a root or a start.
    var moveSlots: [(state: Int32, edge: Int32)] = []
    /// Per node: its state is an escalation state (its name starts with `escalat`).
    var escalates: [Bool] = []
    var stateSlots: [Int64: Int32] = [:]
    /// A move's slot by its SOP and its two states: states of two SOPs are not the same node of
    /// the directly-follows graph even when they share a name.
    var edgeSlots: [MoveKey: Int32] = [:]
    var durations: [[Int64]] = []
    /// Business time in each state, by the same slots as `durations` (SOPs with a calendar only).
    var businessDurations: [Int: [Int64]] = [:]
    /// The last run read, and where its facts are (the records of one step come together).
    var lastRun: [UInt8] = []
    var lastRunIndex: Int?
    /// The last person read, interned.
    var lastActor: Int32 = -1
    var actorMoves: [Int32: Int] = [:]
    var roleMoves: [Int32: Int] = [:]
    var sla: [String: SLATally] = [:]
    var reopenedTickets: [String: [Int64]] = [:]
    var recordsRead = 0
    /// Records that could not be read (`sop verify` explains them); left out of the figures.
    var unreadable = 0

    public init(options: ReportOptions, categories: [String: String], calendars: [String: BusinessCalendar] = [:]) {
        self.options = options
        self.categories = categories
        self.calendars = calendars
    }

    mutating func name(_ s: String) -> Int32 {
        if let i = nameIndex[s] { return i }
        let i = Int32(names.count)
        names.append(s)
        nameBytes.append(Array(s.utf8))
        nameIndex[s] = i
        return i
    }

    /// The name a record holds is name `i`.
    func isName(_ i: Int32, _ text: ReportRecord.Text) -> Bool {
        nameBytes[Int(i)].withUnsafeBufferPointer { text.equals($0) }
    }

    struct MoveKey: Hashable {
        var sop: Int32, from: Int32, to: Int32
    }

    static func pair(_ a: Int32, _ b: Int32) -> Int64 { Int64(a) << 32 | Int64(UInt32(bitPattern: b)) }

    mutating func newNode(state: Int32, parent: Int32, slots: (state: Int32, edge: Int32)) -> Int32 {
        let node = Int32(pathState.count)
        pathState.append(state)
        pathParent.append(parent)
        pathChildren.append([])
        moveSlots.append(slots)
        escalates.append(state >= 0 && names[Int(state)].hasPrefix("escalat"))
        if parent >= 0 { pathChildren[Int(parent)].append(node) }
        return node
    }

    /// The root of an SOP's paths.
    mutating func root(_ sop: Int32) -> Int32 {
        if let node = pathRoots[sop] { return node }
        let node = newNode(state: -1, parent: -1, slots: (-1, -1))
        pathRoots[sop] = node
        return node
    }

    /// The path `node` followed by state `to`: found among the node's few children by name, or
    /// made (with its duration slots) the first time a run takes it.
    mutating func extend(_ node: Int32, _ to: ReportRecord.Text, sop: Int32) -> Int32 {
        for child in pathChildren[Int(node)] where isName(pathState[Int(child)], to) { return child }
        let state = name(to.string), left = pathState[Int(node)]
        var slots: (state: Int32, edge: Int32) = (-1, -1)
        if left >= 0 {
            slots = (Self.slot(Self.pair(sop, left), in: &stateSlots, durations: &durations),
                     Self.slot(MoveKey(sop: sop, from: left, to: state), in: &edgeSlots, durations: &durations))
        }
        return newNode(state: state, parent: node, slots: slots)
    }

    /// The slot of `key` in `durations`, made the first time.
    static func slot<Key: Hashable>(_ key: Key, in slots: inout [Key: Int32], durations: inout [[Int64]]) -> Int32 {
        if let slot = slots[key] { return slot }
        let slot = Int32(durations.count)
        slots[key] = slot
        durations.append([])
        return slot
    }

    /// The states of a path, first to last.
    func states(_ node: Int32) -> [String] {
        var out: [String] = []
        var node = node
        while node >= 0, pathState[Int(node)] >= 0 {
            out.append(names[Int(pathState[Int(node)])])
            node = pathParent[Int(node)]
        }
        return out.reversed()
    }

    func inPeriod(_ t: Int64) -> Bool { t >= options.from && t < options.to }

    /// The report of the runs in `store`, with what the SOPs of `catalogue` say: which are
    /// escalations (their `category`) and which calendar each keeps its business time in (its
    /// `sla.calendar`, or else the one calendar its business timers name).
    public static func build(store: any RunStore, options: ReportOptions, catalogue: SOPCatalogue, timeLimit: Duration? = nil,
                             progress: ((_ done: Int, _ total: Int) -> Void)? = nil) throws -> ServiceReport {
        var categories: [String: String] = [:], calendars: [String: BusinessCalendar] = [:]
        for entry in catalogue.entries() {
            guard let id = entry.id, let compiled = entry.compiled else { continue }
            if let category = compiled.definition.category { categories[id] = category }
            if let calendar = compiled.definition.sla?.calendar.flatMap({ compiled.calendars[$0.value] })
                ?? (compiled.calendars.count == 1 ? compiled.calendars.first?.value : nil) {
                calendars[id] = calendar
            }
        }
        return try build(store: store, options: options, categories: categories, calendars: calendars,
                         timeLimit: timeLimit, progress: progress)
    }

    /// How many rows the scans read between two looks at the clock (and two progress reports).
    static let checkEvery = 4_096

    /// Reads the store: the runs (their SOP and ticket), then every journal record. Past
    /// `timeLimit` (looked at before the scans and every `checkEvery` rows of each) the build
    /// stops with `RunError.timeLimit`; `progress` hears (journal records read, the journal's
    /// last position), the second an estimate where positions have gaps (PostgreSQL).
    public static func build(store: any RunStore, options: ReportOptions, categories: [String: String],
                             calendars: [String: BusinessCalendar] = [:], timeLimit: Duration? = nil,
                             progress: ((_ done: Int, _ total: Int) -> Void)? = nil) throws -> ServiceReport {
        let deadline = timeLimit.map { ContinuousClock.now + $0 }
        func checkTime() throws {
            if let deadline, let timeLimit, ContinuousClock.now >= deadline { throw RunError.timeLimit(timeLimit) }
        }
        /// The builder, handed to the scanning thread for the journal and back after it.
        final class Box: @unchecked Sendable {
            var builder: ReportBuilder
            init(_ builder: ReportBuilder) { self.builder = builder }
        }
        let box = Box(ReportBuilder(options: options, categories: categories, calendars: calendars))
        try store.read { tx in
            try checkTime()
            let total = try progress.map { _ in Int(try tx.journalPosition()) } ?? 0
            progress?(0, total)
            // Room for every run's facts at once: grown by doubling, the array and the index
            // held up to twice what they needed, and three times while the last doubling copied.
            let runCount = try tx.runCount()
            box.builder.runs.reserveCapacity(runCount)
            box.builder.runIndex.reserveCapacity(runCount)
            var rows = 0
            try tx.scanRows(.runs, columns: ["id", "sop", "ticket_id", "status", "outcome", "data"]) { row in
                box.builder.readRun(row)
                rows += 1
                if rows % checkEvery == 0 { try checkTime() }
            }
            rows = 0
            try RecordPipe.run(produce: { queue in
                try tx.scanRows(.journal, columns: ["record"]) { row in
                    // A NULL record goes through as empty bytes, which the scanner counts as unreadable.
                    queue(row[0] ?? UnsafeBufferPointer(start: nil, count: 0))
                    rows += 1
                    if rows % checkEvery == 0 {
                        try checkTime()
                        progress?(rows, total)
                    }
                }
                progress?(rows, total)
            }, consume: { bytes in
                box.builder.read(bytes)
            })
        }
        return box.builder.finish()
    }

    /// Takes a run's row: its SOP, ticket, status and outcome, and what its data says.
    mutating func readRun(_ row: [UnsafeBufferPointer<UInt8>?]) {
        guard let id = row[0].map({ String(decoding: $0, as: UTF8.self) }), let sopBytes = row[1] else { return }
        let sop = String(decoding: sopBytes, as: UTF8.self)
        guard options.sops?.contains(sop) ?? true else { return }
        var facts = RunFacts(sopName: name(sop))
        facts.calendar = calendarIndex(facts.sopName, sop)
        facts.ticketID = row[2].map { String(decoding: $0, as: UTF8.self) }
        facts.ended = row[3].map { JSONScanner.equal($0, "ended") } ?? false
        facts.outcome = row[4].map { String(decoding: $0, as: UTF8.self) }
        if let data = row[5] { facts.readData(data) }
        runIndex[id] = runs.count
        runs.append(facts)
    }

    /// The index of the SOP's calendar in `calendarList` (-1: none), looked up once per SOP.
    mutating func calendarIndex(_ sopName: Int32, _ sop: String) -> Int32 {
        if let index = calendarOfSOP[sopName] { return index }
        var index: Int32 = -1
        if let calendar = calendars[sop] {
            index = Int32(calendarList.count)
            calendarList.append(calendar)
        }
        calendarOfSOP[sopName] = index
        return index
    }

    /// The calendar a run's facts name.
    func calendar(_ facts: RunFacts) -> BusinessCalendar? {
        facts.calendar < 0 ? nil : calendarList[Int(facts.calendar)]
    }

    /// Takes one stored record, or counts it unreadable.
    mutating func read(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let record = ReportRecord(scanning: bytes) else {
            unreadable += 1
            return
        }
        read(record)
    }

    /// Takes one record into its run's facts and the period's tallies. (The run's facts are
    /// changed in place, not copied out and back: docs/benchmarks.md, "The service report".)
    mutating func read(_ r: ReportRecord) {
        recordsRead += 1
        if !lastRun.withUnsafeBufferPointer({ r.run.equals($0) }) {
            let id = r.run.string
            lastRun = Array(id.utf8)
            lastRunIndex = runIndex[id]
        }
        guard let i = lastRunIndex else { return }
        if r.kind == .start {
            let node = extend(root(runs[i].sopName), r.to, sop: runs[i].sopName)
            runs[i].startedAt = r.at
            runs[i].path = node
            runs[i].enteredAt = r.at
        } else if r.kind == .migrate {
            // A migration names the run's state in the new version; the run did not move, and
            // its time in the state goes on (docs/runtime.md, "Migrating a run").
            if runs[i].path >= 0, let from = r.from, from.string != r.to.string { runs[i].path = extend(runs[i].path, r.to, sop: runs[i].sopName) }
        } else if r.moved, r.from != nil, runs[i].path >= 0 {
            // The move from the state the run's path ends in (`sop verify` holds each record's
            // `from` to the state before it).
            let node = extend(runs[i].path, r.to, sop: runs[i].sopName)
            if inPeriod(r.at) {
                let duration = r.at - runs[i].enteredAt, slots = moveSlots[Int(node)]
                durations[Int(slots.state)].append(duration)
                durations[Int(slots.edge)].append(duration)
                if let calendar = calendar(runs[i]) {
                    businessDurations[Int(slots.state), default: []].append(calendar.between(runs[i].enteredAt, r.at))
                }
            }
            runs[i].path = node
            runs[i].enteredAt = r.at
        }
        if !r.role.equals("system") {
            if lastActor < 0 || !isName(lastActor, r.actorID) { lastActor = name(r.actorID.string) }
            let actor = lastActor
            if runs[i].firstActor < 0 { runs[i].firstActor = actor } else if runs[i].firstActor != actor { runs[i].severalActors = true }
            if inPeriod(r.at) && r.moved && r.kind != .migrate {
                actorMoves[actor, default: 0] += 1
                roleMoves[name(r.role.string), default: 0] += 1
            }
        }
        if runs[i].escalatedAt == nil, runs[i].path >= 0,
           escalates[Int(runs[i].path)] || r.calls.contains(where: { categories[$0] == "escalation" || $0 == "escalation" }) {
            runs[i].escalatedAt = r.at
        }
        if let csat = r.csat {
            runs[i].csatAnswers += 1
            if csat >= 4 { runs[i].csatSatisfied += 1 }
        }
        if r.kind == .sla, let target = r.slaTarget, let event = r.slaEvent, inPeriod(r.at) {
            let key = names[Int(runs[i].sopName)] + "." + target
            switch event {
            case "met": sla[key, default: SLATally()].met += 1
            case "breached":
                sla[key, default: SLATally()].breached += 1
                sla[key, default: SLATally()].breaches.append((r.run.string, r.seq, r.at))
            default: break
            }
        }
    }

    /// The KPIs, from the facts gathered.
    mutating func finish() -> ServiceReport {
        var facts = runs
        runs = []
        // An ended run (its row says so) ended when it entered its last state.
        for i in facts.indices where facts[i].ended && facts[i].path >= 0 { facts[i].endedAt = facts[i].enteredAt }
        for f in facts where f.outcome == "reopened" {
            if let t = f.endedAt, let ticket = f.ticketID { reopenedTickets[ticket, default: []].append(t) }
        }
        // Groups are lists of indexes into `facts` (a run's facts are not copied per group).
        func grouped(_ key: (RunFacts) -> String?) -> [(String, GroupKPIs)] {
            Dictionary(grouping: facts.indices) { key(facts[$0]) ?? "(none)" }.sorted { $0.key < $1.key }.map { ($0.key, kpis($0.value, of: facts)) }
        }
        let (variants, endDurations) = variants(facts)
        let names = self.names
        let bySOP = grouped { "\(names[Int($0.sopName)]) v\($0.version)" }
        let byPriority = grouped(\.priority), byCategory = grouped(\.category)
        // By outcome: the runs that ended (in the period or before), and `(open)` for the rest.
        let byOutcome = grouped { $0.ended ? $0.outcome : "(open)" }
        let actors: [(String, Int)] = actorMoves.map { (names[Int($0.key)], $0.value) }.sorted { $0.0 < $1.0 }
        let roles: [(String, Int)] = roleMoves.map { (names[Int($0.key)], $0.value) }.sorted { $0.0 < $1.0 }
        let tallies: [(String, SLATally)] = sla.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        return ServiceReport(
            options: options, overall: kpis(Array(facts.indices), of: facts), bySOP: bySOP, byPriority: byPriority, byCategory: byCategory,
            timeInState: timeInState { durations[Int($0)] }, businessTimeInState: timeInState { businessDurations[Int($0)] ?? [] },
            byOutcome: byOutcome, byActor: actors, byRole: roles, sla: tallies,
            backlog: backlog(facts), trend: trend(facts), variants: variants, edges: edges(), recordsRead: recordsRead,
            recordsUnreadable: unreadable, endDurations: endDurations)
    }

    /// The KPIs of a group of runs, given as indexes into `facts`.
    func kpis(_ group: [Int], of facts: [RunFacts]) -> GroupKPIs {
        let reopenWindow = Int64(options.reopenDays) * 86_400_000
        var k = GroupKPIs()
        var toEnd: [Int64] = [], businessToEnd: [Int64] = []
        for f in group.lazy.map({ facts[$0] }) {
            guard let started = f.startedAt else { continue }
            if inPeriod(started) {
                k.started += 1
                if let e = f.escalatedAt, e < options.to { k.escalated += 1 }
            }
            if let ended = f.endedAt, inPeriod(ended) {
                k.ended += 1
                k.outcomes[f.outcome ?? "?", default: 0] += 1
                toEnd.append(ended - started)
                if let calendar = calendar(f) { businessToEnd.append(calendar.between(started, ended)) }
                if let o = f.outcome, options.resolving.contains(o) {
                    k.resolved += 1
                    let reopened = f.ticketID.flatMap { reopenedTickets[$0] }?.contains { $0 >= ended && $0 - ended <= reopenWindow } ?? false
                    if reopened { k.reopened += 1 }
                    if !f.escalated && !f.severalActors && !reopened { k.firstContact += 1 }
                }
                k.csatAnswers += f.csatAnswers
                k.csatSatisfied += f.csatSatisfied
            }
            if started < options.to && (f.endedAt.map { $0 >= options.to } ?? true) { k.open += 1 }
        }
        k.timeToEnd = DurationStats(toEnd)
        k.businessTimeToEnd = DurationStats(businessToEnd)
        return k
    }

    /// Backlog at `to`: open runs by age.
    func backlog(_ facts: [RunFacts]) -> [(String, Int)] {
        let buckets: [(String, Int64)] = [("< 1h", 3_600_000), ("1h–1d", 86_400_000), ("1d–3d", 3 * 86_400_000), ("3d–7d", 7 * 86_400_000),
                                          ("≥ 7d", Int64.max)]
        var backlog = buckets.map { ($0.0, 0) }
        for f in facts {
            guard let started = f.startedAt, started < options.to, f.endedAt.map({ $0 >= options.to }) ?? true else { continue }
            let age = options.to - started
            if let i = buckets.firstIndex(where: { age < $0.1 }) { backlog[i].1 += 1 }
        }
        return backlog
    }

    /// Runs started and ended by local day (or week) in the report's zone.
    func trend(_ facts: [RunFacts]) -> [(day: String, started: Int, ended: Int)] {
        let zone = BusinessCalendar(id: "report", timeZone: options.timeZone, week: Array(repeating: [], count: 7))
        func day(_ t: Int64) -> Int {
            let d = zone?.local(t).day ?? Int(CivilTime.floorDivide(t, 86_400_000).0)
            return options.weekly ? d - ((d + 3) % 7 + 7) % 7 : d
        }
        var started: [Int: Int] = [:], ended: [Int: Int] = [:]
        for f in facts {
            if let s = f.startedAt, inPeriod(s) { started[day(s), default: 0] += 1 }
            if let e = f.endedAt, inPeriod(e) { ended[day(e), default: 0] += 1 }
        }
        let days = Set(started.keys).union(ended.keys).sorted()
        return days.map { (CivilTime.formatDate($0), started[$0] ?? 0, ended[$0] ?? 0) }
    }

    /// Variants of the runs that ended in the period, by the states' names: runs of two SOPs
    /// that pass through the same states in the same order are one variant. Also every such
    /// run's time from start to end.
    func variants(_ facts: [RunFacts]) -> (variants: [(path: [String], count: Int, medianToEnd: Int64)], endDurations: [Int64]) {
        var byNode: [Int32: [Int64]] = [:]
        var endDurations: [Int64] = []
        for f in facts {
            guard let e = f.endedAt, inPeriod(e), let s = f.startedAt else { continue }
            byNode[f.path, default: []].append(e - s)
            endDurations.append(e - s)
        }
        var variantDurations: [[String]: [Int64]] = [:]
        for (node, durations) in byNode { variantDurations[states(node), default: []].append(contentsOf: durations) }
        var variants: [(path: [String], count: Int, medianToEnd: Int64)] = []
        for (path, durations) in variantDurations {
            variants.append((path, durations.count, DurationStats(durations)?.median ?? 0))
        }
        variants.sort { a, b in
            if a.count != b.count { return a.count > b.count }
            return a.path.joined(separator: ">") < b.path.joined(separator: ">")
        }
        return (variants, endDurations)
    }

    /// The directly-follows graph: each move's count and median time.
    func edges() -> [(sop: String, from: String, to: String, count: Int, median: Int64)] {
        var edges: [(sop: String, from: String, to: String, count: Int, median: Int64)] = []
        for (key, slot) in edgeSlots where !durations[Int(slot)].isEmpty {
            let times = durations[Int(slot)]
            edges.append((names[Int(key.sop)], names[Int(key.from)], names[Int(key.to)], times.count, DurationStats(times)?.median ?? 0))
        }
        edges.sort { a, b in (a.sop, a.from, a.to) < (b.sop, b.from, b.to) }
        return edges
    }

    /// Time in each state (`sop.state`), from the durations of each state slot (wall-clock or
    /// business time); states with no duration are left out.
    func timeInState(_ durationsOf: (Int32) -> [Int64]) -> [(String, DurationStats)] {
        var times: [(String, DurationStats)] = []
        for (key, slot) in stateSlots {
            if let stats = DurationStats(durationsOf(slot)) {
                times.append((names[Int(key >> 32)] + "." + names[Int(Int32(truncatingIfNeeded: key))], stats))
            }
        }
        return times.sorted { $0.0 < $1.0 }
    }
}
