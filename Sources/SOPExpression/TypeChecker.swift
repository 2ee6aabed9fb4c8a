import SOPDiagnostics

/// What the checker knows about the names an expression may use.
public struct ExpressionEnvironment: Sendable {
    /// The ticket's type from the ticket schema; nil when there is no schema (ticket paths are unchecked).
    public var ticket: ExprType?
    public var vars: [String: ExprType]
    public var inputs: [String: ExprType]
    /// The outcomes of the SOP a `call` state runs, when known.
    public var childOutcomes: [String]?
    public var states: [String]

    public init(ticket: ExprType? = nil, vars: [String: ExprType] = [:], inputs: [String: ExprType] = [:],
                childOutcomes: [String]? = nil, states: [String] = []) {
        self.ticket = ticket
        self.vars = vars
        self.inputs = inputs
        self.childOutcomes = childOutcomes
        self.states = states
    }
}

/// A problem the checker found, at offsets into the expression's text.
public struct ExpressionDiagnostic: Sendable, Hashable {
    public var kind: ExpressionProblem
    public var message: String
    public var help: String?
    public var range: Range<Int>

    public init(_ kind: ExpressionProblem, _ message: String, help: String? = nil, at range: Range<Int>) {
        self.kind = kind
        self.message = message
        self.help = help
        self.range = range
    }
}

/// Infers the type of every node and reports unknown names, unknown functions, type mismatches
/// and enum values that do not exist. It reports every problem, not only the first.
public struct TypeChecker {
    public let environment: ExpressionEnvironment
    public private(set) var diagnostics: [ExpressionDiagnostic] = []
    /// Inputs read by the checked expressions (for `unused-input`), each once, in the order first read.
    public private(set) var inputsRead: [String] = []
    /// `child.outcome` comparisons with string literals: the outcome and where it is written.
    public private(set) var childOutcomesCompared: [(String, Range<Int>)] = []
    /// The parameters of the lambdas around the node being checked, innermost last, with their types.
    private var locals: [(name: String, type: ExprType)] = []

    public init(environment: ExpressionEnvironment) {
        self.environment = environment
    }

    /// Checks an expression that must be boolean (a guard, `applies_when`).
    public mutating func checkCondition(_ expr: Expr, what: String = "a guard") {
        let type = check(expr)
        if !(type.tag == .boolean || type.tag == .any || type.tag == .null) {
            report(.typeMismatch, "\(what) must be boolean, found \(type)",
                   help: "compare the value, e.g. '… == true' or '… != null'", at: expr.range)
        }
    }

    /// Checks an expression whose value must fit `expected` (a `set` target, a timer).
    public mutating func check(_ expr: Expr, expecting expected: ExprType, what: String) {
        let type = check(expr)
        if case .enumeration(let values) = expected, case .literal(.string(let s), let r) = expr {
            if !values.contains(s) { reportEnumValue(s, values: values, of: what, at: r) }
            return
        }
        if !type.fits(expected) {
            report(.typeMismatch, "\(what) expects \(expected), found \(type)",
                   help: expected == .duration ? "a length of time is a duration: 48h, 2d, or a difference such as ticket.due_at - now"
                                               : "write an expression that gives \(article(expected))", at: expr.range)
        }
    }

