import Foundation
import SOPCore
import SOPExpression
import SOPJSON

/// `sop report` (docs/report.md): the service KPIs of a period, computed from the journals in
/// one pass over the store (runs, then journal records in commit order). Per run it keeps a
/// handful of facts, never the records themselves.
public struct ReportOptions: Sendable {
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

/// What is known of one run after reading its journal.
struct RunFacts {
    var id: String
    var sop: String
    var version = 0
    var ticketID: String?
    var priority: String?
    var category: String?
    var startedAt: Int64?
    /// From the run's row: it has ended, with this outcome. It ended when it entered its last state.
    var ended = false
    var endedAt: Int64?
    var outcome: String?
    /// The states entered, in order (the start state first), as indexes into `ReportBuilder.names`.
    var path: [Int32] = []
    /// When each of `path` was entered.
    var enteredAt: [Int64] = []
    /// When it first entered an escalation state or called or started an escalation SOP.
    var escalatedAt: Int64?
    var escalated: Bool { escalatedAt != nil }
    var actors = Set<String>()
    var csat: [Int] = []
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

/// Durations as people read them: `2d 3h`, `45m`, `30s`.
enum DurationText {
    static func text(_ ms: Int64) -> String {
        var s = ms / 1000
        guard s > 0 else { return ms == 0 ? "0s" : "\(ms)ms" }
        var parts: [String] = []
        let d = s / 86_400; s %= 86_400
        let h = s / 3600; s %= 3600
        let m = s / 60; s %= 60
        if d > 0 { parts.append("\(d)d") }
        if h > 0 { parts.append("\(h)h") }
        if m > 0 && d == 0 { parts.append("\(m)m") }
        if s > 0 && d == 0 && h == 0 { parts.append("\(s)s") }
        return parts.joined(separator: " ")
    }
}

/// The KPIs of one group of runs (all of them, or those of one SOP, priority, category…).
public struct GroupKPIs: Sendable {
    public var started = 0
    public var ended = 0
    public var open = 0
    public var outcomes: [String: Int] = [:]
    public var timeToEnd: DurationStats?
    public var escalated = 0
    public var firstContact = 0
    public var resolved = 0
    public var csatAnswers = 0
    public var csatSatisfied = 0

    /// Of the runs started in the period, the share that escalated before its end.
    var escalationRate: Double? { started == 0 ? nil : Double(escalated) / Double(started) }
    var fcrRate: Double? { resolved == 0 ? nil : Double(firstContact) / Double(resolved) }
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
    /// Directly-follows: state → next state, how often within the period, median time between.
    public var edges: [(from: String, to: String, count: Int, median: Int64)]
    public var recordsRead: Int
    /// Durations to end of the runs that ended in the period, for the histogram.
    public var endDurations: [Int64]
}

/// Builds a `ServiceReport` from a store, reading each row once.
public struct ReportBuilder {
    let options: ReportOptions
    /// SOP id → category, from the SOP folder (escalation: calling or starting an SOP of the
    /// category `escalation`).
    let categories: [String: String]
    var names: [String] = []
    var nameIndex: [String: Int32] = [:]
    var runs: [String: RunFacts] = [:]
    var timeInState: [String: [Int64]] = [:]
    var edgeTimes: [String: [Int64]] = [:]
    var actorMoves: [String: Int] = [:]
    var roleMoves: [String: Int] = [:]
    var sla: [String: SLATally] = [:]
    var reopenedTickets: [String: [Int64]] = [:]
    var recordsRead = 0

    public init(options: ReportOptions, categories: [String: String]) {
        self.options = options
        self.categories = categories
    }

    mutating func name(_ s: String) -> Int32 {
        if let i = nameIndex[s] { return i }
        let i = Int32(names.count)
        names.append(s)
        nameIndex[s] = i
        return i
    }

    func inPeriod(_ t: Int64) -> Bool { t >= options.from && t < options.to }

