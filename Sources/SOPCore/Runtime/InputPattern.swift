/// The regular expressions of input `pattern`s and of the ticket schema's `pattern`, matched by
/// a matcher of our own in time linear in the text.
///
/// Why not Swift's `Regex` (or NSRegularExpression): both backtrack, so a pattern such as
/// `(a+)+$` against 22 characters of customer text ran for more than 25 seconds and held a
/// server's thread. Here a pattern is compiled to a small program (a Thompson NFA) and searched
/// by simulating every thread at once, position by position (a Pike VM without captures): each
/// step visits each instruction at most once, so the work is at most text length × program size,
/// whatever the pattern. Programs are capped at `maxProgramSize` instructions.
///
/// The dialect (docs/format.md, "Patterns"): RFC 9485 I-Regexp — the interoperable subset of
/// JSON Schema patterns, designed for matchers like this one — read with the ECMAScript meaning
/// JSON Schema gives `pattern`, plus the few ECMAScript forms schemas are written with:
/// - the pattern is searched anywhere in the text; `^` and `$` (outside brackets) anchor at the
///   start and end of the whole text (no multi-line mode; `$` does not match before a final
///   newline);
/// - the text is a sequence of Unicode code points: `.` is one code point other than a line
///   terminator (`\n`, `\r`, U+2028, U+2029), so `maxLength` and `.` count alike;
/// - `\d` is `[0-9]`, `\w` is `[A-Za-z0-9_]` (ASCII only, as in ECMAScript), `\s` is
///   ECMAScript's white space and line terminators; `\D`, `\W`, `\S` their complements;
/// - `\p{L}`, `\P{Nd}`, … : Unicode general categories, as I-Regexp writes them, or by
///   ECMAScript's long names (`\p{Letter}`); ECMAScript's control escapes (`\cC`);
/// - `(?:…)` groups and lazy quantifiers (`*?`, `+?`, `??`, `{n,m}?`) are accepted: for a
///   yes-or-no match they mean the same as `(…)` and the greedy forms.
/// Anything else (back-references, look-around, `\b`, named groups, flags) is refused with the
/// reason, at lint, rather than run with another meaning.
public enum InputPattern {
    /// The largest compiled program accepted: bounds the work per character of text.
    public static let maxProgramSize = 4096
    /// How deep groups may nest (the parser and compiler recurse on groups).
    public static let maxGroupDepth = 32
    /// The largest count in `{n,m}`.
    public static let maxRepeat = 1000

    /// Why `pattern` cannot be used; nil when it can.
    public static func problem(_ pattern: String) -> String? {
        switch compile(pattern) {
        case .success: return nil
        case .failure(let error): return error.message
        }
    }

    /// True when `text` contains a match of `pattern` (a pattern that cannot be used matches nothing).
    public static func matches(_ text: String, _ pattern: String) -> Bool {
        guard case .success(let program) = compile(pattern) else { return false }
        return program.search(text)
    }

    /// Why a pattern is refused, with the place in it (the code point, from 1).
    public struct PatternError: Error, Sendable, Hashable {
        public var message: String
    }

    /// `pattern` compiled, or why it cannot be.
    public static func compile(_ pattern: String) -> Result<Program, PatternError> {
        var parser = PatternParser(Array(pattern.unicodeScalars))
        do {
            let tree = try parser.parse()
            var compiler = PatternCompiler()
            try compiler.emit(tree)
            compiler.program.append(.match)
            return .success(Program(instructions: compiler.program, sets: compiler.sets))
        } catch {
            return .failure(error)
        }
    }

    // MARK: The syntax tree

    indirect enum Node: Sendable, Equatable {
        case empty
        case set(ScalarSet)
        case start, end
        case concat([Node])
        case alternation([Node])
        /// `max` nil: unbounded.
        case repeated(Node, min: Int, max: Int?)
    }

    /// A set of code points: ranges, general categories and nested (complemented) sets.
    struct ScalarSet: Sendable, Equatable {
        enum Item: Sendable, Equatable {
            case range(UInt32, UInt32)
            case categories(Set<Unicode.GeneralCategory>, negated: Bool)
            case set(ScalarSet)
        }

        var items: [Item]
        var negated = false

