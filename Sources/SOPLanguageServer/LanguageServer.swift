import Foundation
import SOPCore
import SOPDiagnostics
import SOPJSON

/// The language server of `sop lsp` (docs/lsp.md): takes JSON-RPC message bodies, answers
/// requests and publishes diagnostics through `send`. It does no I/O on the protocol's streams
/// itself (the transport frames and reads; tests drive it in process), and is not thread-safe:
/// one thread hands it messages.
///
/// Changes are coalesced: `handle(batch:)` applies every message of a batch (all that had
/// arrived), and lints the documents changed in it once, with their latest text, at the end.
public final class LanguageServer {
    public struct Options: Sendable {
        /// Where docs/lint-rules.md is, for each diagnostic's `codeDescription` link (a URL
        /// ending in `/`, the docs folder). `initializationOptions.docsURL` overrides it.
        public var docsBase: String?
        public var version: String

        public init(docsBase: String? = nil, version: String = "0.1.0") {
            self.docsBase = docsBase
            self.version = version
        }
    }

    enum Phase { case uninitialized, running, shuttingDown }

    private let send: (JSONValue) -> Void
    private let log: (String) -> Void
    private var options: Options
    private var phase = Phase.uninitialized
    /// Set by `exit`: 0 after `shutdown`, 1 otherwise.
    public private(set) var exitCode: Int32?
    var encoding = PositionEncoding.utf16
    var workspace: Workspace?
    private var nextRequestID = 1
    /// Ids of requests cancelled before they were handled.
    private var cancelled: Set<JSONValue> = []

    public init(options: Options = Options(), send: @escaping (JSONValue) -> Void, log: @escaping (String) -> Void) {
        self.options = options
        self.send = send
        self.log = log
    }

    // MARK: Messages

    /// Handles the messages that arrived together, then lints what they changed.
    public func handle(batch bodies: [[UInt8]]) {
        // A cancellation in the batch applies to a request before it, not yet handled.
        let messages = bodies.map(parse)
        for case .success(let message) in messages where message["method"]?.stringValue == "$/cancelRequest" {
            if let id = message["params"]?["id"], id != .null { cancelled.insert(id) }
        }
        for message in messages {
            switch message {
            case .success(let value): dispatch(value)
            case .failure(let error): send(RPC.error(id: .null, error))
            }
            if exitCode != nil { return }
        }
        cancelled.removeAll()
        flush()
    }

    /// Handles one message body (and lints what it changed).
    public func handle(_ body: [UInt8]) { handle(batch: [body]) }

    private func parse(_ body: [UInt8]) -> Result<JSONValue, RPCError> {
        do {
            return .success(try JSONParser.parse(body))
        } catch {
            return .failure(RPCError(.parseError, "the message is not valid JSON: \(error.message) at \(error.position)"))
        }
    }

    private func dispatch(_ message: JSONValue) {
        guard message.isObject else {
            send(RPC.error(id: .null, RPCError(.invalidRequest, "a message must be a JSON object (batches are not part of LSP)")))
            return
        }
        let id = message["id"]
        let validID = id.map { $0.intValue != nil || $0.stringValue != nil } ?? false
        guard message["jsonrpc"]?.stringValue == "2.0" else {
            send(RPC.error(id: validID ? id! : .null, RPCError(.invalidRequest, "the message must have \"jsonrpc\": \"2.0\"")))
            return
        }
        guard let methodValue = message["method"] else {
            // A response to a request of ours (client/registerCapability): nothing waits for it.
            if id != nil, message["result"] != nil || message["error"] != nil { return }
            send(RPC.error(id: validID ? id! : .null, RPCError(.invalidRequest, "the message has no method")))
            return
        }
        guard let method = methodValue.stringValue else {
            send(RPC.error(id: validID ? id! : .null, RPCError(.invalidRequest, "the method must be a string")))
            return
        }
        if let id, !validID {
            if id != .null { send(RPC.error(id: .null, RPCError(.invalidRequest, "a request id must be a number or a string"))) }
            return
        }
        let params = message["params"] ?? .null
        if let id {
            if cancelled.contains(id) {
                send(RPC.error(id: id, RPCError(.requestCancelled, "the request was cancelled")))
                return
            }
            // A request sees the findings of every change before it (a code action's fixes
            // come from them): changes queued before it are linted first.
            if phase == .running { flush() }
            do {
                send(RPC.response(id: id, result: try request(method, Params(value: params))))
            } catch {
                send(RPC.error(id: id, error))
            }
        } else {
            notification(method, Params(value: params))
        }
    }

