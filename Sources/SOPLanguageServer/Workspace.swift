import Foundation
import SOPCore
import SOPDiagnostics
import SOPYAML

/// `file://` URIs and paths.
public enum FileURI {
    /// The path of a `file:` URI (percent-escapes decoded), nil for another scheme.
    public static func path(of uri: String) -> String? {
        guard uri.lowercased().hasPrefix("file://") else { return nil }
        var rest = String(uri.dropFirst("file://".count))
        if rest.lowercased().hasPrefix("localhost/") { rest = String(rest.dropFirst("localhost".count)) }
        guard rest.hasPrefix("/") else { return nil }
        return rest.removingPercentEncoding ?? rest
    }

    /// The `file:` URI of an absolute path: characters other than unreserved ones and `/`
    /// percent-escaped.
    public static func uri(of path: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(127)))
        allowed.insert(charactersIn: "-._~/")
        return "file://" + (path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path)
    }
}

/// An editor's open document.
struct OpenDocument {
    var uri: String
    var version: Int
    var text: DocumentText
}

/// The files `sop lint` would lint at the workspace's root (the `sops` folder, or the root when
/// there is none; `schemas/ticket.schema.json`; the calendars), the open documents' unsaved text
/// over them, and the lint session that keeps their findings. Paths in the session are relative
/// to the root, as `sop lint` run there spells them, so messages naming files read the same.
final class Workspace {
    let root: String
    let log: (String) -> Void
    let sopFolder: String
    let schemaPath = TicketSchema.defaultPath
    private(set) var session: LintSession
    private var open: [String: OpenDocument] = [:]
    /// Paths whose text changed since the last lint, in order.
    private var pending: [String] = []
    /// What was last published (or, for a file never published, found at start), by path.
    private var published: [String: [Diagnostic]] = [:]
    /// The ticket schema's own problem when its text cannot be read as a schema (the last good
    /// schema stays in use meanwhile).
    private var schemaProblem: Diagnostic?
    /// Open documents outside the SOP folder, in the set while they are open.
    private var outsideSet: Set<String> = []
    /// The URI a client used for each path it opened (sent back as it was given).
    private var uris: [String: String] = [:]

    init(root: String, log: @escaping (String) -> Void) {
        var root = (root as NSString).standardizingPath
        if root.isEmpty { root = "/" }
        self.root = root
        self.log = log
        var isDirectory: ObjCBool = false
        let sops = (root as NSString).appendingPathComponent("sops")
        sopFolder = FileManager.default.fileExists(atPath: sops, isDirectory: &isDirectory) && isDirectory.boolValue ? "sops" : "."
        var schema: TicketSchema?
        let schemaFile = (root as NSString).appendingPathComponent(TicketSchema.defaultPath)
        if let bytes = FileManager.default.contents(atPath: schemaFile) {
            do {
                schema = try TicketSchema.parse(bytes: Array(bytes), path: TicketSchema.defaultPath)
            } catch {
                schemaProblem = Self.schemaProblem(error)
            }
        }
        let folder = sopFolder == "." ? root : sops
        let files = ((try? Linter.files(in: [folder])) ?? []).map { Self.relative($0, to: root) }
        let linter = Linter(ticketSchema: schema)
        var known: [String: String] = [:]
        for file in Linter.folderCalendars(of: [folder], sopFolder: folder) {
            let relative = Self.relative(file, to: root)
            guard !files.contains(relative), let bytes = FileManager.default.contents(atPath: file),
                  let id = CalendarLoader.load(SourceFile(path: relative, bytes: Array(bytes))).id, known[id] == nil else { continue }
            known[id] = relative
        }
        let sources = files.compactMap { path -> SourceFile? in
            FileManager.default.contents(atPath: (root as NSString).appendingPathComponent(path)).map { SourceFile(path: path, bytes: Array($0)) }
        }
        session = LintSession(linter: linter, sources: sources, knownCalendars: known)
        for path in session.paths { published[path] = session.diagnostics(for: path).filter { $0.suppression == nil } }
        log("sop lsp: \(session.paths.count) files at \(root)\(schema == nil ? ", no ticket schema" : "")")
    }