    /// Reads the store: the runs (their SOP and ticket), then every journal record.
    public static func build(store: any RunStore, options: ReportOptions, categories: [String: String]) throws -> ServiceReport {
        var b = ReportBuilder(options: options, categories: categories)
        try store.read { tx in
            let columns = StoreTable.runs.columns.map(\.name)
            let idAt = columns.firstIndex(of: "id")!, sopAt = columns.firstIndex(of: "sop")!, dataAt = columns.firstIndex(of: "data")!
            let ticketAt = columns.firstIndex(of: "ticket_id")!, statusAt = columns.firstIndex(of: "status")!
            let outcomeAt = columns.firstIndex(of: "outcome")!
            try tx.exportRows(.runs) { row in
                guard case .text(let id) = row[idAt], case .text(let sop) = row[sopAt], options.sops?.contains(sop) ?? true else { return }
                var facts = RunFacts(id: id, sop: sop)
                if case .text(let t) = row[ticketAt] { facts.ticketID = t }
                if case .text(let s) = row[statusAt], s == "ended" { facts.ended = true }
                if case .text(let o) = row[outcomeAt] { facts.outcome = o }
                if case .text(let data) = row[dataAt], let json = try? JSONParser.parse(data) {
                    if case .int(let v)? = json["sop_version"] { facts.version = v }
                    if case .string(let p)? = json["ticket"]?["priority"] { facts.priority = p }
                    if case .string(let c)? = json["ticket"]?["category"] { facts.category = c }
                }
                b.runs[id] = facts
            }
            try tx.exportRows(.journal) { row in
                guard row.count == 4, case .text(let text) = row[3], let json = try? JSONParser.parse(text),
                      let record = try? JournalRecord(json: json) else { return }
                b.read(record)
            }
        }
        return b.finish()
    }

    mutating func read(_ r: JournalRecord) {
        recordsRead += 1
        guard var run = runs[r.run] else { return }
        if r.trigger.kind == .start {
            run.startedAt = r.at
            run.path = [name(r.to)]
            run.enteredAt = [r.at]
        } else if r.trigger.moved, let from = r.from {
            let fromIndex = name(from), toIndex = name(r.to)
            if let entered = run.enteredAt.last, inPeriod(r.at) {
                timeInState[run.sop + "." + from, default: []].append(r.at - entered)
                edgeTimes[names[Int(fromIndex)] + "\u{1F}" + names[Int(toIndex)], default: []].append(r.at - entered)
            }
            run.path.append(toIndex)
            run.enteredAt.append(r.at)
        }
        if r.actor.role != "system" {
            run.actors.insert(r.actor.id)
            if inPeriod(r.at) && r.trigger.moved {
                actorMoves[r.actor.id, default: 0] += 1
                roleMoves[r.actor.role, default: 0] += 1
            }
        }
        if r.to.hasPrefix("escalat"), run.escalatedAt == nil { run.escalatedAt = r.at }
        for effect in r.effects {
            let called: String?
            if case .string(let s)? = effect["call"]?["sop"] { called = s } else if case .string(let s)? = effect["start"]?["sop"] { called = s } else { called = nil }
            if let called, categories[called] == "escalation" || called == "escalation", run.escalatedAt == nil { run.escalatedAt = r.at }
        }
        if case .int(let n)? = r.inputs["csat"] { run.csat.append(n) }
        if r.trigger.kind == .sla, case .string(let target)? = r.trigger.sla?["target"], case .string(let event)? = r.trigger.sla?["event"],
           inPeriod(r.at) {
            let key = run.sop + "." + target
            switch event {
            case "met": sla[key, default: SLATally()].met += 1
            case "breached":
                sla[key, default: SLATally()].breached += 1
                sla[key, default: SLATally()].breaches.append((r.run, r.seq, r.at))
            default: break
            }
        }
        runs[r.run] = run
    }

