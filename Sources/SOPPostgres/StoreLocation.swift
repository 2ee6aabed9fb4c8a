import SOPStore

/// Opens the store a `--store` option or `$SOP_STORE` names: a `postgres://` URL is a PostgreSQL
/// store, anything else the path of a SQLite file.
public enum StoreLocation {
    public static func open(_ location: String, memoryMapped: Bool = true) throws -> any RunStore {
        if PostgresLocation.isPostgres(location) { return try PostgresRunStore(url: location) }
        return try SQLiteRunStore(path: location, memoryMapped: memoryMapped)
    }

    /// The location as messages show it (a URL without its password).
    public static func display(_ location: String) -> String {
        guard PostgresLocation.isPostgres(location) else { return location }
        return (try? PostgresLocation(location).display) ?? "postgres://…"
    }
}
