import SOPCore
import SOPJSON

extension StepCommand {
    /// A step as the HTTP API's body (`POST /v1/runs/{run}/steps`) and the MCP `step` tool's
    /// arguments give it: `inputs` (NAME: a string, a number or a boolean, in the order given;
    /// for a `list` input also an array of them, read as the command line reads `["a", "b"]`),
    /// `checks` (`"all"` or checklist item numbers from 1) and `event` (a name); each may be
    /// absent or null. Other members are the caller's to check.
    public static func submit(from body: JSONObject) throws(RunError) -> StepCommand {
        var inputs: [(String, String)] = []
        switch body["inputs"] {
        case nil, .null?: break
        case .object(let members)?:
            for (name, value) in members {
                switch value {
                case .string(let s): inputs.append((name, s))
                case .int, .number, .bool: inputs.append((name, value.render()))
                case .array(let items) where items.allSatisfy({ switch $0 { case .string, .int, .number, .bool: true; default: false } }):
                    // The JSON text a `list` input takes on the command line; any other type
                    // reads it as it would read that text typed there.
                    inputs.append((name, value.render()))
                default: throw .badRequest("input '\(name)' must be a string, a number, a boolean, or an array of them for a list input")
                }
            }
        default: throw .badRequest("'inputs' must be an object of NAME: value")
        }
        var checks: ChecklistSelection?
        switch body["checks"] {
        case nil, .null?: break
        case .string("all")?: checks = .all
        case .array(let items)?:
            var numbers: [Int] = []
            for item in items {
                guard case .int(let n) = item, n >= 1 else { throw .badRequest("'checks' must be \"all\" or item numbers from 1") }
                numbers.append(n)
            }
            checks = .items(numbers)
        default: throw .badRequest("'checks' must be \"all\" or a list of item numbers")
        }
        var event: String?
        switch body["event"] {
        case nil, .null?: break
        case .string(let name)? where !name.isEmpty: event = name
        default: throw .badRequest("'event' must be an event's name")
        }
        return .submit(inputs: inputs, event: event, checks: checks)
    }
}
