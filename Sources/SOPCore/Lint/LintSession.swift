import SOPDiagnostics
import SOPYAML

/// A set of files linted once and then kept: a file changed is linted again on its own, against
/// the index entries the others left, and only what depends on it is worked out again. What the
/// language server (`sop lsp`) keeps between keystrokes. Its findings for the whole set are those
/// of `Linter.lint(sources:)` on the same files (LintSessionTests proves it over sops/ and the lint
/// fixtures); a change costs the changed file's lint plus the set's cheap cross-file phase.
///
/// It reads nothing itself: the caller gives each file's text (from disk, or an editor's unsaved
/// buffer) and the calendars outside the set that its SOPs may name.
public struct LintSession: Sendable {
    public private(set) var linter: Linter
    /// The set's paths, in the order `Linter.files` gives them (the first file with an id owns it).
    public private(set) var paths: [String] = []
    private var results: [String: FileLintResult] = [:]
    /// Every file's text: tests are linted again when the index of SOPs changes, everything when
    /// the ticket schema does.
    private var sources: [String: SourceFile] = [:]
    /// Calendars outside the set that its SOPs may name: id → file.
    public var knownCalendars: [String: String]
    /// Worked out from `results` after every change.
    public private(set) var index: [String: SOPIndexEntry] = [:]
    private var sopDuplicates: [String: [Diagnostic]] = [:]
    private var calendarIDs: [String] = []
    private var calendarDuplicates: [String: [Diagnostic]] = [:]

    /// Lints `sources` as one set (in parallel), in the order given.
    public init(linter: Linter, sources: [SourceFile], knownCalendars: [String: String] = [:]) {
        self.linter = linter
        self.knownCalendars = knownCalendars
        // A ticket schema in the set is the set's schema (the first one given), as `Linter` has it.
        if let schema = sources.first(where: { Linter.isTicketSchemaFile($0.path) }) { self.linter.readTicketSchema(schema) }
        let sources = sources.filter { !Linter.isTicketSchemaFile($0.path) }
        paths = sources.map(\.path)
        let sops = sources.filter { SOPFileKind(path: $0.path) == .sop }
        for result in parallelMap(sops, { linter.lintSOP($0) }) { results[result.path] = Self.kept(result) }
        rebuildIndex()
        let others = sources.filter { SOPFileKind(path: $0.path) != .sop }
        for source in sources { self.sources[source.path] = source }
        let index = self.index
        for result in parallelMap(others, { Self.lintOther($0, linter: linter, index: index) }) { results[result.path] = result }
        rebuildCalendars()
    }

    /// What changed for the set when a file was set or removed: the paths whose findings may differ.
    public struct Change: Sendable, Equatable {
        public var affected: [String]
    }

    /// Sets one file's text (a new file joins the set at the end) and lints it again. Scenario
    /// tests are linted again when the SOPs' index changed; other files' cross-file findings are
    /// worked out again when ids changed. Returns the paths whose findings may have changed.
    @discardableResult
    public mutating func set(_ source: SourceFile) -> Change {
        let path = source.path
        if Linter.isTicketSchemaFile(path) {
            var linter = self.linter
            linter.readTicketSchema(source)
            return Change(affected: [path] + setTicketSchema(linter.ticketSchema, error: linter.ticketSchemaError).affected)
        }
        if !paths.contains(path) { paths.append(path) }
        sources[path] = source
        switch SOPFileKind(path: path) {
        case .sop:
            let before = results[path]?.entry
            results[path] = Self.kept(linter.lintSOP(source))
            let after = results[path]?.entry
            if before == after { return Change(affected: [path]) }
            return indexChanged()
        case .scenarioTest:
            results[path] = Self.lintOther(source, linter: linter, index: index)
            return Change(affected: [path])
        case .calendar:
            let before = results[path]?.calendarID?.0
            results[path] = Self.lintOther(source, linter: linter, index: index)
            if before == results[path]?.calendarID?.0 { return Change(affected: [path]) }
            rebuildCalendars()
            return Change(affected: paths)
        }
    }

    /// Takes a file out of the set (deleted on disk).
    @discardableResult
    public mutating func remove(_ path: String) -> Change {
        guard let at = paths.firstIndex(of: path) else { return Change(affected: []) }
        paths.remove(at: at)
        let removed = results.removeValue(forKey: path)
        sources[path] = nil
        switch SOPFileKind(path: path) {
        case .sop:
            guard removed?.entry != nil else { return Change(affected: [path]) }
            return Change(affected: [path] + indexChanged().affected)
        case .scenarioTest: return Change(affected: [path])
        case .calendar:
            rebuildCalendars()
            return Change(affected: [path] + paths)
        }
    }

    /// A new ticket schema (or none): every SOP and test is linted again.
    @discardableResult
    public mutating func setTicketSchema(_ schema: TicketSchema?, error: Diagnostic? = nil) -> Change {
        linter.ticketSchema = schema
        linter.ticketSchemaError = schema == nil ? error : nil
        let linter = self.linter
        let sops = paths.filter { SOPFileKind(path: $0) == .sop }.compactMap { sources[$0] }
        for result in parallelMap(sops, { linter.lintSOP($0) }) { results[result.path] = Self.kept(result) }
        return indexChanged()
    }

