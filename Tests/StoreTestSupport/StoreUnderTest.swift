import Foundation
import SOPStore
import SOPStoreLocation
import SOPStorePostgres

/// The store the store tests run against. By default a SQLite file in the test's folder; with
/// `SOP_TEST_POSTGRES` set to a PostgreSQL URL (scripts/test sets it), a fresh schema of that
/// database for each test, so one suite checks both stores.
public enum StoreUnderTest {
    public static let postgres: PostgresLocation? = {
        guard let url = ProcessInfo.processInfo.environment["SOP_TEST_POSTGRES"], !url.isEmpty else { return nil }
        return try? PostgresLocation(url)
    }()

    /// The SQL dialect of the store under test.
    public static var dialect: SQLDialect { postgres == nil ? .sqlite : .postgres }

    /// A new, empty store under test in `dir`.
    public static func fresh(in dir: URL) throws -> any RunStore {
        try open(newLocation(in: dir))
    }

    /// Which store the suite runs against, for messages.
    public static var name: String { postgres == nil ? "SQLite" : "PostgreSQL" }

    /// A new, empty store's location: a file in `dir`, or a new schema on the test server.
    public static func newLocation(in dir: URL) -> String {
        guard let postgres else { return dir.appendingPathComponent("runs.sqlite").path }
        let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        var location = postgres.schema(String(schema))
        location.password = nil
        return "postgres://\(location.user)@\(location.host):\(location.port)/\(location.database)?sslmode=disable&schema=\(schema)"
    }

    public static func open(_ location: String) throws -> any RunStore {
        try StoreLocation.open(location)
    }
}
