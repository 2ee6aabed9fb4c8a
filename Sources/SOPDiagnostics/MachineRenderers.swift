import SOPJSON

/// `--format github`: GitHub Actions workflow commands, one line per diagnostic:
/// `::error file=F,line=L,col=C,endLine=L2,endColumn=C2,title=RULE::MESSAGE` (warnings as
/// `::warning`); the end is exclusive, as in the other formats.
public enum GitHubRenderer {
    public static func render(_ d: Diagnostic) -> String {
        var message = d.message
        if let help = d.help { message += "\nhelp: " + help }
        return "::\(d.severity.rawValue) file=\(property(d.file)),line=\(d.span.start.line),col=\(d.span.start.column),"
            + "endLine=\(d.span.end.line),endColumn=\(max(d.span.end.column, d.span.start.column + 1)),"
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
///
/// For GitHub code scanning: paths inside `baseDirectory` (the folder lint ran in) are relative
/// URIs against `%SRCROOT%`, which the log maps to that folder; other absolute paths are `file://`
/// URIs. Each result has a `partialFingerprints` entry of its own (`sopkit/v1`: the rule, the
/// file, the offending line's text and how many identical results came before it, not the line
/// number), so an upload matches the alerts of the last one even after lines above moved.
public enum SARIFRenderer {
    /// `rules` is the catalogue the log lists (SOPCore's `LintRules.all`), in its order.
    public static func render(_ diagnostics: [Diagnostic], rules: [any LintRule.Type], toolVersion: String,
                              baseDirectory: String? = nil) -> String {
        let ruleIndex = Dictionary(uniqueKeysWithValues: rules.enumerated().map { ($1.id, $0) })
        let ruleObjects: [JSONValue] = rules.map { rule in
            .object([
                ("id", .string(rule.id.rawValue)),
                ("name", .string(rule.id.pascalCaseName)),
                ("shortDescription", .object([("text", .string(rule.summary))])),
                ("fullDescription", .object([("text", .string(rule.summary))])),
                ("help", .object([("text", .string("\(rule.summary) See docs/lint-rules.md#\(rule.id.rawValue)."))])),
                ("defaultConfiguration", .object([("level", .string(rule.severity.rawValue))])),
            ])
        }
        var seen: [String: Int] = [:]
        let results: [JSONValue] = diagnostics.map { d in
            var message = d.message
            if let help = d.help { message += " (help: \(help))" }
            let (uri, relative) = location(d.file, baseDirectory: baseDirectory)
            var artifact: JSONObject = [("uri", .string(uri))]
            if relative { artifact["uriBaseId"] = .string("%SRCROOT%") }
            let content = [d.rule.rawValue, uri, String((d.sourceLine ?? "").trimmingWhitespace), d.message].joined(separator: "\u{0}")
            let occurrence = seen[content, default: 0]
            seen[content] = occurrence + 1
            var result: JSONObject = [
                ("ruleId", .string(d.rule.rawValue)),
                ("ruleIndex", .int(ruleIndex[d.rule] ?? 0)),
                ("level", .string(d.severity.rawValue)),
                ("message", .object([("text", .string(message))])),
                ("locations", .array([.object([
                    ("physicalLocation", .object([
                        ("artifactLocation", .object(artifact)),
                        ("region", .object([
                            ("startLine", .int(d.span.start.line)),
                            ("startColumn", .int(d.span.start.column)),
                            ("endLine", .int(d.span.end.line)),
                            ("endColumn", .int(max(d.span.end.column, d.span.start.column + 1))),
                        ])),
                    ])),
                ])])),
                ("partialFingerprints", .object([("sopkit/v1", .string(fingerprint(content + "\u{0}\(occurrence)")))])),
            ]
            if let reason = d.suppression {
                // A `# sop: ignore[...]` comment: SARIF's in-source suppression, with its reason.
                var suppression: JSONObject = [("kind", .string("inSource"))]
                if !reason.isEmpty { suppression["justification"] = .string(reason) }
                result["suppressions"] = .array([.object(suppression)])
            }
            return .object(result)
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
                ("originalUriBaseIds", .object(baseDirectory.map { base in
                    [("%SRCROOT%", .object([("uri", .string(fileURI(base.hasSuffix("/") ? base : base + "/")))]))]
                } ?? [])),
                ("columnKind", .string("unicodeCodePoints")),
                ("results", .array(results)),
            ])])),
        ])
        return log.render()
    }

    /// A diagnostic's file as a URI, and whether it is relative to `%SRCROOT%`. The path is
    /// normalised first (`.`, `..` and repeated `/` removed, a relative path read against
    /// `baseDirectory`), so a result's URI and fingerprint do not depend on how the path was
    /// spelt: `sops/../sops/x`, `sops//x` and `./sops/x` are all `sops/x`, and `../x`, outside
    /// `%SRCROOT%`, is an absolute `file://` URI.
    static func location(_ path: String, baseDirectory: String?) -> (uri: String, relative: Bool) {
        guard let base = baseDirectory, base.hasPrefix("/") else {
            let parts = normalised(path)
            return path.hasPrefix("/") ? (fileURI("/" + parts.joined(separator: "/")), false)
                                       : (uri(parts.joined(separator: "/")), true)
        }
        let baseParts = normalised(base)
        let parts = normalised(path.hasPrefix("/") ? path : base + "/" + path)
        if parts.count > baseParts.count, Array(parts.prefix(baseParts.count)) == baseParts {
            return (uri(parts.dropFirst(baseParts.count).joined(separator: "/")), true)
        }
        return (fileURI("/" + parts.joined(separator: "/")), false)
    }

    /// A path's segments with `.`, empty segments and each `..` with the segment before it
    /// removed (lexically; a `..` at the start of a relative path is kept, at the root dropped).
    static func normalised(_ path: String) -> [Substring] {
        var out: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) where segment != "." {
            if segment == "..", let last = out.last, last != ".." {
                out.removeLast()
            } else if segment == "..", path.hasPrefix("/") {
                continue
            } else {
                out.append(segment)
            }
        }
        return out
    }

    /// `file:///absolute/path`, percent-encoded.
    static func fileURI(_ absolutePath: String) -> String { "file://" + uri(absolutePath) }

    /// A stable 64-bit FNV-1a hash, in hex: fingerprints must not change between runs or builds.
    static func fingerprint(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
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

extension String {
    /// Without leading and trailing spaces and tabs.
    var trimmingWhitespace: Substring {
        let isSpace = { (c: Character) in c == " " || c == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return self[first...last]
    }

    /// Every occurrence of `target` replaced, without Foundation's locale-aware search.
    public func replacingAll(_ target: String, _ replacement: String) -> String {
        guard contains(target) else { return self }
        return split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
