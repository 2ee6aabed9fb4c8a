import SOPCore
import SOPDiagnostics
import SOPYAML

/// What a name in an SOP, a scenario test or a calendar file stands for: what go to definition,
/// find references and rename work on.
enum Symbol: Hashable {
    case state(sop: String, name: String)
    case sop(String)
    /// An input, by the SOP that declares it (guards and templates read inputs by name).
    case input(sop: String, name: String)
    case calendar(String)
}

/// One place a file names a symbol.
struct Occurrence {
    var symbol: Symbol
    /// The name itself (without quotes around it).
    var span: SourceSpan
    var isDeclaration: Bool
}

/// Every occurrence of a symbol in one file, from its current text.
enum Occurrences {
    static func of(_ source: SourceFile) -> [Occurrence] {
        switch SOPFileKind(path: source.path) {
        case .sop: return inSOP(source)
        case .scenarioTest: return inTest(source)
        case .calendar:
            let loaded = CalendarLoader.load(source)
            guard let id = loaded.id, let span = loaded.idSpan else { return [] }
            return [Occurrence(symbol: .calendar(id), span: narrowed(span, to: id, in: source), isDeclaration: true)]
        }
    }

    static func inSOP(_ source: SourceFile) -> [Occurrence] {
        let loaded = SOPLoader.load(source)
        guard let sop = loaded.definition else { return [] }
        let id = sop.id.value
        var out: [Occurrence] = []
        func add(_ symbol: Symbol, _ located: Located<String>, declaration: Bool = false) {
            out.append(Occurrence(symbol: symbol, span: narrowed(located.span, to: located.value, in: source), isDeclaration: declaration))
        }
        func actions(_ list: [Action]) {
            for action in list { if case .start(let called) = action { add(.sop(called.value), called) } }
        }
        add(.sop(id), sop.id, declaration: true)
        add(.state(sop: id, name: sop.start.value), sop.start)
        var expressions: [ExpressionText] = loaded.templateTexts
        for state in sop.states {
            add(.state(sop: id, name: state.id.value), state.id, declaration: true)
            for input in state.inputs { add(.input(sop: id, name: input.id.value), input.id, declaration: true) }
            if let call = state.call { add(.sop(call.value), call) }
            actions(state.enter)
            for t in state.transitions {
                add(.state(sop: id, name: t.to.value), t.to)
                if let calendar = t.business?.calendar { add(.calendar(calendar.value), calendar) }
                if let when = t.when { expressions.append(when) }
                if let after = t.after { expressions.append(after) }
                actions(t.actions)
            }
        }
        for expression in expressions { out += inputReads(expression, sop: id, in: source) }
        return out
    }

    /// `input.NAME` in an expression or a template's text.
    static func inputReads(_ expression: ExpressionText, sop: String, in source: SourceFile) -> [Occurrence] {
        let scalars = Array(expression.text.unicodeScalars)
        let prefix = Array("input.".unicodeScalars)
        var out: [Occurrence] = []
        var i = 0
        func isName(_ c: Unicode.Scalar) -> Bool { c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_" || c == "-" }
        while i + prefix.count < scalars.count {
            defer { i += 1 }
            guard Array(scalars[i..<(i + prefix.count)]) == prefix, i == 0 || !(isName(scalars[i - 1]) || scalars[i - 1] == ".") else { continue }
            var j = i + prefix.count
            while j < scalars.count, isName(scalars[j]) { j += 1 }
            guard j > i + prefix.count else { continue }
            let name = String(String.UnicodeScalarView(scalars[(i + prefix.count)..<j]))
            let start = expression.location.position(ofValueOffset: i + prefix.count, value: expression.text, in: source)
            let end = expression.location.position(ofValueOffset: j, value: expression.text, in: source)
            out.append(Occurrence(symbol: .input(sop: sop, name: name), span: SourceSpan(start: start, end: end), isDeclaration: false))
        }
        return out
    }

    static func inTest(_ source: SourceFile) -> [Occurrence] {
        guard let file = ScenarioLoader.load(source).file else { return [] }
        let sop = file.sop.value
        var out = [Occurrence(symbol: .sop(sop), span: narrowed(file.sop.span, to: sop, in: source), isDeclaration: false)]
        func expectation(_ e: ScenarioExpectation?) {
            guard let e else { return }
            if let state = e.state { out.append(Occurrence(symbol: .state(sop: sop, name: state.value), span: narrowed(state.span, to: state.value, in: source), isDeclaration: false)) }
            for state in e.path ?? [] {
                out.append(Occurrence(symbol: .state(sop: sop, name: state.value), span: narrowed(state.span, to: state.value, in: source), isDeclaration: false))
            }
        }
        for c in file.cases {
            expectation(c.expect)
            for step in c.steps {
                expectation(step.expect)
                for input in step.inputs {
                    out.append(Occurrence(symbol: .input(sop: sop, name: input.id.value), span: narrowed(input.id.span, to: input.id.value, in: source),
                                          isDeclaration: false))
                }
            }
        }
        return out
    }

    /// A scalar's span narrowed to the name inside it (a quoted scalar's span holds its quotes).
    static func narrowed(_ span: SourceSpan, to name: String, in source: SourceFile) -> SourceSpan {
        let a = DocumentText.offset(of: span.start, in: source)
        let b = DocumentText.offset(of: span.end, in: source)
        let written = source.bytes[a..<max(a, b)]
        let wanted = Array(name.utf8)
        if written.elementsEqual(wanted) || wanted.isEmpty { return span }
        guard let at = firstRange(of: wanted, in: Array(written)) else { return span }
        return SourceSpan(start: source.position(ofByteOffset: a + at), end: source.position(ofByteOffset: a + at + wanted.count))
    }

    private static func firstRange(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
        return nil
    }
}