    private static func schemaProblem(_ error: TicketSchema.LoadError) -> Diagnostic {
        // The mistake as `sop lint` reports it (`ticket-schema-syntax`, `ticket-schema-invalid`),
        // at its place in the schema file; an unreadable file is the file's finding.
        error.diagnostic ?? Diagnostic(file: TicketSchema.defaultPath, span: .fileStart, id: TicketSchemaSyntaxRule.id, severity: .error,
                                       message: error.description, help: "until the schema can be read, the last one read is used")
    }

    static func relative(_ path: String, to root: String) -> String {
        let standard = (path as NSString).standardizingPath
        let prefix = root.hasSuffix("/") ? root : root + "/"
        return standard.hasPrefix(prefix) ? String(standard.dropFirst(prefix.count)) : standard
    }

    func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : (root as NSString).appendingPathComponent(path)
    }

    /// Every message names its document by URI; standardizing a path resolves symlinks (a system
    /// call per component), which cost a tenth of a keystroke's time in Benchmarks/lsp-latency.py,
    /// so each URI's path is worked out once.
    private var pathsByURI: [String: String] = [:]

    func path(of uri: String) -> String? {
        if let known = pathsByURI[uri] { return known }
        guard let path = FileURI.path(of: uri).map({ Self.relative($0, to: root) }) else { return nil }
        pathsByURI[uri] = path
        return path
    }

    func uri(of path: String) -> String { uris[path] ?? FileURI.uri(of: absolute(path)) }

    /// A file the language server lints: an SOP, a scenario test or a calendar in YAML, or the
    /// ticket schema.
    private func isLinted(_ path: String) -> Bool {
        path == schemaPath || [".sop.yaml", ".sop.yml", ".test.yaml", ".test.yml", ".calendar.yaml", ".calendar.yml"].contains { path.hasSuffix($0) }
    }

    // MARK: Documents

    func isOpen(uri: String) -> Bool { path(of: uri).map { open[$0] != nil } ?? false }

    func open(uri: String, text: String, version: Int) {
        guard let path = path(of: uri) else { return log("sop lsp: \(uri) is not a file: URI, not linted") }
        uris[path] = uri
        open[path] = OpenDocument(uri: uri, version: version, text: DocumentText(text))
        changed(path)
    }

    func edit(uri: String, range: LSPRange?, text: String, encoding: PositionEncoding) {
        guard let path = path(of: uri) else { return }
        open[path]?.text.apply(range: range, text: text, encoding: encoding)
        changed(path)
    }

    func replaceText(uri: String, text: String) {
        guard let path = path(of: uri), open[path] != nil else { return }
        open[path]?.text = DocumentText(text)
        changed(path)
    }

    func setVersion(uri: String, _ version: Int) {
        guard let path = path(of: uri) else { return }
        open[path]?.version = version
    }

    func saved(uri: String) {
        guard let path = path(of: uri) else { return }
        changed(path)
    }

    func close(uri: String) {
        guard let path = path(of: uri) else { return }
        open[path] = nil
        diskChanged(path: path)
    }

    func diskChanged(uri: String, deleted: Bool) {
        guard let path = path(of: uri), open[path] == nil else { return }  // an open document's text wins
        diskChanged(path: path)
    }

    private func diskChanged(path: String) { changed(path) }

    private func changed(_ path: String) {
        guard isLinted(path) else { return }
        if !pending.contains(path) { pending.append(path) }
    }

    func version(of path: String) -> Int? { open[path]?.version }

    /// The text of a file as the server sees it: the open document's, else the disk's.
    func text(of path: String) -> [UInt8]? {
        if let doc = open[path] { return doc.text.bytes }
        if let source = session.source(of: path) { return source.bytes }
        return FileManager.default.contents(atPath: absolute(path)).map(Array.init)
    }

    func source(of path: String) -> SourceFile? {
        if let doc = open[path] { return SourceFile(path: path, bytes: doc.text.bytes) }
        return session.source(of: path) ?? text(of: path).map { SourceFile(path: path, bytes: $0) }
    }

    // MARK: Linting

    /// Lints the files changed since the last time (each once, with its latest text) and
    /// returns the URIs and paths to publish: each changed open document, and every other file
    /// whose findings changed.
    func lintChanges() -> [(uri: String, path: String)] {
        guard !pending.isEmpty else { return [] }
        let changed = pending
        pending = []
        var affected: [String] = []
        for path in changed {
            if path == schemaPath {
                affected += reloadSchema()
                continue
            }
            if let bytes = text(ofChanged: path) {
                let kind = SOPFileKind(path: path)
                let inSet = session.paths.contains(path)
                // An open document outside the linted set joins it while open; one on disk only
                // if it is of the set.
                guard inSet || open[path] != nil || kind != .sop || isInSOPFolder(path) else { continue }
                if !inSet && !isInSOPFolder(path) { outsideSet.insert(path) }
                affected += session.set(SourceFile(path: path, bytes: bytes)).affected
            } else {
                affected += session.remove(path).affected
            }
        }
        if schemaProblem != nil || changed.contains(schemaPath) { affected.append(schemaPath) }
        var out: [(String, String)] = []
        var seen = Set<String>()
        for path in affected where seen.insert(path).inserted {
            let now = diagnostics(for: path)
            let isChangedDocument = changed.contains(path) && open[path] != nil
            if now == published[path] && !isChangedDocument { continue }
            published[path] = now
            out.append((uri(of: path), path))
        }
        return out
    }

    private func isInSOPFolder(_ path: String) -> Bool {
        sopFolder == "." ? !path.hasPrefix("/") : path.hasPrefix(sopFolder + "/")
    }

    /// The text of a changed file: the open document's, the disk's, or nil when it is gone (a
    /// closed file no longer on disk, or one the set does not hold).
    private func text(ofChanged path: String) -> [UInt8]? {
        if let doc = open[path] { return doc.text.bytes }
        // A document from outside the SOP folder leaves the set when it is closed.
        if outsideSet.remove(path) != nil { return nil }
        guard let data = FileManager.default.contents(atPath: absolute(path)) else { return nil }
        // A closed file outside the set leaves it.
        guard session.paths.contains(path) || isInSOPFolder(path) else { return nil }
        return Array(data)
    }

    private func reloadSchema() -> [String] {
        guard let bytes = open[schemaPath]?.text.bytes ?? FileManager.default.contents(atPath: absolute(schemaPath)).map(Array.init) else {
            schemaProblem = nil
            return session.setTicketSchema(nil).affected
        }
        do {
            let schema = try TicketSchema.parse(bytes: bytes, path: schemaPath)
            schemaProblem = nil
            return session.setTicketSchema(schema).affected
        } catch {
            schemaProblem = Self.schemaProblem(error)
            return []
        }
    }

    /// A file's findings as `sop lint` reports them, without the suppressed ones.
    func diagnostics(for path: String) -> [Diagnostic] {
        if path == schemaPath {
            if let schemaProblem { return [schemaProblem] }
            guard let schema = session.linter.ticketSchema else { return [] }
            return Linter.withSourceLines(schema.diagnostics, schema.source)
        }
        return session.diagnostics(for: path).filter { $0.suppression == nil }
    }

    /// The text the session linted for a file, with LSP's line table over it: what turns the
    /// file's spans into LSP ranges.
    func linted(_ path: String) -> (source: SourceFile, text: DocumentText) {
        let source = path == schemaPath ? (session.linter.ticketSchema?.source ?? SourceFile(path: path, bytes: text(of: path) ?? []))
            : (session.source(of: path) ?? SourceFile(path: path, bytes: []))
        // An open document linted as it is already has its line table (the same bytes: the
        // comparison is of the arrays' storage first).
        if let doc = open[path], doc.text.bytes == source.bytes { return (source, doc.text) }
        return (source, DocumentText(source.bytes))
    }
}
