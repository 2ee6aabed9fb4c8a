import Foundation
@testable import SOPCore
import SOPJSON
import Testing

@Suite struct SLATextTests {
    /// `sop status` says the time left to the minute, as people read it: a clock read at any
    /// millisecond said `13942181ms left` (a new user); the JSON keeps the milliseconds.
    @Test func timeLeftReadsToTheMinute() throws {
        let utc = try #require(BusinessCalendar(id: "utc", timeZone: "UTC", week: Array(repeating: [], count: 7)))
        func text(_ remaining: Int64) -> String {
            SLAStatus(target: "resolution", status: "running", length: "4h", due: nil, remaining: remaining, calendar: utc).text
        }
        #expect(text(13_942_181) == "resolution: running, 4h, 3h52m left")
        #expect(text(59_999) == "resolution: running, 4h, under 1m left")
        #expect(text(-61_000) == "resolution: running, 4h, 2m over")
        #expect(text(3_600_000) == "resolution: running, 4h, 1h left")
        #expect(SLAStatus(target: "r", status: "running", length: nil, due: nil, remaining: 13_942_181, calendar: utc).json()["remaining"]
                == .string("13942181ms"))
    }
}