    /// The KPIs, from the facts gathered.
    mutating func finish() -> ServiceReport {
        var facts = Array(runs.values).sorted { $0.id < $1.id }
        // An ended run (its row says so) ended when it entered its last state.
        for i in facts.indices where facts[i].ended { facts[i].endedAt = facts[i].enteredAt.last }
        for f in facts where f.outcome == "reopened" {
            if let t = f.endedAt, let ticket = f.ticketID { reopenedTickets[ticket, default: []].append(t) }
        }
        let reopenWindow = Int64(options.reopenDays) * 86_400_000
        func kpis(_ group: [RunFacts]) -> GroupKPIs {
            var k = GroupKPIs()
            var toEnd: [Int64] = []
            for f in group {
                guard let started = f.startedAt else { continue }
                if inPeriod(started) {
                    k.started += 1
                    if let e = f.escalatedAt, e < options.to { k.escalated += 1 }
                }
                if let ended = f.endedAt, inPeriod(ended) {
                    k.ended += 1
                    k.outcomes[f.outcome ?? "?", default: 0] += 1
                    toEnd.append(ended - started)
                    if let o = f.outcome, options.resolving.contains(o) {
                        k.resolved += 1
                        let reopened = f.ticketID.flatMap { reopenedTickets[$0] }?.contains { $0 >= ended && $0 - ended <= reopenWindow } ?? false
                        if !f.escalated && f.actors.count <= 1 && !reopened { k.firstContact += 1 }
                    }
                    for c in f.csat {
                        k.csatAnswers += 1
                        if c >= 4 { k.csatSatisfied += 1 }
                    }
                }
                if started < options.to && (f.endedAt.map { $0 >= options.to } ?? true) { k.open += 1 }
            }
            k.timeToEnd = DurationStats(toEnd)
            return k
        }
        func grouped(_ key: (RunFacts) -> String?) -> [(String, GroupKPIs)] {
            Dictionary(grouping: facts) { key($0) ?? "(none)" }.sorted { $0.key < $1.key }.map { ($0.key, kpis($0.value)) }
        }
        // Backlog at `to`: open runs by age.
        let buckets: [(String, Int64)] = [("< 1h", 3_600_000), ("1h–1d", 86_400_000), ("1d–3d", 3 * 86_400_000), ("3d–7d", 7 * 86_400_000),
                                          ("≥ 7d", Int64.max)]
        var backlog = buckets.map { ($0.0, 0) }
        for f in facts {
            guard let started = f.startedAt, started < options.to, f.endedAt.map({ $0 >= options.to }) ?? true else { continue }
            let age = options.to - started
            if let i = buckets.firstIndex(where: { age < $0.1 }) { backlog[i].1 += 1 }
        }
        // Trends by local day (or week) in the report's zone.
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
        let trend = days.map { (CivilTime.formatDate($0), started[$0] ?? 0, ended[$0] ?? 0) }
        // Variants of the runs that ended in the period.
        var variantDurations: [[Int32]: [Int64]] = [:]
        var endDurations: [Int64] = []
        for f in facts {
            guard let e = f.endedAt, inPeriod(e), let s = f.startedAt else { continue }
            variantDurations[f.path, default: []].append(e - s)
            endDurations.append(e - s)
        }
        var variants: [(path: [String], count: Int, medianToEnd: Int64)] = []
        for (path, durations) in variantDurations {
            let named: [String] = path.map { names[Int($0)] }
            variants.append((named, durations.count, DurationStats(durations)?.median ?? 0))
        }
        variants.sort { a, b in
            if a.count != b.count { return a.count > b.count }
            return a.path.joined(separator: ">") < b.path.joined(separator: ">")
        }
        var edges: [(from: String, to: String, count: Int, median: Int64)] = []
        for (key, times) in edgeTimes {
            let parts = key.split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init)
            edges.append((parts[0], parts[1], times.count, DurationStats(times)?.median ?? 0))
        }
        edges.sort { a, b in a.from != b.from ? a.from < b.from : a.to < b.to }
        var stateTimes: [(String, DurationStats)] = []
        for (key, values) in timeInState.sorted(by: { $0.key < $1.key }) {
            if let stats = DurationStats(values) { stateTimes.append((key, stats)) }
        }
        let bySOP = grouped { "\($0.sop) v\($0.version)" }
        let byPriority = grouped(\.priority), byCategory = grouped(\.category)
        let actors: [(String, Int)] = actorMoves.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        let roles: [(String, Int)] = roleMoves.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        let tallies: [(String, SLATally)] = sla.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        return ServiceReport(
            options: options, overall: kpis(facts), bySOP: bySOP, byPriority: byPriority, byCategory: byCategory,
            timeInState: stateTimes, byActor: actors, byRole: roles, sla: tallies,
            backlog: backlog, trend: trend, variants: variants, edges: edges, recordsRead: recordsRead, endDurations: endDurations)
    }
}
