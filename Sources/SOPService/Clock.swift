import Foundation
import SOPCore

/// The time now, in milliseconds since 1970 (UTC): what every interface stamps a command with
/// unless told otherwise (`--now`).
///
/// In one process it never goes back: it is the later of the wall clock and the last time it
/// gave (as a hybrid logical clock's physical part is). When the wall clock is stepped back (NTP,
/// an operator), the process's time stays where it was until the wall clock passes it, instead of
/// stamping commands an hour before the ones it stamped a moment ago. A step back of more than a
/// second is told once to the handler given to `onJumpBack` (the server logs it), with the
/// amount: measured against the monotonic clock, which nobody can step.
public enum Clock {
    public static func now() -> Int64 { process.now() }

    /// Calls `handler` with each jump back of the wall clock of more than a second, from then
    /// on. The server sets it once at start; the last one given wins.
    public static func onJumpBack(_ handler: @escaping @Sendable (ClockJump) -> Void) { process.onJumpBack(handler) }

    /// The process's clock. A value shared by every thread of the process, since "never goes
    /// back" is a promise of the process, not of one caller.
    static let process = MonotoneClock(wall: { Int64(Date().timeIntervalSince1970 * 1000) },
                                       monotonic: { Int64(DispatchTime.now().uptimeNanoseconds / 1_000_000) })
}

/// A jump back of the wall clock, as `Clock` saw it.
public struct ClockJump: Sendable, Equatable {
    /// How far back the wall clock went, in milliseconds.
    public var back: Int64
    /// The wall clock's reading after the jump.
    public var wall: Int64
    /// The time the process gives instead (the last it gave) until the wall clock passes it.
    public var holding: Int64

    /// How far back, to the second, as durations are written (`1h`, `59m58s`, `2s`).
    public var amount: String { BusinessDuration.format((back + 500) / 1000 * 1000) }
}

/// A clock that never goes back, over a wall clock and a monotonic clock given as functions
/// (real ones in `Clock`, made-up ones in tests).
final class MonotoneClock: @unchecked Sendable {
    /// Jumps back of this much or less are not told: NTP's slews and small steps are of that size.
    static let threshold: Int64 = 1_000

    private let wall: @Sendable () -> Int64
    private let monotonic: @Sendable () -> Int64
    private let lock = NSLock()
    private var last: Int64 = .min
    /// The wall and monotonic readings of the last call: the wall clock should have moved on by
    /// what the monotonic clock did since.
    private var anchor: (wall: Int64, monotonic: Int64)?
    private var handler: (@Sendable (ClockJump) -> Void)?

    init(wall: @escaping @Sendable () -> Int64, monotonic: @escaping @Sendable () -> Int64) {
        self.wall = wall
        self.monotonic = monotonic
    }

    func onJumpBack(_ handler: @escaping @Sendable (ClockJump) -> Void) {
        lock.lock()
        self.handler = handler
        lock.unlock()
    }

    func now() -> Int64 {
        lock.lock()
        let w = wall(), m = monotonic()
        var jump: ClockJump?
        if let anchor {
            let expected = anchor.wall + (m - anchor.monotonic)
            if expected - w > Self.threshold { jump = ClockJump(back: expected - w, wall: w, holding: max(last, w)) }
        }
        anchor = (w, m)
        last = max(last, w)
        let given = last, tell = jump.flatMap { _ in handler }
        lock.unlock()
        // Told outside the lock: the handler may log, and logging may read the clock.
        if let jump, let tell { tell(jump) }
        return given
    }
}
