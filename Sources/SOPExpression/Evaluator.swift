import Foundation

/// What a run-time evaluation reads: the ticket, run variables, inputs, the child's outcome, the
/// run's facts and the time. Evaluation never reads a clock of its own.
public struct EvaluationContext: Sendable {
    public var ticket: Value
    public var vars: [String: Value]
    public var inputs: [String: Value]
    public var childOutcome: String?
    public var runStartedAt: Int64
    public var runEnteredAt: Int64
    public var runState: String
    /// Milliseconds since the epoch.
    public var now: Int64
    /// The values of the lambda parameters in scope, outermost first (slots fixed when compiled).
    var locals: [Value] = []
    /// The lambda bodies left to run, shared by a lambda call and the calls nested in it.
    var lambdaSteps: LambdaSteps?

    public init(ticket: Value = .object([:]), vars: [String: Value] = [:], inputs: [String: Value] = [:],
                childOutcome: String? = nil, runStartedAt: Int64 = 0, runEnteredAt: Int64 = 0, runState: String = "",
                now: Int64 = 0) {
        self.ticket = ticket
        self.vars = vars
        self.inputs = inputs
        self.childOutcome = childOutcome
        self.runStartedAt = runStartedAt
        self.runEnteredAt = runEnteredAt
        self.runState = runState
        self.now = now
    }
}

/// A run-time failure of an expression (a type error the checker could not see, division by
/// zero, overflow, a malformed date): a value the interpreter reports, never a trap.
public struct EvaluationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// How many more lambda bodies an evaluation may run: nested lambdas multiply (three levels over
/// lists of 1,000 items are a billion steps), so a guard over hostile data stops with an error
/// instead of holding its transaction for hours. Made by the outermost lambda call of an
/// evaluation and reached only from that evaluation's copies of its context, on one thread.
final class LambdaSteps: @unchecked Sendable {
    var remaining = Evaluator.maxLambdaSteps
}

/// An expression compiled once into closures, ready to evaluate many times.
public struct CompiledExpression: Sendable {
    let run: @Sendable (borrowing EvaluationContext) throws(EvaluationError) -> Value

    public func evaluate(_ context: borrowing EvaluationContext) throws(EvaluationError) -> Value {
        try run(context)
    }

    /// A guard: true only for `true`; null and false do not hold; other values are an error.
    public func holds(_ context: borrowing EvaluationContext) throws(EvaluationError) -> Bool {
        switch try run(context) {
        case .boolean(let b): return b
        case .null: return false
        case let other: throw EvaluationError("a guard must be boolean, found \(other.typeName) \(other.quoted)")
        }
    }
}

/// Compiles and evaluates expressions with docs/expressions.md's semantics.
public enum Evaluator {
    /// The most lambda bodies one call of a list function (with the calls nested in it) runs.
    public static let maxLambdaSteps = 1_000_000

    public static func compile(_ expr: Expr) -> CompiledExpression {
        CompiledExpression(run: closure(expr, []))
    }

    public static func evaluate(_ expr: Expr, in context: EvaluationContext) throws(EvaluationError) -> Value {
        try compile(expr).evaluate(context)
    }

    private typealias Fn = @Sendable (borrowing EvaluationContext) throws(EvaluationError) -> Value

