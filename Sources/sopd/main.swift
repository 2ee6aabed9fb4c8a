import ArgumentParser
import Foundation
import Logging
import SOPCore
import SOPDiagnostics
import SOPServer
import SOPService
import SOPStoreLocation

/// `sopd`: sopkit's servers, in an executable of their own so that `sop` links neither
/// Hummingbird nor the MCP SDK.
/// `sop serve` and `sop mcp` run it.
@main
struct SOPD: AsyncParsableCommand {
    /// Named as it was called: `sop serve` runs this executable as `sop` (argv[0]), so its help
    /// and errors say `sop serve`, the command the user typed; called directly, it is `sopd`.
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: invokedAs, abstract: "sopkit's HTTP API server and MCP server.",
            version: "0.1.0", subcommands: [Serve.self, MCP.self])
    }

    static let invokedAs = URL(fileURLWithPath: CommandLine.arguments.first ?? "sopd").lastPathComponent == "sop" ? "sop" : "sopd"

    static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? AsyncParsableCommand { try await command.run() } else { try command.run() }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// The options both servers share: where SOPs, the ticket schema and the runs are.
struct ServerOptions: ParsableArguments {
    @Option(help: "Where SOP files are found.") var sops = "sops"
    @Option(name: .customLong("ticket-schema"), help: "The ticket schema (default: schemas/ticket.schema.json when it exists).")
    var ticketSchema: String?
    @Option(help: ArgumentHelp(StoreLocation.help)) var store: String?
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.") var logLevel = "info"

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical") }
    }

    var storePath: String { StoreLocation.resolve(store) }

    /// The service over the store and the SOP folder, with every SOP loaded once; exits 2 when
    /// any SOP has lint errors (listing them): a server must not start on SOPs it cannot run.
    func service(memoryMapped: Bool = true, server: Bool = false) throws -> RunService {
        let catalogue: SOPCatalogue
        do {
            catalogue = try loadCatalogue()
        } catch {
            fail("\(error)\(error is CatalogueError ? "; not starting" : "")")
        }
        do {
            return RunService(store: try StoreLocation.open(storePath, memoryMapped: memoryMapped, server: server), catalogue: catalogue)
        } catch {
            // Told by its fault when the store classified it ("the run store is full …").
            let told = RunError.fromStore(error)
            if case .store = told { fail("\(error)") }
            fail(told.description)
        }
    }

    struct CatalogueError: Error, CustomStringConvertible {
        var description: String
    }

    /// The SOP folder, every file loaded and linted, and the ticket schema; an error lists the
    /// files with lint errors and their diagnostics.
    func loadCatalogue() throws -> SOPCatalogue {
        let schema = try TicketSchema.resolve(ticketSchema)
        guard FileManager.default.fileExists(atPath: sops) else { throw CatalogueError(description: "\(sops): no such SOP folder") }
        let catalogue = SOPCatalogue(folder: sops, schema: schema)
        let entries = catalogue.entries()
        let renderer = HumanRenderer()
        var problems = ""
        var broken = 0
        for entry in entries where entry.compiled == nil {
            broken += 1
            if let reason = entry.unreadable { problems += "\(entry.path): cannot be read: \(reason)\n" }
            for d in entry.diagnostics where d.severity == .error { problems += renderer.render(d) }
        }
        if broken > 0 {
            throw CatalogueError(description: problems + "\(broken) SOP file\(broken == 1 ? " has" : "s have") lint errors (fix them: sop lint \(sops))")
        }
        if entries.isEmpty { throw CatalogueError(description: "\(sops): no SOP files (*.sop.yaml)") }
        return catalogue
    }

    func bootstrapLogging() {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    exit(2)
}

