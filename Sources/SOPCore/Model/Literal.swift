import Foundation
import SOPDiagnostics
import SOPJSON
import SOPYAML

/// A value written in an SOP — a `set` value, a variable's `initial` — as what it means (YAML's
/// core schema resolved: null, a boolean, a number, text, a list, a mapping) and where each part
/// was written. Text keeps where and how it was written, since it may hold `${{ }}` templates
/// whose positions map back to the file.
public struct Literal: Sendable, Hashable {
    public indirect enum Value: Sendable, Hashable {
        case null
        case bool(Bool)
        case int(Int)
        /// A number that is not an integer (its text as written keeps it exactly).
        case number(Double)
        case text(ExpressionText)
        case list([Literal])
        case mapping([Member])
        /// Not a value: the decoder reported it (a `{{ x }}` where a quoted template was meant).
        case invalid
    }

    public struct Member: Sendable, Hashable {
        public var key: String
        public var value: Literal
    }

    public var value: Value
    public var span: SourceSpan
    /// A scalar's text as written (nil for lists and mappings): what messages quote.
    public var written: String?

    /// How messages name it: "the string 'two'", "the integer 3", "a list", "null".
    public var kindDescription: String {
        switch value {
        case .null: return written?.isEmpty ?? true ? "nothing" : "null"
        case .bool(let b): return "the boolean \(b)"
        case .int(let i): return "the integer \(i)"
        case .number: return "the number \(written ?? "")"
        case .text(let t): return "the string '\(t.text.count > 40 ? String(t.text.prefix(37)) + "…" : t.text)'"
        case .list: return "a list"
        case .mapping, .invalid: return "a mapping"
        }
    }

    /// The text, when the value is text.
    public var text: ExpressionText? {
        if case .text(let t) = value { return t }
        return nil
    }

    /// The value as JSON, as runs store it.
    public var json: JSONValue {
        switch value {
        case .null, .invalid: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .number(let d):
            let text = written ?? "\(d)"
            return d.isFinite ? .number(Decimal(string: text) ?? Decimal(d)) : .string(text)
        case .text(let t): return .string(t.text)
        case .list(let items): return .array(items.map(\.json))
        case .mapping(let members): return .object(JSONObject(members.map { ($0.key, $0.value.json) }))
        }
    }
}

extension Literal {
    /// The literal a YAML node means.
    init(_ document: YAMLDocument, _ node: YAMLNodeID) {
        let span = document.span(node)
        if document.isSequence(node) {
            self.init(value: .list(document.items(node).map { Literal(document, $0) }), span: span, written: nil)
        } else if document.isMapping(node) {
            let members = document.pairs(node).map { Member(key: document.text($0.key), value: Literal(document, $0.value)) }
            self.init(value: .mapping(members), span: span, written: nil)
        } else {
            let scalar = document.node(node).scalar!
            let value: Value
            switch scalar.resolved {
            case .null: value = .null
            case .bool(let b): value = .bool(b)
            case .int(let i): value = .int(i)
            case .float(let d): value = .number(d)
            case .string: value = .text(ExpressionText(text: scalar.text, location: ScalarLocation(span: span, style: scalar.style)))
            }
            self.init(value: value, span: span, written: scalar.text)
        }
    }
}