    @discardableResult
    public mutating func check(_ expr: Expr) -> ExprType {
        switch expr {
        case .literal(let literal, _):
            switch literal {
            case .integer: return .integer
            case .decimal: return .number
            case .string: return .string
            case .boolean: return .boolean
            case .null: return .null
            case .duration: return .duration
            }
        case .path(let root, let segments, let range):
            return checkPath(root, segments, range)
        case .list(let items, _):
            var element: ExprType = .null
            for item in items {
                let t = check(item)
                element = element.join(t) ?? .any
            }
            return .list(element.tag == .null ? .any : element)
        case .unary(let op, let operand, let range):
            let t = check(operand)
            switch op {
            case .not:
                if !(t.tag == .boolean || t.tag == .any || t.tag == .null) {
                    report(.typeMismatch, "'not' needs a boolean, found \(t)", help: "compare first, e.g. not (x == 'a'), or write x != 'a'", at: range)
                }
                return .boolean
            case .negate:
                if t.isNumeric || t.tag == .duration || t.tag == .any { return t }
                if t.tag != .null { report(.typeMismatch, "'-' cannot negate a \(t)", help: "only numbers and durations can be negated", at: range) }
                return .any
            }
        case .binary(let op, let l, let r, let range):
            return checkBinary(op, l, r, range)
        case .call(let name, let args, let range):
            return checkCall(name, args, range)
        case .param(let name, let segments, let range):
            guard let type = locals.last(where: { $0.name == name })?.type else {
                report(.unknownVariable, "unknown name '\(name)'", at: range)
                return .any
            }
            return fieldType(of: type, segments, named: name) { Self.segmentRange($0, of: segments, rootLength: name.unicodeScalars.count, in: range) }
        case .index(let base, let key, let range):
            return checkIndex(base, key, range)
        case .lambda(_, _, let range):
            report(.syntax, ExpressionParser.misplacedLambda, at: range)
            return .any
        }
    }

    // MARK: Indexing

    /// `base[key]`: a list by an integer, an object by a string. A string literal names a field of
    /// an object the schema describes (an unknown one is reported); any string key of a map gives
    /// its element type.
    private mutating func checkIndex(_ base: Expr, _ key: Expr, _ range: Range<Int>) -> ExprType {
        let bt = check(base), kt = check(key)
        let keyIsText = kt.isText || kt.tag == .any || kt.tag == .null
        switch bt {
        case .list(let element):
            if !(kt.tag == .integer || kt.tag == .any || kt.tag == .null) {
                report(.typeMismatch, "a list is indexed by an integer position, found \(article(kt))",
                       help: "write e.g. \(describeShort(base))[0]", at: key.range)
                return .any
            }
            return element
        case .object(let fields):
            guard keyIsText else {
                report(.typeMismatch, "an object is indexed by a string, found \(article(kt))", at: key.range)
                return .any
            }
            guard case .literal(.string(let name), let r) = key else { return .any }
            guard let t = fields[name] else {
                report(.unknownField, "'\(describeShort(base))' has no field '\(name)'",
                       help: Suggestions.didYouMean(name, in: fields.keys.sorted())
                           ?? (fields.isEmpty ? nil : "its fields are " + fields.keys.sorted().joined(separator: ", ")),
                       at: r)
                return .any
            }
            return t
        case .map(let element):
            guard keyIsText else {
                report(.typeMismatch, "an object is indexed by a string, found \(article(kt))", at: key.range)
                return .any
            }
            return element
        case .any, .null:
            return .any
        default:
            report(.typeMismatch, "'\(describeShort(base))' is \(article(bt)) and cannot be indexed",
                   help: "only objects and lists can be indexed", at: base.range.upperBound..<range.upperBound)
            return .any
        }
    }

    /// The expression as a message quotes it.
    private func describeShort(_ e: Expr) -> String {
        let text = e.description
        return text.count <= 60 ? text : String(text.prefix(57)) + "…"
    }

    // MARK: Lambdas

