import SOPDiagnostics

/// How positions count characters within a line: LSP's default UTF-16 code units, or UTF-8
/// bytes when the client offers it (`general.positionEncodings`).
public enum PositionEncoding: String, Sendable {
    case utf16 = "utf-16"
    case utf8 = "utf-8"
}

/// An LSP position: 0-based line, and character offset within the line in the encoding's units.
public struct LSPPosition: Sendable, Hashable, Comparable {
    public var line: Int
    public var character: Int

    public init(line: Int, character: Int) {
        self.line = line
        self.character = character
    }

    public static func < (a: LSPPosition, b: LSPPosition) -> Bool { (a.line, a.character) < (b.line, b.character) }
}

public struct LSPRange: Sendable, Hashable {
    public var start: LSPPosition
    public var end: LSPPosition

    public init(start: LSPPosition, end: LSPPosition) {
        self.start = start
        self.end = end
    }
}

/// A document's text as UTF-8 bytes with LSP's line table (lines break at LF, CRLF and CR only,
/// as the protocol says; sopkit's `SourceFile` also breaks at NEL, LS and PS, so positions go
/// through byte offsets, never line numbers, from one to the other).
public struct DocumentText: Sendable {
    public private(set) var bytes: [UInt8]
    private var lineStarts: [Int]

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        lineStarts = Self.lineStarts(bytes)
    }

    public init(_ text: String) { self.init(Array(text.utf8)) }

    public var text: String { String(decoding: bytes, as: UTF8.self) }
    public var lineCount: Int { lineStarts.count }

    private static func lineStarts(_ bytes: [UInt8]) -> [Int] {
        var starts = [0]
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b == 0x0A {
                starts.append(i + 1)
            } else if b == 0x0D {
                if i + 1 < n, bytes[i + 1] == 0x0A { i += 1 }
                starts.append(i + 1)
            }
            i += 1
        }
        return starts
    }

    /// Where a line's content ends (before its line break).
    private func contentEnd(ofLine line: Int) -> Int {
        var end = line + 1 < lineStarts.count ? lineStarts[line + 1] : bytes.count
        if end > lineStarts[line], bytes[end - 1] == 0x0A { end -= 1 }
        if end > lineStarts[line], bytes[end - 1] == 0x0D { end -= 1 }
        return end
    }

    /// The byte offset of an LSP position. A line past the end is the end of the text; a
    /// character past the line's end is the line's end (as the protocol says); a position inside
    /// a character (half a surrogate pair, a byte within a UTF-8 sequence) moves to its start.
    public func offset(of position: LSPPosition, encoding: PositionEncoding) -> Int {
        guard position.line >= 0 else { return 0 }
        guard position.line < lineStarts.count else { return bytes.count }
        var i = lineStarts[position.line]
        let end = contentEnd(ofLine: position.line)
        var units = 0
        let wanted = max(0, position.character)
        while i < end {
            let length = Self.sequenceLength(bytes[i])
            let width = encoding == .utf8 ? length : (length == 4 ? 2 : 1)
            if units + width > wanted { break }
            units += width
            i = min(end, i + length)
        }
        return i
    }

    /// The LSP position of a byte offset (clamped to the text).
    public func position(ofOffset offset: Int, encoding: PositionEncoding) -> LSPPosition {
        let clamped = max(0, min(offset, bytes.count))
        var low = 0, high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= clamped { low = mid } else { high = mid - 1 }
        }
        var i = lineStarts[low]
        var units = 0
        // An offset inside the line break (between the CR and LF of a CRLF) is the line's end.
        let end = min(clamped, contentEnd(ofLine: low))
        while i < end {
            let length = Self.sequenceLength(bytes[i])
            units += encoding == .utf8 ? min(length, end - i) : (length == 4 ? 2 : 1)
            i += length
        }
        return LSPPosition(line: low, character: units)
    }

    /// The bytes a UTF-8 sequence starting with `lead` takes (1 for a stray continuation byte).
    static func sequenceLength(_ lead: UInt8) -> Int {
        switch lead {
        case 0xF0...0xF7: return 4
        case 0xE0...0xEF: return 3
        case 0xC0...0xDF: return 2
        default: return 1
        }
    }

    /// Replaces the bytes between two offsets.
    public mutating func replace(_ range: Range<Int>, with text: String) {
        let lower = max(0, min(range.lowerBound, bytes.count))
        let upper = max(lower, min(range.upperBound, bytes.count))
        bytes.replaceSubrange(lower..<upper, with: Array(text.utf8))
        lineStarts = Self.lineStarts(bytes)
    }

    /// Applies an LSP change: a range and its new text, or (no range) the whole text.
    public mutating func apply(range: LSPRange?, text: String, encoding: PositionEncoding) {
        guard let range else {
            self = DocumentText(Array(text.utf8))
            return
        }
        let a = offset(of: range.start, encoding: encoding)
        let b = offset(of: range.end, encoding: encoding)
        replace(min(a, b)..<max(a, b), with: text)
    }

    // MARK: sopkit positions

    /// The byte offset of a sopkit position (1-based line by `source`'s line table, column in
    /// Unicode scalars), clamped to the line's end.
    public static func offset(of position: SourcePosition, in source: SourceFile) -> Int {
        let bytes = source.bytes
        guard position.line >= 1 else { return source.lineStarts[0] }
        guard position.line <= source.lineStarts.count else { return bytes.count }
        var i = source.lineStarts[position.line - 1]
        let lineEnd = position.line < source.lineStarts.count ? source.lineStarts[position.line] : bytes.count
        var column = 1
        while column < position.column, i < lineEnd {
            i = min(lineEnd, i + sequenceLength(bytes[i]))
            column += 1
        }
        return i
    }

    /// The sopkit position of a byte offset of `source`.
    public static func sourcePosition(ofOffset offset: Int, in source: SourceFile) -> SourcePosition {
        source.position(ofByteOffset: offset)
    }

    /// An LSP range for a sopkit span of this text (`source` is the same bytes, with sopkit's
    /// line table).
    public func range(of span: SourceSpan, in source: SourceFile, encoding: PositionEncoding) -> LSPRange {
        let a = Self.offset(of: span.start, in: source)
        let b = max(a, Self.offset(of: span.end, in: source))
        return LSPRange(start: position(ofOffset: a, encoding: encoding), end: position(ofOffset: b, encoding: encoding))
    }
}
