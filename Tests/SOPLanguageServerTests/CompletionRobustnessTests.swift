import Foundation
import SOPCore
import SOPDiagnostics
import SOPLanguageServer
import Testing

/// Completion and hover anywhere in the shipped SOPs and their tests, whole and cut off at the
/// cursor (as a file being typed is): no trap, and every span they give is on the cursor's line
/// and inside the text.
struct CompletionRobustnessTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var files: [String] {
        let folder = repository.appendingPathComponent("sops")
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
    }

    @Test(arguments: files)
    func everywhereInAShippedFile(name: String) throws {
        let text = try String(contentsOf: Self.repository.appendingPathComponent("sops/" + name), encoding: .utf8)
        let context = try AuthoringFixtures.context()
        let whole = SourceFile(path: "sops/" + name, text: text)
        #expect(whole.lineCount > 10)
        var calls = 0
        for line in 1...whole.lineCount {
            let scalars = Array((whole.lineText(line) ?? "").unicodeScalars)
            // The start, the end, past the end, and after every character that opens something.
            var columns: Set<Int> = [1, scalars.count + 1, scalars.count + 2]
            for (i, c) in scalars.enumerated() where ":.{[,$=".unicodeScalars.contains(c) { columns.insert(i + 2) }
            for column in columns.sorted() {
                let position = SourcePosition(line: line, column: column)
                // Cut off at the cursor, as when the author is typing there.
                let prefix = String(String.UnicodeScalarView(scalars.prefix(column - 1)))
                let before = (1..<line).compactMap { whole.lineText($0) }.joined(separator: "\n")
                let cut = SourceFile(path: whole.path, text: (line > 1 ? before + "\n" : "") + prefix)
                for source in [whole, cut] {
                    calls += 1
                    for candidate in Completion.candidates(in: source, at: position, context: context) {
                        let span = try #require(candidate.replacing)
                        #expect(span.start.line == line && span.end.line == line && span.start.column >= 1 && span.start <= span.end,
                                "\(name):\(position) \(candidate.label) replaces \(span)")
                    }
                    if let hover = Hover.info(in: source, at: position, context: context) {
                        #expect(hover.span.start.line >= 1 && hover.span.end.line <= source.lineCount, "\(name):\(position) hover at \(hover.span)")
                        #expect(!hover.markdown.isEmpty)
                    }
                }
            }
        }
        #expect(calls > 100)
    }
}
