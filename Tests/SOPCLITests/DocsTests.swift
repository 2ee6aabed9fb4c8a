import Foundation
import Testing

private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

private func read(_ path: String) throws -> String {
    try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
}

/// A fenced block of a Markdown text: its language and its lines.
private struct Block {
    var language: String
    var lines: [String]
}

private func blocks(_ markdown: String) -> [Block] {
    var out: [Block] = []
    var current: Block?
    for line in markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
        if line.hasPrefix("```") {
            if let block = current {
                out.append(block)
                current = nil
            } else {
                current = Block(language: String(line.dropFirst(3)), lines: [])
            }
        } else {
            current?.lines.append(line)
        }
    }
    return out
}

/// The docs are checked against what `sop` does: a page that says something the code does not
/// do, or leaves out a rule, a command or an option, fails here.
@Suite struct DocsTests {
    /// README's quick start, in an empty folder, exactly as written: its files, its commands and
    /// their output, and the misspelt-target example.
    @Test func theQuickStartRunsAsWritten() throws {
        let readme = try read("README.md")
        let start = try #require(readme.range(of: "## Quick start\n"))
        let section = readme[start.upperBound...].components(separatedBy: "\n## ")[0]
        let all = blocks(String(section))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sop-quickstart-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        // Files: a first line naming the file (`# path` or `// path`), then its text.
        var sop = ""
        for block in all where block.language == "yaml" || block.language == "json" {
            let name = block.lines[0].replacingOccurrences(of: "# ", with: "").replacingOccurrences(of: "// ", with: "")
            let text = block.lines.dropFirst().joined(separator: "\n") + "\n"
            let url = dir.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
            if name.hasSuffix(".sop.yaml") { sop = name }
        }
        #expect(sop == "sops/hello.sop.yaml")
        let sessions = all.filter { $0.language == "console" }
        #expect(sessions.count == 2)
        try check(sessions[0], in: dir)
        // The second session: the same SOP saved without its comment line, its target misspelt.
        let url = dir.appendingPathComponent(sop)
        let text = try String(contentsOf: url, encoding: .utf8)
        try Data(text.replacingOccurrences(of: "to: done", with: "to: dnoe").utf8).write(to: url)
        try check(sessions[1], in: dir)
    }

    /// Runs each `$ sop …` line of a console block and compares what it prints with the lines
    /// under it.
    private func check(_ session: Block, in dir: URL) throws {
        var commands: [(arguments: [String], expected: [String])] = []
        for line in session.lines {
            if line.hasPrefix("$ sop ") {
                commands.append((line.dropFirst(6).split(separator: " ").map(String.init), []))
            } else {
                commands[commands.count - 1].expected.append(line)
            }
        }
        #expect(!commands.isEmpty)
        for command in commands {
            let r = try SOPBinary.run(command.arguments, in: dir, environment: ["SOP_STORE": ""])
            let printed = (r.stdout + r.stderr).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            #expect(printed.dropLast() == command.expected[...], "sop \(command.arguments.joined(separator: " "))")
        }
    }

