import Foundation

/// Cuts the language server's input stream into JSON-RPC message bodies: each is a header block
/// (`Content-Length: N`, optionally `Content-Type`, lines ended by CRLF, the block by an empty
/// line) then N bytes of body. Bytes arrive in pieces split anywhere; `append` keeps what is not
/// yet a whole message.
///
/// A header block it cannot use (no or a bad `Content-Length`, a malformed line, a block longer
/// than `maxHeaderBytes`, a body larger than `maxBodyBytes`) is reported as a problem and
/// skipped: the framer then looks for the next header block, so one bad message costs that
/// message only, never a trap or a hang.
public struct MessageFramer: Sendable {
    /// What `next()` found.
    public enum Item: Sendable, Equatable {
        case message([UInt8])
        /// A header block that was skipped, and why (the server logs it to standard error).
        case problem(String)
    }

    public static let defaultMaxBodyBytes = 64 << 20
    public static let maxHeaderBytes = 8192

    public let maxBodyBytes: Int
    private var buffer: [UInt8] = []
    /// Where unread bytes start in `buffer` (compacted now and then, not on every message).
    private var start = 0
    /// The body length of the header block just read, while its body is awaited.
    private var pendingLength: Int?
    /// Bytes of an oversized body still to be thrown away.
    private var discarding = 0

    public init(maxBodyBytes: Int = MessageFramer.defaultMaxBodyBytes) {
        self.maxBodyBytes = maxBodyBytes
    }

    /// Adds bytes read from the stream.
    public mutating func append<Bytes: Collection<UInt8>>(_ bytes: Bytes) {
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next whole message or problem, nil when more bytes are needed.
    public mutating func next() -> Item? {
        while true {
            if discarding > 0 {
                let n = min(discarding, buffer.count - start)
                start += n
                discarding -= n
                if discarding > 0 { return nil }
            }
            if let length = pendingLength {
                guard buffer.count - start >= length else { return nil }
                let body = Array(buffer[start..<(start + length)])
                start += length
                pendingLength = nil
                return .message(body)
            }
            guard start < buffer.count else { return nil }
            guard let end = headerEnd() else {
                if buffer.count - start > Self.maxHeaderBytes {
                    // No end of headers in sight: drop what was read, up to the last line break,
                    // and look for a header block after it.
                    let lastBreak = buffer[start...].lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? buffer.count
                    start = lastBreak
                    return .problem("a header block longer than \(Self.maxHeaderBytes) bytes was skipped")
                }
                return nil
            }
            let header = buffer[start..<end.headerEnd]
            start = end.bodyStart
            switch Self.contentLength(of: header) {
            case .success(let length):
                if length > maxBodyBytes {
                    discarding = length
                    return .problem("a message of \(length) bytes (over the limit of \(maxBodyBytes)) was skipped")
                }
                pendingLength = length
            case .failure(let problem):
                return .problem(problem.text)
            }
        }
    }

    /// The end of the header block at `start`: where its last line ends and where the body
    /// begins. The empty line is CRLF CRLF; a bare LF LF is accepted too (some clients and
    /// hand-written tests send it).
    private func headerEnd() -> (headerEnd: Int, bodyStart: Int)? {
        var i = start
        let n = buffer.count
        while i < n {
            if buffer[i] == UInt8(ascii: "\n") {
                // LF followed by LF, or LF followed by CR LF.
                if i + 1 < n, buffer[i + 1] == UInt8(ascii: "\n") { return (i, i + 2) }
                if i + 2 < n, buffer[i + 1] == UInt8(ascii: "\r"), buffer[i + 2] == UInt8(ascii: "\n") { return (i, i + 3) }
                if i + 1 >= n || (i + 2 >= n && buffer[i + 1] == UInt8(ascii: "\r")) { return nil }
            }
            i += 1
        }
        return nil
    }

    private struct HeaderProblem: Error { var text: String }

    /// The `Content-Length` of a header block; names are case-insensitive, `Content-Type` is
    /// accepted (its charset is not checked: the body is read as UTF-8), other headers ignored.
    private static func contentLength(of header: ArraySlice<UInt8>) -> Result<Int, HeaderProblem> {
        var length: Int?
        for rawLine in header.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            var line = rawLine
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            if line.isEmpty { continue }
            // The name is looked for anywhere in the line, so that after a skipped message whose
            // body was read as headers the next message's header is still found.
            let text = String(decoding: line, as: UTF8.self)
            guard let colon = text.firstIndex(of: ":") else {
                return .failure(HeaderProblem(text: "a header line without ':' was skipped with its message: \(quoted(line))"))
            }
            let lower = text.lowercased()
            guard let found = lower.range(of: "content-length:", options: .backwards) else {
                _ = colon
                continue
            }
            let value = String(lower[found.upperBound...]).trimmed
            guard !value.isEmpty, value.utf8.count <= 12, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = Int(value) else {
                return .failure(HeaderProblem(text: "a message with Content-Length '\(value)', not a number of bytes, was skipped"))
            }
            length = n
        }
        guard let length else {
            return .failure(HeaderProblem(text: "a header block without Content-Length was skipped: \(quoted(header))"))
        }
        return .success(length)
    }

    private static func quoted(_ bytes: ArraySlice<UInt8>) -> String {
        let text = String(decoding: bytes.prefix(80), as: UTF8.self)
        return "'" + text.replacingCRLF + "'"
    }

    /// A message framed for the output stream.
    public static func frame(_ body: [UInt8]) -> [UInt8] {
        Array("Content-Length: \(body.count)\r\n\r\n".utf8) + body
    }
}

extension String {
    var trimmed: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" { s = s.dropLast() }
        return String(s)
    }

    fileprivate var replacingCRLF: String {
        var out = ""
        for c in unicodeScalars {
            switch c {
            case "\r": out += "\\r"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