    /// `all(xs, x -> cond)` and the other list functions: each list is checked, the lambda's
    /// parameters get the lists' element types, and the body is checked with them in scope.
    private mutating func checkLambdaCall(_ name: String, _ function: LambdaFunctionDefinition, _ args: [Expr], _ range: Range<Int>) -> ExprType {
        let shape = "\(name)() takes \(function.lists.upperBound == 1 ? "a list" : "one or two lists") and then a lambda"
        guard case .lambda(let names, let body, let lambdaRange)? = args.last else {
            for arg in args { check(arg) }
            report(.unknownFunction, shape, help: "call it as \(function.signature)", at: range)
            return function.result(.any, .any)
        }
        if !function.lists.contains(args.count - 1) {
            // Reported once; the lists and the body are still checked.
            report(.unknownFunction, shape, help: "call it as \(function.signature)", at: range)
        }
        var elements: [ExprType] = []
        for arg in args.dropLast() {
            let t = check(arg)
            switch t {
            case .list(let element): elements.append(element)
            case .any, .null: elements.append(.any)
            default:
                report(.typeMismatch, "\(name)() needs a list, found \(t)", help: "call it as \(function.signature)", at: arg.range)
                elements.append(.any)
            }
        }
        if names.count != elements.count && function.lists.contains(args.count - 1) {
            report(.typeMismatch, "the lambda of \(name)() over \(elements.count) list\(elements.count == 1 ? "" : "s") takes \(elements.count) parameter\(elements.count == 1 ? "" : "s"), found \(names.count)",
                   help: "call it as \(function.signature)", at: lambdaRange)
        }
        for (i, param) in names.enumerated() { locals.append((param, i < elements.count ? elements[i] : .any)) }
        let bt = check(body)
        locals.removeLast(names.count)
        if function.condition && !(bt.tag == .boolean || bt.tag == .any || bt.tag == .null) {
            report(.typeMismatch, "the condition of \(name)() must be boolean, found \(bt)",
                   help: "compare the value, e.g. '… == true' or '… != null'", at: body.range)
        }
        return function.result(elements.first ?? .any, bt)
    }

    // MARK: Paths

    private mutating func checkPath(_ root: PathRoot, _ path: PathSegments, _ range: Range<Int>) -> ExprType {
        func segmentRange(_ i: Int) -> Range<Int> { Self.segmentRange(i, of: path, rootLength: root.rawValue.unicodeScalars.count, in: range) }
        switch root {
        case .ticket:
            return checkTicketPath(path, segmentRange)
        case .var:
            return checkVarPath(path, range, segmentRange)
        case .input:
            return checkInputPath(path, range, segmentRange)
        case .child:
            guard path.isOnly("outcome") else {
                report(.unknownVariable, "'child' has only 'outcome'", help: "write child.outcome", at: range)
                return .any
            }
            return environment.childOutcomes.map { .enumeration($0) } ?? .string
        case .run:
            switch path.count == 1 ? path.dotted : "" {
            case "started_at", "entered_at": return .datetime
            case "state": return environment.states.isEmpty ? .string : .enumeration(environment.states)
            default:
                report(.unknownVariable, "'\(root.rawValue).\(path.dotted)' is not a run property",
                       help: "use run.started_at, run.entered_at or run.state", at: range)
                return .any
            }
        case .now:
            if !path.isEmpty {
                report(.unknownVariable, "'now' is a datetime and has no fields", at: range)
                return .any
            }
            return .datetime
        }
    }

    /// Where the path's segment `i` is in the source, from the path's range.
    private static func segmentRange(_ i: Int, of path: PathSegments, rootLength: Int, in range: Range<Int>) -> Range<Int> {
        // The names as an array, only where a message needs them by position.
        let segments = path.array
        var start = range.lowerBound + rootLength + 1
        for s in segments[..<i] { start += s.unicodeScalars.count + 1 }
        let end = min(start + segments[i].unicodeScalars.count, range.upperBound)
        return min(start, end)..<end
    }

    /// A hint for a name with a '-' in it: it was likely meant as a subtraction.
    private static func hyphenHelp(_ path: PathSegments) -> String {
        path.dotted.utf8.contains(UInt8(ascii: "-")) ? " (to subtract, write spaces around '-')" : ""
    }

    /// `ticket.a.b…`: walks the ticket schema's fields; a field it lacks, or a field of a value
    /// that has none, is reported.
    private mutating func checkTicketPath(_ path: PathSegments, _ segmentRange: (Int) -> Range<Int>) -> ExprType {
        guard let type = environment.ticket else { return .any }
        return fieldType(of: type, path, named: "ticket", segmentRange)
    }

