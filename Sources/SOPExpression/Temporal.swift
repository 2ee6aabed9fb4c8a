/// Duration literals: `30m`, `48h`, `2d`, `1w`, `1h30m`, `90s`. A day is 24 hours and a week 7
/// days: durations are fixed lengths, never calendar months.
public enum DurationFormat {
    static let second: Int64 = 1_000
    static let minute: Int64 = 60_000
    static let hour: Int64 = 3_600_000
    static let day: Int64 = 86_400_000
    static let week: Int64 = 604_800_000

    static func unitMilliseconds(_ c: UInt8) -> Int64? {
        switch c {
        case UInt8(ascii: "w"): return week
        case UInt8(ascii: "d"): return day
        case UInt8(ascii: "h"): return hour
        case UInt8(ascii: "m"): return minute
        case UInt8(ascii: "s"): return second
        default: return nil
        }
    }

    /// The help for a duration written the way people write one (`2 days`, `1 hour 30 minutes`,
    /// `48` without a unit): the literal it means, or nil when the text is nothing of the kind.
    public static func fixHelp(for text: String) -> String? {
        let trimmed = text.trimmingWhitespace()
        if !trimmed.isEmpty, trimmed.allSatisfy { ("0"..."9").contains($0) } {
            return "add a unit: '\(trimmed)h' for hours, '\(trimmed)m' for minutes, '\(trimmed)d' for days"
        }
        let units: [String: String] = ["w": "w", "wk": "w", "week": "w", "weeks": "w", "d": "d", "day": "d", "days": "d",
                                       "h": "h", "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
                                       "m": "m", "min": "m", "mins": "m", "minute": "m", "minutes": "m",
                                       "s": "s", "sec": "s", "secs": "s", "second": "s", "seconds": "s"]
        // Numbers and unit words, in any spacing: "2 days", "2days", "1 hour, 30 minutes".
        var literal = "", number = "", word = ""
        func flushWord() -> Bool {
            guard !word.isEmpty else { return true }
            defer { word = "" }
            if word == "and" { return number.isEmpty }
            guard !number.isEmpty, let unit = units[word.lowercased()] else { return false }
            literal += number + unit
            number = ""
            return true
        }
        for c in trimmed {
            if ("0"..."9").contains(c) {
                guard flushWord() else { return nil }
                number.append(c)
            } else if c.isLetter {
                word.append(c)
            } else if c == " " || c == "," {
                continue
            } else {
                return nil
            }
        }
        guard flushWord(), number.isEmpty, !literal.isEmpty, literal != trimmed, parse(literal) != nil else { return nil }
        return "write '\(literal)'; units are w, d, h, m and s, largest first"
    }

    /// Parses a whole duration literal; nil when the text is not one.
    public static func parse(_ text: String) -> Int64? {
        var text = text.trimmingWhitespace()
        return text.withUTF8 { bytes in
            var lexer = Lexer(bytes, base: 0)
            guard let first = try? lexer.next(), case .duration(let ms) = first.kind,
                  let second = try? lexer.next(), case .end = second.kind else { return nil }
            return ms
        }
    }

    /// The shortest literal for a duration: `1d12h`, `90s`, `-2h`; `0s` for zero.
    public static func format(_ ms: Int64) -> String {
        if ms == 0 { return "0s" }
        var rest = ms.magnitude
        var out = ms < 0 ? "-" : ""
        for (unit, name) in [(week, "w"), (day, "d"), (hour, "h"), (minute, "m"), (second, "s")] {
            let u = UInt64(unit)
            if rest >= u {
                out += "\(rest / u)\(name)"
                rest %= u
            }
        }
        if rest > 0 { out += "\(rest)ms" }
        return out
    }
}

