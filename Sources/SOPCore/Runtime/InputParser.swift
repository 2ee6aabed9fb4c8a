import Foundation
import SOPExpression
import SOPJSON

/// Parses an input typed by an agent (`--input amount=19.99`) by its declared type.
public enum InputParser {
    public static func parse(_ text: String, spec: InputSpec) throws(StepRejection) -> Value {
        let name = spec.id.value
        func bad(_ expected: String) -> StepRejection {
            StepRejection("input '\(name)' expects \(expected), found '\(text)'")
        }
        switch spec.type {
        case .string:
            let length = text.unicodeScalars.count  // code points, as JSON Schema counts (docs/format.md)
            if spec.required && text.allSatisfy(\.isWhitespace) {
                throw StepRejection("input '\(name)' needs an answer: it is required and cannot be empty or blank")
            }
            if let min = spec.minLength, length < min {
                throw StepRejection("input '\(name)' must be at least \(min) characters long, found \(length)")
            }
            if let max = spec.maxLength, length > max {
                throw StepRejection("input '\(name)' must be at most \(max) characters long, found \(length)")
            }
            if let pattern = spec.pattern, !InputPattern.matches(text, pattern) {
                throw StepRejection("input '\(name)' must match the pattern \(pattern), found '\(text)'")
            }
            return .string(text)
        case .integer:
            guard let i = Int(text.trimmingCharacters(in: .whitespaces)) else { throw bad("a whole number such as 42") }
            try check(Decimal(i), spec)
            return .integer(i)
        case .number:
            let t = text.trimmingCharacters(in: .whitespaces)
            guard case .some(let j) = try? JSONParser.parse(t), let d = decimal(j) else { throw bad("a number such as 19.99") }
            try check(d, spec)
            return .number(d)
        case .boolean:
            switch text.lowercased() {
            case "true", "yes", "y": return .boolean(true)
            case "false", "no", "n": return .boolean(false)
            default: throw bad("true or false (yes/no)")
            }
        case .date:
            guard let d = CivilTime.parseDate(text) else { throw bad("a date as YYYY-MM-DD") }
            return .date(d)
        case .datetime:
            guard let t = CivilTime.parseDateTime(text) else { throw bad("a datetime such as 2026-11-02T09:00:00Z") }
            return .datetime(t)
        case .duration:
            guard let ms = DurationFormat.parse(text) else { throw bad("a duration such as 48h or 1h30m") }
            return .duration(ms)
        case .enum:
            let values = spec.values.map(\.value)
            guard values.contains(text) else {
                throw StepRejection("input '\(name)' must be one of \(values.joined(separator: ", ")), found '\(text)'",
                                    instead: values.map { "\(name)=\($0)" })
            }
            return .string(text)
        case .list:
            // Text that opens with `[` is a JSON array, or a mistake: read as one item it would
            // pass as a strange id (`[a]`), so it is refused with the form to use.
            if text.trimmingCharacters(in: .whitespaces).hasPrefix("[") {
                guard case .array(let items)? = try? JSONParser.parse(text) else {
                    throw bad("a JSON array of strings such as [\"a\", \"b\"], or items separated by commas")
                }
                var list: [Value] = []
                for item in items {
                    switch item {
                    case .string(let s): list.append(.string(s))
                    case .int, .number, .bool: list.append(.string(item.render()))
                    default:
                        throw StepRejection("input '\(name)' is a list of strings: an item may be a string, a number or a boolean, "
                                            + "not \(item.render())")
                    }
                }
                return .list(list)
            }
            return .list(text.split(separator: ",").map { .string($0.trimmingCharacters(in: .whitespaces)) })
        }
    }

    private static func decimal(_ j: JSONValue) -> Decimal? {
        switch j {
        case .int(let i): return Decimal(i)
        case .number(let d): return d
        default: return nil
        }
    }

    private static func check(_ n: Decimal, _ spec: InputSpec) throws(StepRejection) {
        if let min = spec.min, n < Decimal(min) {
            throw StepRejection("input '\(spec.id.value)' must be at least \(Decimal(min)), found \(n)")
        }
        if let max = spec.max, n > Decimal(max) {
            throw StepRejection("input '\(spec.id.value)' must be at most \(Decimal(max)), found \(n)")
        }
    }
}
