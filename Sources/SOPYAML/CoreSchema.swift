/// Resolution of plain scalars by the YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution),
/// and of the standard `!!` tags. It reads UTF-8 bytes; the `String` forms are for callers that
/// hold text.
public enum CoreSchema {
    public static let strTag = "tag:yaml.org,2002:str"
    public static let intTag = "tag:yaml.org,2002:int"
    public static let floatTag = "tag:yaml.org,2002:float"
    public static let boolTag = "tag:yaml.org,2002:bool"
    public static let nullTag = "tag:yaml.org,2002:null"

    /// A resolved scalar without its text: the type and, for null, bool, int and float, the value's bits.
    public struct Resolution: Equatable, Sendable {
        public var type: ScalarType
        public var payload: UInt64

        static let null = Resolution(type: .null, payload: 0)
        static let string = Resolution(type: .string, payload: 0)
        static func bool(_ b: Bool) -> Resolution { Resolution(type: .bool, payload: b ? 1 : 0) }
        static func int(_ i: Int) -> Resolution { Resolution(type: .int, payload: UInt64(bitPattern: Int64(i))) }
        static func float(_ d: Double) -> Resolution { Resolution(type: .float, payload: d.bitPattern) }

        func value(text: @autoclosure () -> String) -> ResolvedScalar {
            switch type {
            case .null: return .null
            case .bool: return .bool(payload != 0)
            case .int: return .int(Int(truncatingIfNeeded: payload))
            case .float: return .float(Double(bitPattern: payload))
            case .string: return .string(text())
            }
        }
    }

    /// Resolves a scalar given its tag (nil when untagged or non-specific) and whether it was plain.
    public static func resolve(_ bytes: UnsafeBufferPointer<UInt8>, tag: String?, plain: Bool) -> Resolution {
        guard let tag else { return plain ? resolvePlain(bytes) : .string }
        switch tag {
        case strTag: return .string
        case intTag: return resolveInt(bytes).map(Resolution.int) ?? .string
        case floatTag:
            if let i = resolveInt(bytes) { return .float(Double(i)) }
            return resolveFloat(bytes).map(Resolution.float) ?? .string
        case boolTag: return resolveBool(bytes).map(Resolution.bool) ?? .string
        case nullTag: return resolveNull(bytes) ? .null : .string
        default:
            // `!` (non-specific) forces a string; other tags are the SOP loader's to judge.
            return plain && tag != "!" ? resolvePlain(bytes) : .string
        }
    }

    /// What a standard tag promises, for telling an author the text does not keep the promise
    /// (nil for `!!str` and tags that are not the core schema's).
    static func expectation(of tag: String) -> String? {
        switch tag {
        case intTag: return "a whole number"
        case floatTag: return "a number"
        case boolTag: return "true or false"
        case nullTag: return "null (null, ~ or nothing)"
        default: return nil
        }
    }

    /// `!!bool` for `tag:yaml.org,2002:bool`.
    static func shortName(_ tag: String) -> String {
        tag.hasPrefix("tag:yaml.org,2002:") ? "!!" + tag.dropFirst("tag:yaml.org,2002:".count) : tag
    }

    public static func resolve(_ text: String, tag: String?, plain: Bool) -> ResolvedScalar {
        var text = text
        return text.withUTF8 { resolve($0, tag: tag, plain: plain) }.value(text: text)
    }

    public static func resolvePlain(_ text: String) -> ResolvedScalar {
        var text = text
        return text.withUTF8 { resolvePlain($0) }.value(text: text)
    }

    public static func resolvePlain(_ u: UnsafeBufferPointer<UInt8>) -> Resolution {
        guard let c = u.first else { return .null }
        // Most plain scalars are words, which cannot be anything but strings.
        let isLetter = c == 0x74 || c == 0x54 || c == 0x66 || c == 0x46 || c == 0x6E || c == 0x4E || c == 0x7E  // t T f F n N ~
        let mayBeNumber = (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x2B || c == 0x2E  // digit - + .
        if isLetter {
            // Only five letters or fewer can be null or a boolean, and none of them a number.
            guard u.count <= 5 else { return .string }
            if resolveNull(u) { return .null }
            if let b = resolveBool(u) { return .bool(b) }
            return .string
        }
        guard mayBeNumber else { return .string }
        if let i = resolveInt(u) { return .int(i) }
        if let f = resolveFloat(u) { return .float(f) }
        return .string
    }

    static func resolveNull(_ t: UnsafeBufferPointer<UInt8>) -> Bool {
        t.isEmpty || equals(t, "~") || equals(t, "null") || equals(t, "Null") || equals(t, "NULL")
    }

    static func resolveBool(_ t: UnsafeBufferPointer<UInt8>) -> Bool? {
        if equals(t, "true") || equals(t, "True") || equals(t, "TRUE") { return true }
        if equals(t, "false") || equals(t, "False") || equals(t, "FALSE") { return false }
        return nil
    }

    /// `[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+`; nil when it does not match or does not fit in Int.
    static func resolveInt(_ u: UnsafeBufferPointer<UInt8>) -> Int? {
        guard !u.isEmpty else { return nil }
        if u.count > 2, u[0] == 0x30, u[1] == 0x6F { return accumulate(u, from: 2, radix: 8, negative: false) }
        if u.count > 2, u[0] == 0x30, u[1] == 0x78 { return accumulate(u, from: 2, radix: 16, negative: false) }
        let signed = u[0] == 0x2D || u[0] == 0x2B
        guard !signed || u.count > 1 else { return nil }
        return accumulate(u, from: signed ? 1 : 0, radix: 10, negative: u[0] == 0x2D)
    }

    /// The digits of `u` from `start` in `radix`; nil for a character that is not a digit or a
    /// value that does not fit in Int.
    private static func accumulate(_ u: UnsafeBufferPointer<UInt8>, from start: Int, radix: Int, negative: Bool) -> Int? {
        var value = 0
        for i in start..<u.count {
            let b = u[i]
            let digit: Int
            switch b {
            case 0x30...0x39: digit = Int(b - 0x30)
            case 0x61...0x66: digit = Int(b - 0x61) + 10
            case 0x41...0x46: digit = Int(b - 0x41) + 10
            default: return nil
            }
            guard digit < radix else { return nil }
            let (shifted, o1) = value.multipliedReportingOverflow(by: radix)
            let (next, o2) = negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
            guard !o1, !o2 else { return nil }
            value = next
        }
        return value
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, `[-+]?\.inf`, `\.nan` (and case variants).
    static func resolveFloat(_ u: UnsafeBufferPointer<UInt8>) -> Double? {
        if equals(u, ".inf") || equals(u, ".Inf") || equals(u, ".INF") || equals(u, "+.inf") || equals(u, "+.Inf")
            || equals(u, "+.INF") { return .infinity }
        if equals(u, "-.inf") || equals(u, "-.Inf") || equals(u, "-.INF") { return -.infinity }
        if equals(u, ".nan") || equals(u, ".NaN") || equals(u, ".NAN") { return .nan }
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
        return Double(String(decoding: u, as: UTF8.self))
    }

    private static func equals(_ u: UnsafeBufferPointer<UInt8>, _ s: StaticString) -> Bool {
        guard u.count == s.utf8CodeUnitCount else { return false }
        let p = s.utf8Start
        for i in 0..<u.count where u[i] != p[i] { return false }
        return true
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
}