    private func request(_ method: String, _ params: Params) throws(RPCError) -> JSONValue {
        switch phase {
        case .uninitialized:
            guard method == "initialize" else { throw RPCError(.serverNotInitialized, "the server is not initialized: send 'initialize' first") }
            return try initialize(params)
        case .shuttingDown:
            throw RPCError(.invalidRequest, "the server is shutting down: only 'exit' is accepted")
        case .running:
            break
        }
        switch method {
        case "initialize": throw RPCError(.invalidRequest, "the server is already initialized")
        case "shutdown":
            phase = .shuttingDown
            return .null
        case "textDocument/documentSymbol": return try documentSymbols(params)
        case "textDocument/definition": return try definition(params)
        case "textDocument/references": return try references(params)
        case "textDocument/prepareRename": return try prepareRename(params)
        case "textDocument/rename": return try rename(params)
        case "textDocument/codeAction": return try codeActions(params)
        case "textDocument/completion": return try completion(params)
        case "textDocument/hover": return try hover(params)
        default: throw RPCError(.methodNotFound, "'\(method)' is not a method of this server")
        }
    }

    private func notification(_ method: String, _ params: Params) {
        if method == "exit" {
            exitCode = phase == .shuttingDown ? 0 : 1
            return
        }
        guard phase == .running else { return }  // before initialize, notifications are dropped
        do {
            switch method {
            case "initialized": registerFileWatching()
            case "textDocument/didOpen":
                try workspace?.open(uri: params.string("textDocument", "uri"), text: params.string("textDocument", "text"),
                                    version: params.optional("textDocument", "version")?.intValue ?? 0)
            case "textDocument/didChange": try didChange(params)
            case "textDocument/didSave":
                let uri = try params.string("textDocument", "uri")
                if let text = params.optional("text")?.stringValue { workspace?.replaceText(uri: uri, text: text) }
                workspace?.saved(uri: uri)
            case "textDocument/didClose": try workspace?.close(uri: params.string("textDocument", "uri"))
            case "workspace/didChangeWatchedFiles":
                for change in params.optional("changes")?.arrayValue ?? [] {
                    guard let uri = change["uri"]?.stringValue else { continue }
                    workspace?.diskChanged(uri: uri, deleted: change["type"]?.intValue == 3)
                }
            default: break  // `$/…` and other notifications: nothing to do
            }
        } catch {
            log("sop lsp: \(method): \(error.message)")
        }
    }

    // MARK: Lifecycle

    private func initialize(_ params: Params) throws(RPCError) -> JSONValue {
        let offered = params.optional("capabilities", "general", "positionEncodings")?.arrayValue?.compactMap(\.stringValue) ?? []
        encoding = offered.contains(PositionEncoding.utf8.rawValue) ? .utf8 : .utf16
        if let docs = params.optional("initializationOptions", "docsURL")?.stringValue {
            options.docsBase = docs.isEmpty ? nil : (docs.hasSuffix("/") ? docs : docs + "/")
        }
        watchesFiles = params.optional("capabilities", "workspace", "didChangeWatchedFiles", "dynamicRegistration")?.boolValue ?? false
        let rootURI = params.optional("workspaceFolders")?.arrayValue?.first?["uri"]?.stringValue ?? params.optional("rootUri")?.stringValue
        let root = rootURI.flatMap(FileURI.path(of:)) ?? params.optional("rootPath")?.stringValue
        workspace = Workspace(root: root ?? FileManager.default.currentDirectoryPath, log: log)
        phase = .running
        let capabilities = RPC.object([
            ("positionEncoding", .string(encoding.rawValue)),
            ("textDocumentSync", RPC.object([("openClose", .bool(true)), ("change", .int(2)),
                                             ("save", RPC.object([("includeText", .bool(false))]))])),
            ("completionProvider", RPC.object([("triggerCharacters", .array([".", ":", " ", "{"].map { .string($0) }))])),
            ("hoverProvider", .bool(true)),
            ("definitionProvider", .bool(true)),
            ("referencesProvider", .bool(true)),
            ("renameProvider", RPC.object([("prepareProvider", .bool(true))])),
            ("codeActionProvider", RPC.object([("codeActionKinds", .array([.string("quickfix")]))])),
            ("documentSymbolProvider", .bool(true)),
        ])
        return RPC.object([("capabilities", capabilities),
                           ("serverInfo", RPC.object([("name", .string("sop")), ("version", .string(options.version))]))])
    }

