import Foundation
import SOPCore
import SOPDiagnostics
import SOPExpression

/// Business-time arithmetic (docs/calendars.md): the cost of one due time per open interval it
/// crosses, against a floor that walks the same intervals precomputed as instants.
enum CalendarBenchmarks {
    static func calendar(_ zone: String) -> BusinessCalendar {
        let hours = #"["09:00-12:00", "13:00-18:00"]"#
        let text = """
            calendar: bench
            time_zone: \(zone)
            week: {mon: \(hours), tue: \(hours), wed: \(hours), thu: \(hours), fri: \(hours)}
            holidays: [{every_year: 12-25}, {every_year: 12-26}, {every_year: 01-01}]
            """
        guard let c = CalendarLoader.load(SourceFile(path: "bench.calendar.yaml", text: text)).calendar else {
            fatalError("the benchmark calendar does not load")
        }
        return c
    }

    static func run() {
        let start = CivilTime.parseDateTime("2026-11-02T09:30:00Z")!
        print("business calendars (Mon–Fri 09:00–12:00 and 13:00–18:00, three yearly holidays)")
        for zone in ["Europe/Berlin", "UTC"] {
            let c = calendar(zone)
            for hours in [1, 40, 400] {
                let duration = Int64(hours) * 3_600_000
                let due = c.add(duration, to: start)!
                // The open intervals the sum walks through, precomputed: the floor walks them as
                // plain numbers.
                var spans: [(Int64, Int64)] = []
                var t = start
                while t < due {
                    let open = c.add(0, to: t)!
                    let close = c.add(0, to: open)! == open ? nextClose(c, open) : open
                    spans.append((open, min(close, due)))
                    t = close
                }
                let crossed = spans.count
                let m = Harness.measure("\(zone) +\(hours)h (\(crossed) intervals)") { n in
                    for _ in 0..<n { blackHole(c.add(duration, to: start)) }
                }
                Harness.report(m)
                let floor = Harness.measure("  floor: the same intervals as numbers") { n in
                    for _ in 0..<n {
                        var remaining = duration, at: Int64 = 0
                        for (a, b) in spans {
                            let s = max(a, start)
                            if remaining <= b - s { at = s + remaining; break }
                            remaining -= b - s
                        }
                        blackHole(at)
                    }
                }
                Harness.report(floor)
                print(String(format: "  %.1f ns per interval crossed; %.1f× the floor", m.nanosecondsPerOperation / Double(crossed),
                             m.nanosecondsPerOperation / floor.nanosecondsPerOperation))
            }
        }
    }

    /// The end of the open interval that starts at `open`: found by adding business time in
    /// minutes until the clock jumps.
    static func nextClose(_ c: BusinessCalendar, _ open: Int64) -> Int64 {
        var t = open
        while true {
            let next = c.add(60_000, to: t)!
            if next != t + 60_000 { return t }
            t = next
        }
    }
}
