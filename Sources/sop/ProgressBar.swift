import Foundation

/// A progress bar on standard error for a long read (`sop verify`, `sop report`):
/// `verify  412,000 / 1,000,000 runs  41%  [########............]  12 s`, redrawn in place with
/// `\r` at most ten times a second and cleared at the end. Only on a terminal: piped or
/// redirected, `onTerminal` gives none, so scripts and tests see exactly what they saw before.
final class ProgressBar {
    let label: String
    let unit: String
    private let started = ContinuousClock.now
    private var lastDraw: ContinuousClock.Instant?
    /// The length of the line on screen (0: nothing to clear).
    private var shown = 0
    private let write: (String) -> Void
    private let width: () -> Int

    /// How long a redraw waits after the one before.
    static let interval = Duration.milliseconds(100)

    init(label: String, unit: String, width: @escaping () -> Int = ProgressBar.terminalWidth,
         write: @escaping (String) -> Void = { Output.err($0) }) {
        self.label = label
        self.unit = unit
        self.width = width
        self.write = write
    }

    /// A bar when standard error is a terminal, else nil.
    static func onTerminal(label: String, unit: String) -> ProgressBar? {
        isatty(2) == 1 ? ProgressBar(label: label, unit: unit) : nil
    }

    /// The terminal's width in columns (80 when it cannot be asked).
    static func terminalWidth() -> Int {
        var size = winsize()
        guard ioctl(2, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }

    /// Shows `done` of `total`: the first time at once, then at most every `interval`.
    func update(_ done: Int, _ total: Int) {
        let now = ContinuousClock.now
        if let lastDraw, now - lastDraw < Self.interval { return }
        lastDraw = now
        let line = Self.line(label: label, unit: unit, done: done, total: total, elapsed: now - started, width: width())
        write("\r" + line + String(repeating: " ", count: max(0, shown - line.count)))
        shown = line.count
    }

    /// Takes the bar off the screen (the next `update` draws it again).
    func clear() {
        guard shown > 0 else { return }
        write("\r" + String(repeating: " ", count: shown) + "\r")
        shown = 0
        lastDraw = nil
    }

    /// One line of the bar, no longer than `width - 1` columns (a line as wide as the terminal
    /// would wrap): the label, the count with thousands separators, the percentage, the bar
    /// (left out when it would be narrower than 10 cells) and the time so far. `total` may be an
    /// estimate: a `done` past it counts as the total, and the percentage stops at 100.
    static func line(label: String, unit: String, done: Int, total: Int, elapsed: Duration, width: Int) -> String {
        let total = max(total, done)
        let percent = total == 0 ? 100 : min(100, done * 100 / total)
        let head = "\(label)  \(grouped(done)) / \(grouped(total)) \(unit)  \(percent)%"
        let tail = "  " + Self.elapsed(elapsed)
        let room = width - 1 - head.count - tail.count - 4  // two spaces and the brackets
        guard room >= 10 else {
            let words = head + tail
            return words.count < width ? words : String(head.prefix(max(0, width - 1)))
        }
        let cells = min(room, 40)
        let filled = total == 0 ? cells : cells * min(done, total) / total
        return head + "  [" + String(repeating: "#", count: filled) + String(repeating: ".", count: cells - filled) + "]" + tail
    }

    /// `1,000,000`.
    static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return n < 0 ? "-" + out : out
    }

    /// `12 s`, `3 min 05 s`, `1 h 02 min`.
    static func elapsed(_ d: Duration) -> String {
        let s = Int(d.components.seconds)
        if s < 60 { return "\(s) s" }
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        if s < 3600 { return "\(s / 60) min \(two(s % 60)) s" }
        return "\(s / 3600) h \(two(s / 60 % 60)) min"
    }
}
