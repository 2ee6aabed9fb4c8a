import Foundation

/// A JSON value whose objects keep their keys in the order given, so output shapes match the
/// contracts in docs/cli.md key for key. `render()` writes compact JSON, UTF-8 kept as is.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    /// A number that is not an integer (or too large for one), kept exactly.
    case number(Decimal)
    case string(String)
    case array([JSONValue])
    /// An object: members in order, each key once (see `JSONObject`).
    case object(JSONObject)

    /// Equal when their canonical forms are the same: `1` and `1.0` are equal, the members of an
    /// object are compared in any order (JSON gives them none), and strings compare by their UTF-8
    /// bytes, not by Unicode equivalence, as the hash does. Compared structurally, rendering only
    /// numbers.
    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        func same(_ x: String, _ y: String) -> Bool { x.utf8.elementsEqual(y.utf8) }
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.string(x), .string(y)): return same(x, y)
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)): return x == y
        case (.int, .number), (.number, .int), (.number, .number): return a.render() == b.render()
        default: return false
        }
    }
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let b): hasher.combine(b)
        // Numbers hash by their rendering, since `==` equates an integer and a decimal that render alike.
        case .int, .number: hasher.combine(render())
        case .string(let s): hasher.combine(ByteKey(s))
        case .array(let items): hasher.combine(items)
        case .object(let members): hasher.combine(members)
        }
    }

    public static func optional(_ s: String?) -> JSONValue { s.map { .string($0) } ?? .null }

    /// The value of `key` in an object, nil otherwise.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members[key]
    }

    /// Canonical JSON: object keys sorted by their UTF-16 code units (RFC 8785 order), no spaces.
    public func canonical() -> String {
        String(decoding: canonicalBytes(), as: UTF8.self)
    }

    /// The canonical JSON as UTF-8 bytes (what journal hashes are computed over).
    public func canonicalBytes() -> [UInt8] {
        var out = JSONWriter(canonical: true)
        out.write(self)
        return out.bytes
    }

    /// Compact JSON with keys in their given order.
    public func render() -> String {
        String(decoding: renderBytes(), as: UTF8.self)
    }

    public func renderBytes() -> [UInt8] {
        var out = JSONWriter(canonical: false)
        out.write(self)
        return out.bytes
    }
}

/// Writes JSON into a byte buffer: compact, UTF-8 kept as is, control characters escaped;
/// canonical output sorts object keys by UTF-16 code units.
struct JSONWriter {
    var bytes: [UInt8] = []
    let canonical: Bool

    init(canonical: Bool) {
        self.canonical = canonical
        bytes.reserveCapacity(256)
    }

    mutating func write(_ value: JSONValue) {
        switch value {
        case .null: append("null")
        case .bool(let b): append(b ? "true" : "false")
        case .int(let i): writeInt(i)
        case .number(let d): append(d.isNaN ? "null" : "\(d)")
        case .string(let s): writeString(s)
        case .array(let items):
            bytes.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                write(item)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            if canonical && !JSONWriter.isSorted(members.members) {
                writeMembers(members.members.sorted { JSONWriter.precedes($0.key, $1.key) })
            } else {
                writeMembers(members.members)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    private mutating func writeMembers(_ members: [JSONObject.Element]) {
        for (i, (key, value)) in members.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            writeString(key)
            bytes.append(UInt8(ascii: ":"))
            write(value)
        }
    }

    private mutating func append(_ s: String) {
        bytes.append(contentsOf: s.utf8)
    }

    private mutating func writeInt(_ i: Int) {
        if i >= 0 && i < 10 { bytes.append(UInt8(ascii: "0") + UInt8(i)); return }
        append(String(i))
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    mutating func writeString(_ s: String) {
        bytes.append(0x22)
        // Most strings need no escaping: copy them whole.
        let copied = s.utf8.withContiguousStorageIfAvailable { utf8 -> Bool in
            for b in utf8 where b < 0x20 || b == 0x22 || b == 0x5C || b == 0x7F { return false }
            bytes.append(contentsOf: utf8)
            return true
        }
        if copied == true {
            bytes.append(0x22)
            return
        }
        for b in s.utf8 {
            switch b {
            case 0x22: bytes.append(0x5C); bytes.append(0x22)
            case 0x5C: bytes.append(0x5C); bytes.append(0x5C)
            case 0x0A: bytes.append(0x5C); bytes.append(UInt8(ascii: "n"))
            case 0x0D: bytes.append(0x5C); bytes.append(UInt8(ascii: "r"))
            case 0x09: bytes.append(0x5C); bytes.append(UInt8(ascii: "t"))
            case 0x08: bytes.append(0x5C); bytes.append(UInt8(ascii: "b"))
            case 0x0C: bytes.append(0x5C); bytes.append(UInt8(ascii: "f"))
            case ..<0x20, 0x7F:
                bytes.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, Self.hex[Int(b >> 4)], Self.hex[Int(b & 0x0F)]])
            default: bytes.append(b)
            }
        }
        bytes.append(0x22)
    }

    static func isSorted(_ members: [JSONObject.Element]) -> Bool {
        var i = 1
        while i < members.count {
            if !precedes(members[i - 1].key, members[i].key) { return false }
            i += 1
        }
        return true
    }

    /// UTF-16 code-unit order. UTF-8 byte order is code-point order, which differs from UTF-16
    /// order only between a character above U+FFFF and one in U+E000–U+FFFF, whose UTF-8 lead
    /// bytes are 0xF0 and above and 0xEE–0xEF: only then are the keys compared as UTF-16.
    static func precedes(_ a: String, _ b: String) -> Bool {
        var x = a.utf8.makeIterator(), y = b.utf8.makeIterator()
        while true {
            switch (x.next(), y.next()) {
            case (nil, nil): return false
            case (nil, _): return true
            case (_, nil): return false
            case let (p?, q?):
                if p == q { continue }
                if p >= 0xEE || q >= 0xEE { return a.utf16.lexicographicallyPrecedes(b.utf16) }
                return p < q
            }
        }
    }
}
