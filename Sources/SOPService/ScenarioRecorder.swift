import Foundation
import SOPCore
import SOPDiagnostics
import SOPExpression
import SOPJSON
import SOPYAML

/// Records what a session does to one run — its start ticket, each step, each advance of the
/// clock, each ticket update, and what came of each — and writes it as a case of a `*.test.yaml`
/// file (docs/scenario-tests.md) that `sop test` replays to the same places. The guide
/// (`sop guide --record-test`) and the console's sandbox feed it; it decides nothing and runs
/// nothing: it is told what happened.
///
/// Times are kept relative to the start, as the format keeps them: the case's `now` is the
/// start, and time that passed before a step becomes an `advance` step of whole seconds.
public struct ScenarioRecorder: Sendable {
    /// What came of a step.
    public enum Result: Sendable, Equatable {
        /// The step was applied; the run is in `state` (with `outcome` once it ended).
        case applied(state: String, outcome: String?)
        /// The step was refused for this reason; the case expects the refusal.
        case refused(reason: String)
    }

    /// One recorded step, in the format's terms.
    public struct Step: Sendable, Equatable {
        public enum Action: Sendable, Equatable {
            case submit(inputs: [Pair], event: String?, checks: ChecklistSelection?)
            case ticket(JSONValue)
            case advance(Int64)
        }

        /// An input id and its value as typed (the text the engine parses by the input's type).
        public struct Pair: Sendable, Equatable {
            public var id: String
            public var text: String
        }

        public var action: Action
        /// nil: the runner's default actor (a tester with the state's role) acted.
        public var actor: Actor?
        /// nil for a pause the session did not look at (time that passed between two steps).
        public var result: Result?
    }

    public let sop: String
    /// The case's clock at the start (milliseconds since the epoch).
    public let start: Int64
    public let ticket: JSONValue
    public private(set) var steps: [Step] = []
    /// Where the recorded clock stands: the start plus every recorded advance.
    public private(set) var clock: Int64
    /// The run at the end, for the case's closing `expect`.
    private var end: (state: String, outcome: String?, path: [String])?

    public init(sop: String, ticket: JSONValue, at start: Int64) {
        self.sop = sop
        self.ticket = ticket
        self.start = start
        clock = start
    }

    /// Time passed to `now`: an `advance` step of the whole seconds since the recorded clock
    /// (none under a second). `result` is the run after the timers that fell due (the sandbox's
    /// "+1h"); nil when the session only noticed the time had passed (the guide between answers).
    public mutating func advance(to now: Int64, result: Result? = nil) {
        let seconds = (now - clock) / 1000
        guard seconds > 0 else { return }
        steps.append(Step(action: .advance(seconds * 1000), actor: nil, result: result))
        clock += seconds * 1000
    }

    /// A step (inputs, checklist ticks, an event) sent at `now` by `actor` (nil: the default
    /// actor), and what came of it.
    public mutating func step(inputs: [(String, String)], event: String?, checks: ChecklistSelection?, actor: Actor?,
                              at now: Int64, result: Result) {
        advance(to: now)
        let pairs = inputs.map { Step.Pair(id: $0.0, text: $0.1) }
        steps.append(Step(action: .submit(inputs: pairs, event: event, checks: checks), actor: actor, result: result))
    }

    /// A JSON merge patch of the ticket, sent at `now`, and what came of it.
    public mutating func ticketUpdate(_ patch: JSONValue, actor: Actor?, at now: Int64, result: Result) {
        advance(to: now)
        steps.append(Step(action: .ticket(patch), actor: actor, result: result))
    }

    /// Where the run stands when the session ends: the case's closing expectation.
    public mutating func finish(state: String, outcome: String?, path: [String]) {
        end = (state, outcome, path)
    }

    // MARK: - Writing

    /// The case as an item of a `cases:` list, its `-` at `indent` spaces, ending in a newline.
    public func caseYAML(name: String, indent: Int = 2) -> String {
        let pad = String(repeating: " ", count: indent)
        var lines = ["- name: " + Self.scalar(name),
                     "  now: " + CivilTime.formatDateTime(start),
                     "  ticket: " + Self.flow(ticket)]
        if !steps.isEmpty { lines.append("  steps:") }
        for step in steps { lines += Self.lines(step).map { "    " + $0 } }
        if let end {
            lines.append("  expect:")
            if let outcome = end.outcome {
                lines.append("    outcome: " + Self.scalar(outcome))
            } else {
                lines.append("    state: " + Self.scalar(end.state))
            }
            lines.append("    path: [" + end.path.map(Self.scalar).joined(separator: ", ") + "]")
        }
        return lines.map { pad + $0 }.joined(separator: "\n") + "\n"
    }

    /// A whole test file holding this one case.
    public func fileYAML(name: String) -> String {
        "# yaml-language-server: $schema=../schemas/sop-test.schema.json\n"
            + "sop: " + Self.scalar(sop) + "\ncases:\n" + caseYAML(name: name)
    }

