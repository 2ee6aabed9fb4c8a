import Foundation
import Logging
import PostgresNIO
import SOPStore

/// Where a PostgreSQL store is: `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`, optionally with
/// `?sslmode=MODE` and `&schema=NAME` (the store's tables in a schema of their own, created if
/// missing; default `public`). The password may also come from `$PGPASSWORD`; it is never part of
/// `display`.
public struct PostgresLocation: Sendable, Equatable {
    public var user: String
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String
    /// `disable`, `prefer` (the default, as libpq's) or `require`.
    public var sslMode: String
    /// The schema holding the store's tables (nil: the user's default, normally `public`).
    public var schema: String?

    public static func isPostgres(_ location: String) -> Bool {
        location.hasPrefix("postgres://") || location.hasPrefix("postgresql://")
    }

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    public init(_ url: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(Invalid) {
        guard Self.isPostgres(url), let parts = URLComponents(string: url), let host = parts.host, !host.isEmpty else {
            throw Invalid(description: "'\(Self.redacted(url))' is not a PostgreSQL URL: expected postgres://USER@HOST:PORT/DATABASE")
        }
        guard let user = parts.user, !user.isEmpty else {
            throw Invalid(description: "'\(Self.redacted(url))' names no user: expected postgres://USER@HOST:PORT/DATABASE")
        }
        let database = String(parts.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else {
            throw Invalid(description: "'\(Self.redacted(url))' names no database: expected postgres://USER@HOST:PORT/DATABASE")
        }
        var sslMode = "prefer"
        var schema: String?
        for item in parts.queryItems ?? [] {
            switch (item.name, item.value ?? "") {
            case ("sslmode", let mode) where ["disable", "prefer", "require"].contains(mode): sslMode = mode
            case ("sslmode", let mode):
                throw Invalid(description: "sslmode '\(mode)' is not one of disable, prefer, require")
            case ("schema", let name) where Self.isIdentifier(name): schema = name
            case ("schema", let name):
                throw Invalid(description: "schema '\(name)' must be lower-case letters, digits and _, starting with a letter or _")
            default:
                throw Invalid(description: "unknown parameter '\(item.name)' in the store URL (sslmode and schema are understood)")
            }
        }
        self.user = user
        self.password = parts.password ?? environment["PGPASSWORD"].flatMap { $0.isEmpty ? nil : $0 }
        self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        self.port = parts.port ?? 5432
        self.database = database
        self.sslMode = sslMode
        self.schema = schema
    }

    static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.utf8.first, first == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first),
              name.utf8.count <= 63 else { return false }
        return name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    /// The URL without its password, for messages and logs.
    public var display: String {
        "postgres://\(user)@\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database)" + (schema.map { "?schema=\($0)" } ?? "")
    }

    /// A URL with its password (if any) replaced by `***`.
    static func redacted(_ url: String) -> String {
        guard var parts = URLComponents(string: url), parts.password != nil else { return url }
        parts.password = "***"
        return parts.string ?? "postgres://…"
    }

    /// The same database, another schema (the tests make one each).
    public func schema(_ name: String) -> PostgresLocation {
        var copy = self
        copy.schema = name
        return copy
    }

    /// - Parameter applicationName: what `pg_stat_activity` shows for the connection.
    func configuration(applicationName: String = "sop") throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        switch sslMode {
        case "disable": tls = .disable
        case "require": tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        default: tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var configuration = PostgresConnection.Configuration(host: host, port: port, username: user, password: password,
                                                             database: database, tls: tls)
        configuration.options.connectTimeout = .seconds(10)
        configuration.options.additionalStartupParameters = [("application_name", applicationName)]
        return configuration
    }
}

/// One PostgreSQL connection used from ordinary threads: every query blocks its caller until the
/// server answers. The connections' event loops (one thread for the writers, one for the readers)
/// never run our code, so a caller blocked here (a CLI command, the server's writer or a reader
/// thread) can never be the thread the answer needs.
final class BlockingConnection: @unchecked Sendable {
    /// The event loop of the connections that write (the CLI's, a server's writer) and the one
    /// of the connections that read beside them: a report streaming a million rows through its
    /// loop never delays the round trips of a step's transaction.
    static let writers = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    static let readers = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private static let logger = Logger(label: "sopkit.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
    private static let ids = NSLock()
    nonisolated(unsafe) private static var lastID = 0

    let location: PostgresLocation
    private let group: MultiThreadedEventLoopGroup
    private var connection: PostgresConnection?

    /// - Parameter reading: a reader connection (on the readers' event loop).
    init(_ location: PostgresLocation, reading: Bool = false) {
        self.location = location
        group = reading ? Self.readers : Self.writers
        applicationName = "sop \(reading ? "reader" : "writer") \(ProcessInfo.processInfo.processIdentifier)"
    }

    /// `sop writer PID` or `sop reader PID`: an operator (or a test) finds a process's
    /// connections in `pg_stat_activity`.
    let applicationName: String

    deinit {
        if let connection { _ = try? Self.wait(connection.close(), within: Self.quick) }
    }

    /// Whether a transaction is open. A connection lost inside one is not replaced until the
    /// transaction ends: a new connection would run the rest of its statements each in a
    /// transaction of its own, keeping half of what the lost one wrote.
    private var inTransaction = false

    /// Begins a transaction (connecting again first if the connection was lost). A BEGIN that
    /// finds its connection closed under it (the server cut it while it was idle, before we
    /// noticed) is sent once more on a new one: it had changed nothing.
    func begin(_ sql: String = "BEGIN") throws {
        let hadConnection = connection != nil
        do {
            try query(sql, within: Self.quick)
        } catch let failure as StoreFailure where hadConnection && connection == nil && failure.connectionLost {
            try query(sql, within: Self.quick)
        }
        inTransaction = true
    }

    /// Commits the transaction. When the connection is lost before the answer comes, whether it
    /// committed is unknown: the error says so (the server answers 503 and a retry with the same
    /// request id applies the step at most once).
    func commit() throws {
        defer { inTransaction = false }
        do {
            try query("COMMIT")
        } catch let failure as StoreFailure where failure.connectionLost {
            throw StoreFailure("the connection to the run store at \(location.display) was lost while committing: "
                               + "\(StoreFault.outcomeUnknown) (\(failure.description))", connectionLost: true)
        }
    }

    /// Rolls the transaction back; on a lost connection the server has already rolled it back.
    func rollback() {
        defer { inTransaction = false }
        _ = try? query("ROLLBACK", within: Self.quick)
    }

    /// The open connection; connects (again) when there is none or the server closed it, unless
    /// a transaction is open on it.
    private func connected() throws -> PostgresConnection {
        if let connection, !connection.isClosed { return connection }
        connection = nil
        guard !inTransaction else {
            throw StoreFailure("the connection to the run store at \(location.display) was lost in the middle of a transaction: "
                               + "none of it was kept", connectionLost: true)
        }
        let id = Self.ids.withLock { Self.lastID += 1; return Self.lastID }
        do {
            let configuration = try location.configuration(applicationName: applicationName)
            let opened = try Self.wait(PostgresConnection.connect(on: group.next(), configuration: configuration, id: id,
                                                                  logger: Self.logger))
            // A first statement that waits for nothing, within the quick bound, before the
            // connection is used: a connection cut as it opened can leave every statement sent
            // on it unanswered, and the first real one may be given minutes. The schema need
            // not exist yet (the migrations create it).
            let first = location.schema.map { "SET search_path TO \"\($0)\"" } ?? "SELECT 1"
            do {
                _ = try Self.wait(opened.query(PostgresQuery(unsafeSQL: first), logger: Self.logger), within: Self.quick)
            } catch {
                // Closed before it is let go (an open one would leak its socket; postgres-nio
                // asserts it).
                Self.close(opened)
                throw error
            }
            connection = opened
            return opened
        } catch {
            throw StoreFailure("the run store at \(location.display) cannot be reached: \(StoreFailure.describe(error))",
                               connectionLost: true)
        }
    }

    /// Runs one statement with its parameters and returns its rows and the number of rows it
    /// changed.
    @discardableResult
    func query(_ sql: String, _ binds: [PGValue] = [], within limit: DispatchTimeInterval = patient) throws -> (rows: [PostgresRow], changed: Int) {
        var bindings = PostgresBindings(capacity: binds.count)
        for bind in binds { bind.append(to: &bindings) }
        let connection = try connected()
        do {
            let result = try Self.wait(connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: Self.logger), within: limit)
            return (result.rows, result.metadata.rows ?? 0)
        } catch let error as NoAnswer {
            // Dropped without waiting for its close (which may not answer either); the server
            // rolls back what it held.
            self.connection = nil
            let dropped: EventLoopFuture<Void> = connection.close()
            _ = dropped
            throw StoreFailure("the run store at \(location.display) gave \(error) to a statement; the connection is dropped "
                               + "(in: \(sql.split(separator: "\n").first.map { String($0.prefix(80)) } ?? ""))", connectionLost: true)
        } catch {
            let failure = StoreFailure(error, sql: sql)
            if connection.isClosed || failure.connectionLost {
                self.connection = nil
                Self.close(connection)
            }
            throw failure
        }
    }

