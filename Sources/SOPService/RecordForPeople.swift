import SOPCore
import SOPJSON

/// A journal record for people, built once and rendered by every interface (`sop log`'s text,
/// the console's timeline): what happened, who, when, the trigger in words, the answers, the
/// changes and the messages sent. States are named by id; each renderer names them its way
/// (ids on the command line, titles in the console).
public struct RecordForPeople: Sendable {
    /// What the record did to the run.
    public enum Happening: Sendable, Equatable {
        /// A move; `from` is nil for the run's start.
        case moved(from: String?, to: String)
        /// An SLA clock's change (`SLA first response started`), the run staying in a state.
        case sla(String, in: String)
        /// A ticket update (`sop update`, a helpdesk's PATCH), the run staying in a state.
        case ticketUpdated(in: String)
        /// Anything else that kept the run where it was (answers, checks).
        case stayed(in: String)
    }

    public let seq: Int
    public let at: Int64
    public let actor: Actor
    public let happening: Happening
    /// The trigger as `sop log` writes it: its kind and what it names (`event escalate`,
    /// `timer 4h`, `sla first_response started, due …`).
    public let trigger: String
    /// The trigger in words: the event, `timer 4h`, the SLA clock's change, or the kind.
    public let why: String
    /// The answers given, each value as JSON text.
    public let inputs: [(name: String, value: String)]
    /// The checklist items the step confirmed, by number from 1 (in the state it was taken in:
    /// `checkedIn`).
    public let checks: [Int]
    /// The state whose checklist `checks` numbers: the one the step was taken in.
    public let checkedIn: String
    /// The ticket paths and variables set, each new value as JSON text.
    public let changes: [(path: String, value: String)]
    /// The notify messages sent.
    public let messages: [(to: String, text: String)]

    public init(_ r: JournalRecord) {
        seq = r.seq
        at = r.at
        actor = r.actor
        var trigger = r.trigger.kind.rawValue
        if let event = r.trigger.event { trigger += " " + event }
        if let after = r.trigger.after { trigger += " after " + after }
        if let outcome = r.trigger.outcome { trigger += " " + outcome }
        let target = string(r.trigger.sla?["target"]), slaEvent = string(r.trigger.sla?["event"])
        if let target, let slaEvent {
            trigger += " \(target) \(slaEvent)"
            if let due = string(r.trigger.sla?["due"]) { trigger += ", due \(due)" }
        }
        let pins = r.trigger.migrationPins
        if let pins { trigger += " v\(pins.from.sopVersion) → v\(pins.to.sopVersion)" }
        self.trigger = trigger
        let sla = target.map { "SLA \($0.replacingOccurrences(of: "_", with: " ")) \(slaEvent ?? "")" }
        why = r.trigger.event ?? r.trigger.after.map { "timer \($0)" } ?? sla
            ?? pins.map { "migrated from version \($0.from.sopVersion) to \($0.to.sopVersion)" } ?? r.trigger.kind.rawValue
        if r.trigger.moved {
            happening = .moved(from: r.from, to: r.to)
        } else if let sla {
            happening = .sla(sla, in: r.to)
        } else if r.trigger.kind == .input, r.trigger.ticket != nil {
            happening = .ticketUpdated(in: r.to)
        } else {
            happening = .stayed(in: r.to)
        }
        inputs = r.inputs.map { ($0.key, $0.value.render()) }
        checks = r.trigger.checks ?? []
        checkedIn = r.from ?? r.to
        changes = r.changes.map { ($0.path, $0.new.render()) }
        messages = r.effects.compactMap { effect in
            guard let notify = effect["notify"], let to = string(notify["to"]), let text = string(notify["text"]) else { return nil }
            return (to, text)
        }
    }
}

private func string(_ value: JSONValue?) -> String? {
    if case .string(let s)? = value { s } else { nil }
}