        func contains(_ c: Unicode.Scalar) -> Bool {
            let v = c.value
            var found = false
            for item in items {
                switch item {
                case .range(let lo, let hi): found = lo <= v && v <= hi
                case .categories(let cats, let negated): found = cats.contains(c.properties.generalCategory) != negated
                case .set(let inner): found = inner.contains(c)
                }
                if found { break }
            }
            return found != negated
        }

        static let digit = ScalarSet(items: [.range(0x30, 0x39)])
        static let word = ScalarSet(items: [.range(0x30, 0x39), .range(0x41, 0x5A), .range(0x5F, 0x5F), .range(0x61, 0x7A)])
        /// ECMAScript's WhiteSpace and LineTerminator.
        static let space = ScalarSet(items: [.range(0x09, 0x0D), .range(0x20, 0x20), .range(0xA0, 0xA0), .range(0x1680, 0x1680),
                                             .range(0x2000, 0x200A), .range(0x2028, 0x2029), .range(0x202F, 0x202F),
                                             .range(0x205F, 0x205F), .range(0x3000, 0x3000), .range(0xFEFF, 0xFEFF)])
        /// `.`: any code point but a line terminator.
        static let dot = ScalarSet(items: [.range(0x0A, 0x0A), .range(0x0D, 0x0D), .range(0x2028, 0x2029)], negated: true)

        static func single(_ c: Unicode.Scalar) -> ScalarSet { ScalarSet(items: [.range(c.value, c.value)]) }
    }

    // MARK: The program

    enum Instruction: Sendable {
        /// Consume one code point in `sets[i]`.
        case consume(Int)
        case split(Int, Int)
        case jump(Int)
        case assertStart, assertEnd
        case match
    }

    /// A compiled pattern: search it in any number of texts.
    public struct Program: Sendable {
        let instructions: [Instruction]
        let sets: [ScalarSet]

        /// True when some substring of `text` matches. Every position adds a thread at the
        /// start of the program (search anywhere), and each instruction is on the list of live
        /// threads at most once per position: time is O(text × program), memory O(program).
        public func search(_ text: String) -> Bool {
            let scalars = Array(text.unicodeScalars)
            let count = instructions.count
            var current: [Int] = [], next: [Int] = []
            current.reserveCapacity(count)
            next.reserveCapacity(count)
            // onList[pc] == generation: pc is already on the list being built for this position.
            var onList = [Int](repeating: -1, count: count)
            var stack: [Int] = []
            var generation = 0

            /// Adds `pc` and every instruction reached from it without consuming; true at `match`.
            func add(_ pc: Int, to list: inout [Int], at position: Int) -> Bool {
                stack.append(pc)
                while let pc = stack.popLast() {
                    guard onList[pc] != generation else { continue }
                    onList[pc] = generation
                    switch instructions[pc] {
                    case .match: stack.removeAll(keepingCapacity: true); return true
                    case .jump(let to): stack.append(to)
                    case .split(let a, let b): stack.append(b); stack.append(a)
                    case .assertStart: if position == 0 { stack.append(pc + 1) }
                    case .assertEnd: if position == scalars.count { stack.append(pc + 1) }
                    case .consume: list.append(pc)
                    }
                }
                return false
            }

            for position in 0...scalars.count {
                if add(0, to: &current, at: position) { return true }
                guard position < scalars.count else { break }
                let c = scalars[position]
                generation += 1
                next.removeAll(keepingCapacity: true)
                for pc in current {
                    guard case .consume(let s) = instructions[pc], sets[s].contains(c) else { continue }
                    if add(pc + 1, to: &next, at: position + 1) { return true }
                }
                swap(&current, &next)
                // The start thread added at the next position joins this generation's list.
            }
            return false
        }
    }

    // MARK: Parsing

    struct PatternParser {
        let s: [Unicode.Scalar]
        var i = 0
        var depth = 0

        init(_ s: [Unicode.Scalar]) { self.s = s }

        func fail(_ message: String) -> PatternError {
            PatternError(message: "\(message) (at character \(min(i, s.count) + 1) of the pattern)")
        }

        var peek: Unicode.Scalar? { i < s.count ? s[i] : nil }

