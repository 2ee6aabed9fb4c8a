/// A JSON object: members in the order they were first given, each key at most once.
///
/// Every way of building one keeps keys unique: setting a key that is already there replaces its
/// value in place, so a repeated key can never reach rendered JSON (a record with a key twice is
/// not valid JSON to the strict parser, and a reader would have to guess which value counts).
/// Objects in sopkit are small (records, tickets, triggers), so a key is found by a scan of the
/// members; a large object keeps an index from key to position.
public struct JSONObject: Sendable, RandomAccessCollection, ExpressibleByArrayLiteral {
    public typealias Element = (key: String, value: JSONValue)

    public private(set) var members: [Element]
    /// Key → position, built once an object grows past `indexedCount` members. Below that a scan
    /// is as fast (keys are short, and short strings compare as two machine words) and costs no
    /// hashing: a stored run (26 members) is read and written without one.
    private var index: [ByteKey: Int]?
    static let indexedCount = 32

    public init() { members = [] }

    /// The members in order; a key given again replaces the earlier value where it stands.
    public init(arrayLiteral elements: (String, JSONValue)...) {
        self.init(elements)
    }

    /// The pairs in order; a key given again replaces the earlier value where it stands.
    /// (An array, not any sequence: records are built with it on every step, and a generic
    /// initializer ran unspecialized across the module boundary there; docs/benchmarks.md, "The
    /// typed journal's cost (issue 16)".)
    public init(_ pairs: [(String, JSONValue)]) {
        members = []
        guard !pairs.isEmpty else { return }
        members.reserveCapacity(pairs.count)
        guard pairs.count > Self.indexedCount else {
            for (key, value) in pairs {
                if let i = position(of: key) { members[i].value = value } else { members.append((key, value)) }
            }
            return
        }
        // Large: find repeated keys through the index as it is built, not by scanning.
        var built: [ByteKey: Int] = [:]
        built.reserveCapacity(pairs.count)
        for (key, value) in pairs {
            if let i = built[ByteKey(key)] {
                members[i].value = value
            } else {
                built[ByteKey(key)] = members.count
                members.append((key, value))
            }
        }
        index = built
    }

    /// Members the caller has already checked for repeated keys (the parser refuses them), with
    /// the index the caller built while checking, if any.
    init(uniqueMembers: [Element], index: [ByteKey: Int]?) {
        members = uniqueMembers
        self.index = index
        if index == nil, members.count > Self.indexedCount { buildIndex() }
    }

    public var startIndex: Int { members.startIndex }
    public var endIndex: Int { members.endIndex }
    public subscript(position: Int) -> Element { members[position] }

    /// The position of `key`, nil when absent. Keys are the same when their bytes are: the length
    /// and `==` (fast on short keys) rule out the others, and the bytes decide where `==` holds,
    /// since it also equates canonically equivalent spellings.
    public func position(of key: String) -> Int? {
        if let index { return index[ByteKey(key)] }
        // Most keys differ in length, which native strings know without reading them.
        let length = key.utf8.count
        return members.firstIndex { $0.key.utf8.count == length && $0.key == key && $0.key.utf8.elementsEqual(key.utf8) }
    }

    /// The value of `key`; setting nil removes the member, setting a value replaces it in place
    /// or appends it.
    public subscript(key: String) -> JSONValue? {
        get { position(of: key).map { members[$0].value } }
        set {
            if let i = position(of: key) {
                if let newValue {
                    members[i].value = newValue
                } else {
                    members.remove(at: i)
                    if index != nil { buildIndex() }
                }
            } else if let newValue {
                members.append((key, newValue))
                if index != nil {
                    index![ByteKey(key)] = members.count - 1
                } else if members.count > Self.indexedCount {
                    buildIndex()
                }
            }
        }
    }

    private mutating func buildIndex() {
        var built: [ByteKey: Int] = [:]
        built.reserveCapacity(members.count)
        for (i, m) in members.enumerated() { built[ByteKey(m.key)] = i }
        index = built
    }
}

extension JSONObject: Hashable {
    /// Equal when they have the same keys (compared by their UTF-8 bytes) with equal values, in
    /// any order: the members of a JSON object have no order (RFC 8259), so no comparison, change
    /// or hash may depend on it. Objects built from the same source keep the same order, so the
    /// members are first compared in step, and only the rest is looked up by key.
    public static func == (a: JSONObject, b: JSONObject) -> Bool {
        guard a.members.count == b.members.count else { return false }
        var i = 0
        while i < a.members.count, a.members[i].key.utf8.elementsEqual(b.members[i].key.utf8) {
            guard a.members[i].value == b.members[i].value else { return false }
            i += 1
        }
        // Keys are unique on both sides and the counts are equal: each remaining key of `a`
        // found in `b` with an equal value makes the members the same.
        while i < a.members.count {
            guard let j = b.position(of: a.members[i].key), b.members[j].value == a.members[i].value else { return false }
            i += 1
        }
        return true
    }

    /// Independent of the members' order, as `==` is: the members' own hashes are summed.
    public func hash(into hasher: inout Hasher) {
        var sum = 0
        for m in members {
            var one = Hasher()
            one.combine(ByteKey(m.key))
            one.combine(m.value)
            sum &+= one.finalize()
        }
        hasher.combine(members.count)
        hasher.combine(sum)
    }
}

/// A key hashed and compared by its UTF-8 bytes (`String`'s own `==` and hash equate
/// canonically equivalent spellings, which JSON keeps apart).
struct ByteKey: Hashable {
    let text: String

    init(_ text: String) { self.text = text }

    static func == (a: ByteKey, b: ByteKey) -> Bool { a.text.utf8.elementsEqual(b.text.utf8) }

    func hash(into hasher: inout Hasher) {
        // The bytes at once where the string keeps them contiguously (native strings do).
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        if done == nil {
            for byte in text.utf8 { hasher.combine(byte) }
        }
    }
}
