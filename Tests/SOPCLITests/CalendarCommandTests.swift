import Foundation
import Testing

/// `sop calendar due` and `sop calendar between` (docs/calendars.md) on the cases of issue 22, as
/// a script would call them: calendar files in the SOP folder and its `calendars/` folder.
@Suite struct CalendarCommandTests {
    static let week = #"{mon: ["09:00-18:00"], tue: ["09:00-18:00"], wed: ["09:00-18:00"], thu: ["09:00-18:00"], fri: ["09:00-18:00"]}"#
    static let calendars = [
        "sops/calendars/berlin.calendar.yaml": "calendar: berlin\ntime_zone: Europe/Berlin\nweek: \(week)\n",
        "sops/uneven.calendar.yaml": """
            calendar: uneven
            time_zone: Europe/Berlin
            week: {mon: ["09:00-17:00"], tue: ["09:00-16:00"], thu: ["08:00-17:00"]}
            """,
        "sops/calendars/always.calendar.yaml": """
            calendar: always
            time_zone: Europe/Berlin
            week: {mon: ["00:00-24:00"], tue: ["00:00-24:00"], wed: ["00:00-24:00"], thu: ["00:00-24:00"], fri: ["00:00-24:00"], sat: ["00:00-24:00"], sun: ["00:00-24:00"]}
            """,
        "sops/calendars/ny.calendar.yaml": "calendar: ny\ntime_zone: America/New_York\nweek: {sun: [\"02:30-10:00\"]}\n",
        "sops/calendars/christmas.calendar.yaml": """
            calendar: christmas
            time_zone: Europe/Berlin
            week: \(week)
            holidays: [{every_year: 12-25}, {every_year: 12-26}]
            days: {2025-12-24: ["09:00-13:00"]}
            """,
        // Issue 32: Fridays close at 16:00, Thanksgiving is a holiday; the next year's Friday after
        // it closes at 13:00.
        "sops/calendars/us.calendar.yaml": """
            calendar: us
            time_zone: America/New_York
            week: {mon: ["09:00-17:00"], tue: ["09:00-17:00"], wed: ["09:00-17:00"], thu: ["09:00-17:00"], fri: ["09:00-16:00"]}
            holidays: [2025-11-27, 2026-11-26]
            days: {2026-11-27: ["09:00-13:00"]}
            """,
        "sops/calendars/lunch.calendar.yaml": """
            calendar: lunch
            time_zone: Europe/Berlin
            week: {mon: ["09:00-12:00", "13:00-18:00"]}
            """,
    ]

