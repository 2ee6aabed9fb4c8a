import Foundation
import SOPCore
import SOPDiagnostics
import SOPExpression

/// What the file being edited declares, as far as it can be read while it is typed: the model
/// when the text loads (or loads once the line at the cursor is left out, as a half-typed line
/// often is the only thing in the way), else the workspace's index entry of the file.
struct AuthoredSOP {
    var definition: SOPDefinition?
    var entry: SOPIndexEntry?

    init(source: SourceFile, cursorLine: Int, context: AuthoringContext) {
        var loaded = SOPLoader.load(source).definition
        if loaded == nil, cursorLine >= 1, cursorLine <= source.lineCount {
            // The text without the line at the cursor (kept as a blank line, so positions hold).
            let start = source.lineStarts[cursorLine - 1]
            let end = cursorLine < source.lineCount ? source.lineStarts[cursorLine] : source.bytes.count
            var bytes = Array(source.bytes[..<start])
            if cursorLine < source.lineCount { bytes.append(0x0A) }
            bytes += source.bytes[end...]
            loaded = SOPLoader.load(SourceFile(path: source.path, bytes: bytes)).definition
        }
        definition = loaded
        let id = loaded?.id.value
        entry = context.sops.first { $0.file == source.path } ?? id.flatMap { id in context.sops.first { $0.id == id } }
    }

    /// The SOP a scenario test file tests: what the workspace's index knows of it.
    init(tested id: String?, context: AuthoringContext) {
        definition = nil
        entry = id.flatMap { id in context.sops.first { $0.id == id } }
    }

    /// The id after `sop:` at the top of a file, read from its lines (the file may not parse).
    static func declaredID(in source: SourceFile) -> String? {
        for line in 1...max(1, source.lineCount) {
            guard let text = source.lineText(line), text.hasPrefix("sop:") else { continue }
            var value = text.dropFirst(4).drop { $0 == " " }
            if let comment = value.range(of: " #") { value = value[..<comment.lowerBound] }
            let id = value.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "'\""))
            return id.isEmpty ? nil : id
        }
        return nil
    }

    var stateIDs: [String] { definition?.states.map(\.id.value) ?? entry?.states ?? [] }

    func title(ofState id: String) -> String? { definition?.state(id)?.title }

    var roles: [String] {
        if let definition { return definition.roles.isEmpty ? SOPDefinition.defaultRoles : definition.roles.map(\.value) }
        return entry.map { $0.roles.isEmpty ? SOPDefinition.defaultRoles : $0.roles } ?? SOPDefinition.defaultRoles
    }

    var events: [String] {
        var events: [String] = []
        if let definition {
            for state in definition.states {
                for t in state.transitions {
                    if let on = t.on?.value, !SLAEvent.isSLAName(on), !events.contains(on) { events.append(on) }
                }
            }
            events.sort()
        } else {
            events = entry?.events.filter { !SLAEvent.isSLAName($0) } ?? []
        }
        for target in definition?.sla?.targets ?? [] {
            events += SLAEvent.allCases.filter { $0 == .warning || $0 == .breached }.map { "sla.\(target.id.value).\($0.rawValue)" }
        }
        return events
    }

    var outcomes: [String] {
        if let definition { return Array(Set(definition.states.compactMap(\.end?.value))).sorted() }
        return entry?.outcomes ?? []
    }

    var variables: [FieldSpec] { definition?.vars ?? [] }

    /// The inputs a guard in `state` may read: the state's own first, then those of the states
    /// from which a run can reach it (the run may have been given them on its way).
    func inputs(readableIn state: String?) -> [InputSpec] {
        guard let definition else { return [] }
        guard let state, definition.state(state) != nil else {
            var all: [InputSpec] = []
            for s in definition.states { for input in s.inputs where !all.contains(where: { $0.id.value == input.id.value }) { all.append(input) } }
            return all
        }
        // The states that lead to `state`, nearest first.
        var order = [state]
        var index = 0
        while index < order.count {
            let target = order[index]
            index += 1
            for s in definition.states where !order.contains(s.id.value) {
                if s.transitions.contains(where: { $0.to.value == target }) { order.append(s.id.value) }
            }
        }
        var result: [InputSpec] = []
        for id in order {
            for input in definition.state(id)?.inputs ?? [] where !result.contains(where: { $0.id.value == input.id.value }) {
                result.append(input)
            }
        }
        return result
    }

    /// What the checker may read in an expression of `state`.
    func environment(schema: TicketSchema?, state: String?, context: AuthoringContext) -> ExpressionEnvironment {
        var childOutcomes: [String]?
        if let call = state.flatMap({ definition?.state($0)?.call?.value }) {
            childOutcomes = context.sops.first { $0.id == call }?.outcomes
        }
        if let definition {
            return definition.expressionEnvironment(ticket: schema?.type, childOutcomes: childOutcomes)
        }
        return ExpressionEnvironment(ticket: schema?.type, states: stateIDs)
    }
}
