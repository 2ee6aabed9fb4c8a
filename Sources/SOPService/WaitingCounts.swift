import SOPStore

extension RunService {
    /// How many runs of `sop` wait in each state, leaving out those pinned to `excludingDigest`
    /// (the version being compared with): what `sop diff --store` marks migrations by. One
    /// grouped count in a read snapshot, not a read of every run.
    public func waitingCounts(sop: String, excludingDigest: String?) throws -> [String: Int] {
        try store.read { try $0.waitingCounts(sop: sop, excludingDigest: excludingDigest) }
    }
}