        mutating func parse() throws(PatternError) -> Node {
            let node = try alternation()
            if i < s.count {
                // Only an unopened ')' stops an alternation before the end.
                throw fail("unmatched ')'")
            }
            return node
        }

        mutating func alternation() throws(PatternError) -> Node {
            var branches = [try branch()]
            while peek == "|" {
                i += 1
                branches.append(try branch())
            }
            return branches.count == 1 ? branches[0] : .alternation(branches)
        }

        mutating func branch() throws(PatternError) -> Node {
            var pieces: [Node] = []
            while let c = peek, c != "|", c != ")" {
                let atom = try self.atom()
                pieces.append(try quantified(atom, bareAnchor: c == "^" || c == "$"))
            }
            return pieces.count == 1 ? pieces[0] : (pieces.isEmpty ? .empty : .concat(pieces))
        }

        /// `atom` with the quantifier that follows, if any; `bareAnchor`: the atom is `^` or `$`
        /// itself (not a group holding one, which ECMAScript lets repeat).
        mutating func quantified(_ atom: Node, bareAnchor: Bool) throws(PatternError) -> Node {
            guard let c = peek else { return atom }
            var min = 0, max: Int? = nil
            switch c {
            case "*": i += 1
            case "+": i += 1; min = 1
            case "?": i += 1; max = 1
            case "{":
                i += 1
                min = try count()
                max = min
                if peek == "," {
                    i += 1
                    max = peek == "}" ? nil : try count()
                }
                guard peek == "}" else { throw fail("expected '}' to end the count {n,m}") }
                i += 1
                if let m = max, m < min { throw fail("the count {\(min),\(m)} has its numbers in the wrong order") }
            default: return atom
            }
            if bareAnchor { throw fail("'^' and '$' cannot be repeated") }
            if peek == "?" { i += 1 }  // lazy: the same yes-or-no answer
            if let q = peek, "*+?{".unicodeScalars.contains(q) {
                throw fail("'\(q)' cannot repeat a repetition; put the repeated part in a group")
            }
            return .repeated(atom, min: min, max: max)
        }

        mutating func count() throws(PatternError) -> Int {
            var n = 0, digits = 0
            while let c = peek, ("0"..."9").contains(c) {
                n = n * 10 + Int(c.value - 0x30)
                digits += 1
                i += 1
                if n > InputPattern.maxRepeat { throw fail("a count above \(InputPattern.maxRepeat) in {n,m}") }
            }
            guard digits > 0 else { throw fail("expected a number in the count {n,m}") }
            return n
        }

        mutating func atom() throws(PatternError) -> Node {
            let c = s[i]
            switch c {
            case "(":
                i += 1
                if peek == "?" {
                    guard i + 1 < s.count, s[i + 1] == ":" else {
                        throw fail("'(?' (look-around, named groups, flags) is not supported; only '(?:…)' is")
                    }
                    i += 2
                }
                depth += 1
                guard depth <= InputPattern.maxGroupDepth else { throw fail("groups nest deeper than \(InputPattern.maxGroupDepth) levels") }
                let inner = try alternation()
                guard peek == ")" else { throw fail("expected ')'") }
                i += 1
                depth -= 1
                return inner
            case "[":
                return .set(try bracket())
            case ".":
                i += 1
                return .set(.dot)
            case "^":
                i += 1
                return .start
            case "$":
                i += 1
                return .end
            case "\\":
                return .set(try escape(inBracket: false))
            case "*", "+", "?", "{":
                throw fail("'\(c)' has nothing to repeat")
            case "}", "]":
                throw fail("a lone '\(c)' must be escaped as '\\\(c)'")
            default:
                i += 1
                return .set(.single(c))
            }
        }

