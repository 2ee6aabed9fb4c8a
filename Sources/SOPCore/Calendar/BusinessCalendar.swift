import Foundation
import SOPExpression

/// A business-hours calendar (`*.calendar.yaml`, docs/calendars.md): the local hours of each
/// weekday, holidays, and days with hours of their own, in one IANA time zone. Business time is
/// the elapsed time inside those hours, judged in the calendar's zone.
///
/// Instants are milliseconds since 1970 (UTC), as everywhere in sopkit. Local days are days since
/// 1970-01-01 in the calendar's zone; local times are milliseconds since local midnight.
public struct BusinessCalendar: Sendable {
    /// Open hours within one local day, in minutes since midnight: `start < end <= 1440`.
    public struct Interval: Sendable, Equatable, CustomStringConvertible {
        public var start: Int
        public var end: Int

        public init(start: Int, end: Int) {
            self.start = start
            self.end = end
        }

        public var description: String {
            func hhmm(_ m: Int) -> String { String(format: "%02d:%02d", m / 60, m % 60) }
            return "\(hhmm(start))-\(hhmm(end))"
        }
    }

    public let id: String
    public let timeZone: String
    /// Open hours by weekday, Monday first.
    public let week: [[Interval]]
    /// Closed dates (local days).
    public let holidays: Set<Int>
    /// Closed every year: month × 100 + day.
    public let yearlyHolidays: Set<Int>
    /// Dates with hours of their own (an empty list closes the day), ahead of holidays and the week.
    public let days: [Int: [Interval]]
    private let offsets: UTCOffsets
    /// How whole business days are counted (`addDays`). Runs pinned before sopkit counted them
    /// from open hours keep the rule they started with, so their journals replay as written.
    public var dayRule: DayRule = .fromOpenHours

    /// How `N` business days are counted.
    public enum DayRule: Sendable {
        /// From `t`, or from the next opening when `t` is outside open hours, to the same local
        /// time on the Nth following business day, held within that day's open hours (rule 6 of
        /// docs/calendars.md).
        case fromOpenHours
        /// The same local time N business days after `t`'s local day, then the next opening
        /// (sopkit before 2026-12; runs pinned then keep it).
        case sameLocalTime
    }

    static let dayMs: Int64 = 86_400_000

    /// Nil when the zone is not an IANA zone this system knows.
    public init?(id: String, timeZone: String, week: [[Interval]], holidays: Set<Int> = [], yearlyHolidays: Set<Int> = [],
                 days: [Int: [Interval]] = [:]) {
        guard week.count == 7, let offsets = UTCOffsets(timeZone) else { return nil }
        self.id = id
        self.timeZone = timeZone
        self.week = week
        self.holidays = holidays
        self.yearlyHolidays = yearlyHolidays
        self.days = days
        self.offsets = offsets
    }

    // MARK: Local days and instants

    /// The open hours of a local day.
    public func hours(onDay day: Int) -> [Interval] {
        if let own = days[day] { return own }
        if holidays.contains(day) { return [] }
        if !yearlyHolidays.isEmpty {
            let date = CivilTime.civil(fromDays: day)
            if yearlyHolidays.contains(date.month * 100 + date.day) { return [] }
        }
        return week[Self.weekday(day)]
    }

    /// Monday 0 … Sunday 6 (1970-01-01 was a Thursday).
    static func weekday(_ day: Int) -> Int { ((day + 3) % 7 + 7) % 7 }

    /// The local day of an instant and its local time.
    public func local(_ t: Int64) -> (day: Int, time: Int64) {
        let local = t + Int64(offsets.offset(at: t)) * 1000
        let (day, time) = CivilTime.floorDivide(local, Self.dayMs)
        return (Int(day), time)
    }

    /// The instant of a local time on a local day. A local time that occurs twice (clocks going
    /// back) is its first occurrence; one that does not occur (clocks going forward) is read with
    /// the offset in force before the change, so it falls as far after the change as it was
    /// meant to fall after the last valid time (02:30 on a day that jumps from 02:00 to 03:00 is
    /// 03:30).
    public func instant(day: Int, time: Int64) -> Int64 {
        let naive = Int64(day) * Self.dayMs + time
        // Offsets stay within ±14 hours: the instant lies within 14 hours of `naive`, and the
        // offsets at either end are those in force before and after any change near it.
        let before = offsets.offset(at: naive - 14 * 3_600_000), after = offsets.offset(at: naive + 14 * 3_600_000)
        var best: Int64?
        for offset in before == after ? [before] : [before, after] {
            let t = naive - Int64(offset) * 1000
            if offsets.offset(at: t) == offset, best.map({ t < $0 }) ?? true { best = t }
        }
        return best ?? naive - Int64(before) * 1000
    }

    /// The instants a day's open hours span, in order; hours a clock change removes are empty and
    /// left out.
    func spans(onDay day: Int) -> [(start: Int64, end: Int64)] {
        hours(onDay: day).compactMap { interval in
            let start = instant(day: day, time: Int64(interval.start) * 60_000)
            let end = interval.end == 1440 ? instant(day: day + 1, time: 0) : instant(day: day, time: Int64(interval.end) * 60_000)
            return end > start ? (start, end) : nil
        }
    }

