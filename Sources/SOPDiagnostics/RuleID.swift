/// Severity of a diagnostic, as docs/lint-rules.md assigns it to each rule.
public enum Severity: String, Sendable, Hashable, Comparable {
    case error
    case warning

    public static func < (a: Severity, b: Severity) -> Bool { a == .error && b == .warning }
}

/// A lint rule's id, such as `unknown-key`: what a diagnostic carries, a suppression names and
/// SARIF lists. Ids are declared by the rules alone, one file each under
/// `Sources/SOPCore/Lint/Rules`; `LintRules.all` in SOPCore is the catalogue of them.
public struct RuleID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(_ rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }

    public static func < (a: RuleID, b: RuleID) -> Bool { a.rawValue < b.rawValue }

    /// The rule's name in PascalCase, as SARIF viewers show it: `UnknownState`.
    public var pascalCaseName: String {
        rawValue.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }
}

/// What every lint rule declares about itself. A rule is a type in its own file under
/// `Sources/SOPCore/Lint/Rules`, named after its id (`unknown-key` → `UnknownKeyRule`); the
/// code that finds a problem reports it through the rule's type, so a reader finds the rule,
/// its wording and its example in one place.
public protocol LintRule: Sendable {
    static var id: RuleID { get }
    static var severity: Severity { get }
    /// One sentence on what the rule catches: SARIF's description, docs/lint-rules.md's table.
    static var summary: String { get }
    /// A line or a few of an SOP that break the rule, and the same lines fixed. The bad lines
    /// appear in the rule's golden fixture, and the fixture with them fixed no longer reports
    /// the rule (both are tested); docs/lint-rules.md shows them.
    static var example: RuleExample { get }
    /// Further notes for docs/lint-rules.md; empty unless the rule says more.
    static var details: String { get }
    /// The language of the example's text, for docs/lint-rules.md's code blocks: `yaml`, or
    /// `json` for the ticket schema's rules.
    static var exampleLanguage: String { get }
}

extension LintRule {
    public static var details: String { "" }
    public static var exampleLanguage: String { "yaml" }
}

/// A rule's example: `bad` text that triggers it and `good` text that does not.
public struct RuleExample: Sendable {
    public var bad: String
    public var good: String

    public init(bad: String, good: String) {
        self.bad = bad
        self.good = good
    }
}
