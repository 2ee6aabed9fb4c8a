import Dispatch
import Foundation
import SOPDiagnostics
import SOPExpression
import SOPYAML

/// What went wrong that stops the linter from doing its work at all (exit code 2).
public enum LintInputError: Error, CustomStringConvertible, Equatable, Sendable {
    case notFound(String)
    case unreadable(String, String)

    public var description: String {
        switch self {
        case .notFound(let path): return "\(path): no such file or folder"
        case .unreadable(let path, let reason): return "\(path): cannot be read: \(reason)"
        }
    }
}

/// The kinds of file `sop lint` reads.
public enum SOPFileKind: Sendable {
    case sop
    case scenarioTest
    /// A business-hours calendar (`*.calendar.yaml`, docs/calendars.md).
    case calendar

    public init(path: String) {
        if path.hasSuffix(".test.yaml") || path.hasSuffix(".test.yml") {
            self = .scenarioTest
        } else if CalendarLoader.isCalendarFile(path) {
            self = .calendar
        } else {
            self = .sop
        }
    }
}

/// What the rest of the linted set needs to know of one SOP: enough to resolve `call`, `start`,
/// `child.outcome` and scenario tests without keeping the SOP itself in memory.
public struct SOPIndexEntry: Sendable, Equatable {
    public var id: String
    public var file: String
    public var idSpan: SourceSpan
    public var outcomes: [String]
    public var states: [String]
    public var events: [String]
    public var inputs: [String]
    public var vars: [String]
    public var roles: [String]
    /// The SOPs its `call` states run.
    public var calls: [String]

    /// The entry of a loaded SOP (the language server builds the file being edited's from its unsaved text).
    public init(_ sop: SOPDefinition, file: String) {
        id = sop.id.value
        self.file = file
        idSpan = sop.id.span
        states = sop.states.map(\.id.value)
        vars = sop.vars.map(\.id.value)
        roles = sop.roles.map(\.value)
        // Sorted without repeats; SOPs name a handful of each, so a list beats a set.
        func add(_ value: String, to list: inout [String]) {
            if !list.contains(value) { list.append(value) }
        }
        var outcomes: [String] = [], events: [String] = [], inputs: [String] = [], calls: [String] = []
        for state in sop.states {
            if let end = state.end { add(end.value, to: &outcomes) }
            if let call = state.call { add(call.value, to: &calls) }
            for t in state.transitions { if let on = t.on { add(on.value, to: &events) } }
            for input in state.inputs { add(input.id.value, to: &inputs) }
        }
        self.outcomes = outcomes.sorted()
        self.events = events.sorted()
        self.inputs = inputs.sorted()
        self.calls = calls.sorted()
    }
}

/// A reference from one SOP to another, resolved once the whole set is known.
struct CrossReference: Sendable {
    enum Kind: Sendable {
        case sop(what: String)
        case childOutcome(outcome: String, state: String, calledSOP: String?)
        /// A business timer's calendar, resolved once the set's calendars are known.
        case calendar
        /// A transition's `to` that names no state of its SOP (reported as `unknown-state` by
        /// then): when it names an SOP of the set, the help says how to run that SOP instead.
        case unknownStateTarget
    }

    var kind: Kind
    var id: String
    var span: SourceSpan
    var sourceLine: String?
}

/// One linted file: its diagnostics in output order, and what cross-file checks need.
public struct FileLintResult: Sendable {
    public var path: String
    public var diagnostics: [Diagnostic]
    var entry: SOPIndexEntry?
    var references: [CrossReference] = []
    /// The file's `# sop: ignore[...]` comments, applied once every diagnostic of the file is known.
    var suppressions: [Suppression] = []
    /// The SOP as decoded, when the file is an SOP that decodes (so a caller that lints a file
    /// to run it does not parse it again).
    public var definition: SOPDefinition?
    /// A calendar file's id, and the diagnostic a second file with that id gets.
    var calendarID: (String, Diagnostic)?
}

/// The result of linting a set of files.
public struct LintReport: Sendable {
    /// Every diagnostic, ordered by file, line and column.
    public var diagnostics: [Diagnostic]
    public var fileCount: Int
    /// Files that could not be read at all.
    public var inputErrors: [LintInputError]
}

