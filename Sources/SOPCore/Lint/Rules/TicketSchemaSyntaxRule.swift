import SOPDiagnostics

/// `ticket-schema-syntax`: the ticket schema file is not valid JSON. The JSON parser reports the
/// place of the mistake itself (a trailing comma, not the line after it) and what to do; every
/// command that reads the schema shows the same diagnostic.
public enum TicketSchemaSyntaxRule: LintRule {
    public static let id = RuleID("ticket-schema-syntax")
    public static let severity = Severity.error
    public static let summary = "The ticket schema is not valid JSON: a trailing comma, a missing comma or quote, a comment, single quotes."
    public static let exampleLanguage = "json"
    public static let example = RuleExample(
        bad: #"""
                    "order_id": {"type": "string"},
                }
            """#,
        good: #"""
                    "order_id": {"type": "string"}
                }
            """#)
    public static let details = """
        The schema is read by `sop lint`, `sop test`, the run commands and `sop serve` alike: each
        shows this diagnostic, with its line. A schema that is not valid JSON cannot be used, so
        `sop lint` checks no `ticket.*` path until it is fixed (and does not also warn
        `no-ticket-schema`).
        """
}
