import ArgumentParser
import Foundation
import SOPCore
import SOPDiagnostics
import SOPJSON
import SOPService
import SOPStoreLocation
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
    @Option(help: "Output format: text, json or junit (JUnit XML, for CI test reports).") var format: Format = .text

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json, junit
    }

    func validate() throws {
        if let minCoverage, !(0...100).contains(minCoverage) { throw ValidationError("--min-coverage must be between 0 and 100") }
    }

    func run() throws {
        let (schema, files) = try TicketSchemaOption.loadWithFiles(ticketSchema, paths: paths.isEmpty ? [sops] : paths)
        let sopFiles = files.filter { SOPFileKind(path: $0) == .sop }
        let testFiles = files.filter { SOPFileKind(path: $0) == .scenarioTest }
        // One catalogue for every case: each SOP file is parsed once.
        let catalogue = SOPCatalogue(paths: sopFiles.isEmpty ? [sops] : sopFiles, schema: schema)
        var compiled: [CompiledSOP] = []
        for entry in sopFiles.isEmpty ? [] : catalogue.entries() {
            if let reason = entry.unreadable {
                Output.err("error: \(entry.path): cannot be read: \(reason)\n")
                throw ExitCode(2)
            }
            guard let sop = entry.compiled else {
                Output.err("error: \(entry.path) has lint errors; run `sop lint` first\n\(entry.compileError)")
                throw ExitCode(1)
            }
            compiled.append(sop)
        }
        // Each case runs on a throwaway SQLite store of its own.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("sop-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        var count = 0
        let runner = ScenarioRunner(catalogue: catalogue) {
            count += 1
            return try StoreLocation.open(scratch.appendingPathComponent("case-\(count).sqlite").path)
        }
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
        case .junit:
            Output.out(JUnitReport.xml(cases: cases, coverage: coverage, minCoverage: minCoverage))
        case .text:
            var out = ""
            var lastFile = ""
            for c in cases {
                if c.file != lastFile { out += "\(c.file)\n"; lastFile = c.file }
                out += "  \(c.passed ? "✓" : "✗") \(c.name)\n"
                // A failure of several lines (a refusal with its alternatives) stays indented
                // under its case.
                for f in c.failures { out += "      " + f.replacingOccurrences(of: "\n", with: "\n      ") + "\n" }
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

/// `sop test --format junit`: the cases as JUnit XML, the format CI systems read test reports in
/// (GitHub Actions reporters, GitLab, Jenkins). One `testsuite` per test file, a `testcase` per
/// case (`classname` the SOP, a `failure` with every reason when it failed); with
/// `--min-coverage`, a `coverage` suite with a case per SOP that fails below the minimum.
enum JUnitReport {
    static func xml(cases: [CaseResult], coverage: [Coverage], minCoverage: Double?) -> String {
        var suites: [(name: String, cases: [(classname: String, name: String, failures: [String])])] = []
        for c in cases {
            if suites.last?.name != c.file { suites.append((c.file, [])) }
            suites[suites.count - 1].cases.append((c.sop, c.name, c.failures))
        }
        if let minCoverage {
            suites.append(("coverage", coverage.map { cov in
                let name = "transition coverage of \(cov.sop) is at least \(format(minCoverage))%"
                let failures = cov.percent < minCoverage
                    ? ["\(cov.taken.count) of \(cov.all.count) transitions taken (\(format(cov.percent))%)"]
                        + cov.missing.map { "not taken: \($0.state) → \($0.to) (\($0.trigger), transition \($0.index + 1))" }
                    : []
                return (cov.sop, name, failures)
            }))
        }
        let total = suites.reduce(0) { $0 + $1.cases.count }
        let failed = suites.reduce(0) { $0 + $1.cases.filter { !$0.failures.isEmpty }.count }
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"sop test\" tests=\"\(total)\" failures=\"\(failed)\" errors=\"0\">\n"
        for suite in suites {
            let suiteFailed = suite.cases.filter { !$0.failures.isEmpty }.count
            out += "  <testsuite name=\"\(escape(suite.name))\" tests=\"\(suite.cases.count)\" failures=\"\(suiteFailed)\" errors=\"0\">\n"
            for c in suite.cases {
                let head = "    <testcase classname=\"\(escape(c.classname))\" name=\"\(escape(c.name))\""
                if let first = c.failures.first {
                    out += head + ">\n"
                    out += "      <failure message=\"\(escape(first))\">\(escape(c.failures.joined(separator: "\n")))</failure>\n"
                    out += "    </testcase>\n"
                } else {
                    out += head + "/>\n"
                }
            }
            out += "  </testsuite>\n"
        }
        return out + "</testsuites>\n"
    }

    private static func format(_ percent: Double) -> String {
        String(format: "%.1f", percent)
    }

    static func escape(_ text: String) -> String { XMLText.escape(text) }
}
