import ArgumentParser
import Foundation
import SOPCore
import SOPDiagnostics
import SOPJSON
import SOPStore

/// `sop test [PATH...]`: runs scenario tests and reports transition coverage.
struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test", abstract: "Run scenario tests (*.test.yaml) and report transition coverage per SOP.")

    @Argument(help: "Files and folders (default: the --sops folder).") var paths: [String] = []
    @Option(help: "Where SOP files are found.") var sops: String = "sops"
    @Option(name: .customLong("ticket-schema"), help: "The ticket schema (default: schemas/ticket.schema.json when it exists).")
    var ticketSchema: String?
    @Option(name: .customLong("min-coverage"), help: "Fail when an SOP's transition coverage is below this percentage.")
    var minCoverage: Double?
    @Option(help: "Output format: text or json.") var format: OutputFormat = .text

    func validate() throws {
        if let minCoverage, !(0...100).contains(minCoverage) { throw ValidationError("--min-coverage must be between 0 and 100") }
    }

    func run() throws {
        let (schema, files) = try TicketSchemaOption.loadWithFiles(ticketSchema, paths: paths.isEmpty ? [sops] : paths)
        let sopFiles = files.filter { SOPFileKind(path: $0) == .sop }
        let testFiles = files.filter { SOPFileKind(path: $0) == .scenarioTest }
        var compiled: [CompiledSOP] = []
        for path in sopFiles {
            guard let data = FileManager.default.contents(atPath: path) else {
                Output.err("error: \(path): cannot be read\n")
                throw ExitCode(2)
            }
            do {
                compiled.append(try CompiledSOP.compile(SourceFile(path: path, bytes: [UInt8](data)), schema: schema))
            } catch {
                Output.err("error: \(path) has lint errors; run `sop lint` first\n\(error)")
                throw ExitCode(1)
            }
        }
        let runner = ScenarioRunner(sopPaths: sopFiles.isEmpty ? [sops] : sopFiles, schema: schema)
        // Test files alone: coverage of the SOPs their cases ran (found in --sops).
        let (cases, coverage) = try runner.run(testFiles: testFiles, sops: sopFiles.isEmpty ? nil : compiled)
        let passed = cases.filter(\.passed).count, failed = cases.count - passed
        let below = coverage.filter { minCoverage != nil && $0.percent < minCoverage! }
        switch format {
        case .json:
            Output.out(JSONValue.object([
                ("cases", .array(cases.map { c in .object([
                    ("file", .string(c.file)), ("sop", .string(c.sop)), ("name", .string(c.name)), ("passed", .bool(c.passed)),
                    ("failures", .array(c.failures.map { .string($0) })),
                ]) })),
                ("coverage", .array(coverage.map { cov in .object([
                    ("sop", .string(cov.sop)), ("taken", .int(cov.taken.count)), ("total", .int(cov.all.count)),
                    ("percent", .number(Decimal((cov.percent * 10).rounded()) / 10)),
                    ("not_taken", .array(cov.missing.map { t in .object([
                        ("state", .string(t.state)), ("transition", .int(t.index + 1)), ("to", .string(t.to)), ("trigger", .string(t.trigger)),
                    ]) })),
                ]) })),
                ("passed", .int(passed)), ("failed", .int(failed)),
            ]).render() + "\n")
        case .text:
            var out = ""
            var lastFile = ""
            for c in cases {
                if c.file != lastFile { out += "\(c.file)\n"; lastFile = c.file }
                out += "  \(c.passed ? "✓" : "✗") \(c.name)\n"
                for f in c.failures { out += "      \(f)\n" }
            }
            if !coverage.isEmpty { out += "\ncoverage:\n" }
            for cov in coverage {
                out += String(format: "  %@ %d/%d transitions (%.1f%%)\n", cov.sop as NSString, cov.taken.count, cov.all.count, cov.percent)
                for t in cov.missing { out += "      not taken: \(t.state) → \(t.to) (\(t.trigger), transition \(t.index + 1))\n" }
            }
            if let minCoverage, !below.isEmpty {
                out += "\ncoverage below \(minCoverage)%: \(below.map(\.sop).joined(separator: ", "))\n"
            }
            out += "\n\(passed) passed, \(failed) failed\n"
            Output.out(out)
        }
        if failed > 0 || !below.isEmpty { throw ExitCode(1) }
    }
}
