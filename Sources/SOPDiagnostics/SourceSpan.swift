/// A 1-based line and column; columns count Unicode scalars, as libyaml's marks do.
public struct SourcePosition: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    @inlinable
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    @inlinable
    public static func < (a: SourcePosition, b: SourcePosition) -> Bool {
        (a.line, a.column) < (b.line, b.column)
    }

    public var description: String { "\(line):\(column)" }
}

/// A half-open range of source text: `end` is the position just past the last character.
public struct SourceSpan: Sendable, Hashable, CustomStringConvertible {
    public var start: SourcePosition
    public var end: SourcePosition

    @inlinable
    public init(start: SourcePosition, end: SourcePosition) {
        self.start = start
        self.end = max(start, end)
    }

    /// A span covering one character at `position`.
    public init(at position: SourcePosition) {
        self.init(start: position, end: SourcePosition(line: position.line, column: position.column + 1))
    }

    public static let fileStart = SourceSpan(at: SourcePosition(line: 1, column: 1))

    public var description: String { "\(start)-\(end)" }
}
