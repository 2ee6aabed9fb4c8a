import SOPDiagnostics
import Testing
@testable import SOPYAML

private func parse(_ text: String, limits: YAMLLimits = YAMLLimits()) -> YAMLDocument {
    YAMLParser.parse(SourceFile(path: "t.yaml", text: text), limits: limits)
}

private func kinds(_ doc: YAMLDocument) -> [YAMLProblem.Kind] { doc.problems.map(\.kind) }

struct YAMLParserTests {
    @Test func nodesAndKeysCarryStartAndEnd() throws {
        let doc = parse("title: Return\nstates:\n  verify:\n    to: 'refund'\n")
        let root = try #require(doc.tree?.mapping)
        #expect(doc.problems.isEmpty)
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
        let pair = try #require(doc.tree?.mapping?.first)
        #expect(pair.value.span.start == SourcePosition(line: 1, column: 7))
        #expect(pair.value.span.end == SourcePosition(line: 1, column: 11))
    }

    @Test func scalarStylesAndTags() throws {
        let doc = parse("a: plain\nb: \"dq\"\nc: |\n  lit\nd: >\n  fold\ne: !!str 12\nf: !custom x\n")
        let values = try #require(doc.tree?.mapping).map(\.value)
        #expect(values.map { $0.scalar?.style } == [.plain, .doubleQuoted, .literal, .folded, .plain, .plain])
        #expect(values[4].scalar?.resolved == .string("12"))
        #expect(values[4].tag == CoreSchema.strTag)
        #expect(values[5].tag == "!custom")
    }

    @Test func flowCollectionsAreMarked() throws {
        let doc = parse("a: {x: 1}\nb:\n  x: 1\nc: [1]\n")
        let values = try #require(doc.tree?.mapping).map(\.value)
        #expect(values.map(\.isFlow) == [true, false, true])
    }

    @Test func duplicateKeysAreReportedAtTheSecondAndTheFirstWins() throws {
        let doc = parse("a: 1\nb: 2\na: 3\n1: x\n1.0: y\n")
        #expect(kinds(doc) == [.duplicateKey, .duplicateKey])
        #expect(doc.problems[0].span.start == SourcePosition(line: 3, column: 1))
        #expect(doc.problems[0].message.contains("line 1"))
        let pairs = try #require(doc.tree?.mapping)
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
        #expect(doc.problems.map(\.kind) == Array(repeating: .duplicateKey, count: 5))
        #expect(doc.problems.map(\.span.start.line) == [size + 1, size + 3, size + 5, size + 7, size + 8])
        #expect(doc.problems.last?.message.contains("the first is at line \(size)") == true)
        let pairs = try #require(doc.tree?.mapping)
        #expect(pairs.count == size + 3)
        #expect(pairs[0].value.scalar?.resolved == .int(0))
    }

    @Test func aliasesExpandToTheAnchoredNode() throws {
        let doc = parse("a: &x {k: v}\nb: *x\n")
        let pairs = try #require(doc.tree?.mapping)
        #expect(pairs[1].value.mapping?.first?.value.stringValue == "v")
        #expect(doc.problems.isEmpty)
    }

    @Test func undefinedAliasIsASyntaxError() {
        let doc = parse("a: *nope\n")
        #expect(kinds(doc) == [.syntax])
        #expect(doc.root == nil)
    }

