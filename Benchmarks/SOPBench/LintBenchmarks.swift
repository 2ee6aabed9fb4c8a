import Foundation
import SOPCore
import SOPYAML

/// The lint benchmark over a generated corpus: the libyaml floor and the full lint, in process.
enum LintBenchmarks {
    static func run(folder: String, schemaPath: String?) {
        guard let files = try? Linter.files(in: [folder]).filter({ $0.hasSuffix(".sop.yaml") }), !files.isEmpty else {
            FileHandle.standardError.write(Data("no SOP files in \(folder); run `sop-bench generate \(folder)` first\n".utf8))
            exit(2)
        }
        let bytes = files.reduce(0) { $0 + ((try? FileManager.default.attributesOfItem(atPath: $1)[.size] as? Int) ?? 0) }
        print("lint corpus: \(files.count) files, \(bytes) bytes (\(String(format: "%.1f", Double(bytes) / 1_048_576)) MiB)")
        let schema = schemaPath.flatMap { try? TicketSchema.load(path: $0) }
        let linter = Linter(ticketSchema: schema)

        if ProcessInfo.processInfo.environment["SOP_BENCH_PROFILE"] != nil {
            // Only the single-thread lint, repeated: for `perf record`, with nothing else mixed in.
            for _ in 0..<10 { for f in files { blackHole(linter.lint(paths: [f]).diagnostics.count) } }
            return
        }
        func floor(parallel: Bool) -> Double {
            median(5) {
                let work: @Sendable (String) -> Int = { path in
                    YAMLParser.countEvents([UInt8](FileManager.default.contents(atPath: path) ?? Data()))
                }
                let counts = parallel ? parallelCounts(files, work) : files.map(work)
                precondition(!counts.contains(-1), "the corpus does not parse")
            }
        }
        let floor1 = floor(parallel: false)
        let floorN = floor(parallel: true)
        var found = 0
        let lintN = median(5) { found = linter.lint(paths: files).diagnostics.count }
        let lint1 = median(3) {
            var n = 0
            for f in files { n += linter.lint(paths: [f]).diagnostics.count }
            blackHole(n)
        }
        func line(_ name: String, _ seconds: Double, _ floor: Double?) {
            let ratio = floor.map { String(format: "  (%.2fx the libyaml floor)", seconds / $0) } ?? ""
            print(String(format: "%@ %8.1f ms  %7.1f MiB/s", name.padding(toLength: 44, withPad: " ", startingAt: 0), seconds * 1000,
                         Double(bytes) / 1_048_576 / seconds) + ratio)
        }
        line("libyaml events only, 1 thread", floor1, nil)
        line("libyaml events only, all cores", floorN, nil)
        line("full lint, 1 thread (file by file)", lint1, floor1)
        line("full lint, all cores", lintN, floorN)
        print("diagnostics found: \(found)")
    }

    static func median(_ runs: Int, _ body: () -> Void) -> Double {
        var samples: [Double] = []
        for _ in 0..<runs { samples.append(Harness.time(body)) }
        samples.sort()
        return samples[samples.count / 2]
    }

    static func parallelCounts(_ files: [String], _ work: @escaping @Sendable (String) -> Int) -> [Int] {
        let box = Counts(files.count)
        DispatchQueue.concurrentPerform(iterations: files.count) { i in box.set(i, work(files[i])) }
        return box.values
    }

    private final class Counts: @unchecked Sendable {
        let storage: UnsafeMutablePointer<Int>
        let count: Int
        init(_ count: Int) {
            self.count = count
            storage = .allocate(capacity: count)
            storage.initialize(repeating: 0, count: count)
        }
        deinit { storage.deallocate() }
        func set(_ i: Int, _ v: Int) { storage[i] = v }
        var values: [Int] { Array(UnsafeBufferPointer(start: storage, count: count)) }
    }
}
