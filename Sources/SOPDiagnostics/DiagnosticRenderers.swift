import SOPJSON

/// Renders diagnostics for people: `file:line:col: severity: message [rule]`, the source line with
/// the span underlined, and a `help:` line when there is a fix.
public struct HumanRenderer: Sendable {
    public var useColor: Bool

    public init(useColor: Bool = false) {
        self.useColor = useColor
    }

    public func render(_ d: Diagnostic, source: SourceFile? = nil) -> String {
        let severityText = d.severity == .error ? paint("error", "1;31") : paint("warning", "1;33")
        var out = "\(paint("\(d.file):\(d.span.start.line):\(d.span.start.column)", "1")): "
        out += "\(severityText): \(d.message) \(paint("[\(d.rule.rawValue)]", "2"))\n"
        if let line = d.sourceLine ?? source?.lineText(d.span.start.line) {
            let shown = HumanRenderer.printable(line)
            let number = String(d.span.start.line)
            let gutter = String(repeating: " ", count: number.count)
            let lineLength = shown.unicodeScalars.count
            let startCol = min(max(d.span.start.column, 1), lineLength + 1)
            let endCol: Int
            if d.span.end.line == d.span.start.line {
                endCol = min(max(d.span.end.column, startCol + 1), max(lineLength + 1, startCol + 1))
            } else {
                endCol = max(lineLength + 1, startCol + 1)
            }
            // Keep tabs in the padding so the carets line up under tabbed text.
            let padding = String(shown.unicodeScalars.prefix(startCol - 1).map { $0 == "\t" ? "\t" : " " })
            let marker = "^" + String(repeating: "~", count: max(0, endCol - startCol - 1))
            out += " \(number) | \(shown)\n"
            out += " \(gutter) | \(padding)\(paint(marker, d.severity == .error ? "31" : "33"))\n"
        }
        if let help = d.help {
            out += "  \(paint("help", "1;36")): \(help)\n"
        }
        return out
    }

    /// A summary such as `2 errors, 1 warning in 3 files`.
    public func summary(errors: Int, warnings: Int, files: Int) -> String {
        func count(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
        let fileText = count(files, "file")
        if errors == 0 && warnings == 0 { return "no problems in \(fileText)" }
        return "\(count(errors, "error")), \(count(warnings, "warning")) in \(fileText)"
    }

    private func paint(_ text: String, _ code: String) -> String {
        useColor ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    /// Control characters would garble a terminal: show them as U+FFFD-free escapes.
    static func printable(_ line: String) -> String {
        var out = ""
        for scalar in line.unicodeScalars {
            if scalar.value < 0x20 && scalar != "\t" || scalar.value == 0x7F {
                out += "\u{FFFD}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

/// The `sop lint --format json` shape of docs/cli.md: one array of objects with these keys in this order.
/// `help` is always present, `null` when there is no fix to suggest.
public enum JSONDiagnosticRenderer {
    public static func value(_ d: Diagnostic) -> JSONValue {
        .object([
            ("file", .string(d.file)),
            ("line", .int(d.span.start.line)),
            ("column", .int(d.span.start.column)),
            ("end_line", .int(d.span.end.line)),
            ("end_column", .int(d.span.end.column)),
            ("severity", .string(d.severity.rawValue)),
            ("rule", .string(d.rule.rawValue)),
            ("message", .string(d.message)),
            ("help", .optional(d.help)),
        ])
    }

    public static func render(_ diagnostics: [Diagnostic]) -> String {
        JSONValue.array(diagnostics.map(value)).render()
    }
}
