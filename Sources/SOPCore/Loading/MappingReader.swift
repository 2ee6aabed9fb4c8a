import SOPDiagnostics
import SOPYAML

/// The keys one kind of mapping of the SOP format allows, as an enum whose case names are the
/// keys (Swift makes a case's name its `String` raw value), in the order messages list them:
/// `r.value(.title)` then cannot name a key that is not allowed, and the names are never written
/// twice. No reflection is involved, so building the names costs nothing at start-up. The enums
/// of words the format allows as values (`ValueType`, `SOPCategory`) conform too, to be matched
/// as bytes the same way.
protocol MappingKey: CaseIterable, RawRepresentable where RawValue == String, AllCases == [Self] {
    /// The keys' UTF-8 names, by slot (see `MappingKeyNames`).
    static var names: MappingKeyNames { get }
}

extension MappingKey {
    /// The case's position among `allCases`, which indexes a reader's slots. A case-only enum is
    /// stored as that position in one byte (nothing at all for one case), which
    /// `MappingKeyNames.init` checks once per key type.
    @inline(__always)
    var slot: Int { withUnsafeBytes(of: self) { $0.isEmpty ? 0 : Int($0[0]) } }
}

/// The names of a `MappingKey`'s cases, built once per key type: as strings for messages, and
/// as one byte buffer for matching keys without allocating.
struct MappingKeyNames: Sendable {
    let strings: [String]
    /// All names back to back; name `i` is `bytes[ends[i - 1]..<ends[i]]` (from 0 for the first).
    private let bytes: [UInt8]
    private let ends: [Int]
    /// For each ASCII byte, the slots (as bits) of the names that start with it: a key is
    /// compared with one or two names, not all of them.
    private let byFirstByte: [UInt16]

    init<Key: MappingKey>(_: Key.Type) {
        precondition(Key.allCases.count <= MappingReaderSlots.capacity, "too many keys for a MappingReader")
        precondition(Key.allCases.enumerated().allSatisfy { $0.offset == $0.element.slot },
                     "a MappingKey must be an enum of cases without values")
        strings = Key.allCases.map(\.rawValue)
        bytes = strings.flatMap(\.utf8)
        var end = 0
        ends = strings.map { end += $0.utf8.count; return end }
        var table = [UInt16](repeating: 0, count: 128)
        for (i, name) in strings.enumerated() {
            guard let first = name.utf8.first, first < 128 else { preconditionFailure("key names are ASCII words") }
            table[Int(first)] |= 1 << i
        }
        byFirstByte = table
    }

    /// The slot of the key spelled `text`, if it is one.
    func index(of text: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let first = text.first, first < 128 else { return nil }
        var candidates = byFirstByte[Int(first)]
        return bytes.withUnsafeBufferPointer { all in
            while candidates != 0 {
                let i = candidates.trailingZeroBitCount
                candidates &= candidates - 1
                let start = i == 0 ? 0 : ends[i - 1]
                guard ends[i] - start == text.count else { continue }
                var j = 1  // the first byte matched already
                while j < text.count && all[start + j] == text[j] { j += 1 }
                if j == text.count { return i }
            }
            return nil
        }
    }
}

/// Room for one node index per allowed key, without an allocation.
typealias MappingReaderSlots = SIMD16<Int32>

extension MappingReaderSlots {
    static var capacity: Int { scalarCount }
}

/// Reads one YAML mapping of the SOP format: reports keys it does not allow (with a did-you-mean)
/// and keys that are not text, then hands out values by key.
struct MappingReader<Key: MappingKey> {
    let mapping: YAMLNodeID
    /// Where a missing key is reported: the key that introduced this mapping, or the mapping.
    let ownerSpan: SourceSpan
    /// How messages name this mapping.
    let owner: MappingOwner
    /// The key node of each allowed key present, by the key's slot; -1 when absent.
    private var keyNodes = MappingReaderSlots(repeating: -1)
    /// The slots of the allowed keys that an unknown key was reported as meaning (`condition` for
    /// `when`, `titel` for `title`): a required one of them is not reported missing as well.
    private var meantByUnknownKey: UInt16 = 0

    /// Words people write for a key of the format, where a did-you-mean by spelling cannot find it.
    static var synonyms: [String: String] {
        ["condition": "when", "if": "when", "guard": "when", "event": "on", "trigger": "on",
         "next": "to", "goto": "to", "target": "to", "then": "to", "timer": "after", "wait": "after",
         "timeout": "after", "delay": "after", "name": "title", "steps": "checklist", "actions": "do"]
    }

