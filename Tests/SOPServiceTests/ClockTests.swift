import Foundation
@testable import SOPService
import Testing

/// The process's clock never goes back, and tells a jump back of the wall clock once, with the
/// amount (issue 38: a server's clock stepped back by NTP).
@Suite struct ClockTests {
    /// A wall clock and a monotonic clock the test moves by hand.
    final class Hands: @unchecked Sendable {
        private let lock = NSLock()
        private var _wall: Int64 = 1_790_000_000_000, _monotonic: Int64 = 5_000
        var wall: Int64 { lock.withLock { _wall } }
        var monotonic: Int64 { lock.withLock { _monotonic } }
        /// Time passes: both clocks move.
        func pass(_ ms: Int64) { lock.withLock { _wall += ms; _monotonic += ms } }
        /// The wall clock is stepped (negative: back); the monotonic clock is not.
        func step(_ ms: Int64) { lock.withLock { _wall += ms } }
    }

    final class Jumps: @unchecked Sendable {
        private let lock = NSLock()
        private var _all: [ClockJump] = []
        var all: [ClockJump] { lock.withLock { _all } }
        func add(_ j: ClockJump) { lock.withLock { _all.append(j) } }
    }

    func clock(_ hands: Hands, _ jumps: Jumps) -> MonotoneClock {
        let clock = MonotoneClock(wall: { hands.wall }, monotonic: { hands.monotonic })
        clock.onJumpBack { jumps.add($0) }
        return clock
    }

    @Test func aStepBackHoldsTheTimeUntilTheWallClockPassesItAndIsToldOnce() throws {
        let hands = Hands(), jumps = Jumps(), clock = clock(hands, jumps)
        let start = hands.wall
        #expect(clock.now() == start)
        hands.pass(1_000)
        #expect(clock.now() == start + 1_000)
        hands.step(-3_600_000)
        #expect(clock.now() == start + 1_000)
        hands.pass(10_000)
        #expect(clock.now() == start + 1_000)
        #expect(jumps.all == [ClockJump(back: 3_600_000, wall: start + 1_000 - 3_600_000, holding: start + 1_000)])
        #expect(jumps.all.first?.amount == "1h")
        // Once the wall clock passes the time held, the clock follows it again.
        hands.pass(3_600_000)
        #expect(clock.now() == start + 11_000)
        #expect(jumps.all.count == 1)
    }

    @Test func smallStepsAndStepsForwardAreNotTold() throws {
        let hands = Hands(), jumps = Jumps(), clock = clock(hands, jumps)
        let start = clock.now()
        hands.step(-900)
        #expect(clock.now() == start)
        hands.pass(2_000)
        hands.step(3_600_000)
        #expect(clock.now() == start + 2_000 - 900 + 3_600_000)
        #expect(jumps.all.isEmpty)
        hands.step(-1_600)
        _ = clock.now()
        #expect(jumps.all.map(\.amount) == ["2s"])
    }
}
