import Foundation
import SOPDiagnostics
import SOPExpression
import SOPYAML

/// Loads calendar files (`*.calendar.yaml`, docs/calendars.md): bytes → YAML → `BusinessCalendar`,
/// with every problem as a diagnostic at its position. A calendar with an error is not built.
public enum CalendarLoader {
    public static func isCalendarFile(_ path: String) -> Bool {
        path.hasSuffix(".calendar.yaml") || path.hasSuffix(".calendar.yml")
    }

    /// The calendar (nil when the file has an error), every diagnostic, and the id the file
    /// gives with its span, even when the rest has errors: an SOP that names a calendar whose
    /// file has an error is not told the calendar does not exist (the error is the file's).
    public static func load(_ source: SourceFile, limits: YAMLLimits = YAMLLimits())
        -> (calendar: BusinessCalendar?, diagnostics: [Diagnostic], idSpan: SourceSpan?, id: String?) {
        let document = YAMLParser.parse(source, limits: limits)
        guard let root = document.root else {
            let parsed = document.diagnostics(file: source.path)
            return (nil, parsed.isEmpty
                ? [Diagnostic(file: source.path, span: .fileStart, rule: MissingKeyRule.self, message: "the calendar file is empty",
                              help: "a calendar needs 'calendar', 'time_zone' and 'week'")]
                : parsed, nil, nil)
        }
        var decoder = CalendarDecoder(document: document, file: source.path)
        let calendar = decoder.decode(root)
        let diagnostics = document.diagnostics(file: source.path) + decoder.sink.diagnostics
        return (diagnostics.contains { $0.severity == .error } ? nil : calendar, diagnostics, decoder.idSpan, decoder.id)
    }

    /// The calendar files of an SOP folder: `*.calendar.yaml` in it and in its `calendars/`
    /// folder, sorted by path.
    public static func files(inSOPFolder folder: String) -> [String] {
        var found: [String] = []
        for dir in [folder, (folder as NSString).appendingPathComponent("calendars")] {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { continue }
            found += names.filter(isCalendarFile).map { (dir as NSString).appendingPathComponent($0) }
        }
        return found.sorted()
    }
}

struct CalendarDecoder {
    let document: YAMLDocument
    var sink: DiagnosticSink
    var idSpan: SourceSpan?
    /// The calendar's id, once read and valid.
    var id: String?

    enum TopKey: String, MappingKey {
        case calendar, time_zone, week, holidays, days
        static let names = MappingKeyNames(TopKey.self)
    }

    enum WeekKey: String, MappingKey {
        case mon, tue, wed, thu, fri, sat, sun
        static let names = MappingKeyNames(WeekKey.self)
    }

    enum HolidayKey: String, MappingKey {
        case every_year
        static let names = MappingKeyNames(HolidayKey.self)
    }

    init(document: YAMLDocument, file: String) {
        self.document = document
        sink = DiagnosticSink(file: file)
    }