    /// The type at the end of `path`, walked from a value of type `type` named `root` (the ticket
    /// or a lambda's parameter): through the fields of an object, into any field of a map.
    private mutating func fieldType(of type: ExprType, _ path: PathSegments, named root: String,
                                    _ segmentRange: (Int) -> Range<Int>) -> ExprType {
        var type = type
        // The path up to segment i, for messages only.
        func walked(_ i: Int) -> String { ([root] + path.array[..<i]).joined(separator: ".") }
        for (i, segment) in path.enumerated() {
            switch type {
            case .map(let element):
                type = element
            case .object(let fields):
                guard let next = fields[segment] else {
                    // A lambda's parameter is an item of a list, not the ticket: name what it lacks.
                    let whose = root == "ticket" ? "the ticket schema" : "'\(walked(i))' (an item of its list, typed by the ticket schema)"
                    report(.unknownField, "'\(walked(i)).\(segment)' is not a field of \(whose)",
                           help: (Suggestions.didYouMean(segment, in: fields.keys.sorted())
                                ?? "the fields of \(walked(i)) are " + fields.keys.sorted().joined(separator: ", ")) + Self.hyphenHelp(path),
                           at: segmentRange(i))
                    return .any
                }
                type = next
            case .any:
                return .any
            default:
                report(.typeMismatch, "'\(walked(i))' is \(article(type)) and has no field '\(segment)'", at: segmentRange(i))
                return .any
            }
        }
        return type
    }

    /// `var.NAME`: a variable the SOP declares.
    private mutating func checkVarPath(_ path: PathSegments, _ range: Range<Int>, _ segmentRange: (Int) -> Range<Int>) -> ExprType {
        guard let name = path.first else {
            report(.unknownVariable, "'var' needs a variable name, e.g. var.attempts", at: range)
            return .any
        }
        guard let type = environment.vars[name] else {
            let declared = environment.vars.keys.sorted()
            report(.unknownVariable, "variable '\(name)' is not declared in this SOP's vars",
                   help: (Suggestions.didYouMean(name, in: declared)
                        ?? (declared.isEmpty ? "declare it under 'vars'" : "the variables are " + declared.joined(separator: ", "))) + Self.hyphenHelp(path),
                   at: segmentRange(0))
            return .any
        }
        return member(of: type, "var.\(name)", path, segmentRange)
    }

    /// `input.NAME`: an input some state declares (noted as read, declared or not).
    private mutating func checkInputPath(_ path: PathSegments, _ range: Range<Int>, _ segmentRange: (Int) -> Range<Int>) -> ExprType {
        guard let name = path.first else {
            report(.unknownInput, "'input' needs an input name, e.g. input.order_found", at: range)
            return .any
        }
        if !inputsRead.contains(name) { inputsRead.append(name) }
        guard let type = environment.inputs[name] else {
            let declared = environment.inputs.keys.sorted()
            report(.unknownInput, "input '\(name)' is not declared by any state of this SOP",
                   help: (Suggestions.didYouMean(name, in: declared)
                        ?? (declared.isEmpty ? "declare it under a state's 'inputs'" : "the inputs are " + declared.joined(separator: ", "))) + Self.hyphenHelp(path),
                   at: segmentRange(0))
            return .any
        }
        return member(of: type, "input.\(name)", path, segmentRange)
    }

    /// The type of `name` (the path's first name) when the path goes no further; a path into a
    /// variable's or an input's fields is a type mismatch, since they have none.
    private mutating func member(of type: ExprType, _ name: @autoclosure () -> String, _ path: PathSegments,
                                 _ segmentRange: (Int) -> Range<Int>) -> ExprType {
        guard path.count > 1 else { return type }
        report(.typeMismatch, "'\(name())' is \(article(type)) and has no field '\(path.array[1])'", at: segmentRange(1))
        return .any
    }

    // MARK: Operators

