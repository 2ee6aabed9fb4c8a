import Foundation
import SOPExpression
import SOPJSON
import SOPStore

/// `sop report`'s outputs: a table for people, JSON, CSV (docs/report.md).
extension ServiceReport {
    static func percent(_ x: Double?) -> String { x.map { String(format: "%.1f%%", $0 * 100) } ?? "–" }

    static func groupJSON(_ k: GroupKPIs) -> JSONValue {
        .object([("started", .int(k.started)), ("ended", .int(k.ended)), ("open", .int(k.open)),
                 ("outcomes", .object(JSONObject(k.outcomes.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) }))),
                 ("time_to_end", k.timeToEnd?.json() ?? .null),
                 ("business_time_to_end", k.businessTimeToEnd?.json() ?? .null),
                 ("escalated", .int(k.escalated)), ("escalation_rate", k.escalationRate.map { .number(Decimal($0)) } ?? .null),
                 ("resolved", .int(k.resolved)), ("reopened", .int(k.reopened)),
                 ("reopen_rate", k.reopenRate.map { .number(Decimal($0)) } ?? .null), ("first_contact", .int(k.firstContact)),
                 ("first_contact_rate", k.fcrRate.map { .number(Decimal($0)) } ?? .null),
                 ("csat_answers", .int(k.csatAnswers)), ("csat_satisfied", .int(k.csatSatisfied)),
                 ("csat", k.csatShare.map { .number(Decimal($0)) } ?? .null)])
    }

    public func json() -> JSONValue {
        func groups(_ list: [(String, GroupKPIs)]) -> JSONValue { .object(JSONObject(list.map { ($0.0, Self.groupJSON($0.1)) })) }
        return .object([
            ("from", .string(CivilTime.formatDateTime(options.from))), ("to", .string(CivilTime.formatDateTime(options.to))),
            ("tz", .string(options.timeZone)), ("records_read", .int(recordsRead)),
            ("records_unreadable", .int(recordsUnreadable)),
            ("overall", Self.groupJSON(overall)), ("by_sop", groups(bySOP)), ("by_priority", groups(byPriority)),
            ("by_category", groups(byCategory)), ("by_outcome", groups(byOutcome)),
            ("time_in_state", .object(JSONObject(timeInState.map { ($0.0, $0.1.json()) }))),
            ("business_time_in_state", .object(JSONObject(businessTimeInState.map { ($0.0, $0.1.json()) }))),
            ("moves_by_actor", .object(JSONObject(byActor.map { ($0.0, .int($0.1)) }))),
            ("moves_by_role", .object(JSONObject(byRole.map { ($0.0, .int($0.1)) }))),
            ("sla", .object(JSONObject(sla.map { key, t in
                (key, .object([("met", .int(t.met)), ("breached", .int(t.breached)),
                               ("compliance", t.compliance.map { .number(Decimal($0)) } ?? .null),
                               ("breaches", .array(t.breaches.map { .object([("run", .string($0.run)), ("seq", .int($0.seq)),
                                                                            ("at", .string(CivilTime.formatDateTime($0.at)))]) }))]))
            }))),
            ("backlog", .object(JSONObject(backlog.map { ($0.0, .int($0.1)) }))),
            ("trend", .array(trend.map { .object([("day", .string($0.day)), ("started", .int($0.started)), ("ended", .int($0.ended))]) })),
            ("variants", .array(variants.map { .object([("path", .array($0.path.map { .string($0) })), ("count", .int($0.count)),
                                                        ("median_to_end", .string(DurationText.text($0.medianToEnd)))]) })),
            ("directly_follows", .array(edges.map { .object([("sop", .string($0.sop)), ("from", .string($0.from)), ("to", .string($0.to)), ("count", .int($0.count)),
                                                             ("median", .string(DurationText.text($0.median))),
                                                             ("median_seconds", .int(Int($0.median / 1000)))]) })),
        ])
    }

    /// One row per figure: `section,group,metric,value`.
    public func csv() -> String {
        var rows: [[String]] = [["section", "group", "metric", "value"]]
        func group(_ section: String, _ name: String, _ k: GroupKPIs) {
            rows += [[section, name, "started", "\(k.started)"], [section, name, "ended", "\(k.ended)"], [section, name, "open", "\(k.open)"]]
            for (o, n) in k.outcomes.sorted(by: { $0.key < $1.key }) { rows.append([section, name, "outcome:" + o, "\(n)"]) }
            if let s = k.timeToEnd {
                rows += [[section, name, "time_to_end_median_s", "\(s.median / 1000)"], [section, name, "time_to_end_p90_s", "\(s.p90 / 1000)"],
                         [section, name, "time_to_end_p95_s", "\(s.p95 / 1000)"], [section, name, "time_to_end_mean_s", "\(s.mean / 1000)"]]
            }
            if let s = k.businessTimeToEnd {
                rows += [[section, name, "business_time_to_end_median_s", "\(s.median / 1000)"],
                         [section, name, "business_time_to_end_p90_s", "\(s.p90 / 1000)"]]
            }
            rows += [[section, name, "escalated", "\(k.escalated)"], [section, name, "first_contact", "\(k.firstContact)"],
                     [section, name, "resolved", "\(k.resolved)"], [section, name, "reopened", "\(k.reopened)"], [section, name, "csat_answers", "\(k.csatAnswers)"],
                     [section, name, "csat_satisfied", "\(k.csatSatisfied)"]]
        }
        group("overall", "all", overall)
        for (n, k) in bySOP { group("sop", n, k) }
        for (n, k) in byPriority { group("priority", n, k) }
        for (n, k) in byCategory { group("category", n, k) }
        for (n, k) in byOutcome { group("outcome", n, k) }
        for (n, s) in businessTimeInState {
            rows += [["business_time_in_state", n, "median_s", "\(s.median / 1000)"], ["business_time_in_state", n, "p90_s", "\(s.p90 / 1000)"],
                     ["business_time_in_state", n, "count", "\(s.count)"]]
        }
        for (n, s) in timeInState {
            rows += [["time_in_state", n, "median_s", "\(s.median / 1000)"], ["time_in_state", n, "p90_s", "\(s.p90 / 1000)"],
                     ["time_in_state", n, "count", "\(s.count)"]]
        }
        for (n, t) in sla { rows += [["sla", n, "met", "\(t.met)"], ["sla", n, "breached", "\(t.breached)"]] }
        for (n, c) in backlog { rows.append(["backlog", n, "open", "\(c)"]) }
        for d in trend { rows += [["trend", d.day, "started", "\(d.started)"], ["trend", d.day, "ended", "\(d.ended)"]] }
        for e in edges { rows += [["directly_follows", "\(e.sop): \(e.from) -> \(e.to)", "count", "\(e.count)"],
                                  ["directly_follows", "\(e.sop): \(e.from) -> \(e.to)", "median_s", "\(e.median / 1000)"]] }
        func field(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        return rows.map { $0.map(field).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }

    /// "3 journal records could not be read and are left out".
    static func unreadableNote(_ n: Int) -> String {
        n == 1 ? "1 journal record could not be read and is left out" : "\(n) journal records could not be read and are left out"
    }

    /// The report as tables for people.
    public func text() -> String {
        var out = "Service report \(CivilTime.formatDateTime(options.from)) – \(CivilTime.formatDateTime(options.to)) (\(recordsRead) journal records)\n\n"
        if recordsUnreadable > 0 {
            out += "warning: \(Self.unreadableNote(recordsUnreadable)); `sop verify` says why\n\n"
        }
        func table(_ header: [String], _ rows: [[String]]) {
            guard !rows.isEmpty else { out += "  (none)\n\n"; return }
            let widths = header.indices.map { i in ([header[i]] + rows.map { $0[i] }).map(\.count).max() ?? 0 }
            func line(_ cells: [String]) -> String {
                "  " + cells.enumerated().map { i, c in i == 0 ? c.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[i] - c.count) + c }.joined(separator: "  ") + "\n"
            }
            out += line(header)
            for r in rows { out += line(r) }
            out += "\n"
        }
        func kpiRows(_ list: [(String, GroupKPIs)]) -> [[String]] {
            list.map { n, k in [n, "\(k.started)", "\(k.ended)", "\(k.open)", k.timeToEnd.map { DurationText.text($0.median) } ?? "–",
                                k.timeToEnd.map { DurationText.text($0.p90) } ?? "–", Self.percent(k.escalationRate), Self.percent(k.reopenRate),
                                Self.percent(k.fcrRate), Self.percent(k.csatShare)] }
        }
        let header = ["group", "started", "ended", "open", "median to end", "p90", "escalated", "reopened", "first contact", "CSAT"]
        out += "Runs\n"
        table(header, kpiRows([("all", overall)] + bySOP))
        out += "Outcomes (runs ended in the period)\n"
        table(["outcome", "runs"], overall.outcomes.sorted { $0.key < $1.key }.map { [$0.key, "\($0.value)"] })
        out += "By priority\n"
        table(header, kpiRows(byPriority))
        out += "By category\n"
        table(header, kpiRows(byCategory))
        out += "By outcome\n"
        table(header, kpiRows(byOutcome))
        out += "SLA targets (met or breached in the period)\n"
        table(["target", "met", "breached", "compliance"], sla.map { [$0.0, "\($0.1.met)", "\($0.1.breached)", Self.percent($0.1.compliance)] })
        let breaches = sla.flatMap { key, t in t.breaches.map { [key, $0.run, "\($0.seq)", CivilTime.formatDateTime($0.at)] } }
        if !breaches.isEmpty {
            out += "SLA breaches (the journal records)\n"
            table(["target", "run", "seq", "at"], breaches)
        }
        out += "Time in each state\n"
        table(["state", "moves", "median", "p90", "p95", "mean"], timeInState.map { n, s in
            [n, "\(s.count)", DurationText.text(s.median), DurationText.text(s.p90), DurationText.text(s.p95), DurationText.text(s.mean)] })
        let business = ([("all", overall)] + bySOP).compactMap { n, k in k.businessTimeToEnd.map { (n, $0) } }
        if !business.isEmpty || !businessTimeInState.isEmpty {
            out += "In business time (SOPs with a calendar)\n"
            table(["to end, or in state", "runs or moves", "median", "p90", "p95", "mean"],
                  (business + businessTimeInState).map { n, s in
                      [n, "\(s.count)", DurationText.text(s.median), DurationText.text(s.p90), DurationText.text(s.p95), DurationText.text(s.mean)]
                  })
        }
        out += "Backlog at \(CivilTime.formatDateTime(options.to)) (open runs by age)\n"
        table(["age", "runs"], backlog.map { [$0.0, "\($0.1)"] })
        out += "Trend (\(options.weekly ? "per week" : "per day"), \(options.timeZone))\n"
        table(["day", "started", "ended"], trend.map { [$0.day, "\($0.started)", "\($0.ended)"] })
        out += "Moves by role, by actor\n"
        table(["who", "moves"], byRole.map { ["role " + $0.0, "\($0.1)"] } + byActor.map { [$0.0, "\($0.1)"] })
        out += "Path variants (runs ended in the period)\n"
        table(["runs", "median to end", "path"], variants.prefix(20).map { ["\($0.count)", DurationText.text($0.medianToEnd), $0.path.joined(separator: " → ")] })
        out += "Directly-follows\n"
        table(["sop", "from", "to", "count", "median"], edges.map { [$0.sop, $0.from, $0.to, "\($0.count)", DurationText.text($0.median)] })
        return out
    }
}
