/// The tables and columns a store's database actually holds (`StoreTransaction.schema()`), as
/// its own catalogue reports them, to be checked against the description (`StoreTable`).
public struct StoreSchema: Sendable, Equatable {
    /// A column as the database reports it: its type in the store's words mapped to
    /// `StoreTable.ColumnType`'s names where it is one of them ("integer", "text"), else as the
    /// database names it.
    public struct Column: Sendable, Equatable {
        public var name: String
        public var type: String
        public var nullable: Bool

        public init(name: String, type: String, nullable: Bool) {
            self.name = name
            self.type = type
            self.nullable = nullable
        }
    }

    /// Every table of the store but its own bookkeeping (the list of applied migrations), by name.
    public var tables: [String: [Column]]

    public init(tables: [String: [Column]]) {
        self.tables = tables
    }

    /// How the schema differs from `StoreTable`'s description, one line per difference (empty
    /// when they agree). A store whose dialect declares creation columns must have each one as a
    /// non-null integer; column order is not compared (queries name their columns).
    public func differences(_ dialect: SQLDialect) -> [String] {
        var out: [String] = []
        let described = Set(StoreTable.allCases.map(\.name))
        for name in tables.keys.sorted() where !described.contains(name) {
            out.append("the store has a table '\(name)' the description does not")
        }
        for table in StoreTable.allCases {
            guard let actual = tables[table.name] else {
                out.append("the store has no table '\(table.name)'")
                continue
            }
            var expected = table.columns.map { Column(name: $0.name, type: $0.type.rawValue, nullable: $0.nullable) }
            if dialect.declaresCreationColumn, let position = table.creationColumn {
                expected.append(Column(name: position, type: StoreTable.ColumnType.integer.rawValue, nullable: false))
            }
            for column in expected {
                guard let found = actual.first(where: { $0.name == column.name }) else {
                    out.append("\(table.name) has no column '\(column.name)'")
                    continue
                }
                if found.type != column.type {
                    out.append("\(table.name).\(column.name) is \(found.type), described as \(column.type)")
                }
                if found.nullable != column.nullable {
                    out.append("\(table.name).\(column.name) is \(found.nullable ? "nullable" : "not null"), described as "
                        + (column.nullable ? "nullable" : "not null"))
                }
            }
            for column in actual where !expected.contains(where: { $0.name == column.name }) {
                out.append("\(table.name) has a column '\(column.name)' the description does not")
            }
        }
        return out
    }
}