    mutating func decode(_ root: YAMLNodeID) -> BusinessCalendar? {
        guard document.isMapping(root) else {
            sink.report(document.span(root), WrongTypeRule.self,
                        "a calendar file must be a mapping with 'calendar', 'time_zone' and 'week', found \(document.kindDescription(root))")
            return nil
        }
        let r = MappingReader<TopKey>(document, root, owner: .calendar, ownerSpan: SourceSpan(at: document.span(root).start), into: &sink)
        let id = r.required(.calendar, &sink).flatMap { node -> String? in
            guard let text = scalarText(node, "'calendar'") else { return nil }
            idSpan = document.span(node)
            guard SOPIdentifier.isValid(text) else {
                sink.report(document.span(node), InvalidIDRule.self, "'\(text)' is not a valid calendar id",
                            help: "use lower-case letters, digits, '-' and '_', starting with a letter")
                return nil
            }
            self.id = text
            return text
        }
        let zone = r.required(.time_zone, &sink).flatMap { node -> String? in
            guard let text = scalarText(node, "'time_zone'") else { return nil }
            guard TimeZone(identifier: text) != nil, text.contains("/") || text == "UTC" else {
                sink.report(document.span(node), InvalidTimeZoneRule.self, "'\(text)' is not an IANA time zone",
                            help: Suggestions.didYouMean(text, in: TimeZone.knownTimeZoneIdentifiers)
                                ?? "use a name such as Europe/Berlin, America/New_York or UTC")
                return nil
            }
            return text
        }
        var week = [[BusinessCalendar.Interval]](repeating: [], count: 7)
        if let node = r.required(.week, &sink, help: "list each open weekday's hours, such as mon: [\"09:00-18:00\"]") {
            if document.isMapping(node) {
                let w = MappingReader<WeekKey>(document, node, owner: .calendar, ownerSpan: document.span(node), into: &sink)
                for (i, key) in WeekKey.allCases.enumerated() {
                    if let hours = w.value(key) { week[i] = intervals(hours, "'\(key.rawValue)'") }
                }
            } else {
                sink.report(document.span(node), WrongTypeRule.self, "'week' must map weekdays (mon … sun) to their hours, found \(document.kindDescription(node))")
            }
        }
        var holidays = Set<Int>(), yearly = Set<Int>()
        if let node = r.value(.holidays) {
            if document.isSequence(node) {
                for (n, item) in document.items(node).enumerated() { holiday(item, number: n + 1, &holidays, &yearly) }
            } else if !document.isNull(node) {
                sink.report(document.span(node), WrongTypeRule.self, "'holidays' must be a list of dates, found \(document.kindDescription(node))")
            }
        }
        var days: [Int: [BusinessCalendar.Interval]] = [:]
        if let node = r.value(.days) {
            if document.isMapping(node) {
                for (key, value) in document.pairs(node) {
                    guard let text = scalarText(key, "a key of 'days'") else { continue }
                    guard let day = CivilTime.parseDate(text), text.utf8.count == 10 else {
                        sink.report(document.span(key), InvalidDateRule.self, "'\(text)' is not a date",
                                    help: Self.dateSuggestion(text) ?? "write dates as YYYY-MM-DD")
                        continue
                    }
                    days[day] = intervals(value, "'\(text)'")
                }
            } else if !document.isNull(node) {
                sink.report(document.span(node), WrongTypeRule.self, "'days' must map dates to their hours, found \(document.kindDescription(node))")
            }
        }
        guard let id, let zone else { return nil }
        return BusinessCalendar(id: id, timeZone: zone, week: week, holidays: holidays, yearlyHolidays: yearly, days: days)
    }

    private mutating func scalarText(_ node: YAMLNodeID, _ what: String) -> String? {
        guard document.isScalar(node), !document.isNull(node) else {
            sink.report(document.span(node), WrongTypeRule.self, "\(what) must be text, found \(document.kindDescription(node))")
            return nil
        }
        return document.text(node)
    }

    /// A day's open hours: a list of `"HH:MM-HH:MM"`, in order, none overlapping (an empty list
    /// closes the day).
    private mutating func intervals(_ node: YAMLNodeID, _ what: String) -> [BusinessCalendar.Interval] {
        guard document.isSequence(node) else {
            if document.isNull(node) { return [] }
            sink.report(document.span(node), WrongTypeRule.self,
                        "the hours of \(what) must be a list such as [\"09:00-12:00\", \"13:00-18:00\"], found \(document.kindDescription(node))")
            return []
        }
        var out: [(BusinessCalendar.Interval, YAMLNodeID)] = []
        for item in document.items(node) {
            guard let text = scalarText(item, "hours") else { continue }
            guard let interval = Self.interval(text) else {
                sink.report(document.span(item), InvalidHoursRule.self, "'\(text)' is not open hours",
                            help: Self.hoursSuggestion(text).map { "write \"\($0)\": hours are \"HH:MM-HH:MM\" in 24-hour time" }
                                ?? "write hours as \"HH:MM-HH:MM\" with the end after the start (24:00 may end a day)")
                continue
            }
            out.append((interval, item))
        }
        let sorted = out.sorted { $0.0.start < $1.0.start }
        for (a, b) in zip(sorted, sorted.dropFirst()) where b.0.start < a.0.end {
            sink.report(document.span(b.1), InvalidHoursRule.self, "\(b.0) overlaps \(a.0) in the hours of \(what)",
                        help: "hours of one day must not overlap; join them into one, or end one before the other starts")
        }
        return sorted.map(\.0)
    }

