import Foundation

/// The time now, in milliseconds since 1970 (UTC): what every interface stamps a command with
/// unless told otherwise (`--now`).
public enum Clock {
    public static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
