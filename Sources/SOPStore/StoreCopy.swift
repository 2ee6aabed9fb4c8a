import Foundation

/// `sop store copy`: every table of one store into another, in one transaction of the target.
public enum StoreCopy {
    public struct Refused: Error, CustomStringConvertible {
        public var description: String
    }

    /// Copies every row of `source` into `target`, which must hold no runs and no tokens; rows
    /// keep their order (runs their creation order, the journal its commit order) and their bytes,
    /// so every hash chain is unchanged. All of it is copied, or nothing. Returns the rows copied
    /// per table.
    @discardableResult
    public static func copy(from source: any RunStore, to target: any RunStore, batch: Int = 1000) throws -> [(StoreTable, Int)] {
        try source.read { from in
            try target.transaction { to in
                guard try to.isEmpty() else {
                    throw Refused(description: "\(target.path) already holds runs or tokens; copy into an empty store")
                }
                var counts: [(StoreTable, Int)] = []
                for table in StoreTable.allCases {
                    var rows: [[StoreValue]] = []
                    var count = 0
                    try from.exportRows(table) { row in
                        rows.append(row)
                        count += 1
                        if rows.count == batch {
                            try to.importRows(table, rows)
                            rows.removeAll(keepingCapacity: true)
                        }
                    }
                    if !rows.isEmpty { try to.importRows(table, rows) }
                    counts.append((table, count))
                }
                return counts
            }
        }
    }
}