/// `sop serve`
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve the HTTP API (/v1, described at /openapi.yaml), fire due timers, deliver webhooks.")

    @OptionGroup var options: ServerOptions
    @Option(help: "The address to listen on.") var host = "127.0.0.1"
    @Option(help: "The port to listen on (0: any free port, printed at start).") var port = 8080
    @Option(name: .customLong("tick-interval"), help: "Seconds between the server's ticks (due timers).") var tickInterval = 1.0
    @Option(name: .customLong("webhook"), help: "A URL notify messages are delivered to (repeatable).") var webhooks: [String] = []
    @Option(name: .customLong("webhook-secret-file"), help: "A private file holding the key outbound deliveries are signed with.")
    var webhookSecretFile: String?
    @Option(name: .customLong("hook-secret-file"), help: "A private file holding the key helpdesk deliveries to /v1/hooks/tickets must be signed with.")
    var hookSecretFile: String?
    @Option(name: .customLong("max-attempts"), help: "Delivery attempts before a webhook delivery is marked failed.") var maxAttempts = 8
    @Option(name: .customLong("delivery-timeout"), help: "Seconds a webhook delivery attempt may take before it is recorded as timed out and retried.")
    var deliveryTimeout = 10.0
    @Option(name: .customLong("max-ticket-size"), help: "The largest request body (a ticket, a patch), in bytes.") var maxTicketSize = 1 << 20
    @Option(name: .customLong("report-time-limit"), help: "Seconds a report (GET /v1/report) may read before it stops with 503 time_limit.")
    var reportTimeLimit = 60.0

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535") }
        guard tickInterval >= 0.01, tickInterval <= 3600 else { throw ValidationError("--tick-interval must be from 0.01 to 3600 seconds") }
        guard maxAttempts >= 1 else { throw ValidationError("--max-attempts must be at least 1") }
        guard deliveryTimeout >= 0.1, deliveryTimeout <= 600 else { throw ValidationError("--delivery-timeout must be from 0.1 to 600 seconds") }
        guard maxTicketSize > 0 else { throw ValidationError("--max-ticket-size must be a positive number of bytes") }
        guard reportTimeLimit > 0, reportTimeLimit <= 86_400 else { throw ValidationError("--report-time-limit must be a positive number of seconds, at most 86400") }
        for url in webhooks {
            guard let u = URL(string: url), u.scheme == "http" || u.scheme == "https", u.host != nil else {
                throw ValidationError("--webhook must be an http or https URL, found '\(url)'")
            }
        }
    }

    func run() async throws {
        options.bootstrapLogging()
        let logger = Logger(label: "sopkit")
        var configuration = ServerConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.tickInterval = .milliseconds(Int64(tickInterval * 1000))
        configuration.webhooks = webhooks
        configuration.maxAttempts = maxAttempts
        configuration.deliveryTimeout = .milliseconds(Int64((deliveryTimeout * 1000).rounded()))
        configuration.maxBodySize = maxTicketSize
        configuration.reportTimeLimit = .milliseconds(max(1, Int64((reportTimeLimit * 1000).rounded())))
        // The authors' sandbox: each console session's runs in a store in memory, never this one.
        configuration.sandboxStore = { try StoreLocation.inMemory() }
        do {
            configuration.webhookSecret = try webhookSecretFile.map { Secret(try Signing.readSecret($0)) }
            configuration.hookSecret = try hookSecretFile.map { Secret(try Signing.readSecret($0)) }
        } catch {
            fail("\(error)")
        }
        let service = try options.service(memoryMapped: false, server: true)
        let metrics = ServerMetrics()
        // Token checks read the service's store (on the host's reader threads).
        let tokens = service.tokenCheck()
        let host = ServiceHost(service: service, readers: ServiceHost.defaultReaders)
        let server = APIServer(host: host, tokens: tokens, metrics: metrics, configuration: configuration, logger: logger)
        // SIGHUP reloads the SOP folder: new runs start from the files as they are now, runs
        // already started keep their pinned sources. A folder with lint errors is not taken: the
        // SOPs served stay as they were, and the log says why.
        signal(SIGHUP, SIG_IGN)
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        let options = self.options
        hangup.setEventHandler {
            do {
                let catalogue = try options.loadCatalogue()
                Task {
                    await host.reload(catalogue)
                    logger.notice("reloaded the SOP folder", metadata: ["sops": "\(catalogue.entries().count)"])
                }
            } catch {
                logger.error("the SOP folder was not reloaded; the SOPs served are unchanged", metadata: ["error": "\(error)"])
            }
        }
        hangup.resume()
        let address = self.host
        try await server.run { port in
            logger.notice("listening", metadata: ["url": "http://\(address):\(port)"])
            // One line on standard output for scripts that start the server on port 0.
            FileHandle.standardOutput.write(Data("listening on http://\(address):\(port)\n".utf8))
        }
        hangup.cancel()
        logger.notice("stopped")
    }
}

/// `sop mcp`
struct MCP: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp", abstract: "Serve the Model Context Protocol on standard input and output, as the token in $SOP_TOKEN.")

    @OptionGroup var options: ServerOptions

    func run() async throws {
        options.bootstrapLogging()
        guard let token = ProcessInfo.processInfo.environment["SOP_TOKEN"], !token.isEmpty else {
            fail("set SOP_TOKEN to a token from `sop token create`: the MCP server acts as that token's actor and roles")
        }
        let service = try options.service()
        guard let caller = try service.authenticate(token: token) else {
            fail("SOP_TOKEN is not a valid token of this store (revoked, or from another store)")
        }
        try await MCPService(host: ServiceHost(service: service, readers: 0), caller: caller).run()
    }
}
