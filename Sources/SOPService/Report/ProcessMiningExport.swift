import Foundation
import SOPCore
import SOPExpression
import SOPJSON
import SOPStore

/// `sop export --format xes|ocel`: the journals as event logs for process-mining tools
/// (docs/report.md). An event is a state entered: the start state, then every move. Its
/// activity is the state's id, its time the record's, its resource and role the actor's.
/// Records that move nothing (inputs kept, SLA clocks) are not events; they stay in the journal.
public enum ProcessMiningExport {
    public enum Format: String, Sendable { case xes, ocel }

    /// Writes the log, one run at a time (a run's journal is read, written, and dropped).
    /// Returns the number of traces (runs) and events written.
    public static func write(store: any RunStore, format: Format, sops: Set<String>?, to output: FileHandle) throws -> (runs: Int, events: Int) {
        var writer = BufferedWriter(handle: output)
        var runs = 0, events = 0
        var objects = OCELObjects()
        switch format {
        case .xes:
            writer.write(xesHeader)
        case .ocel:
            writer.write("{\"objectTypes\":[{\"name\":\"run\",\"attributes\":[{\"name\":\"sop\",\"type\":\"string\"},{\"name\":\"outcome\",\"type\":\"string\"}]},"
                         + "{\"name\":\"ticket\",\"attributes\":[]},{\"name\":\"actor\",\"attributes\":[]},{\"name\":\"sop_version\",\"attributes\":[]}],\n\"events\":[\n")
        }
        try store.read { tx in
            for id in try tx.runIDs() {
                guard let stored = try tx.run(id), sops?.contains(stored.sop) ?? true else { continue }
                let records = try tx.journal(id).filter { $0.trigger.kind == .start || $0.trigger.moved }
                guard !records.isEmpty else { continue }
                runs += 1
                var ticket: String?
                if case .object(let t)? = stored.json["ticket"], let tid = t["id"] {
                    if case .string(let s) = tid { ticket = s } else { ticket = tid.render() }
                }
                var outcome: String?
                if case .string(let o)? = stored.json["outcome"] { outcome = o }
                switch format {
                case .xes:
                    writer.write("  <trace>\n    <string key=\"concept:name\" value=\"\(xml(id))\"/>\n    <string key=\"sop\" value=\"\(xml(stored.sop))\"/>\n")
                    if let ticket { writer.write("    <string key=\"ticket\" value=\"\(xml(ticket))\"/>\n") }
                    if let outcome { writer.write("    <string key=\"outcome\" value=\"\(xml(outcome))\"/>\n") }
                    for r in records {
                        events += 1
                        writer.write("    <event>\n      <string key=\"concept:name\" value=\"\(xml(r.to))\"/>\n"
                                     + "      <string key=\"lifecycle:transition\" value=\"complete\"/>\n"
                                     + "      <date key=\"time:timestamp\" value=\"\(xesTime(r.at))\"/>\n"
                                     + "      <string key=\"org:resource\" value=\"\(xml(r.actor.id))\"/>\n"
                                     + "      <string key=\"org:role\" value=\"\(xml(r.actor.role))\"/>\n"
                                     + "      <string key=\"trigger\" value=\"\(xml(r.trigger.kind.rawValue))\"/>\n"
                                     + "      <int key=\"seq\" value=\"\(r.seq)\"/>\n    </event>\n")
                    }
                    writer.write("  </trace>\n")
                case .ocel:
                    let runObject = "run:" + id
                    objects.runs.append((runObject, stored.sop, outcome))
                    let version = "sop:\(stored.sop)@\(records[0].sopVersion)"
                    objects.versions.insert(version)
                    var runLinks = [(version, "runs")]
                    if let ticket { objects.tickets.insert("ticket:" + ticket); runLinks.append(("ticket:" + ticket, "for")) }
                    objects.runLinks[runObject] = runLinks
                    for r in records {
                        events += 1
                        let actor = "actor:" + r.actor.id
                        objects.actors.insert(actor)
                        objects.eventTypes.insert(r.to)
                        var relations: [JSONValue] = [.object([("objectId", .string(runObject)), ("qualifier", .string("run"))]),
                                                      .object([("objectId", .string(actor)), ("qualifier", .string(r.actor.role))]),
                                                      .object([("objectId", .string(version)), ("qualifier", .string("sop"))])]
                        if let ticket { relations.append(.object([("objectId", .string("ticket:" + ticket)), ("qualifier", .string("ticket"))])) }
                        let event = JSONValue.object([("id", .string("\(id):\(r.seq)")), ("type", .string(r.to)), ("time", .string(ocelTime(r.at))),
                                                      ("attributes", .array([.object([("name", .string("trigger")), ("value", .string(r.trigger.kind.rawValue))])])),
                                                      ("relationships", .array(relations))])
                        writer.write((events > 1 ? ",\n" : "") + event.render())
                    }
                }
                writer.flushIfLarge()
            }
        }
        switch format {
        case .xes: writer.write("</log>\n")
        case .ocel: writer.write(objects.tail())
        }
        writer.flush()
        return (runs, events)
    }

