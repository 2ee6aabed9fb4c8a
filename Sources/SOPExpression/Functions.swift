import Foundation

/// Why a function's argument does not fit: which argument, what was expected, and the type the
/// call has anyway (so checking goes on).
struct ArgumentFailure: Error {
    var argument: Int
    var message: String
    var fallback: ExprType
}

/// A built-in function: its arity, signature for messages, static check and implementation.
struct FunctionDefinition: Sendable {
    var arity: ClosedRange<Int>
    var signature: String
    var check: @Sendable ([ExprType]) -> Result<ExprType, ArgumentFailure>
    var apply: @Sendable ([Value], borrowing EvaluationContext) throws(EvaluationError) -> Value
}

/// A list function whose last argument is a lambda (`all(xs, x -> x > 0)`): the lambda's body is
/// evaluated once per item, or once per pair of items of two lists taken element-wise.
struct LambdaFunctionDefinition: Sendable {
    /// How many lists come before the lambda (the lambda has that many parameters).
    var lists: ClosedRange<Int>
    var signature: String
    /// Whether the body is a condition (must be boolean).
    var condition: Bool
    /// The call's type, from the element type of the first list and the body's type.
    var result: @Sendable (_ element: ExprType, _ body: ExprType) -> ExprType
    /// Applies the function to the lists (none null); `body(i)` evaluates the lambda for the items
    /// at position `i`.
    var apply: @Sendable (_ lists: [[Value]], _ body: (Int) throws(EvaluationError) -> Value) throws(EvaluationError) -> Value
}

