import ArgumentParser
import Foundation
import SOPCore
import SOPExpression
import SOPJSON
import SOPService
import SOPStore

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
