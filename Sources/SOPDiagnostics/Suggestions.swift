/// "Did you mean" candidates: the closest name by edit distance, when it is close enough to be a
/// plausible typo (at most a third of the word's length, and at least one edit allowed).
public enum Suggestions {
    public static func closest<S: Sequence>(to word: String, in candidates: S) -> String?
    where S.Element == String {
        let target = Array(word.lowercased().unicodeScalars)
        let limit = max(1, target.count / 3)
        var best: (name: String, distance: Int)?
        for candidate in candidates where candidate != word {
            let d = distance(target, Array(candidate.lowercased().unicodeScalars), limit: limit)
            if d <= limit, best == nil || d < best!.distance {
                best = (candidate, d)
            }
        }
        return best?.name
    }

    /// `did you mean 'x'?`, or nil when nothing is close.
    public static func didYouMean<S: Sequence>(_ word: String, in candidates: S) -> String?
    where S.Element == String {
        closest(to: word, in: candidates).map { "did you mean '\($0)'?" }
    }

    /// The did-you-mean help for a misspelt word written at `span`, with its fix: the word
    /// replaced by the closest candidate.
    public static func didYouMean<S: Sequence>(_ word: String, at span: SourceSpan, in candidates: S) -> (help: String, fix: Diagnostic.Fix)?
    where S.Element == String {
        closest(to: word, in: candidates).map { meant(word, at: span, as: $0) }
    }

    /// The did-you-mean help and fix for `word` at `span` when it is known to mean `meant` (the
    /// closest candidate, or a synonym such as `condition` for `when`).
    public static func meant(_ word: String, at span: SourceSpan, as meant: String) -> (help: String, fix: Diagnostic.Fix) {
        ("did you mean '\(meant)'?", Diagnostic.Fix(title: "Change '\(word)' to '\(meant)'", span: span, replacement: meant))
    }

    /// Levenshtein distance with transpositions counted as one edit; stops early past `limit`.
    static func distance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar], limit: Int) -> Int {
        if abs(a.count - b.count) > limit { return limit + 1 }
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            var rowMin = current[0]
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    value = min(value, previous2[j - 2] + 1)
                }
                current[j] = value
                rowMin = min(rowMin, value)
            }
            if rowMin > limit { return limit + 1 }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }
}
