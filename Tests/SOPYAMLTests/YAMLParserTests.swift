import SOPDiagnostics
import Testing
@testable import SOPYAML

private func parse(_ text: String, limits: YAMLLimits = YAMLLimits()) -> YAMLDocument {
    YAMLParser.parse(SourceFile(path: "t.yaml", text: text), limits: limits)
}

private func rules(_ doc: YAMLDocument) -> [RuleID] { doc.diagnostics.map(\.rule) }

struct YAMLParserTests {
    @Test func nodesAndKeysCarryStartAndEnd() throws {
        let doc = parse("title: Return\nstates:\n  verify:\n    to: 'refund'\n")
        let root = try #require(doc.root?.mapping)
        #expect(doc.diagnostics.isEmpty)
        #expect(root[0].key.span == SourceSpan(start: .init(line: 1, column: 1), end: .init(line: 1, column: 6)))
        #expect(root[0].value.span == SourceSpan(start: .init(line: 1, column: 8), end: .init(line: 1, column: 14)))
        let verify = try #require(root[1].value.mapping?[0])
        #expect(verify.key.span.start == SourcePosition(line: 3, column: 3))
        let to = try #require(verify.value.mapping?[0].value)
        #expect(to.scalar?.style == .singleQuoted)
        #expect(to.stringValue == "refund")
        #expect(to.span == SourceSpan(start: .init(line: 4, column: 9), end: .init(line: 4, column: 17)))
    }

    @Test func columnsCountCharactersNotBytes() throws {
        let doc = parse("café: über\n")
        let pair = try #require(doc.root?.mapping?.first)
        #expect(pair.value.span.start == SourcePosition(line: 1, column: 7))
        #expect(pair.value.span.end == SourcePosition(line: 1, column: 11))
    }

    @Test func scalarStylesAndTags() throws {
        let doc = parse("a: plain\nb: \"dq\"\nc: |\n  lit\nd: >\n  fold\ne: !!str 12\nf: !custom x\n")
        let values = try #require(doc.root?.mapping).map(\.value)
        #expect(values.map { $0.scalar?.style } == [.plain, .doubleQuoted, .literal, .folded, .plain, .plain])
        #expect(values[4].scalar?.resolved == .string("12"))
        #expect(values[4].tag == CoreSchema.strTag)
        #expect(values[5].tag == "!custom")
    }

    @Test func flowCollectionsAreMarked() throws {
        let doc = parse("a: {x: 1}\nb:\n  x: 1\nc: [1]\n")
        let values = try #require(doc.root?.mapping).map(\.value)
        #expect(values.map(\.isFlow) == [true, false, true])
    }

    @Test func duplicateKeysAreReportedAtTheSecondAndTheFirstWins() throws {
        let doc = parse("a: 1\nb: 2\na: 3\n1: x\n1.0: y\n")
        #expect(rules(doc) == [.duplicateKey, .duplicateKey])
        #expect(doc.diagnostics[0].span.start == SourcePosition(line: 3, column: 1))
        #expect(doc.diagnostics[0].message.contains("line 1"))
        let pairs = try #require(doc.root?.mapping)
        #expect(pairs.count == 3)
        #expect(pairs[0].value.scalar?.resolved == .int(1))
    }

    /// Small mappings find a repeated key by scanning, large ones (16 keys and more) by hashing:
    /// both report the same keys at the same places, and the first value wins.
    @Test(arguments: [4, 15, 16, 17, 40])
    func duplicateKeysInMappingsOfAnySize(_ size: Int) throws {
        var lines = (0..<size).map { "k\($0): \($0)" }
        lines += ["k0: again", "null: a", "~: b", "2: c", "2.0: d", "true: e", "True: f", "k\(size - 1): last"]
        let doc = parse(lines.joined(separator: "\n") + "\n")
        #expect(doc.diagnostics.map(\.rule) == Array(repeating: .duplicateKey, count: 5))
        #expect(doc.diagnostics.map(\.span.start.line) == [size + 1, size + 3, size + 5, size + 7, size + 8])
        #expect(doc.diagnostics.last?.message.contains("the first is at line \(size)") == true)
        let pairs = try #require(doc.root?.mapping)
        #expect(pairs.count == size + 3)
        #expect(pairs[0].value.scalar?.resolved == .int(0))
    }

