/// The largest ticket sopkit reads. A ticket is a support case: a few kilobytes. Without a cap a
/// 50 MB ticket of 2.9 million keys took 40 s and 1.2 GB to start, so tickets are measured in
/// bytes before they are parsed, as lint measures SOP files (`yaml-limit`), and a larger one is
/// refused with the way to raise the limit (docs/cli.md, `--max-ticket-size`).
public enum TicketSize {
    /// 1 MiB: far above any real ticket, and the HTTP API's body limit.
    public static let defaultLimit = 1 << 20

    /// Why a ticket (or a patch, `what`) of `bytes` bytes is refused under `limit`; nil when it is not.
    public static func problem(bytes: Int, limit: Int, what: String = "ticket") -> String? {
        guard bytes > limit else { return nil }
        return "the \(what) is \(bytes) bytes, larger than the limit of \(limit) bytes\(limit == defaultLimit ? " (1 MiB)" : ""); "
            + "raise it with --max-ticket-size if a ticket this large is intended"
    }
}
