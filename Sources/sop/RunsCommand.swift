import ArgumentParser
import Foundation
import SOPCore
import SOPExpression
import SOPJSON
import SOPService
import SOPStore

/// `sop runs [--state S] [--sop ID] [--waiting] [--status S] [--role R] [--ticket-id T] [--due-before T]`
struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "runs", abstract: "List runs.")

    @Option(help: "Only runs in this state.") var state: String?
    @Option(help: "Only runs of this SOP (repeatable).") var sop: [String] = []
    @Flag(help: "Only runs that have not ended.") var waiting = false
    @Option(help: "Only runs with this status: waiting or ended.") var status: RunStatusFilter?
    @Option(help: "Only runs waiting on this role.") var role: String?
    @Option(name: .customLong("ticket-id"), help: "Only runs of the ticket with this id.") var ticketID: String?
    @Option(name: .customLong("due-before"), help: "Only runs with a timer due at or before this time (RFC 3339).") var dueBefore: String?
    @Flag(help: "Only runs with an SLA target breached.") var breached = false
    @Option(help: "The order: created (oldest first, the default), or sla-due (running SLA clocks only, the nearest due time first).")
    var sort: RunOrder = .created
    @Option(help: "At most this many runs (then `next` names the cursor of the rest).") var limit: Int?
    @Option(help: "Only runs after this cursor (from a previous page's `next`).") var after: Int64?
    @Option(help: "Output format: text or json.") var format: OutputFormat = .text
    @OptionGroup var options: RunOptions

    enum RunStatusFilter: String, ExpressibleByArgument, CaseIterable { case waiting, ended }
    enum RunOrder: String, ExpressibleByArgument, CaseIterable { case created, slaDue = "sla-due" }

    func validate() throws {
        if let dueBefore, CivilTime.parseDateTime(dueBefore) == nil {
            throw ValidationError("--due-before must be an RFC 3339 datetime such as 2026-11-02T09:00:00Z, found '\(dueBefore)'")
        }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        if waiting && status == .ended { throw ValidationError("--waiting and --status ended exclude each other") }
        if sort == .slaDue && after != nil { throw ValidationError("--after pages runs in creation order; it does not go with --sort sla-due") }
    }

    func run() throws {
        let service = try options.service(format: format)
        do {
            let filter = RunFilter(sops: sop.isEmpty ? nil : sop, state: state, status: waiting ? "waiting" : status?.rawValue, role: role,
                                   ticketID: ticketID, dueBefore: dueBefore.flatMap(CivilTime.parseDateTime), after: after, limit: limit,
                                   slaBreached: breached, bySLADue: sort == .slaDue)
            let page = try service.runs(filter, as: options.acting)
            switch format {
            case .json:
                // The array, as before; with --limit, a page object with the cursor of the rest.
                let runs = JSONValue.array(page.runs.map(\.json))
                if limit == nil {
                    Output.out(runs.render() + "\n")
                } else {
                    Output.out(JSONValue.object([("runs", runs), ("next", page.next.map { .string(String($0)) } ?? .null)]).render() + "\n")
                }
            case .text:
                Output.out(try page.runs.map { r in
                    var line = "\(r.run)  \(r.sop)  \(r.state)  \(r.status)\(r.outcome.map { " (\($0))" } ?? "")  \(CivilTime.formatDateTime(r.updatedAt))"
                    if let due = r.slaDue { line += "  SLA due " + (try RunsCommand.slaDueText(r.run, due, service, as: options.acting)) }
                    if r.slaBreached { line += "  SLA breached" }
                    return line + "\n"
                }.joined())
                if let next = page.next { Output.out("more: --after \(next)\n") }
            }
        } catch {
            throw runExit(error, format: format)
        }
    }

    /// A run's nearest SLA due time as `sop status` prints it: in its calendar's zone. The
    /// stored summary has only the instant, so the run says which target's calendar it is; UTC
    /// if the run no longer has a clock due then (it moved on since the listing was read).
    static func slaDueText(_ run: String, _ due: Int64, _ service: RunService, as who: Acting) throws -> String {
        let (state, engine) = try service.run(run, as: who)
        guard let nearest = engine.nearestSLADue(state), nearest.due == due else { return CivilTime.formatDateTime(due) }
        return nearest.calendar.format(due)
    }

}
