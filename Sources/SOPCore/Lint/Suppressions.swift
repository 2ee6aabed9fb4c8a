import Foundation
import SOPDiagnostics

/// Inline suppressions: a YAML comment that turns off named rules for one line or a whole file.
///
///     title: Refund ${ amount }   # sop: ignore[template-misspelt] the customer's own words
///     # sop: ignore[unused-input] kept for the report that reads it
///     reference: {type: string}
///     # sop: ignore-file[id-mismatch] renamed in the next release
///
/// `ignore[...]` on a line with YAML on it applies to that line; alone on its line, to the next
/// line. `ignore-file[...]` applies to the whole file, wherever it stands. Several rules are
/// separated by commas; the text after `]` is the reason. A suppression that suppresses nothing,
/// or names no rule, is itself reported (`unused-suppression`). The comment is found by its
/// text: a `#` at the start of a line or after a space, as YAML comments are, so the same text
/// inside a quoted string would count too.
public struct Suppression: Sendable, Hashable {
    public var rules: [String]
    /// The line it applies to; nil for the whole file.
    public var line: Int?
    /// Where the comment is, for reporting it.
    public var span: SourceSpan
    public var reason: String
    /// The comment's line, to show with a report about it.
    var lineText: String

    func covers(_ d: Diagnostic) -> Bool {
        rules.contains(d.rule.rawValue) && (line == nil || line == d.span.start.line)
    }

    /// Every suppression comment of a file. Found with `memchr` for `#`, so a file without
    /// comments costs next to nothing to scan; a line is looked at only where a `#` is.
    public static func find(in source: SourceFile) -> [Suppression] {
        let bytes = source.bytes
        let marker = Array("sop:".utf8)
        var out: [Suppression] = []
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = source.lineStarts[0]
            var lastLine = 0
            while offset < buffer.count, let hit = memchr(base + offset, Int32(UInt8(ascii: "#")), buffer.count - offset) {
                let at = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                offset = at + 1
                let line = source.position(ofByteOffset: at).line
                guard line != lastLine else { continue }  // one suppression per line: the first comment
                let start = source.lineStarts[line - 1]
                var end = line < source.lineStarts.count ? source.lineStarts[line] : buffer.count
                while end > start && (bytes[end - 1] == UInt8(ascii: "\n") || bytes[end - 1] == UInt8(ascii: "\r")) { end -= 1 }
                if let found = comment(bytes, start, end, marker: marker, line: line) {
                    out.append(found)
                    lastLine = line
                }
            }
        }
        return out
    }

    /// The suppression on one line, if it has one.
    private static func comment(_ bytes: [UInt8], _ start: Int, _ end: Int, marker: [UInt8], line: Int) -> Suppression? {
        var i = start
        while i < end {
            defer { i += 1 }
            guard bytes[i] == UInt8(ascii: "#"), i == start || bytes[i - 1] == UInt8(ascii: " ") || bytes[i - 1] == UInt8(ascii: "\t")
            else { continue }
            let text = String(decoding: bytes[(i + 1)..<end], as: UTF8.self).trimmingWhitespace
            guard text.hasPrefix("sop:") else { continue }
            let rest = text.dropFirst(marker.count).trimmingWhitespace
            let fileWide: Bool
            let body: Substring
            if rest.hasPrefix("ignore-file[") {
                fileWide = true
                body = rest.dropFirst("ignore-file[".count)
            } else if rest.hasPrefix("ignore[") {
                fileWide = false
                body = rest.dropFirst("ignore[".count)
            } else {
                continue
            }
            guard let close = body.firstIndex(of: "]") else { continue }
            let rules = body[..<close].split(separator: ",").map { String($0.trimmingWhitespace) }.filter { !$0.isEmpty }
            let reason = String(body[body.index(after: close)...].trimmingWhitespace)
            let alone = bytes[start..<i].allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
            let column = String(decoding: bytes[start..<i], as: UTF8.self).unicodeScalars.count + 1
            let lineEndColumn = column + String(decoding: bytes[i..<end], as: UTF8.self).unicodeScalars.count
            let span = SourceSpan(start: SourcePosition(line: line, column: column), end: SourcePosition(line: line, column: lineEndColumn))
            return Suppression(rules: rules, line: fileWide ? nil : (alone ? line + 1 : line), span: span, reason: reason,
                               lineText: String(decoding: bytes[start..<end], as: UTF8.self))
        }
        return nil
    }

    /// Marks the diagnostics a file's suppressions cover, and reports the suppressions that
    /// cover nothing or name no rule.
    public static func apply(_ suppressions: [Suppression], file: String, to diagnostics: inout [Diagnostic]) {
        guard !suppressions.isEmpty else { return }
        var used = Set<Int>()
        for k in diagnostics.indices where diagnostics[k].file == file && diagnostics[k].suppression == nil {
            guard let n = suppressions.firstIndex(where: { $0.covers(diagnostics[k]) }) else { continue }
            diagnostics[k].suppression = suppressions[n].reason
            used.insert(n)
        }
        for (n, s) in suppressions.enumerated() where !used.contains(n) {
            let unknown = s.rules.filter { LintRules.rule(named: $0) == nil }
            let message: String
            let help: String
            if s.rules.isEmpty {
                message = "this suppression names no rule"
                help = "name the rules it is for: # sop: ignore[rule-id] reason"
            } else if let first = unknown.first {
                message = "'\(first)' is not a rule, so this suppression suppresses nothing"
                help = Suggestions.didYouMean(first, in: LintRules.all.map { $0.id.rawValue }) ?? "see docs/lint-rules.md for the rule ids"
            } else {
                let target = s.line.map { "on line \($0)" } ?? "in this file"
                message = "nothing \(target) is reported as \(s.rules.joined(separator: " or ")), so this suppression is not needed"
                help = "remove it"
            }
            var d = Diagnostic(file: file, span: s.span, rule: UnusedSuppressionRule.self, message: message, help: help)
            d.sourceLine = s.lineText
            diagnostics.append(d)
        }
    }
}

extension Substring {
    fileprivate var trimmingWhitespace: Substring {
        guard let first = firstIndex(where: { $0 != " " && $0 != "\t" && $0 != "\r" }) else { return self[endIndex...] }
        let last = lastIndex(where: { $0 != " " && $0 != "\t" && $0 != "\r" })!
        return self[first...last]
    }
}

extension String {
    fileprivate var trimmingWhitespace: Substring { self[...].trimmingWhitespace }
}
