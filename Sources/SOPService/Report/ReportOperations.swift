import Foundation
import SOPCore
import SOPStore

extension ReportOptions {
    /// Whether `zone` is an IANA time zone the report can draw day boundaries in.
    public static func isTimeZone(_ zone: String) -> Bool {
        BusinessCalendar(id: "tz", timeZone: zone, week: Array(repeating: [], count: 7)) != nil
    }

    /// How long the default period is: the 30 days before its end.
    public static let defaultDays: Int64 = 30

    /// The period `from` and `to` name (as `instant` reads them), each defaulting as `sop report`
    /// and `GET /v1/report` document: `to` is `now`, `from` 30 days before `to`. A bound that
    /// cannot be read, or a `from` not before `to`, is a bad request naming the parameter as
    /// the caller calls it (`names`).
    public static func period(from: String?, to: String?, timeZone: String, now: Int64,
                              names: (from: String, to: String) = ("from", "to")) throws -> (from: Int64, to: Int64) {
        func bound(_ text: String?, _ name: String) throws -> Int64? {
            try text.map { text in
                guard let t = instant(text, timeZone: timeZone) else {
                    throw RunError.badRequest("\(name) must be an RFC 3339 time or a date such as 2026-11-01, found '\(text)'")
                }
                return t
            }
        }
        let end = try bound(to, names.to) ?? now
        let start = try bound(from, names.from) ?? end - defaultDays * 86_400_000
        guard start < end else { throw RunError.badRequest("\(names.from) must come before \(names.to)") }
        return (start, end)
    }
}

/// The service report and the process-mining export, for who asks: they read every run of the
/// store, so a caller needs the role 'supervisor'.
extension RunService {
    /// The report of `options`, for `who`. Past `timeLimit` it stops with `RunError.timeLimit`
    /// (a server's `--report-time-limit`; `sop report` has none); `progress` hears (journal
    /// records read, about how many there are).
    public func report(_ options: ReportOptions, as who: Acting, timeLimit: Duration? = nil,
                       progress: ((_ done: Int, _ total: Int) -> Void)? = nil) throws -> ServiceReport {
        try Self.authorizeReport(who)
        do {
            return try ReportBuilder.build(store: store, options: options, catalogue: catalogue, timeLimit: timeLimit, progress: progress)
        } catch {
            throw RunError.fromStore(error, "the store could not be read")
        }
    }

    /// Writes the journals as an XES or OCEL 2.0 event log (`sop export`); the runs and events written.
    public func exportEvents(format: ProcessMiningExport.Format, sops: Set<String>?, to output: FileHandle,
                             as who: Acting) throws -> (runs: Int, events: Int) {
        try Self.authorizeReport(who)
        do {
            return try ProcessMiningExport.write(store: store, format: format, sops: sops, to: output)
        } catch {
            throw RunError.fromStore(error, "the store could not be read")
        }
    }
}
