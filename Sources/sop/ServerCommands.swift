import ArgumentParser
import Foundation
import SOPCore
import SOPExpression
import SOPJSON
import SOPService
import SOPStore

/// The store alone, for commands that act on no SOP (tokens, the outbox).
struct StoreOptions: ParsableArguments {
    @Option(help: "Where runs live: a SQLite file (default .sop/runs.sqlite, or $SOP_STORE).")
    var store: String?

    var time: Int64 { Clock.now() }

    func service() throws -> RunService {
        var options = try RunOptions.parse([])
        options.store = store
        return try options.service()
    }
}

/// `sop token create|list|revoke`: the bearer tokens `sop serve` and `sop mcp` accept.
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Create, list and revoke the tokens the server and the MCP server accept.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token; its secret is printed once and never stored.")

        @Option(help: "Who acts with the token (an actor id).") var actor: String
        @Option(help: "The roles it grants, comma-separated (such as agent,supervisor).") var roles: String
        @Option(help: "Output format: text or json.") var format: OutputFormat = .text
        @OptionGroup var options: StoreOptions

        func run() throws {
            let service = try options.service()
            do {
                let roles = self.roles.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                let (id, secret) = try service.createToken(actor: actor, roles: roles, now: options.time)
                switch format {
                case .json:
                    Output.out(JSONValue.object([("id", .string(id)), ("token", .string(secret)), ("actor", .string(actor)),
                                                 ("roles", .array(roles.map { .string($0) }))]).render() + "\n")
                case .text:
                    Output.out(secret + "\n")
                    Output.err("token \(id) for \(actor) (\(roles.joined(separator: ", "))): keep it now, it is not shown again\n")
                }
            } catch {
                throw runExit(error, format: format)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (never their secrets).")

        @Option(help: "Output format: text or json.") var format: OutputFormat = .text
        @OptionGroup var options: StoreOptions

        func run() throws {
            let service = try options.service()
            do {
                let tokens = try service.tokens()
                switch format {
                case .json:
                    Output.out(JSONValue.array(tokens.map { t in
                        .object([("id", .string(t.id)), ("actor", .string(t.actor)), ("roles", .array(t.roles.map { .string($0) })),
                                 ("created_at", .string(CivilTime.formatDateTime(t.createdAt))),
                                 ("revoked_at", t.revokedAt.map { .string(CivilTime.formatDateTime($0)) } ?? .null)])
                    }).render() + "\n")
                case .text:
                    for t in tokens {
                        let state = t.revokedAt.map { "revoked \(CivilTime.formatDateTime($0))" } ?? "active"
                        Output.out("\(t.id)  \(t.actor)  \(t.roles.joined(separator: ","))  created \(CivilTime.formatDateTime(t.createdAt))  \(state)\n")
                    }
                }
            } catch {
                throw runExit(error, format: format)
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by its id; it stops working at once.")

        @Argument(help: "The token's id (tok-…).") var id: String
        @OptionGroup var options: StoreOptions

        func run() throws {
            let service = try options.service()
            do {
                guard try service.revokeToken(id, now: options.time) else {
                    Output.err("error: no active token has the id '\(id)'\n")
                    throw ExitCode(1)
                }
                Output.out("revoked \(id)\n")
            } catch let code as ExitCode {
                throw code
            } catch {
                throw runExit(error)
            }
        }
    }
}

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

/// `sop serve …` and `sop mcp …` run `sopd`, the server executable built beside `sop`: `sop`
/// itself links no networking, so it builds and starts as fast as before the server existed.
struct ServerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve the HTTP API (runs `sopd serve`; see `sop serve --help`).")

    @Argument(parsing: .captureForPassthrough, help: "The options of `sopd serve` (`sop serve --help` lists them).")
    var arguments: [String] = []

    func run() throws { try Sopd.exec(["serve"] + arguments) }
}

struct MCPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp", abstract: "Serve the Model Context Protocol on standard input and output (runs `sopd mcp`).")

    @Argument(parsing: .captureForPassthrough, help: "The options of `sopd mcp` (`sop mcp --help` lists them).")
    var arguments: [String] = []

    func run() throws { try Sopd.exec(["mcp"] + arguments) }
}

enum Sopd {
    /// Replaces this process with `sopd` from the folder `sop` is in (else from `PATH`).
    static func exec(_ arguments: [String]) throws -> Never {
        let me = URL(fileURLWithPath: Bundle.main.executablePath ?? CommandLine.arguments[0]).resolvingSymlinksInPath()
        let beside = me.deletingLastPathComponent().appendingPathComponent("sopd").path
        let path = FileManager.default.isExecutableFile(atPath: beside) ? beside : "sopd"
        // argv[0] is `sop`, so that `sopd` names itself as the user called it (`sop serve --help`).
        let argv = (["sop"] + arguments).map { strdup($0) } + [nil]
        _ = path.contains("/") ? execv(path, argv) : execvp(path, argv)
        Output.err("error: `sop \(arguments.first ?? "")` runs `sopd`, which was not found beside \(me.path) or on PATH: "
                   + "build it with `swift build --product sopd` (scripts/sop does)\n")
        throw ExitCode(2)
    }
}
