import Foundation

/// The roots a path may start with.
public enum PathRoot: String, Sendable, Hashable, CaseIterable {
    case ticket, `var`, input, child, run, now
}

public enum BinaryOperator: String, Sendable, Hashable {
    case or, and
    case equal = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
    case `in` = "in", notIn = "not in"
    case plus = "+", minus = "-", times = "*", divide = "/", remainder = "%"

    var isComparison: Bool {
        switch self {
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual, .in, .notIn: return true
        default: return false
        }
    }
}

public enum UnaryOperator: String, Sendable, Hashable {
    case not, negate = "-"
}

public enum Literal: Sendable, Hashable {
    case integer(Int)
    case decimal(String)
    case string(String)
    case boolean(Bool)
    case null
    case duration(Int64)
}

/// An expression tree. Each node carries the offsets (in Unicode scalars) of the text it was
/// parsed from; equality ignores them, so a printed and re-parsed tree compares equal.
///
/// Only the operators are boxed (`indirect`): leaves, calls and lists are stored inline, so a
/// typical guard costs a few allocations, not one per node.
public enum Expr: Sendable, CustomStringConvertible {
    case literal(Literal, Range<Int>)
    case path(PathRoot, PathSegments, Range<Int>)
    case call(String, [Expr], Range<Int>)
    indirect case unary(UnaryOperator, Expr, Range<Int>)
    indirect case binary(BinaryOperator, Expr, Expr, Range<Int>)
    case list([Expr], Range<Int>)
    /// A lambda's parameter inside its body, with the fields read from it: `i`, `i.item_id`.
    /// Boxed: inline, its payload would be the largest of all and make every node bigger
    /// (parsing the benchmark's guard took 1.04 µs so, 0.89 µs boxed; docs/benchmarks.md).
    indirect case param(String, PathSegments, Range<Int>)
    /// `base[key]`. A `.field` after anything but a path root (`orders[id].status`) is the same
    /// node with the field's name as a string key.
    indirect case index(Expr, Expr, Range<Int>)
    /// `x -> body` or `(x, y) -> body`: only ever the last argument of a list function
    /// (`Functions.lambdaFunctions`); the parser rejects it anywhere else.
    indirect case lambda([String], Expr, Range<Int>)

    public var range: Range<Int> {
        switch self {
        case .literal(_, let r), .path(_, _, let r), .call(_, _, let r), .unary(_, _, let r),
             .binary(_, _, _, let r), .list(_, let r), .param(_, _, let r), .index(_, _, let r), .lambda(_, _, let r):
            return r
        }
    }

    /// The expressions directly inside this one, a lambda's body and an index's key included:
    /// what a walker over every read of an expression visits.
    public var children: [Expr] {
        switch self {
        case .literal, .path, .param: return []
        case .call(_, let args, _), .list(let args, _): return args
        case .unary(_, let operand, _): return [operand]
        case .binary(_, let l, let r, _), .index(let l, let r, _): return [l, r]
        case .lambda(_, let body, _): return [body]
        }
    }

    /// Calls `body` on this expression and every expression inside it, parents first.
    public func forEachNode(_ body: (Expr) throws -> Void) rethrows {
        try body(self)
        for child in children { try child.forEachNode(body) }
    }

    /// The expression as source text, fully parenthesised so that it parses back to the same tree.
    public var description: String {
        switch self {
        case .literal(let l, _):
            switch l {
            case .integer(let i): return i < 0 ? "(\(i))" : String(i)
            case .decimal(let d): return d
            case .string(let s):
                return "'" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
                    .replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\t", with: "\\t") + "'"
            case .boolean(let b): return b ? "true" : "false"
            case .null: return "null"
            case .duration(let ms): return DurationFormat.format(ms)
            }
        case .path(let root, let segments, _):
            return segments.isEmpty ? root.rawValue : root.rawValue + "." + segments.dotted
        case .call(let name, let args, _):
            return name + "(" + args.map(\.description).joined(separator: ", ") + ")"
        case .unary(let op, let operand, _):
            return op == .not ? "(not \(operand))" : "(-\(operand))"
        case .binary(let op, let l, let r, _):
            return "(\(l) \(op.rawValue) \(r))"
        case .list(let items, _):
            return "[" + items.map(\.description).joined(separator: ", ") + "]"
        case .param(let name, let segments, _):
            return segments.isEmpty ? name : name + "." + segments.dotted
        case .index(let base, let key, _):
            return "\(base)[\(key)]"
        case .lambda(let params, let body, _):
            return "(" + params.joined(separator: ", ") + ") -> " + body.description
        }
    }
}

extension Expr: Equatable {
    public static func == (a: Expr, b: Expr) -> Bool {
        switch (a, b) {
        case let (.literal(x, _), .literal(y, _)): return x == y
        case let (.path(r1, s1, _), .path(r2, s2, _)): return r1 == r2 && s1 == s2
        case let (.call(n1, a1, _), .call(n2, a2, _)): return n1 == n2 && a1 == a2
        case let (.unary(o1, e1, _), .unary(o2, e2, _)): return o1 == o2 && e1 == e2
        case let (.binary(o1, l1, r1, _), .binary(o2, l2, r2, _)): return o1 == o2 && l1 == l2 && r1 == r2
        case let (.list(i1, _), .list(i2, _)): return i1 == i2
        case let (.param(n1, s1, _), .param(n2, s2, _)): return n1 == n2 && s1 == s2
        case let (.index(b1, k1, _), .index(b2, k2, _)): return b1 == b2 && k1 == k2
        case let (.lambda(p1, e1, _), .lambda(p2, e2, _)): return p1 == p2 && e1 == e2
        default: return false
        }
    }
}
