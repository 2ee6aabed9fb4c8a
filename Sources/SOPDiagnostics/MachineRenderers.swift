import SOPJSON

/// `--format github`: GitHub Actions workflow commands, one line per diagnostic:
/// `::error file=F,line=L,col=C,title=RULE::MESSAGE` (warnings as `::warning`).
public enum GitHubRenderer {
    public static func render(_ d: Diagnostic) -> String {
        var message = d.message
        if let help = d.help { message += "\nhelp: " + help }
        return "::\(d.severity.rawValue) file=\(property(d.file)),line=\(d.span.start.line),col=\(d.span.start.column),"
            + "title=\(property(d.rule.rawValue))::\(data(message))\n"
    }

    /// Escaping of workflow command data, as the Actions toolkit does it.
    static func data(_ s: String) -> String {
        s.replacingAll("%", "%25").replacingAll("\r", "%0D").replacingAll("\n", "%0A")
    }

    static func property(_ s: String) -> String {
        data(s).replacingAll(":", "%3A").replacingAll(",", "%2C")
    }
}

/// `--format sarif`: one SARIF 2.1.0 log with the rule catalogue and a result per diagnostic.
public enum SARIFRenderer {
    public static func render(_ diagnostics: [Diagnostic], toolVersion: String) -> String {
        let rules = RuleID.allCases
        let ruleIndex = Dictionary(uniqueKeysWithValues: rules.enumerated().map { ($1, $0) })
        let ruleObjects: [JSONValue] = rules.map { rule in
            .object([
                ("id", .string(rule.rawValue)),
                ("name", .string(rule.sarifName)),
                ("shortDescription", .object([("text", .string(rule.summary))])),
                ("fullDescription", .object([("text", .string(rule.summary))])),
                ("help", .object([("text", .string("\(rule.summary) See docs/lint-rules.md#\(rule.rawValue)."))])),
                ("defaultConfiguration", .object([("level", .string(rule.severity.rawValue))])),
            ])
        }
        let results: [JSONValue] = diagnostics.map { d in
            var message = d.message
            if let help = d.help { message += " (help: \(help))" }
            return .object([
                ("ruleId", .string(d.rule.rawValue)),
                ("ruleIndex", .int(ruleIndex[d.rule] ?? 0)),
                ("level", .string(d.severity.rawValue)),
                ("message", .object([("text", .string(message))])),
                ("locations", .array([.object([
                    ("physicalLocation", .object([
                        ("artifactLocation", .object([("uri", .string(uri(d.file)))])),
                        ("region", .object([
                            ("startLine", .int(d.span.start.line)),
                            ("startColumn", .int(d.span.start.column)),
                            ("endLine", .int(d.span.end.line)),
                            ("endColumn", .int(max(d.span.end.column, d.span.start.column + 1))),
                        ])),
                    ])),
                ])])),
            ])
        }
        let log: JSONValue = .object([
            ("$schema", .string("https://json.schemastore.org/sarif-2.1.0.json")),
            ("version", .string("2.1.0")),
            ("runs", .array([.object([
                ("tool", .object([("driver", .object([
                    ("name", .string("sop")),
                    ("version", .string(toolVersion)),
                    ("rules", .array(ruleObjects)),
                ]))])),
                ("columnKind", .string("unicodeCodePoints")),
                ("results", .array(results)),
            ])])),
        ])
        return log.render()
    }

    /// A relative URI reference for a path: each segment percent-encoded (RFC 3986).
    static func uri(_ path: String) -> String {
        var out = ""
        for byte in path.utf8 {
            let c = Character(Unicode.Scalar(byte))
            if c.isASCII && (c.isLetter || c.isNumber || "-._~/".contains(c)) {
                out.append(c)
            } else {
                out += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return out
    }
}

extension RuleID {
    /// The rule's name in PascalCase, as SARIF viewers show it: `UnknownState`.
    var sarifName: String {
        rawValue.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }
}

extension String {
    /// Every occurrence of `target` replaced, without Foundation's locale-aware search.
    public func replacingAll(_ target: String, _ replacement: String) -> String {
        guard contains(target) else { return self }
        return split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
