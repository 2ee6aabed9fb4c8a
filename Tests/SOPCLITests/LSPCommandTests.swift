import Foundation
import SOPJSON
import Testing

/// `sop lsp` as an editor runs it: messages framed on standard input, answers and diagnostics
/// on standard output, logs on standard error.
struct LSPCommandTests {
    static func frame(_ json: String) -> Data { Data("Content-Length: \(json.utf8.count)\r\n\r\n\(json)".utf8) }

    static func messages(_ output: String) throws -> [JSONValue] {
        var out: [JSONValue] = []
        var rest = Substring(output)
        while let header = rest.range(of: "\r\n\r\n") {
            let length = try #require(Int(rest[..<header.lowerBound].replacingOccurrences(of: "Content-Length: ", with: "")))
            let body = rest[header.upperBound...].utf8.prefix(length)
            out.append(try JSONParser.parse(Array(body)))
            rest = Substring(String(decoding: rest[header.upperBound...].utf8.dropFirst(length), as: UTF8.self))
        }
        return out
    }

    @Test func theBinaryServesAnEditorSession() throws {
        let dir = try SOPBinary.temporaryDirectory()
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("sops"), withIntermediateDirectories: true)
        let text = "sop: hi\nversion: 1\ntitle: Hi\nstart: a\nstates:\n  a:\n    title: A\n    edn: resolved\n"
        try Data(text.utf8).write(to: dir.appendingPathComponent("sops/hi.sop.yaml"))
        let uri = "file://" + dir.appendingPathComponent("sops/hi.sop.yaml").path
        let escaped = text.replacingOccurrences(of: "\n", with: "\\n")
        var input = Data("Content-Length: nope\r\n\r\n".utf8)  // a bad header: skipped, logged
        input += Self.frame(#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"rootUri":"file://\#(dir.path)","capabilities":{}}}"#)
        input += Self.frame(#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#)
        input += Self.frame(#"{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"\#(uri)","languageId":"yaml","version":1,"text":"\#(escaped)"}}}"#)
        input += Self.frame(#"{"jsonrpc":"2.0","id":2,"method":"shutdown"}"#)
        input += Self.frame(#"{"jsonrpc":"2.0","method":"exit"}"#)
        let result = try SOPBinary.run(["lsp"], in: dir, stdin: input)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("Content-Length 'nope'"))
        let messages = try Self.messages(result.stdout)
        #expect(messages.first?["result"]?["capabilities"]?["positionEncoding"] == .string("utf-16"))
        let published = try #require(messages.first { $0["method"] == .string("textDocument/publishDiagnostics") })
        #expect(published["params"]?["uri"] == .string(uri))
        guard case .array(let diagnostics)? = published["params"]?["diagnostics"] else { Issue.record("no diagnostics"); return }
        #expect(diagnostics.contains { $0["code"] == .string("unknown-key") && $0["source"] == .string("sop") })
        #expect(messages.last?["id"] == .int(2))
    }

    @Test func exitWithoutShutdownIsOne() throws {
        let dir = try SOPBinary.temporaryDirectory()
        let result = try SOPBinary.run(["lsp"], in: dir, stdin: Self.frame(#"{"jsonrpc":"2.0","method":"exit"}"#))
        #expect(result.status == 1)
        let ended = try SOPBinary.run(["lsp"], in: dir, stdin: Data())
        #expect(ended.status == 1)
        #expect(ended.stderr.contains("ended without 'exit'"))
    }

    @Test func helpDescribesTheServer() throws {
        let result = try SOPBinary.run(["lsp", "--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("Language Server Protocol"))
    }
}
