import SOPJSON

/// A ticket's id as sopkit keys it (the store's index, helpdesk updates, the console): the
/// ticket's `id`, a text as it is, an integer in decimal; nil for anything else.
public enum TicketID {
    public static func of(_ ticket: JSONValue) -> String? { text(ticket["id"]) }

    /// An id value itself (a helpdesk's `ticket_id`), as `of` reads a ticket's.
    public static func text(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let s)?: return s
        case .int(let n)?: return String(n)
        default: return nil
        }
    }
}