    /// Closes a connection that is let go, unless it is closed already.
    private static func close(_ connection: PostgresConnection) {
        guard !connection.isClosed else { return }
        // Not long: a connection that gave no answer may give none to its close either.
        _ = try? wait(connection.close(), within: .seconds(1))
    }

    /// Blocks until `future` completes. (`EventLoopFuture.wait()` refuses to run on any event
    /// loop thread, a server's included; ours never waits on its own loop.)
    ///
    /// `limit` bounds the wait: a connection the server cut while it was idle can leave a query
    /// sent on it unanswered for good (seen under repeated `pg_terminate_backend`: the writer
    /// waited on a `SAVEPOINT`, a reader on a token check, with the event loops idle), so an
    /// answer that does not come in time is `NoAnswer`, and the caller drops the connection.
    static func wait<T>(_ future: EventLoopFuture<T>, within limit: DispatchTimeInterval = patient) throws -> T {
        precondition(!future.eventLoop.inEventLoop, "a PostgreSQL query waited on its own event loop")
        let box = ResultBox<T>()
        future.whenComplete { result in
            box.lock.withLock { box.result = result }
            box.done.signal()
        }
        guard box.done.wait(timeout: .now() + limit) == .success else { throw NoAnswer(limit: limit) }
        return try box.lock.withLock { box.result! }.get()
    }