/// The functions of docs/expressions.md. Every function returns null for a null argument unless it
/// is a test (`contains`, `starts_with`, `exists`), which returns false.
enum Functions {
    static let table: [String: FunctionDefinition] = [
        "len": FunctionDefinition(
            arity: 1...1, signature: "len(string or list)",
            check: { t in accepts(t[0], [.string], lists: true) ? .success(.integer) : fail(0, "needs a string or a list", .integer) },
            apply: { a, _ throws(EvaluationError) in
                switch a[0] {
                case .string(let s): return .integer(s.count)
                case .list(let l): return .integer(l.count)
                case .null: return .null
                default: throw EvaluationError("len() needs a string or a list, found \(a[0].typeName)")
                }
            }),
        "contains": FunctionDefinition(
            arity: 2...2, signature: "contains(list or string, value)",
            check: { t in accepts(t[0], [.string], lists: true) ? .success(.boolean) : fail(0, "needs a list or a string first", .boolean) },
            apply: { a, _ throws(EvaluationError) in
                switch (a[0], a[1]) {
                case (.null, _), (_, .null): return .boolean(false)
                case (.list(let items), let needle): return .boolean(items.contains { Evaluator.equals($0, needle) })
                case (.string(let s), .string(let n)): return .boolean(s.contains(n))
                default: throw EvaluationError("contains() cannot look for \(a[1].typeNameWithArticle) in \(a[0].typeNameWithArticle)")
                }
            }),
        "lower": textFunction("lower") { $0.lowercased() },
        "upper": textFunction("upper") { $0.uppercased() },
        "starts_with": FunctionDefinition(
            arity: 2...2, signature: "starts_with(string, prefix)",
            check: { t in
                if !accepts(t[0], [.string]) { return fail(0, "needs a string", .boolean) }
                if !accepts(t[1], [.string]) { return fail(1, "needs a string prefix", .boolean) }
                return .success(.boolean)
            },
            apply: { a, _ throws(EvaluationError) in
                switch (a[0], a[1]) {
                case (.string(let s), .string(let p)): return .boolean(s.hasPrefix(p))
                case (.null, _), (_, .null): return .boolean(false)
                default: throw EvaluationError("starts_with() needs strings")
                }
            }),
        "exists": FunctionDefinition(
            arity: 1...1, signature: "exists(path)",
            check: { _ in .success(.boolean) },
            apply: { a, _ in .boolean(a[0] != .null) }),
        "coalesce": FunctionDefinition(
            arity: 2...2, signature: "coalesce(value, fallback)",
            check: { t in t[0].join(t[1]).map { .success($0) } ?? fail(1, "needs a fallback of the same type as the value (\(t[0]))", .any) },
            apply: { a, _ in a[0] == .null ? a[1] : a[0] }),
        "if": FunctionDefinition(
            arity: 3...3, signature: "if(condition, then, else)",
            check: { t in
                if !accepts(t[0], [.boolean]) { return fail(0, "needs a boolean condition", .any) }
                return t[1].join(t[2]).map { .success($0) } ?? fail(2, "needs both branches of one type (\(t[1]))", .any)
            },
            apply: { a, _ in a[0] == .boolean(true) ? a[1] : a[2] }),
        "today": FunctionDefinition(
            arity: 0...0, signature: "today()",
            check: { _ in .success(.date) },
            apply: { _, c in .date(Int(CivilTime.floorDivide(c.now, DurationFormat.day).0)) }),
        "days_since": FunctionDefinition(
            arity: 1...1, signature: "days_since(date or datetime)",
            check: { t in accepts(t[0], [.date, .datetime]) ? .success(.integer) : fail(0, "needs a date or a datetime", .integer) },
            apply: { a, c throws(EvaluationError) in
                let today = Int(CivilTime.floorDivide(c.now, DurationFormat.day).0)
                switch a[0] {
                case .date(let d): return .integer(today - d)
                case .datetime(let t): return .integer(Int(CivilTime.floorDivide(c.now - t, DurationFormat.day).0))
                case .null: return .null
                default: throw EvaluationError("days_since() needs a date or a datetime, found \(a[0].typeName)")
                }
            }),
        "hours_since": FunctionDefinition(
            arity: 1...1, signature: "hours_since(datetime)",
            check: { t in accepts(t[0], [.datetime, .date]) ? .success(.integer) : fail(0, "needs a datetime", .integer) },
            apply: { a, c throws(EvaluationError) in
                switch a[0] {
                case .datetime(let t): return .integer(Int(CivilTime.floorDivide(c.now - t, DurationFormat.hour).0))
                case .date(let d): return .integer(Int(CivilTime.floorDivide(c.now - Int64(d) * DurationFormat.day, DurationFormat.hour).0))
                case .null: return .null
                default: throw EvaluationError("hours_since() needs a datetime, found \(a[0].typeName)")
                }
            }),
        "date": FunctionDefinition(
            arity: 1...1, signature: "date('YYYY-MM-DD')",
            check: { t in accepts(t[0], [.string, .date, .datetime]) ? .success(.date) : fail(0, "needs a string", .date) },
            apply: { a, _ throws(EvaluationError) in
                switch a[0] {
                case .string(let s):
                    guard let d = CivilTime.parseDate(s) else { throw EvaluationError("date('\(s)'): not a date of the form YYYY-MM-DD") }
                    return .date(d)
                case .date: return a[0]
                case .datetime(let t): return .date(Int(CivilTime.floorDivide(t, DurationFormat.day).0))
                case .null: return .null
                default: throw EvaluationError("date() needs a string, found \(a[0].typeName)")
                }
            }),
        "datetime": FunctionDefinition(
            arity: 1...1, signature: "datetime('2026-11-02T09:00:00Z')",
            check: { t in accepts(t[0], [.string, .date, .datetime]) ? .success(.datetime) : fail(0, "needs a string", .datetime) },
            apply: { a, _ throws(EvaluationError) in
                switch a[0] {
                case .string(let s):
                    guard let t = CivilTime.parseDateTime(s) else { throw EvaluationError("datetime('\(s)'): not an RFC 3339 datetime") }
                    return .datetime(t)
                case .date(let d): return .datetime(Int64(d) * DurationFormat.day)
                case .datetime: return a[0]
                case .null: return .null
                default: throw EvaluationError("datetime() needs a string, found \(a[0].typeName)")
                }
            }),
        "sum": FunctionDefinition(
            arity: 1...1, signature: "sum(list of numbers)",
            check: { t in
                let e = element(t[0])
                guard accepts(t[0], [], lists: true), e.isNumeric || e.tag == .any || e.tag == .null else {
                    return fail(0, "needs a list of numbers", .number)
                }
                return .success(e.tag == .integer ? .integer : .number)
            },
            apply: { a, _ throws(EvaluationError) in
                switch a[0] {
                case .list(let items): return try sum(items)
                case .null: return .null
                default: throw EvaluationError("sum() needs a list of numbers, found \(a[0].typeName)")
                }
            }),
        "subset": FunctionDefinition(
            arity: 2...2, signature: "subset(list, list)",
            check: { t in
                if !accepts(t[0], [], lists: true) { return fail(0, "needs a list", .boolean) }
                if !accepts(t[1], [], lists: true) { return fail(1, "needs a list", .boolean) }
                return .success(.boolean)
            },
            apply: { a, _ throws(EvaluationError) in
                switch (a[0], a[1]) {
                case (.null, _), (_, .null): return .null
                case let (.list(x), .list(y)): return .boolean(isSubset(x, of: y))
                default: throw EvaluationError("subset() needs two lists, found \(a[0].typeName) and \(a[1].typeName)")
                }
            }),
        "keys": FunctionDefinition(
            arity: 1...1, signature: "keys(object)",
            check: { t in
                switch t[0].tag {
                case .object, .map, .any, .null: return .success(.list(.string))
                default: return fail(0, "needs an object", .list(.string))
                }
            },
            apply: { a, _ throws(EvaluationError) in
                switch a[0] {
                // Sorted: an object keeps no order of its own (Value.object is a dictionary).
                case .object(let fields): return .list(fields.keys.sorted().map(Value.string))
                case .null: return .null
                default: throw EvaluationError("keys() needs an object, found \(a[0].typeName)")
                }
            }),
    ]

