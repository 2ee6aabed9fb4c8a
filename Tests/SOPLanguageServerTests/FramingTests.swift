import SOPJSON
import SOPLanguageServer
import Testing

struct FramingTests {
    static let bodies = [#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#, #"{"a":"é😀"}"#, "{}"]

    static func stream(_ headers: [String]) -> [UInt8] {
        zip(headers, bodies).flatMap { header, body in Array((header.replacingOccurrences(of: "#", with: "\(body.utf8.count)")).utf8) + Array(body.utf8) }
    }

    static func read(_ bytes: [UInt8], splitAt cuts: [Int]) -> [MessageFramer.Item] {
        var framer = MessageFramer()
        var items: [MessageFramer.Item] = []
        var from = 0
        for cut in cuts + [bytes.count] {
            framer.append(bytes[from..<cut])
            from = cut
            while let item = framer.next() { items.append(item) }
        }
        return items
    }

    @Test func messagesSplitAtEveryByteAreReadWhole() {
        let bytes = Self.stream(["Content-Length: #\r\n\r\n", "content-length: #\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n",
                                 "CONTENT-LENGTH:#\r\n\r\n"])
        let expected = Self.bodies.map { MessageFramer.Item.message(Array($0.utf8)) }
        for cut in 0...bytes.count {
            #expect(Self.read(bytes, splitAt: [cut]) == expected, "split at \(cut)")
        }
        #expect(Self.read(bytes, splitAt: Array(1..<bytes.count)) == expected, "one byte at a time")
    }

    @Test func aBadHeaderIsSkippedAndTheNextMessageRead() {
        for bad in ["Content-Length: x\r\n\r\n", "Content-Type: a\r\n\r\n", "Content-Length: -3\r\n\r\n", "garbage\r\n\r\n",
                    "Content-Length: 99999999999999999999\r\n\r\n"] {
            var framer = MessageFramer()
            framer.append(Array(bad.utf8) + Array("Content-Length: 2\r\n\r\n{}".utf8))
            var items: [MessageFramer.Item] = []
            while let item = framer.next() { items.append(item) }
            #expect(items.count == 2, "\(bad)")
            if case .problem = items.first {} else { Issue.record("no problem reported for \(bad)") }
            #expect(items.last == .message(Array("{}".utf8)), "\(bad)")
        }
    }

    @Test func anOversizedBodyIsSkippedUnread() {
        var framer = MessageFramer(maxBodyBytes: 10)
        framer.append(Array("Content-Length: 20\r\n\r\n".utf8) + Array(repeating: UInt8(ascii: "x"), count: 20)
                      + Array("Content-Length: 2\r\n\r\n{}".utf8))
        guard case .problem? = framer.next() else { Issue.record("no problem"); return }
        #expect(framer.next() == .message(Array("{}".utf8)))
        #expect(framer.next() == nil)
    }

    @Test func endlessHeadersDoNotGrowForever() {
        var framer = MessageFramer()
        framer.append(Array(repeating: UInt8(ascii: "a"), count: MessageFramer.maxHeaderBytes + 10))
        guard case .problem? = framer.next() else { Issue.record("no problem"); return }
        #expect(framer.next() == nil)
    }
}

struct DocumentTextTests {
    /// Found by the `lsp-edits` fuzz target: a span ending one character past a line that ends
    /// in CRLF pointed between the CR and the LF, a character past the line's end.
    @Test func anOffsetInsideCRLFIsTheLinesEnd() {
        let text = DocumentText("ab\r\ncd")
        #expect(text.position(ofOffset: 3, encoding: .utf16) == LSPPosition(line: 0, character: 2))
        #expect(text.position(ofOffset: 4, encoding: .utf16) == LSPPosition(line: 1, character: 0))
    }

    @Test func positionsPastALineClampToItsEnd() {
        let text = DocumentText("é😀x\nyz")
        #expect(text.offset(of: LSPPosition(line: 0, character: 99), encoding: .utf16) == 7)
        #expect(text.offset(of: LSPPosition(line: 0, character: 2), encoding: .utf16) == 2)  // inside the surrogate pair: its start
        #expect(text.offset(of: LSPPosition(line: 9, character: 0), encoding: .utf16) == 10)
        #expect(text.position(ofOffset: 7, encoding: .utf16) == LSPPosition(line: 0, character: 4))
        #expect(text.position(ofOffset: 7, encoding: .utf8) == LSPPosition(line: 0, character: 7))
    }
}
