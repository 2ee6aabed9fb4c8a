import SOPDiagnostics
import SOPJSON

/// A diff ready to print: the changes, the two files they came from, and (with a store) how many
/// runs wait in each state. Renders `sop diff`'s text, JSON and Markdown (docs/cli.md).
public struct DiffReport: Sendable {
    /// One side of the comparison, as messages name it.
    public struct Side: Sendable {
        public var file: String
        public var sop: String
        public var version: Int

        public init(file: String, sop: String, version: Int) {
            self.file = file
            self.sop = sop
            self.version = version
        }
    }

    public var old: Side
    public var new: Side
    public var changes: [SOPChange]
    /// Runs waiting on an earlier version, by state; nil when no store was read.
    public var waiting: [String: Int]?
    /// The mermaid drawing the Markdown embeds.
    public var mermaid: String

    public init(old: Side, new: Side, changes: [SOPChange], waiting: [String: Int]?, mermaid: String) {
        self.old = old
        self.new = new
        self.changes = changes
        self.waiting = waiting
        self.mermaid = mermaid
    }

    /// The runs a change touches: those waiting in its state, or every waiting run for a change
    /// of no state. Nil without a store.
    public func runs(_ change: SOPChange) -> Int? {
        guard let waiting else { return nil }
        guard let state = change.state else { return waiting.values.reduce(0, +) }
        return waiting[state] ?? 0
    }

    /// Whether the change needs a migration: it breaks runs waiting where it is, and (with a
    /// store) some runs wait there.
    public func needsMigration(_ change: SOPChange) -> Bool {
        change.migration && (runs(change).map { $0 > 0 } ?? true)
    }

    /// How many runs need a migration: those waiting in a state with a change that needs one.
    public var runsToMigrate: Int? {
        guard let waiting else { return nil }
        let needing = changes.filter(needsMigration)
        if needing.contains(where: { $0.state == nil }) { return waiting.values.reduce(0, +) }
        return Set(needing.compactMap(\.state)).reduce(0) { $0 + (waiting[$1] ?? 0) }
    }

    public func file(_ change: SOPChange) -> String { change.inOld ? old.file : new.file }

    /// The changes grouped as the text and Markdown show them: the SOP's own first, then each
    /// state's, in NEW's order and then OLD's for removed states.
    public var groups: [(state: String?, changes: [SOPChange])] {
        var order: [String?] = [nil]
        for c in changes { if let s = c.state, !order.contains(s) { order.append(s) } }
        return order.compactMap { key in
            let members = changes.filter { $0.state == key }
            return members.isEmpty ? nil : (key, members)
        }
    }

    var headline: String {
        let name = old.sop == new.sop ? new.sop : "\(old.sop) → \(new.sop)"
        let version = old.version == new.version ? "version \(new.version)" : "version \(old.version) → \(new.version)"
        return "\(name): \(version)"
    }

    var summary: String {
        guard !changes.isEmpty else { return "no changes" }
        let needing = changes.filter(needsMigration).count
        var text = "\(changes.count) change\(changes.count == 1 ? "" : "s"), \(needing) need\(needing == 1 ? "s" : "") a migration"
        if let runs = runsToMigrate { text += " (\(runs) run\(runs == 1 ? "" : "s") waiting)" }
        return text
    }

    // MARK: Text

    public func text() -> String {
        var out = "\(headline): \(summary)\n"
        for group in groups {
            out += "\n" + (group.state.map { state in
                "state \(state)" + (group.changes.contains { $0.kind == .stateAdded } ? " (added)" : "")
                    + (group.changes.contains { $0.kind == .stateRemoved } ? " (removed)" : "")
            } ?? "sop") + "\n"
            for c in group.changes {
                out += "  \(file(c)):\(c.span.start.line): \(c.kind.rawValue) \(c.path): \(Self.short(c.old)) → \(Self.short(c.new))"
                out += mark(c) + "\n"
            }
        }
        return out
    }

    func mark(_ c: SOPChange) -> String {
        guard let runs = runs(c) else { return c.migration ? "  [migration]" : "" }
        if needsMigration(c) { return "  [migration: \(runs) run\(runs == 1 ? "" : "s")]" }
        return runs > 0 ? "  (\(runs) run\(runs == 1 ? "" : "s") waiting)" : ""
    }

    /// A value in one line, at most 60 characters.
    static func short(_ value: String?) -> String {
        guard let value else { return "(none)" }
        let line = SOPDiff.oneLine(value)
        return line.count > 60 ? String(line.prefix(59)) + "…" : line
    }

    // MARK: JSON

    public func json() -> String {
        func side(_ s: Side) -> JSONValue { .object(JSONObject([("file", .string(s.file)), ("sop", .string(s.sop)), ("version", .int(s.version))])) }
        let list = changes.map { c -> JSONValue in
            var members: [(String, JSONValue)] = [
                ("kind", .string(c.kind.rawValue)), ("path", .string(c.path)), ("state", .optional(c.state)),
                ("old", .optional(c.old)), ("new", .optional(c.new)), ("file", .string(file(c))), ("line", .int(c.span.start.line)),
                ("migration", .bool(needsMigration(c))),
            ]
            if let runs = runs(c) { members.append(("runs", .int(runs))) }
            return .object(JSONObject(members))
        }
        var summary: [(String, JSONValue)] = [("changes", .int(changes.count)), ("migration", .int(changes.filter(needsMigration).count))]
        if let runs = runsToMigrate { summary.append(("runs", .int(runs))) }
        let document: JSONValue = .object(JSONObject([("old", side(old)), ("new", side(new)), ("changes", .array(list)),
                                                     ("summary", .object(JSONObject(summary)))]))
        return document.render() + "\n"
    }

    // MARK: Markdown

    /// For a pull-request comment: a heading, a summary line, a table, and the drawing.
    public func markdown() -> String {
        var out = "### `sop diff` \(headline)\n\n"
        guard !changes.isEmpty else { return out + "No changes.\n" }
        out += "**\(summary)**.\n\n"
        out += "| | state | change | where | old | new |\n|---|---|---|---|---|---|\n"
        for group in groups {
            for c in group.changes {
                var flag = needsMigration(c) ? "⚠️ migration" : ""
                if let runs = runs(c), runs > 0 { flag += (flag.isEmpty ? "" : ": ") + "\(runs) run\(runs == 1 ? "" : "s")" }
                out += "| \(flag) | \(Self.cell(c.state ?? "")) | \(c.kind.rawValue) | `\(Self.cell(c.path))` (\(Self.cell(file(c))):\(c.span.start.line)) "
                out += "| \(Self.cell(c.old ?? "")) | \(Self.cell(c.new ?? "")) |\n"
            }
        }
        out += "\n<details><summary>Diagram: added states green, removed red and dashed, changed amber</summary>\n\n"
        out += "```mermaid\n\(mermaid)```\n\n</details>\n"
        return out
    }

    /// A table cell's text: one line, `|` escaped, at most 80 characters.
    static func cell(_ text: String) -> String {
        var line = SOPDiff.oneLine(text)
        if line.count > 80 { line = String(line.prefix(79)) + "…" }
        return line.replacingAll("|", "\\|").replacingAll("`", "'")
    }
}