    private mutating func checkBinary(_ op: BinaryOperator, _ l: Expr, _ r: Expr, _ range: Range<Int>) -> ExprType {
        let lt = check(l), rt = check(r)
        switch op {
        case .and, .or:
            if !(lt.tag == .boolean || lt.tag == .any || lt.tag == .null) {
                report(.typeMismatch, "'\(op.rawValue)' needs boolean operands, found \(lt)",
                       help: "make each side a condition, e.g. input.amount > 0 \(op.rawValue) ticket.priority == 'high'", at: l.range)
            }
            if !(rt.tag == .boolean || rt.tag == .any || rt.tag == .null) {
                report(.typeMismatch, "'\(op.rawValue)' needs boolean operands, found \(rt)",
                       help: "make each side a condition, e.g. input.amount > 0 \(op.rawValue) ticket.priority == 'high'", at: r.range)
            }
            return .boolean
        case .equal, .notEqual:
            if !lt.isComparable(with: rt) {
                report(.typeMismatch, "cannot compare \(article(lt)) with \(article(rt))",
                       help: Self.comparisonHelp(lt, l, rt, r), at: range)
            } else {
                checkEnumLiteral(lt, l, r)
                checkEnumLiteral(rt, r, l)
                noteChildOutcome(l, r)
                noteChildOutcome(r, l)
            }
            return .boolean
        case .less, .lessEqual, .greater, .greaterEqual:
            let ordered: Bool = {
                if lt.tag == .any || rt.tag == .any || lt.tag == .null || rt.tag == .null { return true }
                if lt.isNumeric && rt.isNumeric { return true }
                if lt.tag == .string && rt.tag == .string { return true }
                return lt == rt && (lt.tag == .date || lt.tag == .datetime || lt.tag == .duration)
            }()
            if !ordered {
                report(.typeMismatch, "cannot order \(article(lt)) and \(article(rt)) with '\(op.rawValue)'",
                       help: Self.comparisonHelp(lt, l, rt, r) ?? Self.orderHelp(lt, rt), at: range)
            }
            return .boolean
        case .in, .notIn:
            switch rt {
            case .list(let element):
                if !lt.isComparable(with: element) {
                    report(.typeMismatch, "cannot look for \(article(lt)) in a \(rt)",
                           help: "the list holds \(element) values: look for one of that type", at: range)
                }
                if case .enumeration(let values) = lt, case .list(let items, _) = r {
                    for item in items {
                        if case .literal(.string(let s), let ir) = item, !values.contains(s) {
                            reportEnumValue(s, values: values, of: describe(l), at: ir)
                        }
                    }
                }
            case .string, .enumeration:
                if !(lt.isText || lt.tag == .any || lt.tag == .null) {
                    report(.typeMismatch, "'\(op.rawValue)' with a string on the right needs a string on the left, found \(lt)",
                           help: "to test membership, write a list on the right: x in ['a', 'b']", at: range)
                }
            case .any, .null:
                break
            default:
                report(.typeMismatch, "'\(op.rawValue)' needs a list or a string on the right, found \(rt)",
                       help: "write a list on the right, e.g. x in ['a', 'b']", at: r.range)
            }
            return .boolean
        case .plus, .minus, .times, .divide, .remainder:
            if let t = Self.arithmeticType(op, lt, rt) { return t }
            if lt.tag == .any || rt.tag == .any { return .any }
            if lt.tag == .null || rt.tag == .null { return lt.tag == .null ? rt : lt }
            let verb = ["+": "add", "-": "subtract", "*": "multiply", "/": "divide", "%": "take the remainder of"][op.rawValue]!
            report(.typeMismatch, "'\(op.rawValue)' cannot \(verb) \(article(lt)) and \(article(rt))",
                   help: lt.tag == .date || lt.tag == .datetime ? "add or subtract a duration such as 2d or 48h"
                       : "arithmetic works on numbers, on durations, and on a date or datetime with a duration", at: range)
            return .any
        }
    }

    /// The result type of an arithmetic operator, nil when the operands do not fit.
    static func arithmeticType(_ op: BinaryOperator, _ l: ExprType, _ r: ExprType) -> ExprType? {
        switch op {
        case .plus:
            if l.tag == .integer && r.tag == .integer { return .integer }
            if l.isNumeric && r.isNumeric { return .number }
            if l.isText && r.isText { return .string }
            if case .list(let a) = l, case .list(let b) = r { return .list(a.join(b) ?? .any) }
            if (l.tag == .date || l.tag == .datetime) && r.tag == .duration { return l }
            if l.tag == .duration && (r.tag == .date || r.tag == .datetime) { return r }
            if l.tag == .duration && r.tag == .duration { return .duration }
        case .minus:
            if l.tag == .integer && r.tag == .integer { return .integer }
            if l.isNumeric && r.isNumeric { return .number }
            if (l.tag == .date || l.tag == .datetime) && r.tag == .duration { return l }
            if (l.tag == .datetime && r.tag == .datetime) || (l.tag == .date && r.tag == .date) { return .duration }
            if l.tag == .duration && r.tag == .duration { return .duration }
        case .times:
            if l.tag == .integer && r.tag == .integer { return .integer }
            if l.isNumeric && r.isNumeric { return .number }
            if (l.tag == .duration && r.tag == .integer) || (l.tag == .integer && r.tag == .duration) { return .duration }
        case .divide:
            if l.isNumeric && r.isNumeric { return .number }
            if l.tag == .duration && r.tag == .integer { return .duration }
        case .remainder:
            if l.tag == .integer && r.tag == .integer { return .integer }
            if l.isNumeric && r.isNumeric { return .number }
        default:
            break
        }
        return nil
    }