    /// `scope` holds the names of the lambda parameters around `expr`, outermost first: a
    /// parameter's slot in `EvaluationContext.locals` is its place there.
    private static func closure(_ expr: Expr, _ scope: [String]) -> Fn {
        switch expr {
        case .literal:
            let value = literalValue(expr) ?? .number(0)
            return { _ in value }
        case .path(let root, let segments, _):
            return pathClosure(root, segments.array)
        case .list(let items, _):
            let fns = items.map { closure($0, scope) }
            return { c throws(EvaluationError) in
                var out: [Value] = []
                out.reserveCapacity(fns.count)
                for f in fns { out.append(try f(c)) }
                return .list(out)
            }
        case .unary(let op, let operand, _):
            return unaryClosure(op, closure(operand, scope))
        case .binary(.and, _, _, _):
            return andClosure(conjuncts(expr).map { closure($0, scope) })
        case .binary(.or, let l, let r, _):
            let lf = closure(l, scope), rf = closure(r, scope)
            return { c throws(EvaluationError) in
                if try truth(lf(c), "or") { return .boolean(true) }
                return .boolean(try truth(rf(c), "or"))
            }
        case .binary(let op, let l, let r, _):
            return binaryClosure(op, l, r, scope)
        case .call("if", let args, _) where args.count == 3:
            // Only the chosen branch is evaluated, so the other may fail harmlessly.
            let cond = closure(args[0], scope), then = closure(args[1], scope), otherwise = closure(args[2], scope)
            return { c throws(EvaluationError) in try truth(cond(c), "if") ? then(c) : otherwise(c) }
        case .call(let name, let args, _):
            if let function = Functions.lambdaFunctions[name] { return lambdaCallClosure(name, function, args, scope) }
            return callClosure(name, args, scope)
        case .param(let name, let segments, _):
            guard let slot = scope.lastIndex(of: name) else {
                return { _ throws(EvaluationError) in throw EvaluationError("unknown name '\(name)'") }
            }
            if segments.isEmpty { return { c in slot < c.locals.count ? c.locals[slot] : .null } }
            let names = segments.array[...]
            return { c in slot < c.locals.count ? lookup(c.locals[slot], names) : .null }
        case .index(let base, let key, _):
            let bf = closure(base, scope)
            if let constant = literalValue(key) { return { c throws(EvaluationError) in try index(bf(c), constant) } }
            let kf = closure(key, scope)
            return { c throws(EvaluationError) in try index(bf(c), kf(c)) }
        case .lambda:
            return { _ throws(EvaluationError) in throw EvaluationError(ExpressionParser.misplacedLambda) }
        }
    }

    /// `all(xs, x -> …)` and the other list functions: the lists are evaluated once, then the
    /// body once per item with the parameters bound in a copy of the context. A call of the wrong
    /// shape (the checker reports it) fails when evaluated.
    private static func lambdaCallClosure(_ name: String, _ function: LambdaFunctionDefinition, _ args: [Expr], _ scope: [String]) -> Fn {
        guard case .lambda(let names, let body, _)? = args.last, function.lists.contains(args.count - 1),
              names.count == args.count - 1 else {
            return { _ throws(EvaluationError) in throw EvaluationError("\(name)() is called as \(function.signature)") }
        }
        let listFns = args.dropLast().map { closure($0, scope) }
        let bodyFn = closure(body, scope + names)
        let slot = scope.count
        let apply = function.apply
        return { c throws(EvaluationError) in
            var lists: [[Value]] = []
            lists.reserveCapacity(listFns.count)
            for f in listFns {
                switch try f(c) {
                case .list(let items): lists.append(items)
                case .null: return .null
                case let v: throw EvaluationError("\(name)() needs a list, found \(v.typeNameWithArticle)")
                }
            }
            var inner = copy c
            if inner.locals.count != slot { inner.locals = Array(inner.locals.prefix(slot)) }
            inner.locals.append(contentsOf: repeatElement(Value.null, count: lists.count))
            let steps = inner.lambdaSteps ?? LambdaSteps()
            inner.lambdaSteps = steps
            return try apply(lists) { i throws(EvaluationError) in
                steps.remaining -= 1
                guard steps.remaining >= 0 else {
                    throw EvaluationError("\(name)() runs its lambda more than \(maxLambdaSteps) times (lambdas nested over long lists)")
                }
                for k in lists.indices { inner.locals[slot + k] = lists[k][i] }
                return try bodyFn(inner)
            }
        }
    }

    /// `base[key]`: an object's field by name, a list's item by 0-based position; a missing field,
    /// a position out of range, and a null base or key give null.
    static func index(_ base: Value, _ key: Value) throws(EvaluationError) -> Value {
        switch (base, key) {
        case (.null, _), (_, .null): return .null
        case let (.object(fields), .string(name)): return fields[name] ?? .null
        case let (.list(items), .integer(i)): return i >= 0 && i < items.count ? items[i] : .null
        case (.object, _): throw EvaluationError("an object is indexed by a string, found \(key.typeNameWithArticle) \(key.quoted)")
        case (.list, _): throw EvaluationError("a list is indexed by an integer position, found \(key.typeNameWithArticle) \(key.quoted)")
        default: throw EvaluationError("only objects and lists can be indexed, found \(base.typeNameWithArticle)")
        }
    }

