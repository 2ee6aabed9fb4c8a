import ArgumentParser
import Foundation
import SOPCore
import SOPExpression
import SOPJSON
import SOPService
import SOPStore

/// `sop outbox [--format json]` and `sop outbox retry ID`: the notify messages and their webhook
/// deliveries.
struct OutboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox", abstract: "List the notify messages and their webhook deliveries; retry one.",
        subcommands: [List.self, Retry.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List messages: pending, delivered and failed deliveries.")

        @Option(help: "Only messages with a delivery in this status: pending, delivered or failed.") var status: String?
        @Option(help: "Output format: text or json.") var format: OutputFormat = .text
        @OptionGroup var options: StoreOptions

        func run() throws {
            let service = try options.service()
            do {
                var items = try service.outbox()
                if let status { items = items.filter { $0.deliveries.contains { $0.status == status } } }
                switch format {
                case .json:
                    Output.out(JSONValue.array(items.map { item in
                        .object([("id", .string(item.message.id)), ("run", .string(item.message.run)), ("seq", .int(item.message.seq)),
                                 ("created_at", .string(CivilTime.formatDateTime(item.message.createdAt))),
                                 ("message", item.message.message),
                                 ("deliveries", .array(item.deliveries.map(OutboxCommand.json)))])
                    }).render() + "\n")
                case .text:
                    for item in items {
                        let to = item.message.message["to"].flatMap { if case .string(let s) = $0 { s } else { nil } } ?? "?"
                        Output.out("\(item.message.id)  \(CivilTime.formatDateTime(item.message.createdAt))  notify \(to)\n")
                        if item.deliveries.isEmpty { Output.out("    not dispatched yet (no server has taken it)\n") }
                        for d in item.deliveries {
                            Output.out("    \(d.id)  \(d.endpoint)  \(d.status)  \(d.attempts) attempt\(d.attempts == 1 ? "" : "s")"
                                       + (d.lastError.map { "  last error: \($0)" } ?? "") + "\n")
                        }
                    }
                }
            } catch {
                throw runExit(error, format: format)
            }
        }
    }

    struct Retry: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Queue a message's undelivered deliveries (or one delivery) again, due now.")

        @Argument(help: "A message id (run-seq-n) or a delivery id (message@endpoint).") var id: String
        @OptionGroup var options: StoreOptions

        func run() throws {
            let service = try options.service()
            do {
                let count = try service.retryOutbox(id, now: options.time)
                Output.out("\(count) deliver\(count == 1 ? "y" : "ies") queued again\n")
            } catch {
                throw runExit(error)
            }
        }
    }

    static func json(_ d: Delivery) -> JSONValue {
        .object([("id", .string(d.id)), ("endpoint", .string(d.endpoint)), ("status", .string(d.status)), ("attempts", .int(d.attempts)),
                 ("next_attempt", .string(CivilTime.formatDateTime(d.nextAttempt))), ("last_error", .optional(d.lastError)),
                 ("updated_at", .string(CivilTime.formatDateTime(d.updatedAt)))])
    }
}
