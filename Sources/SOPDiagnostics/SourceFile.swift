#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A file's bytes and its line table: turns byte offsets into line:column, and gives the text of
/// a line for rendering. Lines break where libyaml breaks them (LF, CR, CRLF, NEL, LS, PS), so the
/// line numbers libyaml reports and ours agree. A UTF-8 byte-order mark (which Windows editors
/// write) is not part of the first line: columns count from after it, as editors and libyaml do.
public struct SourceFile: Sendable {
    public let path: String
    public let bytes: [UInt8]
    /// Byte offset of the first byte of each line; `lineStarts[0]` is 0, or 3 after a byte-order mark.
    public let lineStarts: [Int]

    /// The length of the file's UTF-8 byte-order mark: 3, or 0 when it has none.
    public static func byteOrderMarkLength(_ bytes: [UInt8]) -> Int {
        bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
    }

    public init(path: String, bytes: [UInt8]) {
        self.path = path
        self.bytes = bytes
        self.lineStarts = SourceFile.computeLineStarts(bytes)
    }

    public init(path: String, text: String) {
        self.init(path: path, bytes: Array(text.utf8))
    }

    public var lineCount: Int { lineStarts.count }

    /// The text of a 1-based line, without its line break; invalid UTF-8 is replaced by U+FFFD.
    public func lineText(_ line: Int) -> String? {
        guard line >= 1, line <= lineStarts.count else { return nil }
        let start = lineStarts[line - 1]
        var end = line < lineStarts.count ? lineStarts[line] : bytes.count
        // Drop the line break itself.
        while end > start {
            let b = bytes[end - 1]
            if b == 0x0A || b == 0x0D { end -= 1; continue }
            if end - start >= 2, bytes[end - 2] == 0xC2, b == 0x85 { end -= 2; continue }
            if end - start >= 3, bytes[end - 3] == 0xE2, bytes[end - 2] == 0x80, b == 0xA8 || b == 0xA9 {
                end -= 3; continue
            }
            break
        }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    /// The 1-based line and column (in Unicode scalars) of a byte offset.
    public func position(ofByteOffset offset: Int) -> SourcePosition {
        let clamped = max(lineStarts[0], min(offset, bytes.count))
        // Binary search for the last line start <= offset.
        var low = 0, high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= clamped { low = mid } else { high = mid - 1 }
        }
        let start = lineStarts[low]
        let prefix = String(decoding: bytes[start..<clamped], as: UTF8.self)
        return SourcePosition(line: low + 1, column: prefix.unicodeScalars.count + 1)
    }

    private static func computeLineStarts(_ bytes: [UInt8]) -> [Int] {
        let first = byteOrderMarkLength(bytes)
        return bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return [0] }
            // Most files break lines with LF only: find those with memchr. CR, NEL (C2 85) and
            // LS/PS (E2 80 A8/A9) need the careful loop.
            let n = buffer.count
            if memchr(base, 0x0D, n) == nil, memchr(base, 0xC2, n) == nil, memchr(base, 0xE2, n) == nil {
                var starts = [first]
                starts.reserveCapacity(n / 32 + 1)
                var from = 0
                while from < n, let hit = memchr(base + from, 0x0A, n - from) {
                    from = UnsafeRawPointer(hit) - UnsafeRawPointer(base) + 1
                    starts.append(from)
                }
                return starts
            }
            return computeLineStartsSlowly(bytes, first: first)
        }
    }

    private static func computeLineStartsSlowly(_ bytes: [UInt8], first: Int) -> [Int] {
        var starts = [first]
        var i = first
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b == 0x0A {
                starts.append(i + 1)
            } else if b == 0x0D {
                if i + 1 < n, bytes[i + 1] == 0x0A { i += 1 }
                starts.append(i + 1)
            } else if b == 0xC2, i + 1 < n, bytes[i + 1] == 0x85 {
                i += 1
                starts.append(i + 1)
            } else if b == 0xE2, i + 2 < n, bytes[i + 1] == 0x80, bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9 {
                i += 2
                starts.append(i + 1)
            }
            i += 1
        }
        return starts
    }
}
