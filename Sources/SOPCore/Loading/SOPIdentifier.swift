/// The id syntax of docs/format.md: `^[a-z][a-z0-9_-]*$`.
public enum SOPIdentifier {
    public static func isValid(_ s: String) -> Bool {
        var s = s
        return s.withUTF8(isValid)
    }

    public static func isValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var first = true
        for b in bytes {
            let lower = b >= 0x61 && b <= 0x7A
            if first {
                guard lower else { return false }
                first = false
            } else {
                guard lower || (b >= 0x30 && b <= 0x39) || b == 0x5F || b == 0x2D else { return false }
            }
        }
        return !first
    }

    /// A valid id close to `s`, for the fix: lower-cased, other characters as `_`.
    public static func suggestion(for s: String) -> String? {
        var out = ""
        for ch in s.lowercased().unicodeScalars {
            if (ch >= "a" && ch <= "z") || (ch >= "0" && ch <= "9") || ch == "-" || ch == "_" {
                out.unicodeScalars.append(ch)
            } else if !out.hasSuffix("_") {
                out += "_"
            }
        }
        while let f = out.unicodeScalars.first, !(f >= "a" && f <= "z") { out.unicodeScalars.removeFirst() }
        while out.hasSuffix("_") { out.removeLast() }
        return isValid(out) ? out : nil
    }
}