    /// How long a statement that waits for nothing (BEGIN, SAVEPOINT, a token check) may take.
    static let quick = DispatchTimeInterval.seconds(5)
    /// How long any other statement may take (a lock wait, a page of a report, a bulk insert).
    static let patient = DispatchTimeInterval.seconds(120)

    struct NoAnswer: Error, CustomStringConvertible {
        var limit: DispatchTimeInterval
        var description: String {
            if case .seconds(let s) = limit { return "no answer within \(s) s" }
            return "no answer in time"
        }
    }

    private final class ResultBox<T>: @unchecked Sendable {
        let lock = NSLock()
        var result: Result<T, Error>?
        let done = DispatchSemaphore(value: 0)
    }
}

/// A value bound to a statement's parameter.
enum PGValue {
    case text(String?)
    case int(Int64?)
    case texts([String])
    case ints([Int64])
    case bools([Bool])

    static func int(_ n: Int) -> PGValue { .int(Int64(n)) }

    /// A value `StoreSQL` bound.
    init(_ value: StoreValue) {
        switch value {
        case .text(let s): self = .text(s)
        case .int(let n): self = .int(n)
        case .null: self = .text(nil)
        }
    }

    func append(to bindings: inout PostgresBindings) {
        switch self {
        case .text(let s?): bindings.append(s)
        case .int(let n?): bindings.append(n)
        case .text(nil), .int(nil): bindings.appendNull()
        case .texts(let list): bindings.append(list)
        case .ints(let list): bindings.append(list)
        case .bools(let list): bindings.append(list)
        }
    }
}

/// A PostgreSQL failure as the store reports it: the server's message and SQLSTATE, never the
/// connection's password.
public struct StoreFailure: StoreFaultError, CustomStringConvertible {
    public var description: String
    /// The SQLSTATE code, when the server sent one.
    public var sqlState: String?
    /// Whether the connection was lost or never made (no answer came from the server).
    var connectionLost = false

    init(_ description: String, connectionLost: Bool = false) {
        self.description = description
        self.connectionLost = connectionLost
    }

    /// `message` in place of `error`'s own words, keeping what it says of the fault.
    init(_ message: String, from error: Error) {
        description = message
        if let failure = error as? StoreFailure {
            sqlState = failure.sqlState
            connectionLost = failure.connectionLost
        }
    }

    init(_ error: Error, sql: String, connectionLost: Bool = false) {
        if let failure = error as? StoreFailure {
            self = failure
            return
        }
        let psql = error as? PSQLError
        sqlState = psql?.serverInfo?[.sqlState]
        // The query got no answer: the connection closed or broke (or was never made).
        let lostCodes: [PSQLError.Code] = [.serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown]
        self.connectionLost = connectionLost || psql.map { lostCodes.contains($0.code) } ?? true
        let first = sql.split(separator: "\n").first.map { String($0.prefix(80)) } ?? ""
        description = "PostgreSQL: \(Self.describe(error)) (in: \(first))"
    }

    /// SQLSTATE classes and codes as faults: connection exceptions (08), the server shutting
    /// down or starting (57P01–57P03), a serialization failure or deadlock (40001, 40P01: the
    /// transaction was rolled back and can be tried again) and a lost connection are
    /// `unavailable`; a full disk (53100) is `full`; data corrupted (XX001, XX002) is `damaged`.
    public var storeFault: StoreFault? {
        guard let state = sqlState else { return connectionLost ? .unavailable : nil }
        switch state {
        case "53100": return .full
        case "XX001", "XX002": return .damaged
        case "57P01", "57P02", "57P03", "40001", "40P01", "53300": return .unavailable
        default: return state.hasPrefix("08") ? .unavailable : nil
        }
    }

    static func describe(_ error: Error) -> String {
        guard let psql = error as? PSQLError else { return "\(error)" }
        if let info = psql.serverInfo, let message = info[.message] {
            return message + (info[.sqlState].map { " [SQLSTATE \($0)]" } ?? "")
        }
        if let underlying = psql.underlying { return "\(underlying)" }
        return "\(psql.code)"
    }
}
