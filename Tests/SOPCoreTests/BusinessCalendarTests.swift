import Foundation
import SOPCore
import SOPDiagnostics
import Testing

/// The arithmetic of business-hours calendars (docs/calendars.md), on the cases issue 22 lists and
/// more: clock changes both ways, zones east and west of UTC, holidays judged in the calendar's
/// zone, lunch breaks, days with hours of their own.
@Suite struct BusinessCalendarTests {
    /// A calendar from its YAML text, through the loader that `sop` uses.
    func calendar(_ yaml: String) throws -> BusinessCalendar {
        let loaded = CalendarLoader.load(SourceFile(path: "test.calendar.yaml", text: yaml))
        #expect(loaded.diagnostics.isEmpty, "\(loaded.diagnostics.map(\.message))")
        return try #require(loaded.calendar)
    }

    func weekdays(_ zone: String, _ hours: String = #"["09:00-18:00"]"#, extra: String = "") throws -> BusinessCalendar {
        try calendar("""
            calendar: test
            time_zone: \(zone)
            week: {mon: \(hours), tue: \(hours), wed: \(hours), thu: \(hours), fri: \(hours)}
            \(extra)
            """)
    }

    /// `from + add` as `sop calendar due` prints it.
    func due(_ c: BusinessCalendar, _ from: String, _ add: String) throws -> String {
        let t = try #require(c.parseInstant(from), "cannot read \(from)")
        let d = try #require(BusinessDuration.parse(add), "cannot read \(add)")
        return c.format(try #require(c.add(d, to: t), "no due time"))
    }

    func between(_ c: BusinessCalendar, _ a: String, _ b: String) throws -> String {
        BusinessDuration.format(c.between(try #require(c.parseInstant(a)), try #require(c.parseInstant(b))))
    }

    @Test func theIssuesCasesInBerlin() throws {
        let berlin = try weekdays("Europe/Berlin")
        // Friday 17:55 + 1h: 5 minutes on Friday, 55 on Monday.
        #expect(try due(berlin, "2025-01-10T17:55", "1h") == "2025-01-13T09:55:00+01:00")
        // Ending exactly at the end of open hours gives that end.
        #expect(try due(berlin, "2025-01-10T17:00", "1h") == "2025-01-10T18:00:00+01:00")
        // Zero outside open hours is the next opening.
        #expect(try due(berlin, "2025-01-11T12:00", "0h") == "2025-01-13T09:00:00+01:00")
        // And an instant exactly at the end counts as outside.
        #expect(try due(berlin, "2025-01-10T18:00", "0h") == "2025-01-13T09:00:00+01:00")
        #expect(try between(berlin, "2025-01-10T17:55", "2025-01-13T09:55") == "1h")
    }

    @Test func unevenWeeks() throws {
        let c = try calendar("""
            calendar: uneven
            time_zone: Europe/Berlin
            week: {mon: ["09:00-17:00"], tue: ["09:00-16:00"], thu: ["08:00-17:00"]}
            """)
        // Mon 11:00–17:00 is 6h, Tuesday 7h (13h), Thursday 08:00 + 3h.
        #expect(try due(c, "2025-01-13T11:00", "16h") == "2025-01-16T11:00:00+01:00")
        #expect(try between(c, "2025-01-13T11:00", "2025-01-16T11:00") == "16h")
    }

    @Test func aRoundTheClockCalendarCountsTheHoursTheClockRuns() throws {
        let c = try calendar("""
            calendar: always
            time_zone: Europe/Berlin
            week: {mon: ["00:00-24:00"], tue: ["00:00-24:00"], wed: ["00:00-24:00"], thu: ["00:00-24:00"], fri: ["00:00-24:00"], sat: ["00:00-24:00"], sun: ["00:00-24:00"]}
            """)
        // 2025-03-30 has 23 hours in Berlin: 24 business hours end at 13:00 CEST.
        #expect(try due(c, "2025-03-29T12:00", "24h") == "2025-03-30T13:00:00+02:00")
        #expect(try between(c, "2025-03-30T00:00", "2025-03-31T00:00") == "23h")
        // Autumn: 2025-10-26 has 25 hours.
        #expect(try due(c, "2025-10-25T12:00", "24h") == "2025-10-26T11:00:00+01:00")
        #expect(try between(c, "2025-10-26T00:00", "2025-10-27T00:00") == "25h")
        // A business day is still a day: the same local time.
        #expect(try due(c, "2025-03-29T12:00", "1d") == "2025-03-30T12:00:00+02:00")
    }

    @Test func springForwardInNewYork() throws {
        let c = try calendar("""
            calendar: ny
            time_zone: America/New_York
            week: {sun: ["02:30-10:00"], mon: ["09:00-17:00"]}
            """)
        // 2025-03-09: 02:00 EST jumps to 03:00 EDT. 02:30 does not exist: it is 03:30 EDT.
        #expect(try due(c, "2025-03-09T00:00", "0h") == "2025-03-09T03:30:00-04:00")
        #expect(try between(c, "2025-03-09T00:00", "2025-03-09T12:00") == "6h30m")
        #expect(try due(c, "2025-03-09T00:00", "6h30m") == "2025-03-09T10:00:00-04:00")
        #expect(try due(c, "2025-03-09T00:00", "6h31m") == "2025-03-10T09:01:00-04:00")
        // A week earlier, the same hours are 7.5 hours long.
        #expect(try between(c, "2025-03-02T00:00", "2025-03-02T12:00") == "7h30m")
    }

    @Test func fallBackTakesTheFirstOccurrence() throws {
        let c = try calendar("""
            calendar: ny
            time_zone: America/New_York
            week: {sun: ["01:30-03:00"]}
            """)
        // 2025-11-02: 02:00 EDT goes back to 01:00 EST. 01:30 is first 01:30 EDT (05:30Z); open
        // until 03:00 EST (08:00Z): 2.5 hours.
        #expect(c.parseInstant("2025-11-02T01:30") == c.parseInstant("2025-11-02T05:30:00Z"))
        #expect(try due(c, "2025-11-02T00:00", "0h") == "2025-11-02T01:30:00-04:00")
        #expect(try between(c, "2025-11-02T00:00", "2025-11-02T12:00") == "2h30m")
        #expect(try due(c, "2025-11-02T00:00", "1h") == "2025-11-02T01:30:00-05:00")
    }

    @Test func zonesEastAndWestOfUTC() throws {
        let tokyo = try weekdays("Asia/Tokyo")
        // Friday 17:00 in Tokyo is 08:00Z; two hours later is Monday 10:00 JST.
        #expect(try due(tokyo, "2025-01-10T08:00:00Z", "2h") == "2025-01-13T10:00:00+09:00")
        // Monday 00:30Z is already Monday 09:30 in Tokyo.
        #expect(try due(tokyo, "2025-01-13T00:30Z", "30m") == "2025-01-13T10:00:00+09:00")
        let la = try weekdays("America/Los_Angeles")
        // Saturday 01:00Z is still Friday 17:00 in Los Angeles.
        #expect(try due(la, "2025-01-11T01:00:00Z", "1h") == "2025-01-10T18:00:00-08:00")
        #expect(try due(la, "2025-01-11T01:00:00Z", "2h") == "2025-01-13T10:00:00-08:00")
        // Honolulu has no clock changes, and is ten hours behind: 03:00Z on Friday is Thursday 17:00.
        let honolulu = try weekdays("Pacific/Honolulu")
        #expect(try due(honolulu, "2025-07-04T03:00:00Z", "1h") == "2025-07-03T18:00:00-10:00")
        #expect(try due(honolulu, "2025-07-04T03:00:00Z", "2h") == "2025-07-04T10:00:00-10:00")
    }

    @Test func holidaysAreDatesInTheCalendarsZone() throws {
        let c = try weekdays("Europe/Berlin", extra: """
            holidays: [{every_year: 12-25}, {every_year: 12-26}]
            days: {2025-12-24: ["09:00-13:00"]}
            """)
        // Tue 17:30: 0.5h; Wed 24th: 4h; 25th, 26th closed; weekend; Mon 29th 09:00 + 3.5h.
        #expect(try due(c, "2025-12-23T17:30", "8h") == "2025-12-29T12:30:00+01:00")
        // 23:30Z on the 24th is 00:30 on the 25th in Berlin: a holiday, then the 26th, then the weekend.
        #expect(try due(c, "2025-12-24T23:30:00Z", "0h") == "2025-12-29T09:00:00+01:00")
        // 11:30Z on the 24th is 12:30 in Berlin, half an hour before that day closes.
        #expect(try due(c, "2025-12-24T11:30:00Z", "30m") == "2025-12-24T13:00:00+01:00")
        // One-off holidays too, and a day of its own wins over a holiday.
        let d = try weekdays("America/Los_Angeles", extra: """
            holidays: [2025-07-04, {every_year: 12-25}]
            days: {2025-12-25: ["10:00-12:00"]}
            """)
        // 2025-07-04T20:00Z is 13:00 on the 4th in Los Angeles: closed until Monday the 7th.
        #expect(try due(d, "2025-07-04T20:00:00Z", "1h") == "2025-07-07T10:00:00-07:00")
        #expect(try due(d, "2025-12-25T00:00", "1h") == "2025-12-25T11:00:00-08:00")
    }

    @Test func aLunchBreakIsNotBusinessTime() throws {
        let c = try weekdays("Europe/Berlin", #"["09:00-12:00", "13:00-18:00"]"#)
        #expect(try due(c, "2025-01-13T11:30", "1h") == "2025-01-13T13:30:00+01:00")
        #expect(try due(c, "2025-01-13T11:30", "30m") == "2025-01-13T12:00:00+01:00")
        #expect(try between(c, "2025-01-13T11:30", "2025-01-13T13:30") == "1h")
    }

    @Test func aPausedTargetKeepsWhatItHadUsed() throws {
        // A 4h target started Mon 10:00, paused 12:00–20:00: 2h used, 2h left from 20:00 → Tue 11:00.
        let c = try weekdays("Europe/Berlin")
        let start = try #require(c.parseInstant("2025-01-13T10:00")), pause = try #require(c.parseInstant("2025-01-13T12:00"))
        let resume = try #require(c.parseInstant("2025-01-13T20:00"))
        let left = 4 * 3_600_000 - c.between(start, pause)
        #expect(c.format(try #require(c.add(left, to: resume))) == "2025-01-14T11:00:00+01:00")
    }

    @Test func businessDaysKeepTheLocalTime() throws {
        let c = try weekdays("Europe/Berlin", extra: "holidays: [2025-01-15]")
        // Fri 17:55 + 5d: Mon, Tue, (Wed is a holiday), Thu, Fri, Mon.
        #expect(try due(c, "2025-01-10T17:55", "5d") == "2025-01-20T17:55:00+01:00")
        // Days first, then hours: Thursday 17:55 + 1h is Friday 09:55.
        #expect(try due(c, "2025-01-13T17:55", "2d 1h") == "2025-01-17T09:55:00+01:00")
        // Across the change to summer time the local time stays.
        #expect(try due(c, "2025-03-28T10:00", "1d") == "2025-03-31T10:00:00+02:00")
    }

    /// Issue 32: `5d` on a Friday that closes at 16:00, and the day before a holiday.
    @Test func businessDaysCountFromOpenHoursAndStayInTheirDay() throws {
        let c = try calendar("""
            calendar: breaks
            time_zone: Europe/Berlin
            week: {mon: ["09:00-18:00"], tue: ["09:00-12:00", "13:00-18:00"]}
            """)
        let eu = try calendar("""
            calendar: eu
            time_zone: Europe/Berlin
            week: {mon: ["09:00-18:00"], tue: ["09:00-18:00"], wed: ["09:00-18:00"], thu: ["09:00-18:00"], fri: ["09:00-16:00"]}
            holidays: [2025-01-01, 2025-01-02]
            days: {2025-01-03: ["10:00-11:00"]}
            """)
        // After Friday's close: counted from Monday 09:00.
        #expect(try due(eu, "2025-01-10T17:55", "5d") == "2025-01-20T09:00:00+01:00")
        // Reaching a Friday after its close: its close, not Monday.
        #expect(try due(eu, "2025-01-08T17:00", "2d") == "2025-01-10T16:00:00+01:00")
        // A short day: before its opening → its opening; after its close → its close.
        #expect(try due(eu, "2024-12-31T09:30", "1d") == "2025-01-03T10:00:00+01:00")
        #expect(try due(eu, "2024-12-31T15:00", "1d") == "2025-01-03T11:00:00+01:00")
        // A time in a break stays in its day, at the close before the break.
        #expect(try due(c, "2025-01-13T12:30", "1d") == "2025-01-14T12:00:00+01:00")
        // Zero days is no days; days and hours: the hours from the day's close go on the next day.
        #expect(try due(eu, "2025-01-11T10:00", "0d") == "2025-01-13T09:00:00+01:00")
        #expect(try due(eu, "2025-01-08T17:00", "2d 1h") == "2025-01-13T10:00:00+01:00")
    }

    /// A run pinned before business days counted from open hours (a version-1 bundle) keeps the
    /// rule it started with, and its pinned text and digest, so its journal replays as written;
    /// a run pinned now gets a version-2 bundle and today's rule.
    @Test func runsPinnedBeforeKeepTheirBusinessDayRule() throws {
        let calendarText = """
            calendar: eu
            time_zone: Europe/Berlin
            week: {mon: ["09:00-18:00"], tue: ["09:00-18:00"], wed: ["09:00-18:00"], thu: ["09:00-18:00"], fri: ["09:00-16:00"]}

            """
        let sopText = """
            sop: wait
            version: 1
            title: Wait
            start: a
            states:
              a:
                title: A
                transitions: [{to: b, after: {business: 2d, calendar: eu}}]
              b: {title: B, end: done}

            """
        var set = CalendarSet()
        set.add(try calendar(calendarText), text: calendarText)
        let today = try CompiledSOP.compile(SourceFile(path: "wait.sop.yaml", text: sopText), schema: nil, calendars: set)
        #expect(today.pinnedText.hasPrefix("# sopkit pinned bundle 2: "))
        let v1 = "# sopkit pinned bundle 1: sop \(sopText.utf8.count), calendar eu \(calendarText.utf8.count)\n" + sopText + calendarText
        let before = try CompiledSOP.compile(pinned: v1, path: "wait.sop.yaml")
        #expect(before.pinnedText == v1)
        #expect(before.digest == Digest.sha256(Array(v1.utf8)))
        let again = try CompiledSOP.compile(pinned: today.pinnedText, path: "wait.sop.yaml")
        #expect(again.digest == today.digest)
        // Wednesday 17:00 + 2 business days reaches Friday 17:00, after its close: today the
        // Friday's close, before the next opening (Monday).
        let c = try #require(today.calendars["eu"]), old = try #require(before.calendars["eu"])
        #expect(try due(c, "2025-01-08T17:00", "2d") == "2025-01-10T16:00:00+01:00")
        #expect(try due(old, "2025-01-08T17:00", "2d") == "2025-01-13T09:00:00+01:00")
        #expect(try #require(again.calendars["eu"]).dayRule == .fromOpenHours)
    }

    @Test func betweenIsTheInverseOfAdd() throws {
        let c = try weekdays("Europe/Berlin", #"["08:30-12:15", "13:00-17:45"]"#, extra: "holidays: [{every_year: 05-01}]")
        var t = try #require(c.parseInstant("2025-03-27T16:10"))
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let ms = Int64.random(in: 0...(60 * 3_600_000), using: &rng) / 60_000 * 60_000
            let due = try #require(c.add(ms, to: t))
            #expect(c.between(t, due) == ms, "\(c.format(t)) + \(ms) ms = \(c.format(due))")
            #expect(due >= t)
            t = due + Int64.random(in: 0...(20 * 3_600_000), using: &rng)
        }
    }

    @Test func aClosedCalendarHasNoDueTime() throws {
        let c = try calendar("""
            calendar: closed
            time_zone: UTC
            week: {}
            """)
        #expect(c.add(0, to: 0) == nil)
        #expect(c.add(BusinessDuration(days: 1), to: 0) == nil)
        #expect(c.between(0, 86_400_000 * 10) == 0)
    }

    @Test func durationsAndInstantsAsText() throws {
        #expect(BusinessDuration.parse("5d") == BusinessDuration(days: 5))
        #expect(BusinessDuration.parse("1d 2h30m") == BusinessDuration(days: 1, milliseconds: 9_000_000))
        #expect(BusinessDuration.parse("2w") == nil)
        #expect(BusinessDuration.parse("") == nil)
        #expect(BusinessDuration.parse("h") == nil)
        #expect(BusinessDuration.parse("99999999999h") == nil)
        let c = try weekdays("Europe/Berlin")
        #expect(c.parseInstant("2025-01-10T17:55") == c.parseInstant("2025-01-10T16:55:00Z"))
        #expect(c.parseInstant("2025-01-10T17:55") == c.parseInstant("2025-01-10T16:55Z"))
        #expect(c.parseInstant("2025-01-10T17:55:30") == c.parseInstant("2025-01-10T17:55:30+01:00"))
        #expect(c.parseInstant("2025-02-30T10:00") == nil)
        #expect(c.parseInstant("yesterday") == nil)
        #expect(c.format(try #require(c.parseInstant("2025-07-01T12:00:00.250Z"))) == "2025-07-01T14:00:00.250+02:00")
    }
}