/// Lints SOP and scenario files: loads each (in parallel), runs every rule, resolves references
/// across the set, and orders the findings. Each file's bytes and tree are dropped as soon as it
/// is linted, so memory follows the largest file, not the corpus.
public struct Linter: Sendable {
    public var limits: YAMLLimits
    /// The ticket model; without one, `ticket.*` paths are unchecked.
    public var ticketSchema: TicketSchema?
    /// Why the ticket schema could not be used (`ticket-schema-syntax`, `ticket-schema-invalid`),
    /// reported with the set's findings in place of `no-ticket-schema`.
    public var ticketSchemaError: Diagnostic?

    public init(limits: YAMLLimits = YAMLLimits(), ticketSchema: TicketSchema? = nil, ticketSchemaError: Diagnostic? = nil) {
        self.limits = limits
        self.ticketSchema = ticketSchema
        self.ticketSchemaError = ticketSchemaError
    }

    /// Whether a file given to lint is a ticket schema (`*.schema.json`): linted with the set,
    /// it is the set's ticket schema.
    public static func isTicketSchemaFile(_ path: String) -> Bool { path.hasSuffix(".schema.json") }

    /// Reads a ticket schema file of the linted set as the set's schema: the schema, or the
    /// mistake that keeps it from being one (nil when the file cannot be read: as if none).
    mutating func readTicketSchema(_ source: SourceFile) {
        do {
            ticketSchema = try TicketSchema.parse(bytes: source.bytes, path: source.path)
            ticketSchemaError = nil
        } catch {
            ticketSchema = nil
            ticketSchemaError = error.diagnostic
        }
    }