    @Test func aliasBombStopsAtTheExpansionLimit() {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1..<12 {
            text += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        let doc = parse(text)
        #expect(kinds(doc) == [.limit])
        #expect(doc.root == nil)
    }

    @Test func depthLimitStopsDeepNestingEarly() {
        let doc = parse(String(repeating: "[", count: 100_000))
        #expect(kinds(doc) == [.limit])
        #expect(doc.problems[0].span.start == SourcePosition(line: 1, column: 65))
        let shallow = parse("a: [[[1]]]", limits: YAMLLimits(maxDepth: 3))
        #expect(kinds(shallow) == [.limit])
    }

    @Test func sizeLimit() {
        let doc = parse("a: 1234567890\n", limits: YAMLLimits(maxFileSize: 10))
        #expect(kinds(doc) == [.limit])
        #expect(doc.problems[0].message.contains("14 bytes"))
    }

    @Test func emptyStreamHasNoRootAndNoError() {
        let doc = parse("# only a comment\n")
        #expect(doc.root == nil)
        #expect(doc.problems.isEmpty)
    }

    @Test func secondDocumentIsAnError() {
        let doc = parse("a: 1\n---\nb: 2\n")
        #expect(kinds(doc) == [.syntax])
        #expect(doc.problems[0].span.start.line == 2)
    }

    @Test func libyamlErrorsComeInPlainWordsAtLibyamlsPosition() {
        let doc = parse("a: b: c\n")
        #expect(kinds(doc) == [.syntax])
        #expect(doc.problems[0].span.start == SourcePosition(line: 1, column: 5))
        #expect(doc.problems[0].message.contains("':'"))
        let tab = parse("a:\n\tb: 1\n")
        #expect(tab.problems.first?.message.contains("tab") == true)
    }

    /// libyaml's messages met in the official YAML test suite, each in plain words with a fix
    /// (none passes through as "the YAML does not parse: …").
    @Test(arguments: [
        ("a: 1\n...\nb: 2\n", "the document has ended, but more text follows"),
        ("a: |x\n  text\n", "text follows the '|' or '>' that starts a block of text"),
        ("a: !!str\tb\n", ""),
        ("a: !!str,b\n", "a tag is not followed by a space"),
        ("a: |0\n  text\n", "indentation indicator 0"),
        ("%YAML 1.2\n%YAML 1.2\n---\na: 1\n", "the %YAML directive appears twice"),
        ("%FOO bar\n---\na: 1\n", "YAML knows only %YAML and %TAG"),
        ("%\n---\na: 1\n", "no directive name follows"),
        ("%YAML 1.2 x\n---\na: 1\n", "a '%' directive line holds more than the directive"),
        ("a: &\n", "an anchor ('&') or alias ('*') has no name"),
        ("%YAML 2.0\n---\na: 1\n", "names a version this parser does not read"),
        ("[a:b:c]\n", ""),
    ])
    func libyamlMessagesAreReworded(_ text: String, _ expected: String) {
        let doc = parse(text)
        for d in doc.problems { #expect(!d.message.hasPrefix("the YAML does not parse"), "\(text): \(d.message)") }
        if expected.isEmpty {
            // Read without a problem (a tab after a tag, colons inside a flow scalar).
            #expect(doc.problems.isEmpty, "\(text): \(doc.problems.map(\.message))")
        } else {
            #expect(doc.problems.contains { $0.message.contains(expected) }, "\(text): \(doc.problems.map(\.message))")
        }
    }

    @Test func invalidUTF8PointsAtTheLeadingByte() {
        let source = SourceFile(path: "t.yaml", bytes: Array("a: ok\nb: x".utf8) + [0xE9, 0x41])
        let doc = YAMLParser.parse(source)
        #expect(kinds(doc) == [.syntax])
        #expect(doc.problems[0].span.start == SourcePosition(line: 2, column: 5))
        #expect(doc.problems[0].message.contains("0xE9"))
    }

    @Test func nulByteIsAControlCharacterError() {
        let source = SourceFile(path: "t.yaml", bytes: Array("a: x".utf8) + [0] + Array("y\n".utf8))
        let doc = YAMLParser.parse(source)
        #expect(kinds(doc) == [.syntax])
        #expect(doc.problems[0].message.contains("U+0000"))
    }

    @Test func lineBreaksAgreeWithLibyaml() {
        // CR-only and CRLF line breaks: libyaml's line numbers and SourceFile's must agree.
        let text = "a: 1\r\nb: 2\rc: [\r"
        let doc = parse(text)
        let source = SourceFile(path: "t.yaml", text: text)
        #expect(source.lineCount == 4)
        #expect(source.lineText(2) == "b: 2")
        #expect(doc.problems.first.map { $0.span.start.line <= source.lineCount } == true)
    }

    // MARK: The arena

    @Test func arenaWalksNestedCollectionsInOrder() throws {
        let doc = parse("a: [1, [2, 3], {k: v}]\nb: {x: [y, z]}\nc: end\n")
        let root = try #require(doc.root)
        #expect(doc.problems.isEmpty)
        let pairs = Array(doc.pairs(root))
        #expect(pairs.map { doc.text($0.key) } == ["a", "b", "c"])
        let a = Array(doc.items(pairs[0].value))
        #expect(a.count == 3 && doc.int(a[0]) == 1)
        #expect(Array(doc.items(a[1])).map { doc.int($0) } == [2, 3])
        #expect(doc.firstPair(a[2]).map { doc.text($0.value) } == "v")
        let x = try #require(doc.firstPair(pairs[1].value))
        #expect(Array(doc.items(x.value)).map(doc.text) == ["y", "z"])
        #expect(doc.text(pairs[2].value) == "end")
        // The same structure, read through the self-contained tree.
        #expect(doc.tree?.mapping?[1].value.mapping?[0].value.sequence?.map(\.scalar?.text) == ["y", "z"])
    }

    @Test func aliasOfACollectionIsAFullCopyAndSiblingsFollowIt() throws {
        let doc = parse("base: &b {k: [1, 2], t: !!str 3}\ncopy: *b\nafter: x\n")
        let root = try #require(doc.root)
        let pairs = Array(doc.pairs(root))
        #expect(pairs.map { doc.text($0.key) } == ["base", "copy", "after"])
        #expect(doc.node(pairs[1].value) == doc.node(pairs[0].value))
        let t = try #require(Array(doc.pairs(pairs[1].value)).last?.value)
        #expect(doc.tag(t) == CoreSchema.strTag)
        #expect(doc.string(t) == "3")
        #expect(doc.text(pairs[2].value) == "x")
    }

    @Test func aRepeatedKeyDropsItsWholeValueAndItsAnchors() throws {
        let doc = parse("a: 1\na: &n {deep: [1, 2, {x: y}]}\nb: 2\nc: *n\n")
        #expect(kinds(doc) == [.duplicateKey, .syntax])
        #expect(doc.problems[1].message.contains("*n"))
        let kept = parse("a: 1\na: {deep: [1, 2, {x: y}]}\nb: 2\n")
        let pairs = try #require(kept.tree?.mapping)
        #expect(pairs.map(\.key.scalar?.text) == ["a", "b"])
        #expect(pairs.map(\.value.scalar?.resolved) == [.int(1), .int(2)])
    }

    @Test func scalarValuesAreReadInPlace() throws {
        let doc = parse("s: héllo\ni: -42\nf: 2.5\nb: false\nn: ~\nq: 'true'\n")
        let values = Array(doc.pairs(try #require(doc.root))).map(\.value)
        #expect(doc.withUTF8(values[0]) { Array($0) } == Array("héllo".utf8))
        #expect(doc.textEquals(values[0], "héllo"))
        #expect(!doc.textEquals(values[0], "hello"))
        #expect(doc.int(values[1]) == -42 && doc.double(values[1]) == -42)
        #expect(doc.double(values[2]) == 2.5 && doc.int(values[2]) == nil)
        #expect(doc.bool(values[3]) == false)
        #expect(doc.isNull(values[4]))
        #expect(doc.string(values[5]) == "true" && doc.bool(values[5]) == nil)
        #expect(values.map(doc.scalarType) == [.string, .int, .float, .bool, .null, .string])
    }
}