    init(_ document: YAMLDocument, _ mapping: YAMLNodeID, owner: MappingOwner, ownerSpan: SourceSpan,
         into sink: inout DiagnosticSink) {
        self.mapping = mapping
        self.owner = owner
        self.ownerSpan = ownerSpan
        let names = Key.names
        for (key, _) in document.pairs(mapping) {
            guard document.isScalar(key) else {
                sink.report(document.span(key), WrongTypeRule.self,
                            "keys of \(owner) must be strings, found \(document.kindDescription(key))")
                continue
            }
            guard let i = document.withUTF8(key, { names.index(of: $0) }) else {
                let text = document.text(key)
                let meant = Self.synonyms[text.lowercased()].flatMap { names.strings.firstIndex(of: $0) }
                    ?? Suggestions.closest(to: text, in: names.strings).flatMap { names.strings.firstIndex(of: $0) }
                if let meant { meantByUnknownKey |= 1 << meant }
                let guess = meant.map { Suggestions.meant(text, at: document.span(key), as: names.strings[$0]) }
                sink.report(document.span(key), UnknownKeyRule.self, "unknown key '\(text)' in \(owner)",
                            help: guess?.help ?? "the keys allowed here are " + names.strings.map { "'\($0)'" }.joined(separator: ", "),
                            fixes: guess.map { [$0.fix] } ?? [])
                continue
            }
            // The YAML layer has dropped repeated keys already; the first one wins regardless.
            // Stored through memory: `keyNodes[i] = …` with a run-time `i` rebuilt the whole vector
            // on the stack and reloaded it, a stall on every key (docs/benchmarks.md, "Lint (issue 4)").
            withUnsafeMutableBytes(of: &keyNodes) { slots in
                if slots.load(fromByteOffset: i &* 4, as: Int32.self) < 0 {
                    slots.storeBytes(of: key.index, toByteOffset: i &* 4, as: Int32.self)
                }
            }
        }
    }

    func has(_ key: Key) -> Bool { keyNodes[key.slot] >= 0 }

    /// The key's node, if present.
    func keyNode(_ key: Key) -> YAMLNodeID? {
        let k = keyNodes[key.slot]
        return k >= 0 ? YAMLNodeID(index: k) : nil
    }

    /// The value of a key, if present (a key is a scalar, so its value is the next node).
    func value(_ key: Key) -> YAMLNodeID? {
        let k = keyNodes[key.slot]
        return k >= 0 ? YAMLNodeID(index: k + 1) : nil
    }

    func keySpan(_ key: Key, in document: YAMLDocument) -> SourceSpan? {
        keyNode(key).map(document.span)
    }

    /// The value of a required key; reports `missing-key` when it is absent.
    func required(_ key: Key, _ sink: inout DiagnosticSink, help: String? = nil) -> YAMLNodeID? {
        if let v = value(key) { return v }
        // A misspelt key was reported as this one: one mistake, one finding.
        if meantByUnknownKey & (1 << key.slot) != 0 { return nil }
        sink.report(ownerSpan, MissingKeyRule.self, "\(owner) is missing the required key '\(key.rawValue)'", help: help)
        return nil
    }
}

/// How messages name a mapping of the SOP or scenario format. Built eagerly (it is small), but
/// turned into words only when a message needs them.
indirect enum MappingOwner: CustomStringConvertible {
    case sop
    case state(String)
    case transition(Int, state: String)
    case input(String)
    case variable(String)
    /// An action's mapping: `'notify'`, `'assign'`, `'start'`.
    case action(String)
    case testFile
    case testCase(Int)
    case step(Int, testCase: Int)
    case expectation
    case actor
    /// One entry of an enum's `values` written as a mapping (`{value: x, label: "…"}`).
    case enumValue(Int, of: MappingOwner)
    case calendar
    case businessTimer(of: MappingOwner)
    case sla
    case slaTarget(String)
    case slaLength(String)
    /// A holiday written as a mapping (`{every_year: 12-25}`).
    case holiday(Int)

    var description: String {
        switch self {
        case .sop: return "the SOP"
        case .state(let id): return "state '\(id)'"
        case .transition(let i, let state): return "transition \(i) of state '\(state)'"
        case .input(let id): return "input '\(id)'"
        case .variable(let id): return "variable '\(id)'"
        case .action(let name): return "'\(name)'"
        case .testFile: return "the test file"
        case .testCase(let n): return "case \(n)"
        case .step(let i, let n): return "step \(i) of case \(n)"
        case .expectation: return "'expect'"
        case .actor: return "'actor'"
        case .enumValue(let n, let owner): return "value \(n) of \(owner)"
        case .calendar: return "the calendar"
        case .businessTimer(let owner): return "'after' of \(owner)"
        case .sla: return "'sla'"
        case .slaTarget(let id): return "SLA target '\(id)'"
        case .slaLength(let id): return "the 'target' of SLA target '\(id)'"
        case .holiday(let n): return "holiday \(n)"
        }
    }
}

/// Collects the diagnostics of one file.
struct DiagnosticSink {
    let file: String
    var diagnostics: [Diagnostic] = []

    mutating func report(_ span: SourceSpan, _ rule: any LintRule.Type, _ message: String, help: String? = nil, fixes: [Diagnostic.Fix] = []) {
        var d = Diagnostic(file: file, span: span, rule: rule, message: message, help: help)
        d.fixes = fixes
        diagnostics.append(d)
    }

    /// Reports a misspelt name: the help and the fix are the closest of `candidates`, when one
    /// is close enough, else `otherwise`.
    mutating func reportMisspelt(_ name: Located<String>, _ rule: any LintRule.Type, _ message: String, candidates: [String], otherwise: String?) {
        let guess = Suggestions.didYouMean(name.value, at: name.span, in: candidates)
        report(name.span, rule, message, help: guess?.help ?? otherwise, fixes: guess.map { [$0.fix] } ?? [])
    }
}
