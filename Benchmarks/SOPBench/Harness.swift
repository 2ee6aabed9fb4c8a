import Foundation

/// A small timing harness: runs a body in batches until enough time has passed, repeats that,
/// and reports the median per-operation time. Release builds only (`swift run -c release`).
enum Harness {
    struct Measurement {
        var name: String
        var nanosecondsPerOperation: Double
        var operationsPerSecond: Double { 1e9 / nanosecondsPerOperation }
    }

    static func measure(_ name: String, repetitions: Int = 7, minimumSeconds: Double = 0.2,
                        _ body: (Int) -> Void) -> Measurement {
        // Find a batch size that takes at least `minimumSeconds`.
        var batch = 1
        while true {
            let t = time { body(batch) }
            if t >= minimumSeconds || batch >= 1 << 30 { break }
            batch *= t < minimumSeconds / 10 ? 10 : 2
        }
        var samples: [Double] = []
        for _ in 0..<repetitions {
            let t = time { body(batch) }
            samples.append(t * 1e9 / Double(batch))
        }
        samples.sort()
        return Measurement(name: name, nanosecondsPerOperation: samples[samples.count / 2])
    }

    static func time(_ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    static func report(_ m: Measurement) {
        let perOp = m.nanosecondsPerOperation >= 1000
            ? String(format: "%.2f µs", m.nanosecondsPerOperation / 1000)
            : String(format: "%.1f ns", m.nanosecondsPerOperation)
        let padded = m.name.padding(toLength: 44, withPad: " ", startingAt: 0)
        let rate = String(format: "%14.0f ops/s", m.operationsPerSecond)
        print("\(padded) \(String(repeating: " ", count: max(0, 11 - perOp.count)))\(perOp) per op \(rate)")
    }
}

/// Keeps a value alive so the optimiser cannot drop the work that made it.
@inline(never)
func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}