    @Test func aliasesExpandToTheAnchoredNode() throws {
        let doc = parse("a: &x {k: v}\nb: *x\n")
        let pairs = try #require(doc.root?.mapping)
        #expect(pairs[1].value.mapping?.first?.value.stringValue == "v")
        #expect(doc.diagnostics.isEmpty)
    }

    @Test func undefinedAliasIsASyntaxError() {
        let doc = parse("a: *nope\n")
        #expect(rules(doc) == [.yamlSyntax])
        #expect(doc.root == nil)
    }

    @Test func aliasBombStopsAtTheExpansionLimit() {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1..<12 {
            text += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        let doc = parse(text)
        #expect(rules(doc) == [.yamlLimit])
        #expect(doc.root == nil)
    }

    @Test func depthLimitStopsDeepNestingEarly() {
        let doc = parse(String(repeating: "[", count: 100_000))
        #expect(rules(doc) == [.yamlLimit])
        #expect(doc.diagnostics[0].span.start == SourcePosition(line: 1, column: 65))
        let shallow = parse("a: [[[1]]]", limits: YAMLLimits(maxDepth: 3))
        #expect(rules(shallow) == [.yamlLimit])
    }

    @Test func sizeLimit() {
        let doc = parse("a: 1234567890\n", limits: YAMLLimits(maxFileSize: 10))
        #expect(rules(doc) == [.yamlLimit])
        #expect(doc.diagnostics[0].message.contains("14 bytes"))
    }

    @Test func emptyStreamHasNoRootAndNoError() {
        let doc = parse("# only a comment\n")
        #expect(doc.root == nil)
        #expect(doc.diagnostics.isEmpty)
    }

    @Test func secondDocumentIsAnError() {
        let doc = parse("a: 1\n---\nb: 2\n")
        #expect(rules(doc) == [.yamlSyntax])
        #expect(doc.diagnostics[0].span.start.line == 2)
    }

    @Test func libyamlErrorsComeInPlainWordsAtLibyamlsPosition() {
        let doc = parse("a: b: c\n")
        #expect(rules(doc) == [.yamlSyntax])
        #expect(doc.diagnostics[0].span.start == SourcePosition(line: 1, column: 5))
        #expect(doc.diagnostics[0].message.contains("':'"))
        let tab = parse("a:\n\tb: 1\n")
        #expect(tab.diagnostics.first?.message.contains("tab") == true)
    }

    @Test func invalidUTF8PointsAtTheLeadingByte() {
        let source = SourceFile(path: "t.yaml", bytes: Array("a: ok\nb: x".utf8) + [0xE9, 0x41])
        let doc = YAMLParser.parse(source)
        #expect(rules(doc) == [.yamlSyntax])
        #expect(doc.diagnostics[0].span.start == SourcePosition(line: 2, column: 5))
        #expect(doc.diagnostics[0].message.contains("0xE9"))
    }

    @Test func nulByteIsAControlCharacterError() {
        let source = SourceFile(path: "t.yaml", bytes: Array("a: x".utf8) + [0] + Array("y\n".utf8))
        let doc = YAMLParser.parse(source)
        #expect(rules(doc) == [.yamlSyntax])
        #expect(doc.diagnostics[0].message.contains("U+0000"))
    }

    @Test func lineBreaksAgreeWithLibyaml() {
        // CR-only and CRLF line breaks: libyaml's line numbers and SourceFile's must agree.
        let text = "a: 1\r\nb: 2\rc: [\r"
        let doc = parse(text)
        let source = SourceFile(path: "t.yaml", text: text)
        #expect(source.lineCount == 4)
        #expect(source.lineText(2) == "b: 2")
        #expect(doc.diagnostics.first.map { $0.span.start.line <= source.lineCount } == true)
    }
}