    /// How far ahead arithmetic looks for open hours before it gives up (a calendar closed for
    /// good, or nearly).
    static let horizonDays = 3 * 366

    // MARK: Arithmetic

    /// The instant `duration` of business time after `t`. A duration that ends exactly at the
    /// end of open hours gives that end; zero outside open hours gives the next opening. Nil when
    /// the calendar has no open hours in the next three years.
    public func add(_ duration: Int64, to t: Int64) -> Int64? {
        precondition(duration >= 0, "business durations are not negative")
        var remaining = duration
        let first = local(t).day - 1
        for day in first...(first + Self.horizonDays) {
            for span in spans(onDay: day) where span.end > t {
                let start = max(span.start, t)
                if remaining <= span.end - start { return start + remaining }
                remaining -= span.end - start
            }
        }
        return nil
    }

    /// `count` business days after `t`, as helpdesks' SLA engines count them: from `t`, or from
    /// the next opening when `t` is outside open hours, the same local time on the `count`th
    /// following business day (a day with open hours). When that day's hours do not contain that
    /// time, the last open instant before it that day (its close, or the close before a break),
    /// else the day's opening. Nil when the calendar has too few open days in the next three years.
    public func addDays(_ count: Int, to t: Int64) -> Int64? {
        precondition(count >= 0, "business durations are not negative")
        guard count > 0 else { return t }
        guard let opened = dayRule == .sameLocalTime ? t : add(0, to: t) else { return nil }
        let (start, time) = local(opened)
        var day = start, found = 0
        while found < count {
            day += 1
            guard day - start <= Self.horizonDays else { return nil }
            if !spans(onDay: day).isEmpty { found += 1 }
        }
        return dayRule == .sameLocalTime ? instant(day: day, time: time) : within(day: day, instant(day: day, time: time))
    }

    /// `t` moved into the open hours of `day`: itself when open (an interval's end included), else
    /// the latest end of an interval before it, else the day's first opening.
    func within(day: Int, _ t: Int64) -> Int64 {
        let spans = spans(onDay: day)
        var latest: Int64?
        for span in spans where span.start <= t {
            let candidate = min(t, span.end)
            if latest.map({ candidate > $0 }) ?? true { latest = candidate }
        }
        return latest ?? spans.map(\.start).min() ?? t
    }

    /// A business duration after `t`: its days first (`addDays`), then the rest (`add`). Days alone
    /// may end at a close (as a duration ending there does, rule 2); zero alone is the next opening.
    public func add(_ duration: BusinessDuration, to t: Int64) -> Int64? {
        if dayRule == .sameLocalTime { return addDays(duration.days, to: t).flatMap { add(duration.milliseconds, to: $0) } }
        guard duration.days > 0 else { return add(duration.milliseconds, to: t) }
        guard let afterDays = addDays(duration.days, to: t) else { return nil }
        return duration.milliseconds == 0 ? afterDays : add(duration.milliseconds, to: afterDays)
    }

    /// The business time from `a` to `b` (negative when `b` is before `a`).
    public func between(_ a: Int64, _ b: Int64) -> Int64 {
        guard a <= b else { return -between(b, a) }
        var total: Int64 = 0
        let last = local(b).day
        var day = local(a).day - 1
        while day <= last + 1 {
            for span in spans(onDay: day) {
                let start = max(span.start, a), end = min(span.end, b)
                if end > start { total += end - start }
            }
            day += 1
        }
        return total
    }

    // MARK: Text

    /// An instant in RFC 3339 with the calendar zone's offset (`2025-01-13T09:55:00+01:00`);
    /// milliseconds only when there are some.
    public func format(_ t: Int64) -> String {
        let offset = offsets.offset(at: t)
        let (day, time) = local(t)
        let date = CivilTime.formatDate(day)
        let seconds = time / 1000, millis = time % 1000
        var text = date + String(format: "T%02d:%02d:%02d", Int(seconds / 3600), Int(seconds / 60 % 60), Int(seconds % 60))
        if millis != 0 { text += String(format: ".%03d", Int(millis)) }
        let sign = offset < 0 ? "-" : "+", magnitude = abs(offset) / 60
        return text + String(format: "%@%02d:%02d", sign, magnitude / 60, magnitude % 60)
    }

    /// An instant as people read it, to the minute in the calendar's zone:
    /// `2025-01-13 09:55 Europe/Berlin`.
    public func formatForPeople(_ t: Int64) -> String {
        let (day, time) = local(t)
        let minutes = Int(time / 60_000)
        return CivilTime.formatDate(day) + String(format: " %02d:%02d ", minutes / 60, minutes % 60) + timeZone
    }

