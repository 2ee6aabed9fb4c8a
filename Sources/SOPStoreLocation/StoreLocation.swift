import Foundation
import SOPStore
import SOPStorePostgres
import SOPStoreSQLite

/// Opens the store a `--store` option or `$SOP_STORE` names: a `postgres://` URL is a PostgreSQL
/// store, anything else the path of a SQLite file.
public enum StoreLocation {
    /// Where runs live when neither `--store` nor `$SOP_STORE` says.
    public static let defaultPath = ".sop/runs.sqlite"

    /// The `--store` option's help, the same in `sop` and `sopd`.
    public static let help = "Where runs live: a SQLite file or a postgres:// URL (default \(defaultPath), or $SOP_STORE)."

    /// The location a command uses: the `--store` given, else `$SOP_STORE`, else the default. An
    /// empty `$SOP_STORE` counts as unset (docs/decisions.md).
    public static func resolve(_ given: String?) -> String {
        if let given { return given }
        if let value = getenv("SOP_STORE"), value.pointee != 0 { return String(cString: value) }
        return defaultPath
    }

    /// - Parameters:
    ///   - memoryMapped: read a SQLite file through a memory map (a command line's scans); a
    ///     long-running server turns it off.
    ///   - readers: on PostgreSQL, the connections reads may use beside the writer's (a server's
    ///     reader threads; 0: reads share the writer's). A SQLite store always reads on
    ///     connections of its own.
    public static func open(_ location: String, memoryMapped: Bool = true, readers: Int = 0) throws -> any RunStore {
        if PostgresLocation.isPostgres(location) { return try PostgresRunStore(url: location, readers: readers) }
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