    private static func unaryClosure(_ op: UnaryOperator, _ f: @escaping Fn) -> Fn {
        switch op {
        case .not:
            return { c throws(EvaluationError) in
                switch try f(c) {
                case .boolean(let b): return .boolean(!b)
                case .null: return .boolean(true)
                case let v: throw EvaluationError("'not' needs a boolean, found \(v.typeName)")
                }
            }
        case .negate:
            return { c throws(EvaluationError) in
                switch try f(c) {
                case .integer(let i):
                    guard i != Int.min else { throw EvaluationError("integer overflow") }
                    return .integer(-i)
                case .number(let d): return .number(-d)
                case .duration(let ms): return .duration(-ms)
                case .null: return .null
                case let v: throw EvaluationError("'-' cannot negate \(v.typeNameWithArticle)")
                }
            }
        }
    }

    /// `a and b and c` is one closure over the operands, not a chain of nested calls.
    private static func andClosure(_ fns: [Fn]) -> Fn {
        // Two and three operands (most guards) are captured one by one, not read from the
        // array: measured in docs/benchmarks.md, "Interpreter and store (issue 5)".
        if fns.count == 2 {
            let (a, b) = (fns[0], fns[1])
            return { c throws(EvaluationError) in
                guard try truth(a(c), "and") else { return .boolean(false) }
                return .boolean(try truth(b(c), "and"))
            }
        }
        if fns.count == 3 {
            let (a, b, d) = (fns[0], fns[1], fns[2])
            return { c throws(EvaluationError) in
                guard try truth(a(c), "and"), try truth(b(c), "and") else { return .boolean(false) }
                return .boolean(try truth(d(c), "and"))
            }
        }
        return { c throws(EvaluationError) in
            for f in fns { guard try truth(f(c), "and") else { return .boolean(false) } }
            return .boolean(true)
        }
    }

    /// A comparison or arithmetic; one with a constant (`ticket.total > 10`) reads one operand only.
    private static func binaryClosure(_ op: BinaryOperator, _ l: Expr, _ r: Expr, _ scope: [String]) -> Fn {
        let lf = closure(l, scope)
        if let constant = literalValue(r) {
            switch op {
            case .equal: return { c throws(EvaluationError) in .boolean(equals(try lf(c), constant)) }
            case .notEqual: return { c throws(EvaluationError) in .boolean(!equals(try lf(c), constant)) }
            default: return { c throws(EvaluationError) in try binary(op, lf(c), constant) }
            }
        }
        let rf = closure(r, scope)
        return { c throws(EvaluationError) in try binary(op, lf(c), rf(c)) }
    }

    /// A function call: its arguments evaluated left to right, then the function applied. An
    /// unknown function or arity (the checker reports it) fails when evaluated.
    private static func callClosure(_ name: String, _ args: [Expr], _ scope: [String]) -> Fn {
        let fns = args.map { closure($0, scope) }
        guard let function = Functions.table[name], function.arity.contains(args.count) else {
            return { _ throws(EvaluationError) in throw EvaluationError("unknown function \(name) with \(args.count) arguments") }
        }
        let apply = function.apply
        return { c throws(EvaluationError) in
            var values: [Value] = []
            values.reserveCapacity(fns.count)
            for f in fns { values.append(try f(c)) }
            return try apply(values, c)
        }
    }

    /// The operands of a chain of `and`s, left to right.
    private static func conjuncts(_ expr: Expr) -> [Expr] {
        if case .binary(.and, let l, let r, _) = expr { return conjuncts(l) + conjuncts(r) }
        return [expr]
    }

    private static func literalValue(_ expr: Expr) -> Value? {
        guard case .literal(let literal, _) = expr else { return nil }
        switch literal {
        case .integer(let i): return .integer(i)
        case .decimal(let d): return Decimal(string: d, locale: Locale(identifier: "en_US_POSIX")).map(Value.number)
        case .string(let s): return .string(s)
        case .boolean(let b): return .boolean(b)
        case .null: return .null
        case .duration(let ms): return .duration(ms)
        }
    }

