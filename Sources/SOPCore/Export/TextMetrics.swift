/// The size of text in our SVG drawings, estimated without a font: the layout reserves room with
/// it and the tests that look for overlaps measure with it, so both agree by construction.
///
/// The estimate is a fixed width per character, 0.6 em, which is wider than the average of the
/// sans-serif fonts browsers pick (0.5–0.55 em for mixed text), so the real text fits in the box
/// reserved for it. A line's box reaches 0.8 em above its baseline and 0.25 em below.
public enum TextMetrics {
    public static let emPerCharacter = 0.6
    public static let ascent = 0.8, descent = 0.25

    public static func width(_ text: String, fontSize: Double) -> Double {
        Double(text.count) * fontSize * emPerCharacter
    }

    /// The distance between the baselines of two lines.
    public static func lineHeight(fontSize: Double) -> Double { fontSize * 1.3 }

    /// `text` broken at spaces into lines of at most `columns` characters where it can be (a
    /// longer word stays whole, and a number like "2." is not left alone on its line).
    public static func wrap(_ text: String, columns: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            if line.isEmpty {
                line = String(word)
            } else if line.count + 1 + word.count <= columns || line.count <= 3 {
                // A short start ("1.", "2.") stays with the word after it.
                line += " " + word
            } else {
                lines.append(line)
                line = String(word)
            }
        }
        if !line.isEmpty { lines.append(line) }
        return lines.isEmpty ? [""] : lines
    }
}
