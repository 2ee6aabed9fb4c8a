/// The names after a path's root: `customer.tier` in `ticket.customer.tier`.
///
/// Kept as their dotted text rather than an array: typical paths have one or two short names,
/// which fit in one small string, so a path costs no allocation. Names never contain `.` (the
/// lexer splits on it), so the text is unambiguous.
public struct PathSegments: Sendable, Hashable, Sequence, ExpressibleByArrayLiteral, CustomStringConvertible {
    /// The names joined by `.`; empty when there are none.
    public let dotted: String
    /// How many names there are.
    public let count: Int

    /// No names: a bare root such as `now`.
    public init() {
        dotted = ""
        count = 0
    }

    public init(_ names: [String]) {
        dotted = names.joined(separator: ".")
        count = names.count
    }

    public init(arrayLiteral names: String...) {
        self.init(names)
    }

    /// Appends one name (the parser's way of building a path).
    mutating func append(_ name: String) {
        self = PathSegments(dotted: count == 0 ? name : dotted + "." + name, count: count + 1)
    }

    private init(dotted: String, count: Int) {
        self.dotted = dotted
        self.count = count
    }

    public var isEmpty: Bool { count == 0 }

    /// The first name, if any.
    public var first: String? {
        guard count > 0 else { return nil }
        guard count > 1, let dot = dotted.utf8.firstIndex(of: UInt8(ascii: ".")) else { return dotted }
        return String(dotted[..<dot])
    }

    /// The names as an array (allocates; for code that runs once per expression, not per check).
    public var array: [String] { Array(self) }

    /// Whether the path is exactly the one name `name`.
    public func isOnly(_ name: String) -> Bool { count == 1 && dotted == name }

    public var description: String { dotted }

    public func makeIterator() -> Iterator { Iterator(rest: count == 0 ? nil : dotted[...]) }

    /// The names, in order.
    public struct Iterator: IteratorProtocol {
        var rest: Substring?

        public mutating func next() -> String? {
            guard let text = rest else { return nil }
            if let dot = text.utf8.firstIndex(of: UInt8(ascii: ".")) {
                rest = text[text.utf8.index(after: dot)...]
                return String(text[..<dot])
            }
            rest = nil
            return String(text)
        }
    }
}