    /// The files a list of paths names: files as given, folders searched for `*.sop.yaml`,
    /// `*.test.yaml` and `*.calendar.yaml`, sorted so output does not depend on the file system's order.
    public static func files(in paths: [String]) throws -> [String] {
        let fm = FileManager.default
        var result: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else { throw LintInputError.notFound(path) }
            guard isDirectory.boolValue else { result.append(path); continue }
            guard let walker = fm.enumerator(atPath: path) else {
                throw LintInputError.unreadable(path, "the folder cannot be listed")
            }
            var found: [String] = []
            while let relative = walker.nextObject() as? String {
                let name = (relative as NSString).lastPathComponent
                guard name.hasSuffix(".sop.yaml") || name.hasSuffix(".sop.yml") || name.hasSuffix(".test.yaml")
                        || name.hasSuffix(".test.yml") || CalendarLoader.isCalendarFile(name) else { continue }
                found.append(path.hasSuffix("/") ? path + relative : path + "/" + relative)
            }
            result += found.sorted()
        }
        var seen = Set<String>()
        return result.filter { seen.insert($0).inserted }
    }

    // MARK: Sets of files

    /// Lints files from disk as one set. `contextCalendars` are calendar files outside the set
    /// that its SOPs may name (those of the SOP folder, when files are linted by name): their
    /// ids resolve references, but they are not linted or counted.
    public func lint(paths: [String], contextCalendars: [String] = []) -> LintReport {
        let inSet = Set(paths.map(Self.normalised))
        var known: [String: String] = [:]
        for file in contextCalendars where !inSet.contains(Self.normalised(file)) {
            guard case .source(let source)? = try? readFile(file), let id = CalendarLoader.load(source, limits: limits).id else { continue }
            if known[id] == nil { known[id] = file }
        }
        return lintSet(count: paths.count, path: { paths[$0] }, knownCalendars: known) { i throws(LintInputError) in try self.readFile(paths[i]) }
    }

    /// The calendar files of the SOP folders of `paths` (a file's folder, a folder itself) and of
    /// `sopFolder`: what an SOP linted by name may name.
    public static func folderCalendars(of paths: [String], sopFolder: String) -> [String] {
        var folders: [String] = []
        for path in [sopFolder] + paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            let folder = isDirectory.boolValue ? path : (path as NSString).deletingLastPathComponent
            let normal = normalised(folder.isEmpty ? "." : folder)
            if !folders.contains(normal) { folders.append(normal) }
        }
        return folders.flatMap { CalendarLoader.files(inSOPFolder: $0) }
    }

    /// A path with `.` and repeated separators removed, to compare paths spelt differently.
    static func normalised(_ path: String) -> String {
        let standard = (path as NSString).standardizingPath
        return standard.isEmpty ? "." : standard
    }

    /// The help for an outcome an SOP never ends with: the ones it does, quoted as written.
    static func outcomesHelp(_ outcomes: [String]) -> String {
        outcomes.isEmpty ? "the SOP has no end state; give one 'end: OUTCOME'"
            : "write one of its outcomes: " + outcomes.map { "'\($0)'" }.joined(separator: ", ")
    }

    /// Lints in-memory files as one set.
    public func lint(sources: [SourceFile]) -> LintReport {
        lintSet(count: sources.count, path: { sources[$0].path }) { i in .source(sources[i]) }
    }

    private enum Loaded {
        case source(SourceFile)
        case tooBig(Diagnostic)
    }

    private func lintSet(count: Int, path: (Int) -> String, knownCalendars: [String: String] = [:],
                         load: @Sendable (Int) throws(LintInputError) -> Loaded) -> LintReport {
        // A ticket schema in the set is the set's schema (the first one given).
        if let schemaIndex = (0..<count).first(where: { Self.isTicketSchemaFile(path($0)) }) {
            var linter = self
            var inputErrors: [LintInputError] = []
            do {
                switch try load(schemaIndex) {
                case .source(let source):
                    linter.readTicketSchema(source)
                case .tooBig(let d):
                    linter.ticketSchema = nil
                    linter.ticketSchemaError = d
                }
            } catch {
                inputErrors.append(error)
            }
            var report = linter.lintFiles(count: count, path: path, skipping: schemaIndex, knownCalendars: knownCalendars, load: load)
            report.inputErrors += inputErrors
            return report
        }
        return lintFiles(count: count, path: path, skipping: nil, knownCalendars: knownCalendars, load: load)
    }

    private func lintFiles(count: Int, path: (Int) -> String, skipping: Int?, knownCalendars: [String: String],
                           load: @Sendable (Int) throws(LintInputError) -> Loaded) -> LintReport {
        let files = (0..<count).filter { $0 != skipping && !Self.isTicketSchemaFile(path($0)) }
        let sopIndices = files.filter { SOPFileKind(path: path($0)) == .sop }
        let testIndices = files.filter { SOPFileKind(path: path($0)) != .sop }
        let (sops, index) = lintSOPs(sopIndices, load: load)
        let (others, calendars) = lintScenariosAndCalendars(testIndices, index: index, load: load)
        var diagnostics = sops.diagnostics + others.diagnostics

        // Phase 3: references between files, once every SOP and calendar id is known.
        let calendarIDs = Set(calendars.keys).union(knownCalendars.keys).sorted()
        for result in sops.results {
            diagnostics += resolve(result.references, file: result.path, index: index, calendars: calendarIDs)
            Self.helpCallingSOPs(result.references, file: result.path, index: index, in: &diagnostics)
        }
        diagnostics += schemaDiagnostics(count: count, path: path)
        for result in sops.results + others.results where !result.suppressions.isEmpty {
            Suppression.apply(result.suppressions, file: result.path, to: &diagnostics)
        }
        diagnostics.sort(by: Diagnostic.ordered)
        return LintReport(diagnostics: diagnostics, fileCount: count, inputErrors: sops.inputErrors + others.inputErrors)
    }

    /// What one phase of `lintSet` found: each file's result, the diagnostics (the files' own and
    /// those across the phase's files), and the files that could not be read.
    private struct PhaseResults {
        var results: [FileLintResult] = []
        var diagnostics: [Diagnostic] = []
        var inputErrors: [LintInputError] = []
    }

    /// Phase 1: every SOP file on its own, in parallel; then the index of SOP ids, each id's
    /// first file (a later file with the same id is reported).
    private func lintSOPs(_ indices: [Int], load: @Sendable (Int) throws(LintInputError) -> Loaded)
        -> (PhaseResults, index: [String: SOPIndexEntry]) {
        let sopResults: [Result<FileLintResult, LintInputError>] = parallelMap(indices) { i in
            Result { () throws(LintInputError) -> FileLintResult in
                switch try load(i) {
                case .source(let source): return self.lintSOP(source)
                case .tooBig(let d): return FileLintResult(path: d.file, diagnostics: [d])
                }
            }
        }
        var phase = PhaseResults()
        var index: [String: SOPIndexEntry] = [:]
        for r in sopResults {
            switch r {
            case .success(var result):
                result.definition = nil  // only what the set needs is kept: memory follows the largest file
                phase.results.append(result)
            case .failure(let error): phase.inputErrors.append(error)
            }
        }
        for result in phase.results {
            phase.diagnostics += result.diagnostics
            guard let entry = result.entry else { continue }
            if let first = index[entry.id] {
                phase.diagnostics.append(Self.duplicateID(entry, first: first))
            } else {
                index[entry.id] = entry
            }
        }
        return (phase, index)
    }

    /// Phase 2: scenario tests, against the index of the whole set, and calendars, in parallel;
    /// then the calendar ids, each id's first file (a later file with the same id is reported).
    private func lintScenariosAndCalendars(_ indices: [Int], index: [String: SOPIndexEntry],
                                           load: @Sendable (Int) throws(LintInputError) -> Loaded)
        -> (PhaseResults, calendars: [String: String]) {
        let testResults: [Result<FileLintResult, LintInputError>] = parallelMap(indices) { i in
            Result { () throws(LintInputError) -> FileLintResult in
                switch try load(i) {
                case .source(let source) where SOPFileKind(path: source.path) == .calendar: return self.lintCalendar(source)
                case .source(let source): return self.lintScenario(source, index: index)
                case .tooBig(let d): return FileLintResult(path: d.file, diagnostics: [d])
                }
            }
        }
        var phase = PhaseResults()
        var calendars: [String: String] = [:]
        for r in testResults {
            switch r {
            case .success(let result):
                phase.diagnostics += result.diagnostics
                if let (id, duplicate) = result.calendarID {
                    if let first = calendars[id] {
                        var d = duplicate
                        d.message = "calendar id '\(id)' is also the id of \(first)"
                        phase.diagnostics.append(d)
                    } else {
                        calendars[id] = result.path
                    }
                }
                phase.results.append(result)
            case .failure(let error): phase.inputErrors.append(error)
            }
        }
        return (phase, calendars)
    }

    /// The ticket schema's own diagnostics, or, for a non-empty set without one, the note that
    /// ticket fields go unchecked (on the set's first path).
    private func schemaDiagnostics(count: Int, path: (Int) -> String) -> [Diagnostic] {
        if let schema = ticketSchema { return Self.withSourceLines(schema.diagnostics, schema.source) }
        if let ticketSchemaError { return [ticketSchemaError] }
        guard count > 0 else { return [] }
        return [Self.noTicketSchemaDiagnostic(file: (0..<count).map(path).filter { !Self.isTicketSchemaFile($0) }.min() ?? path(0))]
    }

    /// What a second SOP with an id already taken is told, with the first one's id as the related place.
    static func duplicateID(_ entry: SOPIndexEntry, first: SOPIndexEntry) -> Diagnostic {
        var d = Diagnostic(file: entry.file, span: entry.idSpan, rule: DuplicateKeyRule.self,
                           message: "SOP id '\(entry.id)' is also the id of \(first.file)", help: "give each SOP its own id")
        d.related = [Diagnostic.RelatedPlace(file: first.file, span: first.idSpan, message: "SOP '\(first.id)' first defined here")]
        return d
    }

    /// The note that ticket fields go unchecked, on a set's first path.
    static func noTicketSchemaDiagnostic(file: String) -> Diagnostic {
        Diagnostic(file: file, span: .fileStart, rule: NoTicketSchemaRule.self,
                   message: "no ticket schema was found, so ticket fields are not checked",
                   help: "create schemas/ticket.schema.json, or pass --ticket-schema FILE")
    }

    /// Reads a file, checking its size first so an oversized file is never loaded.
    private func readFile(_ path: String) throws(LintInputError) -> Loaded {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw LintInputError.unreadable(path, String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw LintInputError.unreadable(path, "not a regular file")
        }
        let size = Int(info.st_size)
        if let tooBig = limits.sizeProblem(size: size) { return .tooBig(tooBig.diagnostic(file: path)) }
        // Read straight into the array's storage: no zero-filling first.
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            var done = 0
            while done < size {
                let n = read(fd, buffer.baseAddress! + done, size - done)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { break }
                done += n
            }
            initialized = done
        }
        return .source(SourceFile(path: path, bytes: bytes))
    }

    // MARK: One file

    /// Lints one file's contents on its own (references to other SOPs are not resolved), its
    /// suppressions applied.
    public func lint(_ source: SourceFile) -> FileLintResult {
        var result: FileLintResult
        switch SOPFileKind(path: source.path) {
        case .sop: result = lintSOP(source)
        case .scenarioTest: result = lintScenario(source, index: nil)
        case .calendar: result = lintCalendar(source)
        }
        Suppression.apply(result.suppressions, file: result.path, to: &result.diagnostics)
        result.diagnostics.sort(by: Diagnostic.ordered)  // source lines are already there
        return result
    }

    func lintSOP(_ source: SourceFile) -> FileLintResult {
        let loaded = SOPLoader.load(source, limits: limits)
        var diagnostics = loaded.diagnostics
        var result = FileLintResult(path: source.path, diagnostics: [])
        if let sop = loaded.definition {
            var expressions = ExpressionPass(sop: sop, templateTexts: loaded.templateTexts, source: source, ticketType: ticketSchema?.type)
            let found = expressions.run()
            diagnostics += found.diagnostics
            let context = RuleContext(sop: sop, source: source, path: source.path, environment: expressions.checker.environment,
                                      inputsRead: found.inputsRead, guards: found.guards, graph: StateGraph(sop),
                                      stateHasError: RuleContext.statesWithErrors(loaded.stateSpans, errors: diagnostics,
                                                                                  stateCount: sop.states.count),
                                      ticketSchema: ticketSchema)
            var sink = DiagnosticSink(file: source.path)
            for rule in LintRules.sopChecks { rule.check(context, into: &sink) }
            diagnostics += sink.diagnostics
            result.entry = SOPIndexEntry(sop, file: source.path)
            result.definition = sop
            result.references = Self.references(of: sop, outcomes: found.childOutcomeComparisons, source: source)
        }
        result.suppressions = Suppression.find(in: source)
        result.diagnostics = Self.withSourceLines(diagnostics, source).sorted(by: Diagnostic.ordered)
        return result
    }

    /// The diagnostics with the text of the line each points at, for rendering.
    public static func withSourceLines(_ diagnostics: [Diagnostic], _ source: SourceFile) -> [Diagnostic] {
        diagnostics.map { d in
            var d = d
            if d.file == source.path, d.sourceLine == nil { d.sourceLine = source.lineText(d.span.start.line) }
            return d
        }
    }

    // MARK: References across files

    static func references(of sop: SOPDefinition, outcomes: [(outcome: String, span: SourceSpan, state: Int)],
                           source: SourceFile) -> [CrossReference] {
        var refs: [CrossReference] = []
        func add(_ kind: CrossReference.Kind, _ id: Located<String>) {
            refs.append(CrossReference(kind: kind, id: id.value, span: id.span, sourceLine: source.lineText(id.span.start.line)))
        }
        func actions(_ list: [Action]) {
            for case .start(let sop) in list { add(.sop(what: "'start'"), sop) }
        }
        for calendar in CompiledSOP.calendarReferences(sop) { add(.calendar, calendar) }
        for state in sop.states {
            if let call = state.call { add(.sop(what: "'call'"), call) }
            actions(state.enter)
            for t in state.transitions {
                actions(t.actions)
                if sop.state(t.to.value) == nil { add(.unknownStateTarget, t.to) }
            }
        }
        for o in outcomes {
            let state = sop.states[o.state]
            refs.append(CrossReference(kind: .childOutcome(outcome: o.outcome, state: state.id.value, calledSOP: state.call?.value),
                                       id: o.outcome, span: o.span, sourceLine: source.lineText(o.span.start.line)))
        }
        return refs
    }

    /// `to: goodwill` where `goodwill` is an SOP, not a state: a run cannot move into another SOP,
    /// it calls it from a state of its own. The file's `unknown-state` finding gets that help.
    static func helpCallingSOPs(_ refs: [CrossReference], file: String, index: [String: SOPIndexEntry], in diagnostics: inout [Diagnostic]) {
        for ref in refs {
            guard case .unknownStateTarget = ref.kind, index[ref.id] != nil,
                  let i = diagnostics.firstIndex(where: { $0.rule == UnknownStateRule.id && $0.file == file && $0.span == ref.span })
            else { continue }
            diagnostics[i].help = "'\(ref.id)' is an SOP, not a state: lead to a state with 'call: \(ref.id)' that runs it and waits for its end"
        }
    }

    func resolve(_ refs: [CrossReference], file: String, index: [String: SOPIndexEntry], calendars: [String]) -> [Diagnostic] {
        var out: [Diagnostic] = []
        for ref in refs {
            var d: Diagnostic?
            switch ref.kind {
            case .calendar:
                if !calendars.contains(ref.id) {
                    d = UnknownCalendarRule.diagnostic(Located(ref.id, at: ref.span), file: file, known: calendars)
                }
            case .sop(let what):
                if index[ref.id] == nil {
                    let guess = Suggestions.didYouMean(ref.id, at: ref.span, in: index.keys.sorted())
                    d = Diagnostic(file: file, span: ref.span, rule: UnknownSOPRule.self,
                                   message: "\(what) names '\(ref.id)', which is not an SOP of the linted set",
                                   help: guess?.help ?? "lint the SOP it names together with this one")
                    d?.fixes = guess.map { [$0.fix] } ?? []
                }
            case .unknownStateTarget:
                break  // reported by the file already; `helpCallingSOPs` completes its help
            case .childOutcome(let outcome, let state, let called):
                if let called {
                    if let entry = index[called], !entry.outcomes.contains(outcome) {
                        d = Diagnostic(file: file, span: ref.span, rule: UnknownOutcomeRule.self,
                                       message: "SOP '\(called)' never ends with outcome '\(outcome)'; its outcomes are \(entry.outcomes.joined(separator: ", "))",
                                       help: Suggestions.didYouMean(outcome, in: entry.outcomes) ?? Self.outcomesHelp(entry.outcomes))
                    }
                } else {
                    d = Diagnostic(file: file, span: ref.span, rule: UnknownOutcomeRule.self,
                                   message: "state '\(state)' calls no SOP, so child.outcome is never '\(outcome)' there",
                                   help: "add 'call: SOP' to the state, or test something else")
                }
            }
            if var d {
                d.sourceLine = ref.sourceLine
                out.append(d)
            }
        }
        return out
    }

    // MARK: Calendars

    func lintCalendar(_ source: SourceFile) -> FileLintResult {
        let loaded = CalendarLoader.load(source, limits: limits)
        var result = FileLintResult(path: source.path, diagnostics: Self.withSourceLines(loaded.diagnostics, source).sorted(by: Diagnostic.ordered),
                                    suppressions: Suppression.find(in: source))
        // A calendar with errors still defines its id: its error is reported here, once, and the
        // SOPs that name it are not told that no calendar is defined.
        if let id = loaded.id, let span = loaded.idSpan {
            // What a second calendar of the same id in the set is told (the message is set then).
            let duplicate = Diagnostic(file: source.path, span: span, rule: DuplicateKeyRule.self, message: "", help: "give each calendar its own id")
            result.calendarID = (id, Self.withSourceLines([duplicate], source)[0])
        }
        return result
    }

    // MARK: Scenario tests

    func lintScenario(_ source: SourceFile, index: [String: SOPIndexEntry]?) -> FileLintResult {
        let (file, loadDiagnostics) = ScenarioLoader.load(source, limits: limits)
        var sink = DiagnosticSink(file: source.path)
        if let file, let index {
            ScenarioLint(index: index, ticketType: ticketSchema?.type).check(file, into: &sink)
        }
        return FileLintResult(path: source.path,
                              diagnostics: Self.withSourceLines(loadDiagnostics + sink.diagnostics, source).sorted(by: Diagnostic.ordered),
                              suppressions: Suppression.find(in: source))
    }
}
