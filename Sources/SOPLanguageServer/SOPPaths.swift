import SOPCore

/// Which mapping of the SOP format a path of keys leads to, by the format's nesting
/// (docs/format.md): `states.ID` is a state, `states.ID.transitions[]` a transition, and so on.
enum SOPPaths {
    static func kind(of path: [PathElement], scenario: Bool = false) -> SOPMappingKind? {
        if scenario { return scenarioKind(of: path) }
        var kind = SOPMappingKind.top
        var i = 0
        func id() -> Bool {
            guard i + 1 < path.count, path[i + 1].key != nil else { return false }
            i += 2
            return true
        }
        func item() -> Bool {
            guard i + 1 < path.count, path[i + 1] == .item else { return false }
            i += 2
            return true
        }
        while i < path.count {
            switch (kind, path[i]) {
            case (.top, .key("states")):
                guard id() else { return nil }
                kind = .state
            case (.top, .key("vars")):
                guard id() else { return nil }
                kind = .variable
            case (.top, .key("sla")):
                i += 1; kind = .sla
            case (.sla, .key("targets")):
                guard id() else { return nil }
                kind = .slaTarget
            case (.slaTarget, .key("target")):
                i += 1; kind = .slaLength
            case (.state, .key("inputs")):
                guard id() else { return nil }
                kind = .input
            case (.input, .key("values")), (.variable, .key("values")):
                guard item() else { return nil }
                kind = .enumValue
            case (.state, .key("transitions")):
                guard item() else { return nil }
                kind = .transition
            case (.state, .key("enter")), (.transition, .key("do")):
                guard item() else { return nil }
                kind = .action
            case (.transition, .key("after")):
                i += 1; kind = .businessTimer
            case (.action, .key("notify")):
                i += 1; kind = .notify
            case (.action, .key("assign")):
                i += 1; kind = .assign
            case (.action, .key("start")):
                i += 1; kind = .startAction
            default:
                return nil
            }
        }
        return kind
    }

    /// The mappings of a scenario test file (docs/scenario-tests.md).
    static func scenarioKind(of path: [PathElement]) -> SOPMappingKind? {
        var kind = SOPMappingKind.testFile
        var i = 0
        while i < path.count {
            let next = i + 1 < path.count ? path[i + 1] : nil
            switch (kind, path[i]) {
            case (.testFile, .key("cases")) where next == .item:
                i += 2; kind = .testCase
            case (.testCase, .key("steps")) where next == .item:
                i += 2; kind = .testStep
            case (.testCase, .key("expect")), (.testStep, .key("expect")):
                i += 1; kind = .testExpectation
            case (.testStep, .key("actor")):
                i += 1; kind = .testActor
            default:
                return nil
            }
        }
        return kind
    }

    /// The state a path is inside (`states.ID…`).
    static func state(of path: [PathElement]) -> String? {
        guard path.count >= 2, path[0] == .key("states") else { return nil }
        return path[1].key
    }
}