        /// After `\`: a single-character escape or a class escape.
        mutating func escape(inBracket: Bool) throws(PatternError) -> ScalarSet {
            i += 1
            guard let c = peek else { throw fail("the pattern ends after '\\'") }
            i += 1
            switch c {
            case "n": return .single("\n")
            case "r": return .single("\r")
            case "t": return .single("\t")
            case "f": return .single("\u{0C}")
            case "v": return .single("\u{0B}")
            case "c":
                // ECMAScript's control escape: \cC is U+0003.
                guard let letter = peek, ("a"..."z").contains(letter) || ("A"..."Z").contains(letter) else {
                    throw fail("'\\c' must be followed by a letter (\\cC is the control character U+0003)")
                }
                i += 1
                return .single(Unicode.Scalar(letter.value % 32)!)
            case "d": return .digit
            case "D": return ScalarSet(items: [.set(.digit)], negated: true)
            case "w": return .word
            case "W": return ScalarSet(items: [.set(.word)], negated: true)
            case "s": return .space
            case "S": return ScalarSet(items: [.set(.space)], negated: true)
            case "p", "P":
                guard peek == "{" else { throw fail("expected '{' after '\\\(c)'") }
                i += 1
                var name = ""
                while let n = peek, n != "}" { name.unicodeScalars.append(n); i += 1 }
                guard peek == "}" else { throw fail("expected '}' to end '\\\(c){\(name)'") }
                i += 1
                guard let cats = Self.categories[name] else {
                    throw fail("unknown Unicode category '\(name)'; write one of L, Lu, Ll, Lt, Lm, Lo, M, N, Nd, P, S, Z, C, …")
                }
                return ScalarSet(items: [.categories(cats, negated: c == "P")])
            default:
                // Syntax characters escape to themselves (I-Regexp's SingleCharEsc, and '/', '$' as
                // ECMAScript allows with the u flag).
                if "()*+-.?[\\]^{|}/$".unicodeScalars.contains(c) { return .single(c) }
                if c == "b" || c == "B" { throw fail("'\\\(c)' (word boundary) is not supported") }
                if ("0"..."9").contains(c) { throw fail("back-references such as '\\\(c)' are not supported") }
                throw fail("unknown escape '\\\(c)'")
            }
        }

        /// `[…]` or `[^…]`.
        mutating func bracket() throws(PatternError) -> ScalarSet {
            i += 1
            var set = ScalarSet(items: [])
            if peek == "^" { set.negated = true; i += 1 }
            var first = true
            while true {
                guard let c = peek else { throw fail("expected ']' to end the character class") }
                if c == "]" {
                    if first { throw fail("an empty character class '[]' matches nothing; escape ']' as '\\]'") }
                    i += 1
                    return set
                }
                first = false
                let low = try classAtom()
                guard case .range(let lo, let loEnd) = low.single, lo == loEnd,
                      peek == "-", i + 1 < s.count, s[i + 1] != "]" else {
                    set.items.append(low.item)
                    continue
                }
                i += 1  // '-'
                let high = try classAtom()
                guard case .range(let hi, let hiEnd) = high.single, hi == hiEnd else {
                    throw fail("a range in a character class must end at a single character")
                }
                guard lo <= hi else { throw fail("the range in the character class is out of order") }
                set.items.append(.range(lo, hi))
            }
        }

        /// One member of a bracket: a character or a class escape.
        mutating func classAtom() throws(PatternError) -> (item: ScalarSet.Item, single: ScalarSet.Item?) {
            let c = s[i]
            if c == "\\" {
                let set = try escape(inBracket: true)
                if set.items.count == 1, !set.negated, case .range(let a, let b) = set.items[0], a == b {
                    return (set.items[0], set.items[0])
                }
                return (.set(set), nil)
            }
            if c == "[" { throw fail("a '[' inside a character class must be escaped as '\\['") }
            i += 1
            return (.range(c.value, c.value), .range(c.value, c.value))
        }