    private mutating func checkEnumLiteral(_ type: ExprType, _ side: Expr, _ other: Expr) {
        guard case .enumeration(let values) = type, case .literal(.string(let s), let r) = other, !values.contains(s) else { return }
        reportEnumValue(s, values: values, of: describe(side), at: r)
    }

    private mutating func noteChildOutcome(_ a: Expr, _ b: Expr) {
        if case .path(.child, let segments, _) = a, segments.isOnly("outcome"),
           case .literal(.string(let s), let r) = b {
            childOutcomesCompared.append((s, r))
        }
    }

    private mutating func reportEnumValue(_ s: String, values: [String], of what: String, at range: Range<Int>) {
        report(.invalidEnumValue, "'\(s)' is not a value of \(what); the values are \(values.joined(separator: ", "))",
               help: Suggestions.didYouMean(s, in: values) ?? "use one of its values, or add '\(s)' to its values", at: range)
    }

    // MARK: Functions

    private mutating func checkCall(_ name: String, _ args: [Expr], _ range: Range<Int>) -> ExprType {
        guard let function = Functions.table[name] else {
            // Looked up second: most calls are of the other functions.
            if let function = Functions.lambdaFunctions[name] { return checkLambdaCall(name, function, args, range) }
            for arg in args { check(arg) }
            report(.unknownFunction, "unknown function '\(name)'",
                   help: Suggestions.didYouMean(name, in: Functions.allNames)
                       ?? "the functions are " + Functions.allNames.joined(separator: ", "),
                   at: range.lowerBound..<(range.lowerBound + name.unicodeScalars.count))
            return .any
        }
        guard function.arity.contains(args.count) else {
            for arg in args { check(arg) }
            let expected = function.arity.count == 1 ? "\(function.arity.lowerBound)" : "\(function.arity.lowerBound) to \(function.arity.upperBound)"
            report(.unknownFunction, "\(name) takes \(expected) argument\(function.arity.upperBound == 1 ? "" : "s"), found \(args.count)",
                   help: "call it as \(function.signature)", at: range)
            return .any
        }
        if name == "exists" {
            guard Self.isPath(args[0]) else {
                check(args[0])
                report(.typeMismatch, "exists() takes a path such as ticket.order_id or ticket.orders[input.order_id]",
                       at: args[0].range)
                return .boolean
            }
        }
        let types = args.map { check($0) }
        switch function.check(types) {
        case .success(let t):
            return t
        case .failure(let failure):
            let index = min(failure.argument, args.count - 1)
            report(.typeMismatch, "\(name)() \(failure.message), found \(types[index])",
                   help: "call it as \(function.signature)", at: args[index].range)
            return failure.fallback
        }
    }

    // MARK: Reporting

    private mutating func report(_ kind: ExpressionProblem, _ message: String, help: String? = nil, at range: Range<Int>) {
        diagnostics.append(ExpressionDiagnostic(kind, message, help: help, at: range))
    }