    static func lines(_ step: Step) -> [String] {
        var keys: [String] = []
        switch step.action {
        case .submit(let inputs, let event, let checks):
            if let event { keys.append("event: " + scalar(event)) }
            // A step with only checklist ticks is an `input` step with no inputs.
            if !inputs.isEmpty || event == nil {
                // Values as typed, quoted: the runner hands a scalar's text to the engine, which
                // parses it by the input's type, exactly as the session's text was.
                keys.append("input: {" + inputs.map { scalar($0.id) + ": " + valueScalar($0.text) }.joined(separator: ", ") + "}")
            }
            switch checks {
            case .all?: keys.append("check: all")
            case .items(let items)?: keys.append("check: [" + items.map(String.init).joined(separator: ", ") + "]")
            case nil: break
            }
        case .ticket(let patch):
            keys.append("ticket: " + flow(patch))
        case .advance(let ms):
            keys.append("advance: " + DurationFormat.format(ms))
        }
        if let actor = step.actor {
            keys.append("actor: {id: " + scalar(actor.id) + ", role: " + scalar(actor.role) + "}")
        }
        switch step.result {
        case .applied(let state, let outcome)?:
            keys.append("expect: {state: " + scalar(state) + (outcome.map { ", outcome: " + scalar($0) } ?? "") + "}")
        case .refused(let reason)?:
            // The first line of the reason: the runner looks for this text in the refusal.
            let line = reason.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? reason
            keys.append("expect: {error: " + quoted(line) + "}")
        case nil:
            break
        }
        return keys.enumerated().map { ($0.offset == 0 ? "- " : "  ") + $0.element }
    }

    /// A string as a YAML scalar: plain when it is words YAML reads back as the same text, else
    /// double-quoted (JSON's escapes are YAML's).
    static func scalar(_ s: String) -> String {
        let plain = !s.isEmpty && s.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) && $0.isASCII || "_-. ".unicodeScalars.contains($0) }
            && s.first!.isLetter && s.last != " " && !reservedWords.contains(s.lowercased())
        return plain ? s : quoted(s)
    }

    /// An input's text as a YAML value: plain when it reads as a boolean, a number or a date
    /// (the runner takes the scalar's text either way, and `true` reads better than `"true"`),
    /// else as `scalar` writes it.
    static func valueScalar(_ s: String) -> String {
        if s == "true" || s == "false" { return s }
        let isNumber = s.wholeMatch(of: /-?[0-9]+(\.[0-9]+)?/) != nil
        let isDate = s.wholeMatch(of: /[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2}))?/) != nil
        return isNumber || isDate ? s : scalar(s)
    }

    static let reservedWords: Set<String> = ["true", "false", "yes", "no", "on", "off", "y", "n", "null"]

    static func quoted(_ s: String) -> String { JSONValue.string(s).render() }

    /// A JSON value in YAML's flow style (JSON with a space after each `:` and `,`, so that YAML
    /// parsers read it the same).
    static func flow(_ value: JSONValue) -> String {
        switch value {
        case .object(let members):
            return "{" + members.map { quoted($0.key) + ": " + flow($0.value) }.joined(separator: ", ") + "}"
        case .array(let items):
            return "[" + items.map(flow).joined(separator: ", ") + "]"
        default:
            return value.render()
        }
    }
}

/// Adds a recorded case to a test file's text: the file's `sop` must be the recorded one, the
/// case gets a name no other case has, and the result must read back with one case more.
public enum ScenarioFileAppender {
    public struct Refusal: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// The text of the file with the case added, and the name it was given (`name`, or `name 2`,
    /// `name 3`… when taken). `text` nil: a new file.
    public static func append(_ recorder: ScenarioRecorder, name: String, to text: String?, path: String) throws(Refusal) -> (text: String, name: String) {
        guard let text, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            return (recorder.fileYAML(name: name), name)
        }
        let (file, diagnostics) = ScenarioLoader.load(SourceFile(path: path, bytes: Array(text.utf8)))
        guard let file, !diagnostics.contains(where: { $0.severity == .error }) else {
            throw Refusal(description: "\(path) is not a valid test file (sop test \(path) says why); the case is not added")
        }
        guard file.sop.value == recorder.sop else {
            throw Refusal(description: "\(path) tests SOP '\(file.sop.value)', not '\(recorder.sop)'; record into another file")
        }
        let names = Set(file.cases.map(\.name))
        var unique = name
        var n = 2
        while names.contains(unique) {
            unique = "\(name) \(n)"
            n += 1
        }
        // The new case takes the indentation of the cases already there.
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let indent = file.cases.first.flatMap { c in
            c.span.start.line <= lines.count ? lines[c.span.start.line - 1].prefix { $0 == " " }.count : nil
        } ?? 2
        let joined = (text.hasSuffix("\n") ? text : text + "\n") + recorder.caseYAML(name: unique, indent: indent)
        let (back, again) = ScenarioLoader.load(SourceFile(path: path, bytes: Array(joined.utf8)))
        guard let back, !again.contains(where: { $0.severity == .error }), back.cases.count == file.cases.count + 1,
              back.cases.last?.name == unique else {
            throw Refusal(description: "the case cannot be appended to \(path): its 'cases' list is not the last thing in the file, in block style")
        }
        return (joined, unique)
    }
}