    /// An instant from RFC 3339 text, or a local date and time without an offset
    /// (`2025-01-10T17:55`, seconds optional) read in the calendar's zone.
    public func parseInstant(_ text: String) -> Int64? {
        if let t = CivilTime.parseDateTime(text) { return t }
        let u = Array(text.utf8)
        // An offset after minutes without seconds (`2025-01-10T16:55Z`) reads as `…16:55:00Z`.
        if u.count > 16, [UInt8(ascii: "Z"), UInt8(ascii: "z"), UInt8(ascii: "+"), UInt8(ascii: "-")].contains(u[16]) {
            return CivilTime.parseDateTime(String(decoding: u[0..<16], as: UTF8.self) + ":00" + String(decoding: u[16...], as: UTF8.self))
        }
        guard u.count == 16 || u.count == 19, let day = CivilTime.parseDate(String(decoding: u[0..<10], as: UTF8.self)),
              u[10] == UInt8(ascii: "T") || u[10] == UInt8(ascii: " "), u[13] == UInt8(ascii: ":"),
              let hh = Int(String(decoding: u[11..<13], as: UTF8.self)), let mm = Int(String(decoding: u[14..<16], as: UTF8.self)),
              hh < 24, mm < 60 else { return nil }
        var ss = 0
        if u.count == 19 {
            guard u[16] == UInt8(ascii: ":"), let s = Int(String(decoding: u[17..<19], as: UTF8.self)), s < 60 else { return nil }
            ss = s
        }
        return instant(day: day, time: Int64(hh * 3600 + mm * 60 + ss) * 1000)
    }
}

/// A business duration: whole business days, then business time (`5d`, `4h`, `1d 2h30m`).
public struct BusinessDuration: Sendable, Equatable, CustomStringConvertible {
    public var days: Int
    public var milliseconds: Int64

    public init(days: Int = 0, milliseconds: Int64 = 0) {
        self.days = days
        self.milliseconds = milliseconds
    }

    /// Numbers with units `d`, `h`, `m`, `s`, `ms`, optionally separated by spaces; nil for
    /// anything else (weeks are not business time: say `5d`).
    public static func parse(_ text: String) -> BusinessDuration? {
        var days = 0, ms: Int64 = 0, any = false
        var u = Substring(text.trimmingCharacters(in: .whitespaces))
        while !u.isEmpty {
            let digits = u.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, digits.count <= 9, let n = Int64(digits) else { return nil }
            u = u.dropFirst(digits.count)
            let unit = u.prefix { $0.isASCII && $0.isLetter }
            u = u.dropFirst(unit.count).drop { $0 == " " }
            switch unit {
            case "d": days += Int(n)
            case "h": ms += n * 3_600_000
            case "m": ms += n * 60_000
            case "s": ms += n * 1000
            case "ms": ms += n
            default: return nil
            }
            any = true
        }
        return any ? BusinessDuration(days: days, milliseconds: ms) : nil
    }

    public var description: String {
        var parts: [String] = []
        if days > 0 { parts.append("\(days)d") }
        if milliseconds > 0 || parts.isEmpty { parts.append(BusinessDuration.format(milliseconds)) }
        return parts.joined(separator: " ")
    }

    /// A time as hours, minutes and seconds (`6h30m`, `45s`, `0s`; milliseconds when not whole).
    public static func format(_ ms: Int64) -> String {
        if ms < 0 { return "-" + format(-ms) }
        if ms % 1000 != 0 { return "\(ms)ms" }
        let s = ms / 1000
        var text = ""
        if s >= 3600 { text += "\(s / 3600)h" }
        if s % 3600 >= 60 { text += "\(s % 3600 / 60)m" }
        if s % 60 != 0 || text.isEmpty { text += "\(s % 60)s" }
        return text
    }
}

/// A time zone's UTC offsets as a table of changes, read once from the system's zone data:
/// looking an offset up is a binary search, not a call into Foundation.
struct UTCOffsets: Sendable {
    /// Instants (ms) at which the offset changes, ascending, and the offset (seconds) from each.
    private let changes: [Int64]
    private let after: [Int32]
    private let initial: Int32

    init?(_ identifier: String) {
        guard let zone = TimeZone(identifier: identifier) else { return nil }
        let start = Date(timeIntervalSince1970: -2_208_988_800)  // 1900
        let end = Date(timeIntervalSince1970: 7_258_118_400)  // 2200
        initial = Int32(zone.secondsFromGMT(for: start))
        var changes: [Int64] = [], after: [Int32] = []
        var cursor = start
        while let next = zone.nextDaylightSavingTimeTransition(after: cursor), next < end, changes.count < 4000 {
            changes.append(Int64((next.timeIntervalSince1970 * 1000).rounded()))
            after.append(Int32(zone.secondsFromGMT(for: next)))
            cursor = next
        }
        self.changes = changes
        self.after = after
    }

    func offset(at t: Int64) -> Int32 {
        var low = 0, high = changes.count
        while low < high {
            let mid = (low + high) / 2
            if changes[mid] <= t { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? initial : after[low - 1]
    }
}