    /// What to write instead when a date, a datetime or a boolean is compared with a value of
    /// another type: the help names the value that fits (`today()` for a date, `now` for a
    /// datetime, the field alone for a boolean), not a guess. Nil when neither side is one.
    static func comparisonHelp(_ lt: ExprType, _ l: Expr, _ rt: ExprType, _ r: Expr) -> String? {
        for (type, side, other, otherType) in [(lt, l, r, rt), (rt, r, l, lt)] {
            let name = side.description
            var text: String?
            if case .literal(.string(let s), _) = other { text = s }
            switch type.tag {
            case .date:
                if let text {
                    switch text.lowercased() {
                    case "today": return "'today' is text; write today() for the current date: \(name) == today()"
                    case "now": return "\(name) is a date; compare it with today() (now is a datetime)"
                    case "yesterday": return "write today() - 1d for yesterday"
                    default:
                        if CivilTime.parseDate(text) != nil { return "write date('\(text)') to make a date of the text" }
                        if CivilTime.parseDateTime(text) != nil { return "\(name) is a date: write date('\(text.prefix(10))')" }
                        return "compare with a date: today(), today() - 2d, or date('2026-01-31')"
                    }
                }
                if otherType.tag == .datetime {
                    return "\(name) is a date and \(other.description) a datetime: compare \(name) with today() (or today() - 2d), or date(\(other.description)) with \(name)"
                }
                if otherType.tag == .string { return "compare with a date: today(), today() - 2d, or date(\(other.description))" }
            case .datetime:
                if let text {
                    switch text.lowercased() {
                    case "now": return "'now' is text; write now, without quotes: \(name) < now"
                    case "today": return "\(name) is a datetime; compare it with now (or now - 1d), or compare date(\(name)) with today()"
                    default:
                        if CivilTime.parseDateTime(text) != nil { return "write datetime('\(text)') to make a datetime of the text" }
                        if CivilTime.parseDate(text) != nil { return "compare date(\(name)) with date('\(text)')" }
                        return "compare with a datetime: now, now - 2d, or datetime('2026-11-02T09:00:00Z')"
                    }
                }
                if otherType.tag == .date {
                    return "\(name) is a datetime and \(other.description) a date: compare date(\(name)) with \(other.description), or \(name) with now"
                }
                if otherType.tag == .string { return "compare with a datetime: now, now - 2d, or datetime(\(other.description))" }
            case .boolean:
                var written: String?
                switch other {
                case .literal(.string(let s), _): written = "'\(s)'"
                case .literal(.integer(let i), _): written = "\(i)"
                default: break
                }
                let isFalse = ["no", "false", "n", "0", "off"].contains(text?.lowercased() ?? "")
                    || { if case .literal(.integer(0), _) = other { return true } else { return false } }()
                if let written {
                    return isFalse
                        ? "a boolean is true or false, not \(written): write not \(name), or \(name) == false"
                        : "a boolean is true or false, not \(written): write \(name) alone, or \(name) == true"
                }
            default:
                break
            }
        }
        return nil
    }

    /// What to do about an order comparison of types without one: the help names the real
    /// problem (an enum, a number written as text), not a guess.
    static func orderHelp(_ lt: ExprType, _ rt: ExprType) -> String? {
        if lt.tag == .enumeration || rt.tag == .enumeration { return "enum values have no order; compare with '==' or 'in'" }
        if (lt.isNumeric && rt.tag == .string) || (rt.isNumeric && lt.tag == .string) {
            return "a number cannot be ordered against text; write the number without quotes, e.g. 20 rather than '20'"
        }
        if lt.tag == .date || lt.tag == .datetime || rt.tag == .date || rt.tag == .datetime {
            return "order a date or datetime against another of the same type, e.g. date('2026-01-31') or now - 2d"
        }
        return nil
    }

    private func article(_ t: ExprType) -> String {
        let text = t.description
        if t.tag == .null { return "null" }
        return (text.first.map { "aeiou".contains($0) } ?? false ? "an " : "a ") + text
    }

    private func describe(_ e: Expr) -> String {
        if case .path = e { return e.description }
        return "the enum"
    }

    /// What `exists()` takes: a path, a lambda's parameter, or either indexed
    /// (`ticket.orders[input.order_id]`, `i.variants[new]`) — a place a value may or may not be.
    static func isPath(_ e: Expr) -> Bool {
        switch e {
        case .path, .param: return true
        case .index(let base, _, _): return isPath(base)
        default: return false
        }
    }

}