    func folder() throws -> URL {
        let dir = try SOPBinary.temporaryDirectory(ticketSchema: false)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("sops/calendars"), withIntermediateDirectories: true)
        for (path, text) in Self.calendars { try text.write(to: dir.appendingPathComponent(path), atomically: true, encoding: .utf8) }
        return dir
    }

    static let cases: [(calendar: String, from: String, add: String, due: String)] = [
        ("berlin", "2025-01-10T17:55", "1h", "2025-01-13T09:55:00+01:00"),
        ("berlin", "2025-01-10T17:00", "1h", "2025-01-10T18:00:00+01:00"),
        ("berlin", "2025-01-11T10:00", "0h", "2025-01-13T09:00:00+01:00"),
        ("uneven", "2025-01-13T11:00", "16h", "2025-01-16T11:00:00+01:00"),
        ("always", "2025-03-29T12:00", "24h", "2025-03-30T13:00:00+02:00"),
        ("ny", "2025-03-09T00:00", "0h", "2025-03-09T03:30:00-04:00"),
        ("ny", "2025-03-09T00:00", "6h30m", "2025-03-09T10:00:00-04:00"),
        ("christmas", "2025-12-23T17:30", "8h", "2025-12-29T12:30:00+01:00"),
        ("christmas", "2025-12-24T23:30:00Z", "0h", "2025-12-29T09:00:00+01:00"),
        ("lunch", "2025-01-13T11:30", "1h", "2025-01-13T13:30:00+01:00"),
        ("berlin", "2025-01-10T17:55", "5d", "2025-01-17T17:55:00+01:00"),
        // Business days (docs/calendars.md rule 6): the same local time on the Nth business day,
        // counted from the next opening when the start is outside open hours, and never past
        // the close of the day reached.
        ("us", "2025-11-26T16:00", "1d", "2025-11-28T16:00:00-05:00"),
        ("us", "2026-11-25T16:00", "1d", "2026-11-27T13:00:00-05:00"),
        ("us", "2025-11-22T10:00", "1d", "2025-11-25T09:00:00-05:00"),
        ("us", "2025-11-20T16:30", "1d 1h", "2025-11-24T10:00:00-05:00"),
        ("lunch", "2025-01-13T17:00", "1d", "2025-01-20T17:00:00+01:00"),
    ]

    @Test func dueTimes() throws {
        let dir = try folder()
        for c in Self.cases {
            let r = try SOPBinary.run(["calendar", "due", c.calendar, "--from", c.from, "--add", c.add], in: dir)
            #expect(r.status == 0 && r.stdout == c.due + "\n", "\(c): \(r.stdout)\(r.stderr)")
        }
        let json = try SOPBinary.run(["calendar", "due", "berlin", "--from", "2025-01-10T17:55", "--add", "1h", "--format", "json"], in: dir)
        #expect(json.stdout == #"{"calendar":"berlin","from":"2025-01-10T17:55:00+01:00","add":"1h","due":"2025-01-13T09:55:00+01:00"}"# + "\n")
    }

    @Test func businessTimeBetween() throws {
        let dir = try folder()
        for (calendar, from, to, expected) in [("berlin", "2025-01-10T17:55", "2025-01-13T09:55", "1h"),
                                               ("ny", "2025-03-09T00:00", "2025-03-10T00:00", "6h30m"),
                                               ("always", "2025-03-30T00:00", "2025-03-31T00:00", "23h"),
                                               ("berlin", "2025-01-13T09:55", "2025-01-10T17:55", "-1h")] {
            let r = try SOPBinary.run(["calendar", "between", calendar, "--from", from, "--to", to], in: dir)
            #expect(r.status == 0 && r.stdout == expected + "\n", "\(calendar) \(from) → \(to): \(r.stdout)\(r.stderr)")
        }
    }

    @Test func badInputIsAClearMessageAndExitTwo() throws {
        let dir = try folder()
        try "calendar: broken\ntime_zone: Mars/Olympus\nweek: {}\n".write(to: dir.appendingPathComponent("sops/broken.calendar.yaml"),
                                                                           atomically: true, encoding: .utf8)
        try "calendar: closed\ntime_zone: UTC\nweek: {}\n".write(to: dir.appendingPathComponent("sops/closed.calendar.yaml"),
                                                                 atomically: true, encoding: .utf8)
        for (arguments, message) in [
            (["calendar", "due", "nowhere", "--from", "2025-01-10T10:00", "--add", "1h"], "no calendar 'nowhere' in sops; its calendars are"),
            (["calendar", "due", "broken", "--from", "2025-01-10T10:00", "--add", "1h"], "invalid-time-zone"),
            (["calendar", "due", "berlin", "--from", "tomorrow", "--add", "1h"], "--from must be an RFC 3339 time"),
            (["calendar", "due", "berlin", "--from", "2025-01-10T10:00", "--add", "2w"], "--add must be a duration"),
            (["calendar", "due", "closed", "--from", "2025-01-10T10:00", "--add", "1h"], "has no open hours"),
        ] {
            let r = try SOPBinary.run(arguments, in: dir)
            #expect(r.status != 0 && r.status != 1 && !r.terminatedBySignal, "\(arguments): exit \(r.status)")
            #expect(r.stderr.contains(message) && r.stdout.isEmpty, "\(arguments): \(r.stderr)")
        }
    }
}
