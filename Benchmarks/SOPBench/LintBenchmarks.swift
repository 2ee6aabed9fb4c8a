import Foundation
import SOPCore
import SOPDiagnostics
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

        if let profile = ProcessInfo.processInfo.environment["SOP_BENCH_PROFILE"], profile.hasPrefix("memory") {
            // One file's bytes in memory, parsed again and again: libyaml alone against the arena.
            let bytes = [UInt8](FileManager.default.contents(atPath: files[0]) ?? Data())
            let source = SourceFile(path: files[0], bytes: bytes)
            for round in 0..<5 {
                let floor = Harness.time { for _ in 0..<2000 { blackHole(YAMLParser.countEvents(bytes)) } }
                let arena = Harness.time { for _ in 0..<2000 { blackHole(YAMLParser.parse(source).nodeCount) } }
                print(String(format: "round %d: libyaml %.1f µs, arena %.1f µs per parse (%.2fx)", round,
                             floor / 2000 * 1e6, arena / 2000 * 1e6, arena / floor))
            }
            return
        }
        if ProcessInfo.processInfo.environment["SOP_BENCH_PROFILE"] == "phases" {
            // Where the time goes, by phase: per file, libyaml alone, the arena, the model, the
            // full lint, back to back in a rotating order; their sums, and each against the floor.
            let read = { (f: String) in [UInt8](FileManager.default.contents(atPath: f) ?? Data()) }
            let work: [(String) -> Void] = [
                { f in blackHole(libyamlAlone(f)) },
                { f in blackHole(YAMLParser.parse(SourceFile(path: f, bytes: read(f))).nodeCount) },
                { f in blackHole(SOPLoader.load(SourceFile(path: f, bytes: read(f))).definition?.states.count ?? 0) },
                { f in blackHole(linter.lint(paths: [f]).diagnostics.count) },
            ]
            for round in 0..<7 {
                var t = [Double](repeating: 0, count: 4)
                for (i, f) in files.enumerated() {
                    for k in 0..<4 { let w = (i + k) % 4; t[w] += Harness.time { work[w](f) } }
                }
                print(String(format: "round %d: libyaml %.1f ms, arena %.2fx, model %.2fx, lint %.2fx", round, t[0] * 1000,
                             t[1] / t[0], t[2] / t[0], t[3] / t[0]))
            }
            return
        }
        if let profile = ProcessInfo.processInfo.environment["SOP_BENCH_PROFILE"] {
            // Only the single-thread lint (or with `floor`, only the libyaml floor), repeated: for
            // `perf record` or callgrind, with nothing else mixed in.
            for _ in 0..<10 {
                for f in files {
                    if profile == "arena" {
                        let bytes = [UInt8](FileManager.default.contents(atPath: f) ?? Data())
                        blackHole(YAMLParser.parse(SourceFile(path: f, bytes: bytes)).nodeCount)
                    } else if profile == "parallel" {
                        blackHole(linter.lint(paths: files).diagnostics.count)
                        break
                    } else if profile == "floor" {
                        blackHole(libyamlAlone(f))
                    } else {
                        blackHole(linter.lint(paths: [f]).diagnostics.count)
                    }
                }
            }
            return
        }
        // The VM's speed drifts by tens of percent within a minute, so the floor and the lint are
        // measured in alternation, round after round, and each round gives its own ratio.
        func floor(parallel: Bool) {
            let counts = parallel ? parallelCounts(files, libyamlAlone) : files.map(libyamlAlone)
            precondition(!counts.contains(-1), "the corpus does not parse")
        }
        var found = 0
        func lint(parallel: Bool) {
            if parallel {
                found = linter.lint(paths: files).diagnostics.count
            } else {
                var n = 0
                for f in files { n += linter.lint(paths: [f]).diagnostics.count }
                found = n
            }
        }
        // The finest alternation: file by file, libyaml alone and the lint back to back (each
        // going first for every other file), so that a drift in speed within a round hits both.
        func interleaved() -> (floor: Double, lint: Double) {
            var floorTime = 0.0, lintTime = 0.0, n = 0
            for (i, f) in files.enumerated() {
                let parse = { blackHole(libyamlAlone(f)) }
                let check = { n += linter.lint(paths: [f]).diagnostics.count }
                if i % 2 == 0 {
                    floorTime += Harness.time(parse)
                    lintTime += Harness.time(check)
                } else {
                    lintTime += Harness.time(check)
                    floorTime += Harness.time(parse)
                }
            }
            found = n
            return (floorTime, lintTime)
        }
        let rounds = 7
        var floor1: [Double] = [], lint1: [Double] = [], floorN: [Double] = [], lintN: [Double] = []
        var floorI: [Double] = [], lintI: [Double] = []
        for _ in 0..<rounds {
            floor1.append(Harness.time { floor(parallel: false) })
            lint1.append(Harness.time { lint(parallel: false) })
            floorN.append(Harness.time { floor(parallel: true) })
            lintN.append(Harness.time { lint(parallel: true) })
            let (f, l) = interleaved()
            floorI.append(f)
            lintI.append(l)
        }
        func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
        func line(_ name: String, _ times: [Double], _ floors: [Double]?) {
            let t = median(times)
            var text = String(format: "%@ %8.1f ms  %7.1f MiB/s", name.padding(toLength: 44, withPad: " ", startingAt: 0), t * 1000,
                              Double(bytes) / 1_048_576 / t)
            if let floors {
                let ratios = zip(times, floors).map { $0 / $1 }.sorted()
                text += String(format: "  %.2fx the libyaml floor (rounds: %.2f–%.2f)", median(ratios), ratios.first!, ratios.last!)
            }
            print(text)
        }
        print("medians of \(rounds) rounds; each round measures the floor, then the lint")
        line("libyaml events only, 1 thread", floor1, nil)
        line("full lint, 1 thread (file by file)", lint1, floor1)
        line("libyaml events only, all cores", floorN, nil)
        line("full lint, all cores", lintN, floorN)
        line("libyaml alone, file by file, interleaved", floorI, nil)
        line("full lint, file by file, interleaved", lintI, floorI)
        print("diagnostics found: \(found)")
    }

    /// The floor's work for one file: read it and run libyaml's event parser over it (the event
    /// count, or -1 when libyaml fails).
    @Sendable static func libyamlAlone(_ path: String) -> Int {
        YAMLParser.countEvents([UInt8](FileManager.default.contents(atPath: path) ?? Data()))
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
