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
    ]

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