        static let categories: [String: Set<Unicode.GeneralCategory>] = {
            let groups: [String: [(String, Unicode.GeneralCategory)]] = [
                "L": [("Lu", .uppercaseLetter), ("Ll", .lowercaseLetter), ("Lt", .titlecaseLetter), ("Lm", .modifierLetter), ("Lo", .otherLetter)],
                "M": [("Mn", .nonspacingMark), ("Mc", .spacingMark), ("Me", .enclosingMark)],
                "N": [("Nd", .decimalNumber), ("Nl", .letterNumber), ("No", .otherNumber)],
                "P": [("Pc", .connectorPunctuation), ("Pd", .dashPunctuation), ("Ps", .openPunctuation), ("Pe", .closePunctuation),
                      ("Pi", .initialPunctuation), ("Pf", .finalPunctuation), ("Po", .otherPunctuation)],
                "Z": [("Zs", .spaceSeparator), ("Zl", .lineSeparator), ("Zp", .paragraphSeparator)],
                "S": [("Sm", .mathSymbol), ("Sc", .currencySymbol), ("Sk", .modifierSymbol), ("So", .otherSymbol)],
                "C": [("Cc", .control), ("Cf", .format), ("Cn", .unassigned), ("Co", .privateUse)],
            ]
            var table: [String: Set<Unicode.GeneralCategory>] = [:]
            for (group, members) in groups {
                table[group] = Set(members.map(\.1))
                for (name, cat) in members { table[name] = [cat] }
            }
            // ECMAScript's long names for the same categories (`\p{Letter}`).
            let long = ["Letter": "L", "Cased_Letter": "", "Uppercase_Letter": "Lu", "Lowercase_Letter": "Ll", "Titlecase_Letter": "Lt",
                        "Modifier_Letter": "Lm", "Other_Letter": "Lo", "Mark": "M", "Nonspacing_Mark": "Mn", "Spacing_Mark": "Mc",
                        "Enclosing_Mark": "Me", "Number": "N", "Decimal_Number": "Nd", "Letter_Number": "Nl", "Other_Number": "No",
                        "Punctuation": "P", "Connector_Punctuation": "Pc", "Dash_Punctuation": "Pd", "Open_Punctuation": "Ps",
                        "Close_Punctuation": "Pe", "Initial_Punctuation": "Pi", "Final_Punctuation": "Pf", "Other_Punctuation": "Po",
                        "Symbol": "S", "Math_Symbol": "Sm", "Currency_Symbol": "Sc", "Modifier_Symbol": "Sk", "Other_Symbol": "So",
                        "Separator": "Z", "Space_Separator": "Zs", "Line_Separator": "Zl", "Paragraph_Separator": "Zp",
                        "Other": "C", "Control": "Cc", "Format": "Cf", "Unassigned": "Cn", "Private_Use": "Co"]
            for (name, short) in long { if let cats = table[short] { table[name] = cats } }
            table["Cased_Letter"] = [.uppercaseLetter, .lowercaseLetter, .titlecaseLetter]
            table["LC"] = table["Cased_Letter"]
            return table
        }()
    }

    // MARK: Compiling

    struct PatternCompiler {
        var program: [Instruction] = []
        var sets: [ScalarSet] = []

        mutating func append(_ instruction: Instruction) throws(PatternError) {
            guard program.count < InputPattern.maxProgramSize else {
                throw PatternError(message: "the pattern is too large: it compiles to more than \(InputPattern.maxProgramSize) steps "
                                   + "(make the counts in {n,m} smaller)")
            }
            program.append(instruction)
        }

        mutating func emit(_ node: Node) throws(PatternError) {
            switch node {
            case .empty: break
            case .start: try append(.assertStart)
            case .end: try append(.assertEnd)
            case .set(let set):
                if let k = sets.firstIndex(of: set) {
                    try append(.consume(k))
                } else {
                    sets.append(set)
                    try append(.consume(sets.count - 1))
                }
            case .concat(let nodes):
                for n in nodes { try emit(n) }
            case .alternation(let branches):
                var jumps: [Int] = []
                for (k, branch) in branches.enumerated() {
                    if k < branches.count - 1 {
                        let split = program.count
                        try append(.split(split + 1, -1))
                        try emit(branch)
                        jumps.append(program.count)
                        try append(.jump(-1))
                        program[split] = .split(split + 1, program.count)
                    } else {
                        try emit(branch)
                    }
                }
                for j in jumps { program[j] = .jump(program.count) }
            case .repeated(let inner, let min, let max):
                for _ in 0..<min { try emit(inner) }
                if let max {
                    // Each optional copy may be skipped, to the end of them all.
                    var splits: [Int] = []
                    for _ in min..<max {
                        splits.append(program.count)
                        try append(.split(program.count + 1, -1))
                        try emit(inner)
                    }
                    for s in splits { program[s] = .split(s + 1, program.count) }
                } else {
                    let loop = program.count
                    try append(.split(loop + 1, -1))
                    try emit(inner)
                    try append(.jump(loop))
                    program[loop] = .split(loop + 1, program.count)
                }
            }
        }
    }
}
