import Foundation

// sop-bench: reproducible measurements for docs/benchmarks.md.
//   swift run -c release sop-bench [expressions ...]
let suites: [String: () -> Void] = [
    "expressions": ExpressionBenchmarks.run,
]
let requested = CommandLine.arguments.dropFirst().isEmpty ? suites.keys.sorted() : Array(CommandLine.arguments.dropFirst())
for name in requested {
    guard let suite = suites[name] else {
        FileHandle.standardError.write(Data("unknown suite '\(name)'; suites: \(suites.keys.sorted().joined(separator: ", "))\n".utf8))
        exit(2)
    }
    suite()
}
