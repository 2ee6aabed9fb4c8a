import Foundation
import SOPStore
import SOPStorePostgres
import SOPStoreSQLite

/// Opens the store a `--store` option or `$SOP_STORE` names: a `postgres://` URL is a PostgreSQL
/// store, anything else the path of a SQLite file.
public enum StoreLocation {
    public static func open(_ location: String, memoryMapped: Bool = true) throws -> any RunStore {
        if PostgresLocation.isPostgres(location) { return try PostgresRunStore(url: location) }
        return try SQLiteRunStore(path: location, memoryMapped: memoryMapped)
    }

    /// Whether a store may be there to read: any `postgres://` URL (the server answers), or a
    /// path where a file exists (opening a missing path would create an empty store).
    public static func mayExist(_ location: String) -> Bool {
        PostgresLocation.isPostgres(location) || FileManager.default.fileExists(atPath: location)
    }

    /// The location as messages show it (a URL without its password).
    public static func display(_ location: String) -> String {
        guard PostgresLocation.isPostgres(location) else { return location }
        return (try? PostgresLocation(location).display) ?? "postgres://…"
    }
}
