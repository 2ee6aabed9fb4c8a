/// Durations as people read them, in their two largest units (`2d 3h`, `3h 5m`, `45m`, `1m 30s`):
/// the one home of this wording for the report, `sop`, and the console. (Business time is
/// written as the calendars write it, `BusinessDuration.format`: a business day is not 24 hours.)
public enum DurationText {
    /// To the second: `2d 3h`, `45m`, `30s`; `0s` for zero, milliseconds below a second.
    public static func text(_ ms: Int64) -> String {
        var s = ms / 1000
        guard s > 0 else { return ms == 0 ? "0s" : "\(ms)ms" }
        var parts: [String] = []
        let d = s / 86_400; s %= 86_400
        let h = s / 3600; s %= 3600
        let m = s / 60; s %= 60
        if d > 0 { parts.append("\(d)d") }
        if h > 0 { parts.append("\(h)h") }
        if m > 0 && d == 0 { parts.append("\(m)m") }
        if s > 0 && d == 0 && h == 0 { parts.append("\(s)s") }
        return parts.joined(separator: " ")
    }

    /// Elapsed or remaining time to the minute, a minute at least: `20d 23h`, `3h 5m`, `1m`.
    public static func minutes(_ ms: Int64) -> String { text(max(60_000, wholeMinutes(ms))) }

    /// A duration rounded down to whole minutes, a minute at least when it is positive (0 if not).
    public static func wholeMinutes(_ ms: Int64) -> Int64 { ms <= 0 ? 0 : max(60_000, ms / 60_000 * 60_000) }
}
