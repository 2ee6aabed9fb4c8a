import Foundation
import SOPJSON
import SOPLanguageServer

/// The language server's fuzz targets (`sop lsp`).
extension FuzzTargets {
    /// A server initialized on a workspace folder that does not exist: no file is read, open
    /// documents are all there is.
    static func initializedServer(_ sent: @escaping (JSONValue) -> Void) -> LanguageServer {
        let server = LanguageServer(send: sent, log: { _ in })
        server.handle(Array(#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"rootUri":"file:///nonexistent-sop-fuzz","capabilities":{}}}"#.utf8))
        server.handle(Array(#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#.utf8))
        return server
    }

    /// Bytes as the server's input stream, read in pieces whose sizes come from the bytes: the
    /// framer and the server never trap or hang, and every message read is answered or dropped.
    static func lspFraming(_ bytes: UnsafeBufferPointer<UInt8>) {
        var framer = MessageFramer(maxBodyBytes: 1 << 16)
        let server = initializedServer { _ in }
        var from = 0
        var step = 0
        while from < bytes.count {
            let size = 1 + Int(bytes[step % bytes.count]) % 64
            step += 1
            let to = min(bytes.count, from + size)
            framer.append(bytes[from..<to])
            from = to
            var batch: [[UInt8]] = []
            var guardCount = 0
            while let item = framer.next() {
                guardCount += 1
                if guardCount > bytes.count + 2 { fatalError("the framer yields more items than there are bytes") }
                if case .message(let body) = item { batch.append(body) }
            }
            if !batch.isEmpty { server.handle(batch: batch) }
            if server.exitCode != nil { return }
        }
    }

    /// A document of the bytes' first part, then edits at positions and of texts the rest of the
    /// bytes choose (out-of-range positions included), each published set of diagnostics
    /// checked: every range lies inside the document as the server holds it.
    static func lspEdits(_ bytes: UnsafeBufferPointer<UInt8>) {
        let split = bytes.firstIndex(of: 0) ?? bytes.count / 2
        var published: [JSONValue] = []
        let server = initializedServer { published.append($0) }
        let uri = "file:///nonexistent-sop-fuzz/sops/fuzz.sop.yaml"
        var mirror = DocumentText(Array(bytes[0..<split]))
        func send(_ method: String, _ params: JSONValue) {
            server.handle(JSONValue.object([("jsonrpc", .string("2.0")), ("method", .string(method)), ("params", params)]).renderBytes())
        }
        send("textDocument/didOpen", .object([("textDocument", .object([("uri", .string(uri)), ("languageId", .string("yaml")), ("version", .int(1)),
                                                                          ("text", .string(mirror.text))]))]))
        // What the server was given is valid UTF-8 (JSON strings are): the mirror holds the same.
        mirror = DocumentText(mirror.text)
        check(published, mirror)
        let pieces = ["\n", "  ", "- ", ": ", "to: ", "${{ ", " }}", "é", "😀", "\r\n", "#", "'", "\"", "[", "{", "a", "states:\n", "input.x"]
        var i = split + 1
        var version = 2
        while i + 4 <= bytes.count {
            let line = Int(bytes[i]) % max(1, mirror.lineCount + 2)
            let character = Int(bytes[i + 1]) % 90
            let length = Int(bytes[i + 2]) % 12
            let text = bytes[i + 3] % 4 == 0 ? "" : pieces[Int(bytes[i + 3]) % pieces.count]
            i += 4
            let range: JSONValue = .object([("start", .object([("line", .int(line)), ("character", .int(character))])),
                                            ("end", .object([("line", .int(line)), ("character", .int(character + length))]))])
            published = []
            send("textDocument/didChange", .object([("textDocument", .object([("uri", .string(uri)), ("version", .int(version))])),
                                                     ("contentChanges", .array([.object([("range", range), ("text", .string(text))])]))]))
            version += 1
            mirror.apply(range: LSPRange(start: LSPPosition(line: line, character: character), end: LSPPosition(line: line, character: character + length)),
                         text: text, encoding: .utf16)
            check(published, mirror)
        }
    }

    /// Every published range inside the text: lines counted at LF, CRLF and CR, characters in
    /// UTF-16 units, worked out here apart from the server's own code.
    static func check(_ published: [JSONValue], _ document: DocumentText) {
        var lines: [Int] = [0]
        var previousCR = false
        for scalar in document.text.unicodeScalars {
            if scalar == "\n" && previousCR { previousCR = false; continue }
            previousCR = scalar == "\r"
            if scalar == "\n" || scalar == "\r" { lines.append(0) } else { lines[lines.count - 1] += scalar.utf16.count }
        }
        for message in published {
            guard case .array(let diagnostics)? = message["params"]?["diagnostics"] else { continue }
            for d in diagnostics {
                for end in ["start", "end"] {
                    guard case .int(let line)? = d["range"]?[end]?["line"], case .int(let character)? = d["range"]?[end]?["character"],
                          line >= 0, line < lines.count, character >= 0, character <= lines[line] else {
                        fatalError("a diagnostic outside the document: \(d.render()) (lines \(lines))")
                    }
                }
            }
        }
    }
}
