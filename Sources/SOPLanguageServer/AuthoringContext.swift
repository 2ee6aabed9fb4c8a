import SOPCore

/// What an author's editor needs to know of the workspace around the file being edited: every
/// SOP's index entry (ids, states, events, inputs, outcomes), the ticket schema and the
/// calendars. Built by the language server from the same catalogue `sop lint` reads; the
/// completion and hover engines read it and nothing else of the workspace.
public struct AuthoringContext: Sendable {
    /// Every SOP of the workspace, the file being edited included (from its unsaved text).
    public var sops: [SOPIndexEntry]
    /// The ticket schema, when the workspace has one.
    public var ticketSchema: TicketSchema?
    /// The ids of the business-hours calendars the workspace defines.
    public var calendars: [String]

    public init(sops: [SOPIndexEntry] = [], ticketSchema: TicketSchema? = nil, calendars: [String] = []) {
        self.sops = sops
        self.ticketSchema = ticketSchema
        self.calendars = calendars
    }
}
