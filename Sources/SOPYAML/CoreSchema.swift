/// Resolution of plain scalars by the YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution),
/// and of the standard `!!` tags.
public enum CoreSchema {
    public static let strTag = "tag:yaml.org,2002:str"
    public static let intTag = "tag:yaml.org,2002:int"
    public static let floatTag = "tag:yaml.org,2002:float"
    public static let boolTag = "tag:yaml.org,2002:bool"
    public static let nullTag = "tag:yaml.org,2002:null"

    /// Resolves a scalar given its tag (nil when untagged or non-specific) and whether it was plain.
    public static func resolve(_ text: String, tag: String?, plain: Bool) -> ResolvedScalar {
        switch tag {
        case strTag: return .string(text)
        case intTag: return resolveInt(text).map(ResolvedScalar.int) ?? .string(text)
        case floatTag:
            if let i = resolveInt(text) { return .float(Double(i)) }
            return resolveFloat(text).map(ResolvedScalar.float) ?? .string(text)
        case boolTag: return resolveBool(text).map(ResolvedScalar.bool) ?? .string(text)
        case nullTag: return resolveNull(text) ? .null : .string(text)
        default:
            // `!` (non-specific) forces a string; other tags are the SOP loader's to judge.
            return plain && tag != "!" ? resolvePlain(text) : .string(text)
        }
    }

    public static func resolvePlain(_ text: String) -> ResolvedScalar {
        guard let c = text.utf8.first else { return .null }
        // Fast path: most plain scalars are words, which cannot be anything but strings.
        let mayBeSpecial = (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x2B || c == 0x2E
            || c == 0x74 || c == 0x54 || c == 0x66 || c == 0x46 || c == 0x6E || c == 0x4E || c == 0x7E
        guard mayBeSpecial else { return .string(text) }
        // Words starting with t, f, n or ~ (`title`, `to`, `false`): only five-letter or shorter
        // ones can be booleans or null, and none of them can be a number.
        let isLetter = c == 0x74 || c == 0x54 || c == 0x66 || c == 0x46 || c == 0x6E || c == 0x4E || c == 0x7E
        if isLetter {
            guard text.utf8.count <= 5 else { return .string(text) }
            if resolveNull(text) { return .null }
            if let b = resolveBool(text) { return .bool(b) }
            return .string(text)
        }
        if resolveNull(text) { return .null }
        if let b = resolveBool(text) { return .bool(b) }
        if let i = resolveInt(text) { return .int(i) }
        if let f = resolveFloat(text) { return .float(f) }
        return .string(text)
    }

    static func resolveNull(_ t: String) -> Bool {
        t.isEmpty || t == "~" || t == "null" || t == "Null" || t == "NULL"
    }

    static func resolveBool(_ t: String) -> Bool? {
        switch t {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: return nil
        }
    }

    /// `[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+`; nil when it does not match or does not fit in Int.
    static func resolveInt(_ t: String) -> Int? {
        let u = Array(t.utf8)
        guard !u.isEmpty else { return nil }
        if u.count > 2, u[0] == 0x30, u[1] == 0x6F {
            return u[2...].allSatisfy({ $0 >= 0x30 && $0 <= 0x37 }) ? Int(String(t.dropFirst(2)), radix: 8) : nil
        }
        if u.count > 2, u[0] == 0x30, u[1] == 0x78 {
            return u[2...].allSatisfy(isHexDigit) ? Int(String(t.dropFirst(2)), radix: 16) : nil
        }
        var digits = u[...]
        if digits.first == 0x2D || digits.first == 0x2B { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.allSatisfy(isDigit) else { return nil }
        return Int(t.first == "+" ? String(t.dropFirst()) : t)
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, `[-+]?\.inf`, `\.nan` (and case variants).
    static func resolveFloat(_ t: String) -> Double? {
        switch t {
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .infinity
        case "-.inf", "-.Inf", "-.INF": return -.infinity
        case ".nan", ".NaN", ".NAN": return .nan
        default: break
        }
        let u = Array(t.utf8)
        var i = 0
        if i < u.count, u[i] == 0x2D || u[i] == 0x2B { i += 1 }
        var intDigits = 0, fracDigits = 0
        while i < u.count, isDigit(u[i]) { i += 1; intDigits += 1 }
        if i < u.count, u[i] == 0x2E {
            i += 1
            while i < u.count, isDigit(u[i]) { i += 1; fracDigits += 1 }
        }
        // `[0-9]+` alone, `[0-9]+.`, `.[0-9]+` and `[0-9]+.[0-9]+` are valid mantissas.
        guard intDigits > 0 || fracDigits > 0 else { return nil }
        if i < u.count, u[i] == 0x65 || u[i] == 0x45 {
            i += 1
            if i < u.count, u[i] == 0x2D || u[i] == 0x2B { i += 1 }
            var expDigits = 0
            while i < u.count, isDigit(u[i]) { i += 1; expDigits += 1 }
            guard expDigits > 0 else { return nil }
        }
        guard i == u.count else { return nil }
        return Double(t)
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    private static func isHexDigit(_ b: UInt8) -> Bool {
        isDigit(b) || (b >= 0x61 && b <= 0x66) || (b >= 0x41 && b <= 0x46)
    }
}