    private static func pathClosure(_ root: PathRoot, _ segments: [String]) -> Fn {
        switch root {
        case .ticket:
            if segments.count == 1 {
                let key = segments[0]
                return { c in
                    if case .object(let fields) = c.ticket { return fields[key] ?? .null }
                    return .null
                }
            }
            return { c in lookup(c.ticket, segments[...]) }
        case .var:
            guard let name = segments.first else { return { _ in .null } }
            let rest = segments.dropFirst()
            return { c in lookup(c.vars[name] ?? .null, rest) }
        case .input:
            guard let name = segments.first else { return { _ in .null } }
            let rest = segments.dropFirst()
            return { c in lookup(c.inputs[name] ?? .null, rest) }
        case .child:
            return { c in c.childOutcome.map(Value.string) ?? .null }
        case .run:
            switch segments.first {
            case "started_at": return { c in .datetime(c.runStartedAt) }
            case "entered_at": return { c in .datetime(c.runEnteredAt) }
            case "state": return { c in .string(c.runState) }
            default: return { _ in .null }
            }
        case .now:
            return { c in .datetime(c.now) }
        }
    }

    private static func lookup(_ value: Value, _ segments: ArraySlice<String>) -> Value {
        var current = value
        for segment in segments {
            guard case .object(let fields) = current, let next = fields[segment] else { return .null }
            current = next
        }
        return current
    }

    /// Logical operators read null as false.
    private static func truth(_ v: Value, _ op: String) throws(EvaluationError) -> Bool {
        switch v {
        case .boolean(let b): return b
        case .null: return false
        default: throw EvaluationError("'\(op)' needs booleans, found \(v.typeName) \(v.quoted)")
        }
    }

    // MARK: Operators

    static func binary(_ op: BinaryOperator, _ l: Value, _ r: Value) throws(EvaluationError) -> Value {
        switch op {
        case .equal: return .boolean(equals(l, r))
        case .notEqual: return .boolean(!equals(l, r))
        case .less, .lessEqual, .greater, .greaterEqual:
            if l == .null || r == .null { return .boolean(false) }
            guard let order = compare(l, r) else {
                throw EvaluationError("cannot order \(l.typeNameWithArticle) and \(r.typeNameWithArticle)")
            }
            switch op {
            case .less: return .boolean(order < 0)
            case .lessEqual: return .boolean(order <= 0)
            case .greater: return .boolean(order > 0)
            default: return .boolean(order >= 0)
            }
        case .in, .notIn:
            if l == .null || r == .null { return .boolean(false) }
            let found: Bool
            switch (l, r) {
            case (_, .list(let items)): found = items.contains { equals($0, l) }
            case (.string(let needle), .string(let hay)): found = hay.contains(needle)
            default: throw EvaluationError("'\(op.rawValue)' needs a list or a string on the right, found \(r.typeName)")
            }
            return .boolean(op == .in ? found : !found)
        case .plus, .minus, .times, .divide, .remainder:
            if l == .null || r == .null { return .null }
            return try arithmetic(op, l, r)
        case .and, .or:
            let a = try truth(l, op.rawValue), b = try truth(r, op.rawValue)
            return .boolean(op == .and ? a && b : a || b)
        }
    }

    /// Equality: numbers by value across integer and decimal, lists element by element.
    public static func equals(_ l: Value, _ r: Value) -> Bool {
        switch (l, r) {
        case let (.integer(a), .integer(b)): return a == b
        case let (.integer(a), .number(b)): return DecimalOrder.compare(a, b) == 0
        case let (.number(a), .integer(b)): return DecimalOrder.compare(b, a) == 0
        case let (.number(a), .number(b)): return DecimalOrder.equal(a, b)
        case let (.list(a), .list(b)): return a.count == b.count && zip(a, b).allSatisfy { equals($0, $1) }
        default: return l == r
        }
    }

