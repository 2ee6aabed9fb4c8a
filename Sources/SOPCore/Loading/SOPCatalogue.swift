import Foundation
import SOPDiagnostics
import SOPYAML

/// The SOPs of a folder (or of the files given), each file read, parsed and linted once, and
/// compiled when it has no errors. It is the one place SOP ids are resolved: by the run service
/// (starting runs, `call` and `start` actions), `sop route`, `sop test`, and the server.
///
/// Files are loaded when first needed, so `sop start returns` reads `returns.sop.yaml` and no
/// other (the file named after the id is looked at first); `entries()` loads the rest, on all
/// cores. Safe to share between threads.
public final class SOPCatalogue: @unchecked Sendable {
    /// Why an id does not resolve to an SOP that can run.
    public enum LookupError: Error, Sendable {
        /// No file of the catalogue declares the id; `known` are the ids that are declared, and
        /// `unreadable` the errors of the SOP files that do not decode (one may be the SOP asked for).
        case unknown(String, known: [String], unreadable: [CompiledSOP.CompileError] = [])
        /// The file that declares it has lint errors.
        case invalid(CompiledSOP.CompileError)
    }

    /// One SOP file as loaded.
    public struct Entry: Sendable {
        public let path: String
        /// The SOP's id, when the file decodes.
        public let id: String?
        /// The file's own diagnostics, suppressions applied. (References to other SOPs are
        /// resolved when a run reaches them; `sop lint` checks them across the set.)
        public let diagnostics: [Diagnostic]
        /// The SOP ready to run; nil when the file has lint errors or cannot be read.
        public let compiled: CompiledSOP?
        /// Why the file could not be read at all.
        public let unreadable: String?

        /// Why the SOP cannot run: its errors.
        public var compileError: CompiledSOP.CompileError {
            var errors = diagnostics.filter { $0.severity == .error && $0.suppression == nil }
            if errors.isEmpty {
                errors = [Diagnostic(file: path, span: .fileStart, rule: YAMLSyntaxRule.self,
                                     message: unreadable.map { "the file cannot be read: \($0)" } ?? "the SOP cannot be loaded")]
            }
            return CompiledSOP.CompileError(diagnostics: errors)
        }
    }

    /// The files and folders the SOPs are found in.
    public let paths: [String]
    /// The ticket schema the SOPs are linted and compiled against.
    public let schema: TicketSchema?
    /// Texts by path that win over the files (a file of that path need not exist): the console's
    /// authors' sandbox serves the SOP being edited this way. Their SOPs are looked at first.
    public let sources: [String: String]
    private let linter: Linter
    private let lock = NSLock()
    private var files: [String]?
    private var calendarSet: CalendarSet?
    private var loaded: [String: Entry] = [:]
    private var loadCount = 0

    public init(paths: [String], schema: TicketSchema?, limits: YAMLLimits = YAMLLimits(), sources: [String: String] = [:]) {
        self.paths = paths
        self.schema = schema
        self.sources = sources
        linter = Linter(limits: limits, ticketSchema: schema)
    }

    public convenience init(folder: String, schema: TicketSchema?) {
        self.init(paths: [folder], schema: schema)
    }

    /// The SOP files, sorted, found once. A path that does not exist holds no SOPs.
    public func sopFiles() -> [String] {
        lock.withLock { filesLocked() }
    }

    /// The file at `path`, loaded on first use.
    public func entry(_ path: String) -> Entry {
        lock.withLock { entryLocked(path) }
    }

    /// Every SOP file, loaded (those not loaded yet on all cores), in file order.
    public func entries() -> [Entry] {
        lock.withLock {
            let files = filesLocked()
            let missing = files.filter { loaded[$0] == nil }
            let calendars = calendarsLocked()
            for e in parallelMap(missing, { self.load($0, calendars: calendars) }) { loaded[e.path] = e }
            loadCount += missing.count
            return files.map(entryLocked)
        }
    }

    /// How many files this catalogue has read and parsed: each at most once.
    public var filesLoaded: Int { lock.withLock { loadCount } }

    // The lock is held while files load, so two threads asking for one file parse it once.
    private func filesLocked() -> [String] {
        if let files { return files }
        let onDisk = ((try? Linter.files(in: paths)) ?? []).filter { SOPFileKind(path: $0) == .sop }
        let found = sources.keys.sorted() + onDisk.filter { sources[$0] == nil }
        files = found
        return found
    }

    /// The calendars business timers may name: those of the catalogue's folders, read once.
    public var calendars: CalendarSet { lock.withLock { calendarsLocked() } }

    private func calendarsLocked() -> CalendarSet {
        if let calendarSet { return calendarSet }
        let set = CalendarSet.load(paths: paths, limits: linter.limits)
        calendarSet = set
        return set
    }

    private func entryLocked(_ path: String) -> Entry {
        if let known = loaded[path] { return known }
        let entry = load(path, calendars: calendarsLocked())
        loaded[path] = entry
        loadCount += 1
        return entry
    }

    /// The SOP with this id: the file named `ID.sop.yaml` is looked at first, then the others in
    /// order, each loaded at most once. A file named `ID.sop.yaml` that does not decode is
    /// `.invalid` with its errors.
    public func sop(_ id: String) throws(LookupError) -> CompiledSOP {
        let files = sopFiles()
        let named = files.filter { sources[$0] == nil && ($0.hasSuffix("/\(id).sop.yaml") || $0 == "\(id).sop.yaml") }
        let given = files.filter { sources[$0] != nil }
        var known: [String] = []
        var unreadable: [CompiledSOP.CompileError] = []
        for path in given + named + files.filter({ !named.contains($0) && sources[$0] == nil }) {
            let entry = entry(path)
            guard let found = entry.id else {
                // `ID.sop.yaml` that does not decode (a YAML error, no `sop:`) is the SOP asked
                // for: its errors say why it cannot run, not "no SOP 'ID'". Another file that does
                // not decode may be it too: its errors go with the answer.
                if named.contains(path) { throw .invalid(entry.compileError) }
                unreadable.append(entry.compileError)
                continue
            }
            known.append(found)
            guard found == id else { continue }
            guard let compiled = entry.compiled else { throw .invalid(entry.compileError) }
            return compiled
        }
        throw .unknown(id, known: known, unreadable: unreadable)
    }

    private func load(_ path: String, calendars: CalendarSet) -> Entry {
        let bytes: [UInt8]
        if let text = sources[path] {
            bytes = Array(text.utf8)
        } else if let data = FileManager.default.contents(atPath: path) {
            bytes = [UInt8](data)
        } else {
            return Entry(path: path, id: nil, diagnostics: [], compiled: nil, unreadable: "it is missing or not readable")
        }
        // One parse per file: the lint result carries the decoded SOP it was checked as.
        let source = SourceFile(path: path, bytes: bytes)
        let linted = linter.lint(source)
        // A calendar the SOP names but the folder lacks is an error of the file, as `sop lint` says.
        var diagnostics = linted.diagnostics
        var compiled: CompiledSOP?
        do {
            compiled = try CompiledSOP.compile(linted: linted, source: source, calendars: calendars)
        } catch {
            let unknown = error.diagnostics.filter { $0.rule == UnknownCalendarRule.id }
            diagnostics = (diagnostics + unknown).sorted(by: Diagnostic.ordered)
        }
        return Entry(path: path, id: linted.definition?.id.value, diagnostics: diagnostics, compiled: compiled, unreadable: nil)
    }
}
