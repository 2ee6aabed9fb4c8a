import SOPService
import Testing

/// Durations for people, one home for the report, `sop` and the console (issue 33).
@Suite struct DurationTextTests {
    static let seconds: [(Int64, String)] = [
        (0, "0s"), (500, "500ms"), (30_000, "30s"), (90_000, "1m 30s"), (2_700_000, "45m"),
        (11_107_000, "3h 5m"), (183_659_000, "2d 3h"), (86_400_000, "1d"),
    ]
    static let minutes: [(Int64, String)] = [(0, "1m"), (10_000, "1m"), (90_000, "1m"), (750_000, "12m"), (1_814_399_000, "20d 23h")]

    @Test(arguments: seconds)
    func toTheSecond(ms: Int64, text: String) {
        #expect(DurationText.text(ms) == text)
    }

    /// The console's time left and overdue: to the minute, at least a minute.
    @Test(arguments: minutes)
    func toTheMinute(ms: Int64, text: String) {
        #expect(DurationText.minutes(ms) == text)
    }

    @Test func wholeMinutes() {
        #expect(DurationText.wholeMinutes(-5) == 0)
        #expect(DurationText.wholeMinutes(0) == 0)
        #expect(DurationText.wholeMinutes(1) == 60_000)
        #expect(DurationText.wholeMinutes(150_000) == 120_000)
    }
}