    /// -1, 0, 1, or nil when the two values have no common order.
    static func compare(_ l: Value, _ r: Value) -> Int? {
        func sign<T: Comparable>(_ a: T, _ b: T) -> Int { a < b ? -1 : (a == b ? 0 : 1) }
        switch (l, r) {
        case let (.integer(a), .integer(b)): return sign(a, b)
        case let (.integer(a), .number(b)): return DecimalOrder.compare(a, b)
        case let (.number(a), .integer(b)): return -DecimalOrder.compare(b, a)
        case let (.number(a), .number(b)): return DecimalOrder.compare(a, b)
        case let (.string(a), .string(b)): return sign(a, b)
        case let (.date(a), .date(b)): return sign(a, b)
        case let (.datetime(a), .datetime(b)): return sign(a, b)
        case let (.duration(a), .duration(b)): return sign(a, b)
        default: return nil
        }
    }

    private static func arithmetic(_ op: BinaryOperator, _ l: Value, _ r: Value) throws(EvaluationError) -> Value {
        func checked(_ result: (Int, Bool)) throws(EvaluationError) -> Value {
            guard !result.1 else { throw EvaluationError("integer overflow in '\(op.rawValue)'") }
            return .integer(result.0)
        }
        func checked64(_ result: (Int64, Bool)) throws(EvaluationError) -> Int64 {
            guard !result.1 else { throw EvaluationError("overflow in '\(op.rawValue)'") }
            return result.0
        }
        switch (op, l, r) {
        case let (.plus, .integer(a), .integer(b)): return try checked(a.addingReportingOverflow(b))
        case let (.minus, .integer(a), .integer(b)): return try checked(a.subtractingReportingOverflow(b))
        case let (.times, .integer(a), .integer(b)): return try checked(a.multipliedReportingOverflow(by: b))
        case let (.remainder, .integer(a), .integer(b)):
            guard b != 0 else { throw EvaluationError("remainder by zero") }
            return try checked(a.remainderReportingOverflow(dividingBy: b))
        case let (.plus, .string(a), .string(b)): return .string(a + b)
        case let (.plus, .list(a), .list(b)): return .list(a + b)
        case let (.plus, .date(d), .duration(ms)), let (.plus, .duration(ms), .date(d)):
            return .date(d + Int(CivilTime.floorDivide(ms, DurationFormat.day).0))
        case let (.minus, .date(d), .duration(ms)):
            return .date(d - Int(CivilTime.floorDivide(ms, DurationFormat.day).0))
        case let (.plus, .datetime(t), .duration(ms)), let (.plus, .duration(ms), .datetime(t)):
            return .datetime(try checked64(t.addingReportingOverflow(ms)))
        case let (.minus, .datetime(t), .duration(ms)): return .datetime(try checked64(t.subtractingReportingOverflow(ms)))
        case let (.minus, .datetime(a), .datetime(b)): return .duration(try checked64(a.subtractingReportingOverflow(b)))
        case let (.minus, .date(a), .date(b)): return .duration(Int64(a - b) * DurationFormat.day)
        case let (.plus, .duration(a), .duration(b)): return .duration(try checked64(a.addingReportingOverflow(b)))
        case let (.minus, .duration(a), .duration(b)): return .duration(try checked64(a.subtractingReportingOverflow(b)))
        case let (.times, .duration(a), .integer(b)), let (.times, .integer(b), .duration(a)):
            return .duration(try checked64(a.multipliedReportingOverflow(by: Int64(b))))
        case let (.divide, .duration(a), .integer(b)):
            guard b != 0 else { throw EvaluationError("division by zero") }
            return .duration(try checked64(a.dividedReportingOverflow(by: Int64(b))))
        default:
            guard let a = decimal(l), let b = decimal(r) else {
                throw EvaluationError("'\(op.rawValue)' cannot combine \(l.typeNameWithArticle) and \(r.typeNameWithArticle)")
            }
            switch op {
            case .plus: return .number(a + b)
            case .minus: return .number(a - b)
            case .times: return .number(a * b)
            case .divide:
                guard !b.isZero else { throw EvaluationError("division by zero") }
                return .number(a / b)
            default:
                guard !b.isZero else { throw EvaluationError("remainder by zero") }
                var quotient = a / b, truncated = Decimal()
                NSDecimalRound(&truncated, &quotient, 0, a.sign == b.sign ? .down : .up)
                return .number(a - truncated * b)
            }
        }
    }

    private static func decimal(_ v: Value) -> Decimal? {
        switch v {
        case .integer(let i): return Decimal(i)
        case .number(let d): return d
        default: return nil
        }
    }
}
