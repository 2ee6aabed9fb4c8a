import Foundation

/// The regular expressions of input `pattern`s: Swift's regex syntax (which accepts the
/// JSON Schema / ECMAScript forms authors write: classes, quantifiers, groups, anchors,
/// `\d` `\w` `\s`), searched anywhere in the answer as JSON Schema's `pattern` is.
public enum InputPattern {
    /// Why `pattern` is not a valid regular expression; nil when it is.
    public static func problem(_ pattern: String) -> String? {
        do {
            _ = try Regex(pattern)
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// True when `text` contains a match of `pattern` (an invalid pattern matches nothing).
    public static func matches(_ text: String, _ pattern: String) -> Bool {
        guard let regex = try? Regex(pattern) else { return false }
        return (try? regex.firstMatch(in: text)) != nil
    }
}