    /// `all`, `any`, `map`, `find` and `count`. Two lists of different lengths are no pairs:
    /// `all` and `any` are false, `map` is null.
    static let lambdaFunctions: [String: LambdaFunctionDefinition] = [
        "all": LambdaFunctionDefinition(
            lists: 1...2, signature: "all(list, x -> condition) or all(a, b, (x, y) -> condition)", condition: true,
            result: { _, _ in .boolean },
            apply: { lists, body throws(EvaluationError) in
                guard let n = pairCount(lists) else { return .boolean(false) }
                for i in 0..<n where try !holds(body(i), "all") { return .boolean(false) }
                return .boolean(true)
            }),
        "any": LambdaFunctionDefinition(
            lists: 1...2, signature: "any(list, x -> condition) or any(a, b, (x, y) -> condition)", condition: true,
            result: { _, _ in .boolean },
            apply: { lists, body throws(EvaluationError) in
                guard let n = pairCount(lists) else { return .boolean(false) }
                for i in 0..<n where try holds(body(i), "any") { return .boolean(true) }
                return .boolean(false)
            }),
        "map": LambdaFunctionDefinition(
            lists: 1...2, signature: "map(list, x -> value) or map(a, b, (x, y) -> value)", condition: false,
            result: { _, body in .list(body.tag == .null ? .any : body) },
            apply: { lists, body throws(EvaluationError) in
                guard let n = pairCount(lists) else { return .null }
                var out: [Value] = []
                out.reserveCapacity(n)
                for i in 0..<n { out.append(try body(i)) }
                return .list(out)
            }),
        "find": LambdaFunctionDefinition(
            lists: 1...1, signature: "find(list, x -> condition)", condition: true,
            result: { element, _ in element },
            apply: { lists, body throws(EvaluationError) in
                for i in lists[0].indices where try holds(body(i), "find") { return lists[0][i] }
                return .null
            }),
        "count": LambdaFunctionDefinition(
            lists: 1...1, signature: "count(list, x -> condition)", condition: true,
            result: { _, _ in .integer },
            apply: { lists, body throws(EvaluationError) in
                var n = 0
                for i in lists[0].indices where try holds(body(i), "count") { n += 1 }
                return .integer(n)
            }),
    ]