    static func interval(_ text: String) -> BusinessCalendar.Interval? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let start = minutes(parts[0]), let end = minutes(parts[1]), start < 1440, end > start else { return nil }
        return BusinessCalendar.Interval(start: start, end: end)
    }

    private static func minutes(_ text: Substring) -> Int? {
        let u = Array(text.utf8)
        guard u.count == 5, u[2] == UInt8(ascii: ":"), u.allSatisfy({ $0 == UInt8(ascii: ":") || (0x30...0x39).contains($0) }),
              let h = Int(String(decoding: u[0..<2], as: UTF8.self)), let m = Int(String(decoding: u[3..<5], as: UTF8.self)),
              m < 60, h < 24 || (h == 24 && m == 0) else { return nil }
        return h * 60 + m
    }

    private mutating func holiday(_ node: YAMLNodeID, number: Int, _ dates: inout Set<Int>, _ yearly: inout Set<Int>) {
        if document.isMapping(node) {
            let h = MappingReader<HolidayKey>(document, node, owner: .holiday(number), ownerSpan: document.span(node), into: &sink)
            guard let value = h.required(.every_year, &sink), let text = scalarText(value, "'every_year'") else { return }
            let u = Array(text.utf8)
            guard u.count == 5, u[2] == UInt8(ascii: "-"), let m = Int(String(decoding: u[0..<2], as: UTF8.self)),
                  let d = Int(String(decoding: u[3..<5], as: UTF8.self)), (1...12).contains(m),
                  d >= 1, d <= CivilTime.daysInMonth(2000, m) else {
                sink.report(document.span(value), InvalidDateRule.self, "'\(text)' is not a day of the year", help: "write it as MM-DD, such as 12-25")
                return
            }
            if !yearly.insert(m * 100 + d).inserted {
                sink.report(document.span(value), InvalidDateRule.self, "\(text) is a holiday already")
            }
            return
        }
        guard let text = scalarText(node, "a holiday") else { return }
        guard let day = CivilTime.parseDate(text), text.utf8.count == 10 else {
            sink.report(document.span(node), InvalidDateRule.self, "'\(text)' is not a date",
                        help: Self.dateSuggestion(text) ?? "write dates as YYYY-MM-DD, and holidays of every year as {every_year: MM-DD}")
            return
        }
        if !dates.insert(day).inserted {
            sink.report(document.span(node), InvalidDateRule.self, "\(text) is a holiday already")
        }
    }

    // MARK: Suggestions

    /// Open hours as people write them (`9-5`, `9am-5pm`, `9.30-17`): the "HH:MM-HH:MM" they mean,
    /// or nil. A bare end hour not after the start is read as afternoon (`9-5` is 09:00-17:00).
    static func hoursSuggestion(_ text: String) -> String? {
        let sides = text.lowercased().replacingOccurrences(of: " ", with: "").split(separator: "-", omittingEmptySubsequences: false)
        guard sides.count == 2 else { return nil }
        // meridiem: written with am/pm, or with minutes; either way not to be read as afternoon.
        func time(_ s: Substring) -> (h: Int, m: Int, meridiem: Bool)? {
            var s = s, pm = false, meridiem = false
            if s.hasSuffix("am") || s.hasSuffix("pm") { pm = s.hasSuffix("pm"); meridiem = true; s = s.dropLast(2) }
            let parts = s.split(omittingEmptySubsequences: false, whereSeparator: { $0 == ":" || $0 == "." || $0 == "h" })
            guard (1...2).contains(parts.count), let h = Int(parts[0]), parts[0].count <= 2,
                  let m = parts.count == 2 ? Int(parts[1]) : 0, (0..<60).contains(m) else { return nil }
            guard meridiem else { return (h, m, parts.count == 2) }
            guard (1...12).contains(h) else { return nil }
            return ((h % 12) + (pm ? 12 : 0), m, true)
        }
        guard let a = time(sides[0]), var b = time(sides[1]) else { return nil }
        if !b.meridiem, b.h <= 12, b.h * 60 + b.m <= a.h * 60 + a.m { b.h += 12 }
        let suggestion = String(format: "%02d:%02d-%02d:%02d", a.h, a.m, b.h, b.m)
        return suggestion != text && interval(suggestion) != nil ? suggestion : nil
    }

    /// A date written day first (`31/12/2026`, `31.12.2026`): the help with the YYYY-MM-DD it
    /// means, or nil. When either of the first two could be the month, the day is read first.
    static func dateSuggestion(_ text: String) -> String? {
        let parts = text.split(whereSeparator: { $0 == "/" || $0 == "." || $0 == "-" })
        guard parts.count == 3, parts[2].count == 4, let a = Int(parts[0]), let b = Int(parts[1]), let year = Int(parts[2]) else { return nil }
        let (day, month) = a > 12 ? (a, b) : b > 12 ? (b, a) : (a, b)
        let date = String(format: "%04d-%02d-%02d", year, month, day)
        guard CivilTime.parseDate(date) != nil else { return nil }
        let ambiguous = a <= 12 && b <= 12 && a != b
        return "write '\(date)': dates are YYYY-MM-DD" + (ambiguous ? " (read here as day \(day) of month \(month))" : "")
    }
}
