import SOPDiagnostics

/// `ticket-schema-invalid`: the ticket schema is valid JSON but not a schema sopkit can use — a
/// keyword's value of the wrong kind, an unknown type, a `$ref` that names nothing or refers back
/// to itself, a number too precise to keep. (A keyword sopkit does not enforce is `unknown-key`.)
public enum TicketSchemaInvalidRule: LintRule {
    public static let id = RuleID("ticket-schema-invalid")
    public static let severity = Severity.error
    public static let summary = "The ticket schema is JSON but not a schema sopkit can use: a keyword's value of the wrong kind, an unknown type, a `$ref` that names nothing."
    public static let exampleLanguage = "json"
    public static let example = RuleExample(
        bad: #"""
                    "customer": {"$ref": "#/$defs/custmer"},
            """#,
        good: #"""
                    "customer": {"$ref": "#/$defs/customer"},
            """#)
    public static let details = """
        Shown, like `ticket-schema-syntax`, by every command that reads the schema; until it is
        fixed no `ticket.*` path is checked.
        """
}