    private var watchesFiles = false

    /// Asks the client to tell us of changes to the workspace's files on disk, when it can.
    private func registerFileWatching() {
        guard watchesFiles else { return }
        let globs = ["**/*.sop.yaml", "**/*.sop.yml", "**/*.test.yaml", "**/*.test.yml", "**/*.calendar.yaml", "**/*.calendar.yml",
                     "**/ticket.schema.json"]
        let options = RPC.object([("watchers", .array(globs.map { RPC.object([("globPattern", .string($0))]) }))])
        let registration = RPC.object([("id", .string("sop-files")), ("method", .string("workspace/didChangeWatchedFiles")),
                                       ("registerOptions", options)])
        send(RPC.request(id: nextRequestID, "client/registerCapability", RPC.object([("registrations", .array([registration]))])))
        nextRequestID += 1
    }

    // MARK: Documents

    private func didChange(_ params: Params) throws(RPCError) {
        let uri = try params.string("textDocument", "uri")
        guard let changes = params.optional("contentChanges")?.arrayValue else {
            throw RPCError(.invalidParams, "params.contentChanges must be an array")
        }
        guard workspace?.isOpen(uri: uri) == true else { throw RPCError(.invalidParams, "\(uri) is not open") }
        for change in changes {
            guard let text = change["text"]?.stringValue else { throw RPCError(.invalidParams, "a content change needs its text") }
            workspace?.edit(uri: uri, range: Params.range(change["range"]), text: text, encoding: encoding)
        }
        if let version = params.optional("textDocument", "version")?.intValue { workspace?.setVersion(uri: uri, version) }
    }

    /// Lints what changed since the last flush and publishes the diagnostics that changed
    /// (always those of a document changed, so a client waiting for them gets them).
    public func flush() {
        guard phase == .running, let workspace else { return }
        for (uri, path) in workspace.lintChanges() {
            let linted = workspace.linted(path)
            let diagnostics = workspace.diagnostics(for: path).map { diagnostic($0, source: linted.source, text: linted.text) }
            var params: [(String, JSONValue)] = [("uri", .string(uri))]
            if let version = workspace.version(of: path) { params.append(("version", .int(version))) }
            params.append(("diagnostics", .array(diagnostics)))
            send(RPC.notification("textDocument/publishDiagnostics", RPC.object(params)))
        }
    }

    /// A sopkit diagnostic as an LSP one: range in the client's encoding, the rule id as `code`
    /// with its section of docs/lint-rules.md, and `source: "sop"`.
    func diagnostic(_ d: Diagnostic, source: SourceFile, text: DocumentText) -> JSONValue {
        let range = text.range(of: d.span, in: source, encoding: encoding)
        var message = d.message
        if let help = d.help { message += "\nhelp: \(help)" }
        var pairs: [(String, JSONValue)] = [
            ("range", RPC.range(range)),
            ("severity", .int(d.severity == .error ? 1 : 2)),
            ("code", .string(d.rule.rawValue)),
        ]
        if let base = options.docsBase, LintRules.rule(named: d.rule.rawValue) != nil {
            pairs.append(("codeDescription", RPC.object([("href", .string(base + "lint-rules.md#" + d.rule.rawValue))])))
        }
        pairs += [("source", .string("sop")), ("message", .string(message))]
        if !d.related.isEmpty, let workspace {
            let places: [JSONValue] = d.related.map { place in
                let (relatedSource, relatedText) = place.file == source.path ? (source, text) : workspace.linted(place.file)
                return RPC.object([("location", RPC.location(uri: workspace.uri(of: place.file),
                                                             relatedText.range(of: place.span, in: relatedSource, encoding: encoding))),
                                   ("message", .string(place.message))])
            }
            pairs.append(("relatedInformation", .array(places)))
        }
        return RPC.object(pairs)
    }
}

extension RPCError {
    var messageText: String { message }
}

extension Error {
    var message: String {
        if let e = self as? RPCError { return e.message }
        if let e = self as? JSONSyntaxError { return e.message }
        return "\(self)"
    }
}
