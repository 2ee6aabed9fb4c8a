import Foundation

// sop-bench: reproducible measurements for docs/benchmarks.md.
//   sop-bench expressions
//   sop-bench calendar                      business-time arithmetic per interval crossed
//   sop-bench runtime [decide|seal|chain]   interpreter throughput in process (all by default)
//   sop-bench generate DIR [COUNT]          writes COUNT (default 1000) generated SOPs
//   sop-bench lint DIR [TICKET_SCHEMA]      libyaml floor and full lint over DIR
//   sop-bench lint-one FILE --edits EDITS.json [--workspace DIR] [--ticket-schema FILE] [--repeat N]
//                                           the floor of Benchmarks/lsp-latency.py: one file linted after each edit
//   sop-bench completion [TICKET_SCHEMA]    sop lsp's completion and hover in a 1,000-line SOP
var arguments = Array(CommandLine.arguments.dropFirst())
let command = arguments.isEmpty ? "expressions" : arguments.removeFirst()
switch command {
case "expressions":
    ExpressionBenchmarks.run()
case "calendar":
    CalendarBenchmarks.run()
case "runtime":
    RuntimeBenchmarks.run(only: arguments.first)
case "generate":
    guard let folder = arguments.first else { fatalError("usage: sop-bench generate DIR [COUNT]") }
    let count = arguments.count > 1 ? Int(arguments[1]) ?? 1000 : 1000
    do {
        let (files, bytes) = try CorpusGenerator.generate(into: folder, count: count)
        print("wrote \(files) files, \(bytes) bytes to \(folder)")
    } catch {
        FileHandle.standardError.write(Data("sop-bench: \(error)\n".utf8))
        exit(2)
    }
case "lint":
    guard let folder = arguments.first else { fatalError("usage: sop-bench lint DIR [TICKET_SCHEMA]") }
    LintBenchmarks.run(folder: folder, schemaPath: arguments.count > 1 ? arguments[1] : nil)
case "lint-one":
    LintOneBenchmark.run(arguments: arguments)
case "completion":
    CompletionBenchmarks.run(schemaPath: arguments.first)
default:
    FileHandle.standardError.write(Data("sop-bench: unknown command '\(command)'; commands: expressions, calendar, runtime, generate, lint, lint-one, completion\n".utf8))
    exit(2)
}
