import SOPDiagnostics

/// An SOP's service-level targets (`sla:`, docs/sla.md): clocks that count business time from
/// a start to a stop, pause in some states, warn and breach, and may depend on a ticket field.
public struct SLAPolicy: Sendable, Hashable {
    /// The calendar of targets without their own, and of business timers without a calendar.
    public var calendar: Located<String>?
    public var targets: [SLATarget]

    public init(calendar: Located<String>?, targets: [SLATarget]) {
        self.calendar = calendar
        self.targets = targets
    }

    public func target(_ id: String) -> SLATarget? { targets.first { $0.id.value == id } }
}

/// One named target, such as `first_response` or `resolution`.
public struct SLATarget: Sendable, Hashable {
    public var id: Located<String>
    /// Its own calendar; nil means the policy's.
    public var calendar: Located<String>?
    public var length: SLALength
    /// States whose entry starts the clock; empty means the run's start.
    public var start: [Located<String>]
    /// States in which the clock is paused (it resumes when the run leaves them).
    public var pause: [Located<String>]
    /// States whose entry stops the clock: the target is met, unless it was breached.
    public var stop: [Located<String>]
    /// Percent of the target after which `sla.ID.warning` fires.
    public var warningPercent: Int?

    public init(id: Located<String>, calendar: Located<String>?, length: SLALength, start: [Located<String>],
                pause: [Located<String>], stop: [Located<String>], warningPercent: Int?) {
        self.id = id
        self.calendar = calendar
        self.length = length
        self.start = start
        self.pause = pause
        self.stop = stop
        self.warningPercent = warningPercent
    }

    /// The target as a canonical text: its digest, in every SLA record, names the policy applied.
    public var canonicalText: String {
        var parts = ["target " + id.value]
        switch length {
        case .fixed(let d): parts.append("length " + d.value)
        case .by(let path, let values, let fallback):
            parts.append("by " + path.text)
            for v in values.sorted(by: { $0.value.value < $1.value.value }) { parts.append("value " + v.value.value + " " + v.duration.value) }
            if let fallback { parts.append("default " + fallback.value) }
        }
        parts.append("start " + start.map(\.value).joined(separator: ","))
        parts.append("pause " + pause.map(\.value).joined(separator: ","))
        parts.append("stop " + stop.map(\.value).joined(separator: ","))
        if let warningPercent { parts.append("warning \(warningPercent)%") }
        return parts.joined(separator: "\n")
    }
}

/// How long a target is: one business duration, or one per value of a ticket field.
public enum SLALength: Sendable, Hashable {
    case fixed(Located<String>)
    /// `by: ticket.priority`, a duration per value, and one for any other value (or none: then a
    /// ticket with another value has no clock for this target).
    case by(ExpressionText, values: [SLAValue], default: Located<String>?)
}

public struct SLAValue: Sendable, Hashable {
    public var value: Located<String>
    public var duration: Located<String>

    public init(value: Located<String>, duration: Located<String>) {
        self.value = value
        self.duration = duration
    }
}

/// The events an SLA clock sends to the run's transitions (`on: sla.ID.warning`).
public enum SLAEvent: String, Sendable, CaseIterable {
    case warning, breached

    /// Whether an event name is in the `sla.` namespace, which only SLA clocks send.
    public static func isSLAName(_ event: String) -> Bool { event.hasPrefix("sla.") }

    /// `sla.first_response.breached` → ("first_response", .breached).
    public static func parse(_ event: String) -> (target: String, event: SLAEvent)? {
        let parts = event.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "sla", let e = SLAEvent(rawValue: String(parts[2])), SOPIdentifier.isValid(String(parts[1])) else {
            return nil
        }
        return (String(parts[1]), e)
    }
}
