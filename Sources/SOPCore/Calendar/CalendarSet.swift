import Foundation
import SOPDiagnostics
import SOPYAML

/// The calendars an SOP's business timers may name: those of its folder (docs/calendars.md),
/// each with its source text, which a run pins with the SOP.
public struct CalendarSet: Sendable {
    public struct Entry: Sendable {
        public let calendar: BusinessCalendar
        /// The file's text, as pinned with the runs that use it.
        public let text: String
    }

    public private(set) var entries: [String: Entry] = [:]

    public init() {}

    /// Adds a calendar; the first of an id wins (`sop lint` reports the second as a duplicate).
    public mutating func add(_ calendar: BusinessCalendar, text: String) {
        if entries[calendar.id] == nil { entries[calendar.id] = Entry(calendar: calendar, text: text) }
    }

    public subscript(id: String) -> Entry? { entries[id] }

    public var ids: [String] { entries.keys.sorted() }

    /// The calendars of the given SOP folders (for a file, its folder), those with errors left
    /// out: `sop lint` reports them, and an SOP that names one is refused as naming no calendar.
    public static func load(paths: [String], limits: YAMLLimits = YAMLLimits()) -> CalendarSet {
        var set = CalendarSet()
        var folders: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            let folder = isDirectory.boolValue ? path : (path as NSString).deletingLastPathComponent
            let normal = folder.isEmpty ? "." : folder
            if !folders.contains(normal) { folders.append(normal) }
        }
        for folder in folders {
            for file in CalendarLoader.files(inSOPFolder: folder) {
                guard let data = FileManager.default.contents(atPath: file), limits.sizeProblem(size: data.count) == nil else { continue }
                let source = SourceFile(path: file, bytes: [UInt8](data))
                if let calendar = CalendarLoader.load(source, limits: limits).calendar {
                    set.add(calendar, text: String(decoding: data, as: UTF8.self))
                }
            }
        }
        return set
    }
}

/// The text a run pins for its SOP (docs/runtime.md): the SOP's source alone, or, when its timers
/// count business hours, a bundle of the SOP's source and the calendars it names, so that a run
/// keeps the calendars it started with however the files change later.
///
/// A bundle is a header line giving each part's name and UTF-8 length, then the parts:
///
///     # sopkit pinned bundle 2: sop 1234, calendar support-eu 412
///     <the SOP's 1234 bytes><the calendar's 412 bytes>
///
/// The header's number is the calendar arithmetic the run keeps: bundles of version 1 were
/// pinned before business days counted from open hours (`BusinessCalendar.DayRule`).
enum PinnedBundle {
    static let header = "# sopkit pinned bundle 2: "
    static let headerVersion1 = "# sopkit pinned bundle 1: "

    static func make(sop: String, calendars: [(id: String, text: String)]) -> String {
        guard !calendars.isEmpty else { return sop }
        let parts = ["sop \(sop.utf8.count)"] + calendars.map { "calendar \($0.id) \($0.text.utf8.count)" }
        return header + parts.joined(separator: ", ") + "\n" + sop + calendars.map(\.text).joined()
    }

    /// The parts of a pinned text and the day rule its calendars count with; a text without the
    /// header is an SOP's source alone. Nil for a header that does not match the bytes after it.
    static func split(_ text: String) -> (sop: String, calendars: [(id: String, text: String)], dayRule: BusinessCalendar.DayRule)? {
        let dayRule: BusinessCalendar.DayRule
        let prefix: String
        if text.hasPrefix(header) {
            (dayRule, prefix) = (.fromOpenHours, header)
        } else if text.hasPrefix(headerVersion1) {
            (dayRule, prefix) = (.sameLocalTime, headerVersion1)
        } else {
            return (text, [], .fromOpenHours)
        }
        let bytes = Array(text.utf8)
        guard let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        let line = String(decoding: bytes[prefix.utf8.count..<newline], as: UTF8.self)
        var offset = newline + 1
        var sop: String?
        var calendars: [(id: String, text: String)] = []
        for part in line.split(separator: ",") {
            let words = part.split(separator: " ")
            guard let last = words.last, let length = Int(last), length >= 0, offset + length <= bytes.count else { return nil }
            let body = String(decoding: bytes[offset..<(offset + length)], as: UTF8.self)
            offset += length
            switch (words.first, words.count) {
            case ("sop"?, 2) where sop == nil: sop = body
            case ("calendar"?, 3): calendars.append((String(words[1]), body))
            default: return nil
            }
        }
        guard let sop, offset == bytes.count else { return nil }
        return (sop, calendars, dayRule)
    }
}
