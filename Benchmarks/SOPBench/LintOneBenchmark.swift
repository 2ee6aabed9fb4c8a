import Foundation
import SOPCore
import SOPDiagnostics

/// The floor of the language server's benchmark (Benchmarks/lsp-latency.py): linting one file's
/// text in process, again and again, as the text changes under an editor. It applies the same
/// edits the benchmark sends to `sop lsp` (a JSON file written by the script: each edit is a line
/// number, a column range in Unicode scalars and the new text) and times only the lint of each
/// new text; reading the edits and applying them are outside the timing.
///
/// With `--workspace DIR` the lint is the language server's own: a `LintSession` over the
/// workspace's files (its sops/ folder and ticket schema, read as `sop lsp` reads them), each new
/// text set into it and its findings read back, so the index of the other 199 SOPs is there and
/// the cross-file phase runs. Without it, the file is linted on its own (`Linter.lint`). What the
/// server adds on top (framing, JSON, positions in UTF-16) is what the benchmark's ratio measures.
enum LintOneBenchmark {
    struct Edit: Decodable {
        var line: Int         // 0-based
        var start: Int        // in Unicode scalars, 0-based
        var end: Int
        var text: String
    }

    static func run(arguments: [String]) {
        var args = arguments
        func option(_ name: String) -> String? {
            guard let at = args.firstIndex(of: name), at + 1 < args.count else { return nil }
            let value = args[at + 1]
            args.removeSubrange(at...(at + 1))
            return value
        }
        let schemaPath = option("--ticket-schema")
        let editsPath = option("--edits")
        let workspace = option("--workspace")
        let repeatCount = option("--repeat").flatMap(Int.init) ?? 1
        // `--range A:B` times only edits A..<B (those before are applied first, untimed), so a
        // caller can alternate chunks of the floor with chunks of the server under the same load;
        // `--samples FILE` writes each timing (ms), one a line.
        let range = option("--range").map { $0.split(separator: ":").compactMap { Int($0) } }
        let samplesPath = option("--samples")
        guard let file = args.first, let editsPath else {
            fail("usage: sop-bench lint-one FILE --edits EDITS.json [--workspace DIR] [--ticket-schema FILE] [--repeat N]")
        }
        guard let original = try? String(contentsOfFile: file, encoding: .utf8) else { fail("cannot read \(file)") }
        guard let data = FileManager.default.contents(atPath: editsPath),
              let edits = try? JSONDecoder().decode([Edit].self, from: data) else { fail("cannot read the edits in \(editsPath)") }
        var schema: TicketSchema?
        if let schemaPath {
            do { schema = try TicketSchema.load(path: schemaPath) } catch { fail("cannot load the ticket schema \(schemaPath): \(error)") }
        }
        if schema == nil, let workspace {
            let path = (workspace as NSString).appendingPathComponent(TicketSchema.defaultPath)
            if FileManager.default.fileExists(atPath: path) {
                do { schema = try TicketSchema.load(path: path) } catch { fail("cannot load the ticket schema \(path): \(error)") }
            }
        }
        let linter = Linter(ticketSchema: schema)
        var session: LintSession?
        var path = file
        if let workspace {
            let root = ((workspace as NSString).standardizingPath as NSString).appendingPathComponent("")
            let prefix = root.hasSuffix("/") ? root : root + "/"
            func relative(_ p: String) -> String {
                let standard = (p as NSString).standardizingPath
                return standard.hasPrefix(prefix) ? String(standard.dropFirst(prefix.count)) : standard
            }
            let folder = (root as NSString).appendingPathComponent("sops")
            let files = ((try? Linter.files(in: [folder])) ?? []).map(relative)
            let sources = files.compactMap { p in
                FileManager.default.contents(atPath: (root as NSString).appendingPathComponent(p)).map { SourceFile(path: p, bytes: Array($0)) }
            }
            path = relative((file as NSString).isAbsolutePath ? file : FileManager.default.currentDirectoryPath + "/" + file)
            guard files.contains(path) else { fail("\(file) is not among the workspace's files") }
            session = LintSession(linter: linter, sources: sources)
            print("lint-one: a LintSession over \(sources.count) files of \(workspace)")
        }

        var timed = 0..<edits.count
        if let range {
            guard range.count == 2, 0 <= range[0], range[0] <= range[1], range[1] <= edits.count else {
                fail("--range must be A:B with 0 <= A <= B <= \(edits.count)")
            }
            timed = range[0]..<range[1]
        }
        var samples: [Double] = []
        var findings = 0
        for _ in 0..<repeatCount {
            var lines = original.components(separatedBy: "\n")
            for (k, edit) in edits.enumerated() where k < timed.upperBound {
                var scalars = Array(lines[edit.line].unicodeScalars)
                scalars.replaceSubrange(edit.start..<edit.end, with: Array(edit.text.unicodeScalars))
                var view = String.UnicodeScalarView()
                view.append(contentsOf: scalars)
                lines[edit.line] = String(view)
                if k < timed.lowerBound {
                    if k == timed.lowerBound - 1, session != nil {
                        session!.set(SourceFile(path: path, bytes: Array(lines.joined(separator: "\n").utf8)))
                    }
                    continue
                }
                let text = lines.joined(separator: "\n")
                var found = 0
                let seconds = Harness.time {
                    let source = SourceFile(path: path, bytes: Array(text.utf8))
                    if session != nil {
                        session!.set(source)
                        found = session!.diagnostics(for: path).count
                    } else {
                        found = linter.lint(source).diagnostics.count
                    }
                }
                findings += found
                samples.append(seconds * 1000)
            }
        }
        if let samplesPath {
            let text = samples.map { String(format: "%.6f", $0) }.joined(separator: "\n") + "\n"
            do { try text.write(toFile: samplesPath, atomically: true, encoding: .utf8) } catch { fail("cannot write \(samplesPath): \(error)") }
        }
        samples.sort()
        func percentile(_ p: Double) -> Double { samples[min(samples.count - 1, Int((Double(samples.count) * p).rounded(.up)) - 1)] }
        print(String(format: "lint-one: %d lints, p50 %.3f ms, p99 %.3f ms, mean %.3f ms, findings %d",
                     samples.count, percentile(0.50), percentile(0.99), samples.reduce(0, +) / Double(samples.count), findings))
    }

    private static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("sop-bench: \(message)\n".utf8))
        exit(2)
    }
}