    /// Every function name, for messages.
    static var allNames: [String] { (Array(table.keys) + Array(lambdaFunctions.keys)).sorted() }

    /// The number of items (or pairs) the lambda runs over; nil for two lists of different lengths.
    private static func pairCount(_ lists: [[Value]]) -> Int? {
        let n = lists[0].count
        return lists.allSatisfy { $0.count == n } ? n : nil
    }

    /// A lambda's condition: null does not hold (as in a guard); anything else but a boolean is an error.
    private static func holds(_ v: Value, _ name: String) throws(EvaluationError) -> Bool {
        switch v {
        case .boolean(let b): return b
        case .null: return false
        default: throw EvaluationError("the condition of \(name)() must be boolean, found \(v.typeName) \(v.quoted)")
        }
    }

    /// `sum(list)`: integers add up as integers, anything with a decimal as a decimal.
    private static func sum(_ items: [Value]) throws(EvaluationError) -> Value {
        var integer = 0
        var decimal: Decimal? = nil
        for item in items {
            switch item {
            case .null: return .null
            case .integer(let i):
                if decimal != nil {
                    decimal! += Decimal(i)
                } else {
                    let (s, overflow) = integer.addingReportingOverflow(i)
                    guard !overflow else { throw EvaluationError("integer overflow in sum()") }
                    integer = s
                }
            case .number(let d):
                decimal = (decimal ?? Decimal(integer)) + d
            default:
                throw EvaluationError("sum() needs a list of numbers, found \(item.typeNameWithArticle)")
            }
        }
        return decimal.map(Value.number) ?? .integer(integer)
    }

    /// Multiset inclusion: every item of `a` matched by its own item of `b` (equal as `==` says).
    private static func isSubset(_ a: [Value], of b: [Value]) -> Bool {
        guard a.count <= b.count else { return false }
        var used = [Bool](repeating: false, count: b.count)
        for item in a {
            guard let j = b.indices.first(where: { !used[$0] && Evaluator.equals(b[$0], item) }) else { return false }
            used[j] = true
        }
        return true
    }

    /// The element type of a list type (unknown for anything else).
    private static func element(_ t: ExprType) -> ExprType {
        if case .list(let e) = t { return e }
        return .any
    }

    private static func textFunction(_ name: String, _ transform: @escaping @Sendable (String) -> String) -> FunctionDefinition {
        FunctionDefinition(
            arity: 1...1, signature: "\(name)(string)",
            check: { t in accepts(t[0], [.string]) ? .success(.string) : fail(0, "needs a string", .string) },
            apply: { a, _ throws(EvaluationError) in
                switch a[0] {
                case .string(let s): return .string(transform(s))
                case .null: return .null
                default: throw EvaluationError("\(name)() needs a string, found \(a[0].typeName)")
                }
            })
    }

    /// Whether a static type is one of `allowed` (strings include enums), or unknown/null.
    private static func accepts(_ t: ExprType, _ allowed: [ExprType], lists: Bool = false) -> Bool {
        if t.tag == .any || t.tag == .null { return true }
        if case .list = t { return lists }
        if t.isText { return allowed.contains(.string) }
        return allowed.contains(t)
    }

    private static func fail(_ argument: Int, _ message: String, _ fallback: ExprType) -> Result<ExprType, ArgumentFailure> {
        .failure(ArgumentFailure(argument: argument, message: message, fallback: fallback))
    }
}
