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

    /// The reader connections a server's PostgreSQL store may open (its reader threads, the long
    /// read's included, and its token checks run on them).
    public static let serverReaders = 6

    /// - Parameters:
    ///   - memoryMapped: read a SQLite file through a memory map (a command line's scans); a
    ///     long-running server turns it off.
    ///   - server: open the store as a server uses it: on PostgreSQL, reads on connections of
    ///     their own beside the writer's (`serverReaders`); on SQLite (whose reads always have
    ///     connections of their own), WAL checkpoints on a thread of their own, never in a step's
    ///     commit.
    public static func open(_ location: String, memoryMapped: Bool = true, server: Bool = false) throws -> any RunStore {
        if PostgresLocation.isPostgres(location) { return try PostgresRunStore(url: location, readers: server ? serverReaders : 0) }
        return try SQLiteRunStore(path: location, memoryMapped: memoryMapped, backgroundCheckpoints: server)
    }

    /// A new, empty store that lives only in memory (the console's authors' sandbox).
    public static func inMemory() throws -> any RunStore {
        try SQLiteRunStore.inMemory()
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
