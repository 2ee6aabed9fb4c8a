import Foundation
import SOPCore
import SOPStore

/// A version of an SOP that runs in flight are pinned to, with how many: what the console's
/// migration page draws beside the version the runs would move to.
public struct PinnedVersion: Sendable {
    public var sop: CompiledSOP
    public var runs: Int
}

extension RunService {
    /// Whether `who` may migrate runs (`migrator`): the console offers its migration page only then.
    public static func mayMigrate(_ who: Acting) -> Bool {
        (try? migrator(who)) != nil
    }

    /// The versions the runs in flight of SOP `id` are pinned to, most runs first (then the
    /// newest), for a caller who may migrate (else `forbidden`). Reads every run in flight of
    /// the SOP, a page at a time, in one snapshot.
    public func pinnedVersions(of id: String, as who: Acting) throws -> [PinnedVersion] {
        _ = try Self.migrator(who)
        return try store.read { tx in
            var counts: [String: (schema: String?, runs: Int)] = [:]
            var after: Int64?
            repeat {
                let page = try tx.runPage(RunFilter(sops: [id], status: "waiting", after: after, limit: Self.migrationPage))
                for row in try tx.runs(page.runs.map(\.run)).values {
                    counts[row.sopDigest, default: (row.schemaDigest, 0)].runs += 1
                }
                after = page.next
            } while after != nil
            return try counts.map { digest, pin in
                PinnedVersion(sop: try self.pinnedEngine(sop: digest, schema: pin.schema, tx).sop, runs: pin.runs)
            }.sorted { ($0.runs, $0.sop.version, $0.sop.digest) > ($1.runs, $1.sop.version, $1.sop.digest) }
        }
    }
}
