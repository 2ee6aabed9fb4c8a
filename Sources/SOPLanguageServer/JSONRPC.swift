import SOPJSON

/// JSON-RPC 2.0's error codes, and LSP's own.
public enum RPCErrorCode: Int, Sendable {
    case parseError = -32700
    case invalidRequest = -32600
    case methodNotFound = -32601
    case invalidParams = -32602
    case internalError = -32603
    case serverNotInitialized = -32002
    case requestCancelled = -32800
    case requestFailed = -32803
}

/// An error a request is answered with.
public struct RPCError: Error, Sendable {
    public var code: RPCErrorCode
    public var message: String

    public init(_ code: RPCErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }
}

/// Building and reading the protocol's JSON.
enum RPC {
    static func object(_ pairs: [(String, JSONValue)]) -> JSONValue { .object(JSONObject(pairs)) }

    static func response(id: JSONValue, result: JSONValue) -> JSONValue {
        object([("jsonrpc", .string("2.0")), ("id", id), ("result", result)])
    }

    static func error(id: JSONValue, _ error: RPCError) -> JSONValue {
        object([("jsonrpc", .string("2.0")), ("id", id),
                ("error", object([("code", .int(error.code.rawValue)), ("message", .string(error.message))]))])
    }

    static func notification(_ method: String, _ params: JSONValue) -> JSONValue {
        object([("jsonrpc", .string("2.0")), ("method", .string(method)), ("params", params)])
    }

    static func request(id: Int, _ method: String, _ params: JSONValue) -> JSONValue {
        object([("jsonrpc", .string("2.0")), ("id", .int(id)), ("method", .string(method)), ("params", params)])
    }

    static func position(_ p: LSPPosition) -> JSONValue {
        object([("line", .int(p.line)), ("character", .int(p.character))])
    }

    static func range(_ r: LSPRange) -> JSONValue {
        object([("start", position(r.start)), ("end", position(r.end))])
    }

    static func location(uri: String, _ r: LSPRange) -> JSONValue {
        object([("uri", .string(uri)), ("range", range(r))])
    }
}

extension JSONValue {
    var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    var intValue: Int? { if case .int(let n) = self { return n } else { return nil } }
    var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    var arrayValue: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    var isObject: Bool { if case .object = self { return true } else { return false } }
}

/// Reading a request's params: each accessor throws invalid params with the path it wanted.
struct Params {
    let value: JSONValue

    func string(_ path: String...) throws(RPCError) -> String {
        guard let s = lookup(path)?.stringValue else { throw RPCError(.invalidParams, "params.\(path.joined(separator: ".")) must be a string") }
        return s
    }

    func int(_ path: String...) throws(RPCError) -> Int {
        guard let n = lookup(path)?.intValue, n >= 0 else {
            throw RPCError(.invalidParams, "params.\(path.joined(separator: ".")) must be a non-negative integer")
        }
        return n
    }

    func optional(_ path: String...) -> JSONValue? {
        guard let v = lookup(path), v != .null else { return nil }
        return v
    }

    func position(_ path: String...) throws(RPCError) -> LSPPosition {
        guard let p = lookup(path), let line = p["line"]?.intValue, let character = p["character"]?.intValue, line >= 0, character >= 0 else {
            throw RPCError(.invalidParams, "params.\(path.joined(separator: ".")) must be a position {line, character}")
        }
        return LSPPosition(line: line, character: character)
    }

    static func range(_ value: JSONValue?) -> LSPRange? {
        guard let value, let s = value["start"], let e = value["end"],
              let sl = s["line"]?.intValue, let sc = s["character"]?.intValue,
              let el = e["line"]?.intValue, let ec = e["character"]?.intValue,
              sl >= 0, sc >= 0, el >= 0, ec >= 0 else { return nil }
        return LSPRange(start: LSPPosition(line: sl, character: sc), end: LSPPosition(line: el, character: ec))
    }

    private func lookup(_ path: [String]) -> JSONValue? {
        var v: JSONValue? = value
        for key in path { v = v?[key] }
        return v
    }
}
