import Foundation
import SOPJSON
import SOPLanguageServer
import Testing
import TestSupport

/// An LSP client in the test process driving the real server: each message goes through the
/// framer as bytes, as on standard input, and what the server sends is collected.
final class TestClient {
    private(set) var sent: [JSONValue] = []
    private(set) var logs: [String] = []
    var server: LanguageServer!
    private var nextID = 1
    let root: URL

    /// A client on a workspace holding `files` (path relative to the root → text), initialized.
    init(files: [String: String], initialize: Bool = true, capabilities: JSONValue = .object(JSONObject()),
         initializationOptions: JSONValue? = nil, docsBase: String? = nil) throws {
        root = try ScratchDirectory.make("lsp")
        for (path, text) in files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        server = LanguageServer(options: .init(docsBase: docsBase), send: { [unowned self] in sent.append($0) }, log: { [unowned self] in logs.append($0) })
        if initialize {
            var params: [(String, JSONValue)] = [("processId", .null), ("rootUri", .string(uri(""))), ("capabilities", capabilities)]
            if let initializationOptions { params.append(("initializationOptions", initializationOptions)) }
            _ = try request("initialize", .object(JSONObject(params)))
            notify("initialized", .object(JSONObject()))
        }
    }

    func uri(_ path: String) -> String { FileURI.uri(of: root.appendingPathComponent(path).path) }

    /// Frames messages as the client would write them and hands the server the bodies.
    func deliver(_ messages: [JSONValue]) {
        var framer = MessageFramer()
        for m in messages { framer.append(MessageFramer.frame(m.renderBytes())) }
        var bodies: [[UInt8]] = []
        while case .message(let body)? = framer.next() { bodies.append(body) }
        server.handle(batch: bodies)
    }

    static func message(_ pairs: [(String, JSONValue)]) -> JSONValue {
        .object(JSONObject([("jsonrpc", .string("2.0"))] + pairs))
    }

    func requestMessage(_ method: String, _ params: JSONValue) -> (Int, JSONValue) {
        let id = nextID
        nextID += 1
        return (id, Self.message([("id", .int(id)), ("method", .string(method)), ("params", params)]))
    }

    /// Sends a request and returns its result; an error answer fails the test.
    @discardableResult
    func request(_ method: String, _ params: JSONValue) throws -> JSONValue {
        let response = try rawRequest(method, params)
        let error = response["error"]
        #expect(error == nil, "\(method): \(error?.render() ?? "")")
        return try #require(response["result"])
    }

    /// Sends a request and returns the whole response message.
    func rawRequest(_ method: String, _ params: JSONValue) throws -> JSONValue {
        let (id, message) = requestMessage(method, params)
        let before = sent.count
        deliver([message])
        return try #require(sent[before...].first { $0["id"] == .int(id) }, "no answer to \(method)")
    }

    func notify(_ method: String, _ params: JSONValue) {
        deliver([Self.message([("method", .string(method)), ("params", params)])])
    }

    func notification(_ method: String, _ params: JSONValue) -> JSONValue {
        Self.message([("method", .string(method)), ("params", params)])
    }

    func open(_ path: String, _ text: String? = nil, version: Int = 1) throws {
        let text = try text ?? String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
        notify("textDocument/didOpen", .object([("textDocument", .object([("uri", .string(uri(path))), ("languageId", .string("yaml")),
                                                                           ("version", .int(version)), ("text", .string(text))]))]))
    }

    func change(_ path: String, version: Int, _ changes: [(range: (Int, Int, Int, Int)?, text: String)]) {
        deliver([changeMessage(path, version: version, changes)])
    }

    func changeMessage(_ path: String, version: Int, _ changes: [(range: (Int, Int, Int, Int)?, text: String)]) -> JSONValue {
        let list: [JSONValue] = changes.map { change in
            guard let (l0, c0, l1, c1) = change.range else { return .object([("text", .string(change.text))]) }
            return .object([("range", Self.range(l0, c0, l1, c1)), ("text", .string(change.text))])
        }
        return notification("textDocument/didChange", .object([("textDocument", .object([("uri", .string(uri(path))), ("version", .int(version))])),
                                                               ("contentChanges", .array(list))]))
    }

    static func range(_ l0: Int, _ c0: Int, _ l1: Int, _ c1: Int) -> JSONValue {
        .object([("start", .object([("line", .int(l0)), ("character", .int(c0))])),
                 ("end", .object([("line", .int(l1)), ("character", .int(c1))]))])
    }

    static func position(_ line: Int, _ character: Int) -> JSONValue {
        .object([("line", .int(line)), ("character", .int(character))])
    }

    func at(_ path: String, _ line: Int, _ character: Int) -> JSONValue {
        .object([("textDocument", .object([("uri", .string(uri(path)))])), ("position", Self.position(line, character))])
    }

    /// The diagnostics last published for a file, nil when none were.
    func published(_ path: String) -> [JSONValue]? {
        sent.last { $0["method"]?.render() == "\"textDocument/publishDiagnostics\"" && $0["params"]?["uri"] == .string(uri(path)) }?["params"]?["diagnostics"]
            .flatMap { if case .array(let a) = $0 { a } else { nil } }
    }

    func publications(_ path: String) -> Int {
        sent.filter { $0["method"] == .string("textDocument/publishDiagnostics") && $0["params"]?["uri"] == .string(uri(path)) }.count
    }

    func clear() { sent = [] }
}

extension JSONValue {
    var string: String? { if case .string(let s) = self { s } else { nil } }
    var int: Int? { if case .int(let n) = self { n } else { nil } }
    var array: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
}
