import SOPDiagnostics

/// Safety limits that keep hostile YAML from hanging or exhausting the linter. Passing any of them
/// is a `yaml-limit` diagnostic and the parse stops at once.
public struct YAMLLimits: Sendable, Hashable {
    /// Largest file read, in bytes (default 8 MiB).
    public var maxFileSize: Int
    /// Deepest nesting of collections (default 64; real SOPs nest about 10 deep).
    public var maxDepth: Int
    /// Most nodes that aliases may add by expansion (default 100,000), which stops alias bombs.
    public var maxAliasExpansion: Int

    public static let defaultMaxFileSize = 8 * 1024 * 1024
    /// The largest file any limit allows (1 GiB): a document addresses its nodes and text with
    /// 32-bit offsets.
    public static let hardMaxFileSize = 1 << 30

    public init(maxFileSize: Int = YAMLLimits.defaultMaxFileSize, maxDepth: Int = 64,
                maxAliasExpansion: Int = 100_000) {
        self.maxFileSize = maxFileSize
        self.maxDepth = maxDepth
        self.maxAliasExpansion = maxAliasExpansion
    }

    /// The problem with a file of `size` bytes over `maxFileSize`, found without reading it.
    public func sizeProblem(size: Int) -> YAMLProblem? {
        let limit = min(maxFileSize, YAMLLimits.hardMaxFileSize)
        guard size > limit else { return nil }
        return YAMLProblem(
            .limit, at: .fileStart, "the file is \(size) bytes, over the limit of \(limit) bytes",
            help: "split the SOP into smaller ones, or raise the limit with --max-file-size")
    }
}