    /// The text the set holds for a file.
    public func source(of path: String) -> SourceFile? { sources[path] }

    /// The findings of one file of the set, in output order, with its suppressions applied
    /// (suppressed ones are kept, marked), as `Linter.lint` reports them.
    public func diagnostics(for path: String) -> [Diagnostic] {
        guard let result = results[path] else { return [] }
        var out = result.diagnostics
        Linter.helpCallingSOPs(result.references, file: path, index: index, in: &out)
        out += sopDuplicates[path] ?? []
        out += calendarDuplicates[path] ?? []
        out += linter.resolve(result.references, file: path, index: index, calendars: calendarIDs)
        out += schemaDiagnostics(for: path)
        Suppression.apply(result.suppressions, file: path, to: &out)
        return out.sorted(by: Diagnostic.ordered)
    }

    /// Every finding of the set, in output order: what `Linter.lint(sources:)` reports. The
    /// ticket schema's own findings are among them, under the schema's path.
    public func allDiagnostics() -> [Diagnostic] {
        var out = paths.flatMap(diagnostics(for:))
        if let schema = linter.ticketSchema, !paths.contains(schema.source.path) {
            out += Linter.withSourceLines(schema.diagnostics, schema.source)
        } else if linter.ticketSchema == nil, let error = linter.ticketSchemaError, !paths.contains(error.file) {
            out.append(error)
        }
        return out.sorted(by: Diagnostic.ordered)
    }

    /// The SOP files' cross references (`call:`, `start` actions, calendars), for go-to-definition
    /// and find-references: where each names which id.
    public func sopReferences(in path: String) -> [(kind: SOPReferenceKind, id: String, span: SourceSpan)] {
        (results[path]?.references ?? []).compactMap { ref in
            switch ref.kind {
            case .sop: return (.sop, ref.id, ref.span)
            case .calendar: return (.calendar, ref.id, ref.span)
            case .childOutcome, .unknownStateTarget: return nil
            }
        }
    }

    /// The calendar files of the set and the known ones outside it: id → path.
    public var calendars: [String: String] {
        var owners: [String: String] = [:]
        for path in paths { if let id = results[path]?.calendarID?.0, owners[id] == nil { owners[id] = path } }
        return owners.merging(knownCalendars) { own, _ in own }
    }

    // MARK: Private

    /// The SOP's definition is dropped: memory follows the set, not its trees.
    private static func kept(_ result: FileLintResult) -> FileLintResult {
        var result = result
        result.definition = nil
        return result
    }

    private static func lintOther(_ source: SourceFile, linter: Linter, index: [String: SOPIndexEntry]) -> FileLintResult {
        SOPFileKind(path: source.path) == .calendar ? linter.lintCalendar(source) : linter.lintScenario(source, index: index)
    }

    private mutating func indexChanged() -> Change {
        rebuildIndex()
        let linter = self.linter, index = self.index
        let tests = paths.filter { SOPFileKind(path: $0) == .scenarioTest }.compactMap { sources[$0] }
        for result in parallelMap(tests, { Self.lintOther($0, linter: linter, index: index) }) { results[result.path] = result }
        return Change(affected: paths)
    }

    /// The index of SOP ids, each id's first file in set order; later files with the id are told.
    private mutating func rebuildIndex() {
        index = [:]
        sopDuplicates = [:]
        for path in paths {
            guard let entry = results[path]?.entry else { continue }
            if let first = index[entry.id] {
                sopDuplicates[path, default: []].append(Linter.duplicateID(entry, first: first))
            } else {
                index[entry.id] = entry
            }
        }
    }

    private mutating func rebuildCalendars() {
        var owners: [String: String] = [:]
        calendarDuplicates = [:]
        for path in paths {
            guard let (id, duplicate) = results[path]?.calendarID else { continue }
            if let first = owners[id] {
                var d = duplicate
                d.message = "calendar id '\(id)' is also the id of \(first)"
                calendarDuplicates[path, default: []].append(d)
            } else {
                owners[id] = path
            }
        }
        calendarIDs = Set(owners.keys).union(knownCalendars.keys).sorted()
    }

    /// The ticket schema's note when there is none: on the set's first path, as `Linter` puts it.
    private func schemaDiagnostics(for path: String) -> [Diagnostic] {
        if let schema = linter.ticketSchema {
            return schema.source.path == path ? Linter.withSourceLines(schema.diagnostics, schema.source) : []
        }
        if let error = linter.ticketSchemaError { return error.file == path ? [error] : [] }
        return path == paths.min() ? [Linter.noTicketSchemaDiagnostic(file: path)] : []
    }
}

/// What a cross reference of an SOP names.
public enum SOPReferenceKind: Sendable {
    case sop
    case calendar
}