    /// The docs run (issue 32): every `console` example in README.md and docs/ that shows
    /// `$ sop …` commands is run, in a scratch copy of the shipped `sops/` and `schemas/`, and
    /// what each command prints (standard output, then standard error) must be the lines shown
    /// under it; a line `…` stands for any number of lines. An example that cannot run as
    /// written (a server, a database, output left out) is preceded by `<!-- not run: REASON -->`,
    /// which says why; any other command than `sop` needs that mark. README's quick start has
    /// files of its own and is run by `theQuickStartRunsAsWritten`.
    @Test func everyConsoleExampleRunsAsShown() throws {
        let pages = ["README.md"] + (try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("docs").path)
            .filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 })
        var ran = 0, marked = 0
        for page in pages {
            let lines = try read(page).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            var section = ""
            var index = 0
            while index < lines.count {
                let line = lines[index]
                if line.hasPrefix("## ") { section = line }
                guard line == "```console" else { index += 1; continue }
                let end = lines[(index + 1)...].firstIndex { $0.hasPrefix("```") } ?? lines.count
                let body = Array(lines[(index + 1)..<end])
                let place = "\(page):\(index + 1)"
                let before = lines[..<index].last { !$0.isEmpty } ?? ""
                index = end + 1
                if before.hasPrefix("<!-- not run: ") && before.hasSuffix(" -->") {
                    #expect(before.count > "<!-- not run:  -->".count + 10, "\(place): say why the example is not run")
                    marked += 1
                    continue
                }
                if page == "README.md" && section == "## Quick start" { continue }
                var commands: [(line: String, expected: [String])] = []
                for line in body {
                    if line.hasPrefix("$ ") {
                        #expect(line.hasPrefix("$ sop ") && !line.contains(" # "),
                                "\(place): '\(line)' cannot be run by this test; mark the example <!-- not run: REASON -->")
                        commands.append((line, []))
                    } else if !commands.isEmpty {
                        commands[commands.count - 1].expected.append(line)
                    }
                }
                guard !commands.isEmpty, commands.allSatisfy({ $0.line.hasPrefix("$ sop ") && !$0.line.contains(" # ") }) else { continue }
                let dir = try SOPBinary.workspace()
                for command in commands {
                    let arguments = try #require(Self.words(String(command.line.dropFirst(6))), "\(place): \(command.line)")
                    let r = try SOPBinary.run(arguments, in: dir, environment: ["SOP_STORE": ""])
                    let printed = Array((r.stdout + r.stderr).split(separator: "\n", omittingEmptySubsequences: false).map(String.init).dropLast())
                    #expect(Self.matches(printed[...], command.expected[...]),
                            "\(place): \(command.line)\nprinted:\n\(printed.joined(separator: "\n"))")
                }
                ran += 1
            }
        }
        #expect(ran >= 3 && marked >= 4, "ran \(ran), marked \(marked)")
    }

    /// A command line's words: split at spaces, with '…' and "…" quoting.
    static func words(_ line: String) -> [String]? {
        var words: [String] = [], current = "", quote: Character?, inWord = false
        for c in line {
            if let q = quote {
                if c == q { quote = nil } else { current.append(c) }
            } else if c == "'" || c == "\"" {
                quote = c
                inWord = true
            } else if c == " " {
                if inWord { words.append(current) }
                current = ""
                inWord = false
            } else {
                current.append(c)
                inWord = true
            }
        }
        guard quote == nil else { return nil }
        if inWord { words.append(current) }
        return words
    }

    /// Whether printed lines are the expected ones, where an expected `…` stands for any lines.
    static func matches(_ printed: ArraySlice<String>, _ expected: ArraySlice<String>) -> Bool {
        guard let first = expected.first else { return printed.isEmpty }
        if first == "…" {
            return (printed.startIndex...printed.endIndex).contains { matches(printed[$0...], expected.dropFirst()) }
        }
        guard printed.first == first else { return false }
        return matches(printed.dropFirst(), expected.dropFirst())
    }

    /// Every other `yaml` example in README.md and docs/ is a piece of an SOP in docs/examples/ or
    /// of a shipped one (its lines, indented alike, appear there in order), and that folder lints clean as one set,
    /// warnings included: so a piece is checked in a whole SOP. (docs/lint-rules.md's examples are
    /// the rules' own, checked in their fixtures by RuleRegistryTests.)
    @Test func everyPieceOfAnSOPInTheDocsIsPartOfALintedExample() throws {
        let examples = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("docs/examples").path)
            .filter { $0.hasSuffix(".sop.yaml") }.sorted()
        // Pieces of the shipped SOPs count too (CI lints them): docs/sla.md shows the complaint SOP's.
        let shipped = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("sops").path)
            .filter { $0.hasSuffix(".sop.yaml") }.sorted()
        // And the retail policy's (CI lints them too): docs/ai-agents.md shows a guard of it.
        let benchmark = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("Benchmarks/tau2/sops").path)
            .filter { $0.hasSuffix(".sop.yaml") }.sorted()
        let texts = try examples.map { try read("docs/examples/" + $0) } + shipped.map { try read("sops/" + $0) }
            + benchmark.map { try read("Benchmarks/tau2/sops/" + $0) }
        let docs = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("docs").path)
            .filter { $0.hasSuffix(".md") && $0 != "lint-rules.md" }.map { "docs/" + $0 } + ["README.md"]
        var checked = 0
        for page in docs {
            for block in blocks(try read(page)) where block.language == "yaml" {
                let lines = block.lines.reversed().drop { $0.isEmpty }.reversed()
                let isWholeSOP = lines.contains { $0.hasPrefix("sop: ") } && lines.contains { $0.hasPrefix("states:") }
                // A block that names its file (`# path`) and is not an SOP: a calendar (checked
                // below) or another file (the pre-commit configuration, checked by InitCommandTests).
                let isOtherFile = lines.first.map { $0.hasPrefix("# ") && $0.hasSuffix(".yaml") && !$0.hasSuffix(".sop.yaml") } ?? false
                guard !isWholeSOP, !isOtherFile, !lines.contains(where: { $0.hasPrefix("cases:") }) else { continue }
                let found = texts.contains { text in
                    (0...12).contains { indent in
                        let pad = String(repeating: " ", count: indent)
                        return text.contains(lines.map { $0.isEmpty ? "" : pad + $0 }.joined(separator: "\n") + "\n")
                    }
                }
                #expect(found, "\(page): this example is not part of an SOP in docs/examples/:\n\(lines.joined(separator: "\n"))")
                checked += 1
            }
        }
        #expect(checked >= 6)
        // With the shipped calendar its business timers name (docs/examples has no calendar of its own).
        let r = try SOPBinary.run(["lint", "--strict", "--ticket-schema", root.appendingPathComponent("schemas/ticket.schema.json").path,
                                   root.appendingPathComponent("docs/examples").path,
                                   root.appendingPathComponent("sops/calendars/support-eu.calendar.yaml").path], in: root)
        #expect(r.status == 0, "docs/examples does not lint clean:\n\(r.stdout)")
    }

    /// A calendar shown in README.md or docs/ starts with a comment naming its file in the
    /// repository, and is that file, line for line; `sop lint --strict sops/` checks the file.
    @Test func everyCalendarInTheDocsIsAShippedFile() throws {
        let docs = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("docs").path)
            .filter { $0.hasSuffix(".md") && $0 != "lint-rules.md" }.map { "docs/" + $0 } + ["README.md"]
        var checked = 0
        for page in docs {
            for block in blocks(try read(page)) where block.language == "yaml" {
                guard let first = block.lines.first, first.hasPrefix("# "), first.hasSuffix(".calendar.yaml") else { continue }
                let file = String(first.dropFirst(2))
                let shown = block.lines.dropFirst().joined(separator: "\n") + "\n"
                #expect((try? read(file)) == shown, "\(page): the calendar shown is not \(file) as shipped")
                checked += 1
            }
        }
        #expect(checked >= 1)
    }

    /// Every whole SOP shown in README.md and docs/ (a block that starts with `sop:`, or with a
    /// comment naming its `.sop.yaml` file) lints clean, warnings included, against the shipped
    /// ticket schema. Fragments are not checked here; those of docs/lint-rules.md are the rules'
    /// examples, which RuleRegistryTests checks in their fixtures.
    @Test func everyWholeSOPInTheDocsLintsClean() throws {
        let docs = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("docs").path)
            .filter { $0.hasSuffix(".md") }.map { "docs/" + $0 } + ["README.md"]
        var checked = 0
        for page in docs {
            for block in blocks(try read(page)) where block.language == "yaml" {
                var lines = block.lines
                var name: String?
                if let first = lines.first, first.hasPrefix("# "), first.hasSuffix(".sop.yaml") {
                    name = String(first.split(separator: "/").last!.split(separator: " ").last!)
                    lines.removeFirst()
                }
                guard let sopLine = lines.first(where: { !$0.hasPrefix("#") }), sopLine.hasPrefix("sop: "),
                      lines.contains(where: { $0.hasPrefix("states:") }),
                      !lines.contains(where: { $0.hasPrefix("cases:") }) else { continue }  // scenario tests are not SOPs
                let file = name ?? String(sopLine.dropFirst(5)) + ".sop.yaml"
                let dir = try SOPBinary.temporaryDirectory(ticketSchema: false)
                defer { try? FileManager.default.removeItem(at: dir) }
                let sops = dir.appendingPathComponent("sops")
                try FileManager.default.createDirectory(at: sops, withIntermediateDirectories: true)
                try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: sops.appendingPathComponent(file))
                let r = try SOPBinary.run(["lint", "--strict", "--ticket-schema", root.appendingPathComponent("schemas/ticket.schema.json").path,
                                           "sops"], in: dir)
                #expect(r.status == 0, "\(page): \(file)\n\(r.stdout)")
                checked += 1
            }
        }
        #expect(checked >= 4)
    }

    /// Every rule (from the SARIF rule catalogue, which lists them all) has its section in
    /// docs/lint-rules.md.
    @Test func everyRuleIsDocumented() throws {
        let dir = try SOPBinary.workspace()
        let r = try SOPBinary.run(["lint", "--format", "sarif", "sops"], in: dir)
        let log = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let runs = try #require(log["runs"] as? [[String: Any]])
        let driver = try #require((runs.first?["tool"] as? [String: Any])?["driver"] as? [String: Any])
        let rules = try #require(driver["rules"] as? [[String: Any]]).compactMap { $0["id"] as? String }
        #expect(rules.count >= 30)
        let doc = try read("docs/lint-rules.md")
        for rule in rules {
            #expect(doc.contains("## \(rule)\n"), "docs/lint-rules.md has no section for \(rule)")
        }
    }

    /// Every command and every option of it is in docs/cli.md.
    @Test func everyCommandAndOptionIsDocumented() throws {
        let doc = try read("docs/cli.md")
        let help = try SOPBinary.run(["--help"]).stdout
        let list = try #require(help.components(separatedBy: "SUBCOMMANDS:").last)
        let commands = list.split(separator: "\n").compactMap { line -> String? in
            let words = line.split(separator: " ")
            guard line.hasPrefix("  "), !line.hasPrefix("   "), let first = words.first,
                  first.allSatisfy({ $0.isLowercase }) else { return nil }
            return String(first)
        }
        #expect(commands.count >= 13)
        let option = try Regex("--[a-z][a-z-]*")
        for command in commands {
            #expect(doc.contains("## `sop \(command)"), "docs/cli.md has no section for sop \(command)")
            let text = try SOPBinary.run([command, "--help"]).stdout
            for match in text.matches(of: option) {
                let name = String(text[match.range])
                if name == "--help" || name == "--version" { continue }
                #expect(doc.contains("`\(name)"), "docs/cli.md does not mention \(name) of sop \(command)")
            }
        }
    }
}