    static let xesHeader = """
        <?xml version="1.0" encoding="UTF-8"?>
        <log xes.version="1849-2016" xes.features="nested-attributes" xmlns="http://www.xes-standard.org/">
          <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
          <extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
          <extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>
          <extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
          <global scope="trace">
            <string key="concept:name" value="__INVALID__"/>
          </global>
          <global scope="event">
            <string key="concept:name" value="__INVALID__"/>
            <date key="time:timestamp" value="1970-01-01T00:00:00.000+00:00"/>
            <string key="lifecycle:transition" value="complete"/>
          </global>
          <classifier name="Activity" keys="concept:name"/>
          <classifier name="Resource" keys="org:resource"/>
          <string key="concept:name" value="sopkit journals"/>

        """

    static func xml(_ s: String) -> String { XMLText.escape(s) }

    /// `2026-11-02T09:00:00.000+00:00`, as XES's `date` is written.
    static func xesTime(_ ms: Int64) -> String {
        let (days, msOfDay) = CivilTime.floorDivide(ms, 86_400_000)
        let s = msOfDay / 1000
        return CivilTime.formatDate(Int(days)) + String(format: "T%02d:%02d:%02d.%03d+00:00", Int(s / 3600), Int(s / 60 % 60), Int(s % 60), Int(msOfDay % 1000))
    }

    static func ocelTime(_ ms: Int64) -> String { CivilTime.formatDateTime(ms) }
}

/// What an OCEL log lists after its events: the objects and the event types met.
struct OCELObjects {
    var runs: [(id: String, sop: String, outcome: String?)] = []
    var runLinks: [String: [(String, String)]] = [:]
    var tickets = Set<String>()
    var actors = Set<String>()
    var versions = Set<String>()
    var eventTypes = Set<String>()

    func tail() -> String {
        var objects: [JSONValue] = []
        for r in runs {
            var attributes: [JSONValue] = [.object([("name", .string("sop")), ("time", .string("1970-01-01T00:00:00Z")), ("value", .string(r.sop))])]
            if let o = r.outcome { attributes.append(.object([("name", .string("outcome")), ("time", .string("1970-01-01T00:00:00Z")), ("value", .string(o))])) }
            objects.append(.object([("id", .string(r.id)), ("type", .string("run")), ("attributes", .array(attributes)),
                                    ("relationships", .array((runLinks[r.id] ?? []).map { .object([("objectId", .string($0.0)), ("qualifier", .string($0.1))]) }))]))
        }
        for (set, type) in [(tickets, "ticket"), (actors, "actor"), (versions, "sop_version")] {
            for id in set.sorted() { objects.append(.object([("id", .string(id)), ("type", .string(type)), ("attributes", .array([]))])) }
        }
        let types = JSONValue.array(eventTypes.sorted().map { .object([("name", .string($0)), ("attributes", .array([.object([("name", .string("trigger")), ("type", .string("string"))])]))]) })
        return "\n],\n\"eventTypes\":" + types.render() + ",\n\"objects\":" + JSONValue.array(objects).render() + "}\n"
    }
}

/// Collects text and writes it to a file in large pieces.
struct BufferedWriter {
    let handle: FileHandle
    var buffer = Data()

    init(handle: FileHandle) { self.handle = handle }

    mutating func write(_ s: String) { buffer.append(contentsOf: s.utf8) }

    mutating func flushIfLarge() { if buffer.count > 1 << 20 { flush() } }

    mutating func flush() {
        handle.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}