/// Calendar dates as days since 1970-01-01 (proleptic Gregorian), and RFC 3339 datetimes as
/// milliseconds since the epoch in UTC. Algorithms from Howard Hinnant's "chrono-compatible
/// low-level date algorithms".
public enum CivilTime {
    public static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public static func civil(fromDays z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    public static func daysInMonth(_ y: Int, _ m: Int) -> Int {
        switch m {
        case 2: return isLeap(y) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// `YYYY-MM-DD` → days since the epoch; nil for anything else, including 2026-02-30.
    public static func parseDate(_ text: String) -> Int? {
        var text = text
        return text.withUTF8 { parseDate(utf8: $0) }
    }

    /// `parseDate` of UTF-8 bytes.
    public static func parseDate(utf8 u: UnsafeBufferPointer<UInt8>) -> Int? {
        guard u.count == 10, u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-"),
              let y = number(u, 0, 4), let m = number(u, 5, 2), let d = number(u, 8, 2),
              (1...12).contains(m), d >= 1, d <= daysInMonth(y, m) else { return nil }
        return days(year: y, month: m, day: d)
    }

    /// RFC 3339 (`2026-11-02T09:00:00Z`, `…T09:00:00.250+01:00`; `t`, `z` and a space also accepted)
    /// → milliseconds since the epoch; nil for anything else.
    public static func parseDateTime(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { parseDateTime(utf8: $0) }
    }

    /// `parseDateTime` of UTF-8 bytes (`sop report` reads a million journal times).
    public static func parseDateTime(utf8 u: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard u.count >= 20, let date = parseDate(utf8: UnsafeBufferPointer(rebasing: u[0..<10])),
              u[10] == UInt8(ascii: "T") || u[10] == UInt8(ascii: "t") || u[10] == UInt8(ascii: " "),
              u[13] == UInt8(ascii: ":"), u[16] == UInt8(ascii: ":"),
              let hh = number(u, 11, 2), let mm = number(u, 14, 2), let ss = number(u, 17, 2),
              hh < 24, mm < 60, ss < 61 else { return nil }
        var i = 19
        var millis = 0
        if i < u.count, u[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < u.count, u[i] >= 0x30, u[i] <= 0x39 {
                if digits < 3 { millis = millis * 10 + Int(u[i] - 0x30) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            // Milliseconds from the first three digits; more digits are read and dropped.
            for _ in 0..<max(0, 3 - digits) { millis *= 10 }
        }
        guard i < u.count else { return nil }
        var offsetMinutes = 0
        if u[i] == UInt8(ascii: "Z") || u[i] == UInt8(ascii: "z") {
            i += 1
        } else if u[i] == UInt8(ascii: "+") || u[i] == UInt8(ascii: "-") {
            guard i + 6 == u.count, u[i + 3] == UInt8(ascii: ":"), let oh = number(u, i + 1, 2), let om = number(u, i + 4, 2),
                  oh < 24, om < 60 else { return nil }
            offsetMinutes = (oh * 60 + om) * (u[i] == UInt8(ascii: "-") ? -1 : 1)
            i += 6
        } else {
            return nil
        }
        guard i == u.count else { return nil }
        // A leap second (:60) exists only as the last second of a UTC day.
        if ss == 60 {
            let utcMinute = ((hh * 60 + mm - offsetMinutes) % 1440 + 1440) % 1440
            guard utcMinute == 23 * 60 + 59 else { return nil }
        }
        let seconds = Int64(date) * 86_400 + Int64(hh * 3600 + mm * 60 + min(ss, 59)) - Int64(offsetMinutes * 60)
        return seconds * 1000 + Int64(millis)
    }

    public static func formatDate(_ days: Int) -> String {
        let (y, m, d) = civil(fromDays: days)
        guard (0...9999).contains(y) else { return pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2) }
        return String(unsafeUninitializedCapacity: 10) { out in
            writeDate(y, m, d, into: out)
            return 10
        }
    }

    /// `2026-11-02T09:00:00Z`, with `.sss` only when there are milliseconds. Journal records and
    /// runs write one per record, so years 0–9999 are written straight into the string's bytes.
    public static func formatDateTime(_ ms: Int64) -> String {
        let (days, msOfDay) = floorDivide(ms, 86_400_000)
        let secondsOfDay = Int(msOfDay / 1000), millis = Int(msOfDay % 1000)
        let (y, m, d) = civil(fromDays: Int(days))
        guard (0...9999).contains(y) else {
            var out = formatDate(Int(days)) + "T" + pad(secondsOfDay / 3600, 2) + ":" + pad(secondsOfDay / 60 % 60, 2) + ":"
                + pad(secondsOfDay % 60, 2)
            if millis != 0 { out += "." + pad(millis, 3) }
            return out + "Z"
        }
        let count = millis == 0 ? 20 : 24
        return String(unsafeUninitializedCapacity: count) { out in
            writeDate(y, m, d, into: out)
            out[10] = UInt8(ascii: "T")
            writeDigits(secondsOfDay / 3600, 2, into: out, at: 11)
            out[13] = UInt8(ascii: ":")
            writeDigits(secondsOfDay / 60 % 60, 2, into: out, at: 14)
            out[16] = UInt8(ascii: ":")
            writeDigits(secondsOfDay % 60, 2, into: out, at: 17)
            if millis != 0 {
                out[19] = UInt8(ascii: ".")
                writeDigits(millis, 3, into: out, at: 20)
            }
            out[count - 1] = UInt8(ascii: "Z")
            return count
        }
    }

    /// `YYYY-MM-DD` into the first ten bytes (a year of 0–9999).
    private static func writeDate(_ y: Int, _ m: Int, _ d: Int, into out: UnsafeMutableBufferPointer<UInt8>) {
        writeDigits(y, 4, into: out, at: 0)
        out[4] = UInt8(ascii: "-")
        writeDigits(m, 2, into: out, at: 5)
        out[7] = UInt8(ascii: "-")
        writeDigits(d, 2, into: out, at: 8)
    }

    /// `n` (not negative, under 10^width) as `width` decimal digits, zero-padded.
    private static func writeDigits(_ n: Int, _ width: Int, into out: UnsafeMutableBufferPointer<UInt8>, at start: Int) {
        var n = n
        for i in stride(from: start + width - 1, through: start, by: -1) {
            out[i] = UInt8(ascii: "0") + UInt8(n % 10)
            n /= 10
        }
    }

    /// Division rounding toward negative infinity, with a non-negative remainder.
    public static func floorDivide(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        let q = a / b, r = a % b
        return r < 0 ? (q - 1, r + b) : (q, r)
    }

    private static func number(_ u: UnsafeBufferPointer<UInt8>, _ start: Int, _ count: Int) -> Int? {
        guard start + count <= u.count else { return nil }
        var value = 0
        for b in u[start..<start + count] {
            guard b >= 0x30, b <= 0x39 else { return nil }
            value = value * 10 + Int(b - 0x30)
        }
        return value
    }

    private static func pad(_ n: Int, _ width: Int) -> String {
        let s = String(n)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}

extension String {
    func trimmingWhitespace() -> String {
        // Text that starts and ends with a visible ASCII character has nothing to trim.
        if let first = utf8.first, let last = utf8.last, first > 0x20, first < 0x7F, last > 0x20, last < 0x7F { return self }
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[first...last])
    }
}
