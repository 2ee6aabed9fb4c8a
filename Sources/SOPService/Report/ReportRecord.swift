import SOPCore
import SOPExpression
import SOPJSON
import SOPStore

/// The members of a journal record the report reads, scanned from the record's stored bytes
/// without building the rest (`JSONScanner`): who, when, from where to where, what triggered it,
/// an SLA clock's event, a `csat` input, the SOPs its effects call or start. The names are read
/// as `JSONScanner.Text`, valid while the record's bytes are: the report compares most of them
/// with names it has seen and makes a `String` only of a new one.
struct ReportRecord {
    typealias Text = JSONScanner.Text
    static var empty: Text { Text(raw: UnsafeBufferPointer(start: nil, count: 0), decoded: nil) }

    var run = Self.empty
    var seq = 0
    var at: Int64 = 0
    var actorID = Self.empty
    var role = Self.empty
    var from: Text?
    var to = Self.empty
    var kind: JournalTrigger.Kind?
    var moved = true
    var slaTarget: String?
    var slaEvent: String?
    var csat: Int?
    /// The SOPs this record's effects call or start, in order.
    var calls: [String] = []

    /// How many members the report reads from a record: it stops after the ninth.
    private static let wanted = 9

    /// Reads a stored record; nil when the bytes are not a JSON object with a run, a time and a
    /// target state (`sop verify` is where a damaged record is explained). It stops once it has
    /// read the nine members it wants: in a stored record (keys in canonical order) that leaves
    /// `version` and `hash` unread, whose text is not checked here either.
    init?(scanning bytes: UnsafeBufferPointer<UInt8>) {
        var s = JSONScanner(bytes)
        var haveRun = false, haveAt = false, haveTo = false
        var read = 0
        do {
            try s.beginObject()
            while read < Self.wanted, let key = try s.nextKey() {
                read += 1
                switch key.count {
                case 2 where JSONScanner.equal(key, "at"):
                    guard let text = try s.rawStringOrSkip(), let at = CivilTime.parseDateTime(utf8: text) else { return nil }
                    self.at = at
                    haveAt = true
                case 2 where JSONScanner.equal(key, "to"):
                    guard let to = try s.textOrSkip() else { return nil }
                    self.to = to
                    haveTo = true
                case 3 where JSONScanner.equal(key, "run"):
                    guard let run = try s.textOrSkip() else { return nil }
                    self.run = run
                    haveRun = true
                case 3 where JSONScanner.equal(key, "seq"): seq = try s.intOrSkip() ?? 0
                case 4 where JSONScanner.equal(key, "from"): from = try s.textOrSkip()
                case 5 where JSONScanner.equal(key, "actor"): try readActor(&s)
                case 6 where JSONScanner.equal(key, "inputs"): try readInputs(&s)
                case 7 where JSONScanner.equal(key, "trigger"): try readTrigger(&s)
                case 7 where JSONScanner.equal(key, "effects"): try readEffects(&s)
                default:
                    read -= 1
                    try s.skip()
                }
            }
            if read < Self.wanted { try s.end() }
        } catch {
            return nil
        }
        guard haveRun, haveAt, haveTo else { return nil }
    }

    /// The record's members as strings (what tests compare).
    struct Decoded: Equatable {
        var run = "", seq = 0, at: Int64 = 0, actorID = "", role = "", from: String?, to = ""
        var kind: JournalTrigger.Kind?, moved = true, slaTarget: String?, slaEvent: String?, csat: Int?, calls: [String] = []
    }

    var decoded: Decoded {
        Decoded(run: run.string, seq: seq, at: at, actorID: actorID.string, role: role.string, from: from?.string, to: to.string,
                kind: kind, moved: moved, slaTarget: slaTarget, slaEvent: slaEvent, csat: csat, calls: calls)
    }

    private mutating func readActor(_ s: inout JSONScanner) throws(JSONScanner.Failure) {
        guard s.atObject() else { return try s.skip() }
        try s.beginObject()
        while let key = try s.nextKey() {
            if JSONScanner.equal(key, "id") {
                actorID = try s.textOrSkip() ?? Self.empty
            } else if JSONScanner.equal(key, "role") {
                role = try s.textOrSkip() ?? Self.empty
            } else {
                try s.skip()
            }
        }
    }

    private mutating func readInputs(_ s: inout JSONScanner) throws(JSONScanner.Failure) {
        guard s.atObject() else { return try s.skip() }
        try s.beginObject()
        while let key = try s.nextKey() {
            if JSONScanner.equal(key, "csat") { csat = try s.intOrSkip() } else { try s.skip() }
        }
    }

    /// The trigger kinds by the bytes of their names.
    private static let kinds = JournalTrigger.Kind.allCases.map { (name: Array($0.rawValue.utf8), kind: $0) }

    private mutating func readTrigger(_ s: inout JSONScanner) throws(JSONScanner.Failure) {
        guard s.atObject() else { return try s.skip() }
        try s.beginObject()
        while let key = try s.nextKey() {
            if JSONScanner.equal(key, "kind") {
                if let raw = try s.rawStringOrSkip() {
                    kind = Self.kinds.first { $0.name.elementsEqual(raw) }?.kind
                }
            } else if JSONScanner.equal(key, "move") {
                // Written only as `false`: a record that kept data without moving.
                moved = try s.boolOrSkip() ?? true
            } else if JSONScanner.equal(key, "sla"), s.atObject() {
                try s.beginObject()
                while let key = try s.nextKey() {
                    if JSONScanner.equal(key, "target") {
                        slaTarget = try s.stringOrSkip()
                    } else if JSONScanner.equal(key, "event") {
                        slaEvent = try s.stringOrSkip()
                    } else {
                        try s.skip()
                    }
                }
            } else {
                try s.skip()
            }
        }
    }

    /// `effects`: a list of objects; `{"call": {"sop": …}}` and `{"start": {"sop": …}}` name an SOP.
    private mutating func readEffects(_ s: inout JSONScanner) throws(JSONScanner.Failure) {
        guard s.atArray() else { return try s.skip() }
        try s.beginArray()
        while try s.nextElement() {
            guard s.atObject() else {
                try s.skip()
                continue
            }
            try s.beginObject()
            while let key = try s.nextKey() {
                guard JSONScanner.equal(key, "call") || JSONScanner.equal(key, "start"), s.atObject() else {
                    try s.skip()
                    continue
                }
                try s.beginObject()
                while let key = try s.nextKey() {
                    if !JSONScanner.equal(key, "sop") {
                        try s.skip()
                    } else if let sop = try s.stringOrSkip() {
                        calls.append(sop)
                    }
                }
            }
        }
    }
}
