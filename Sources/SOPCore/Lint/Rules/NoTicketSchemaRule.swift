import SOPDiagnostics

/// `no-ticket-schema`: no ticket schema was found, so `ticket.*` paths are unchecked; reported
/// once per run. Reported by the linter, when neither `--ticket-schema` nor
/// `schemas/ticket.schema.json` exists.
public enum NoTicketSchemaRule: LintRule {
    public static let id = RuleID("no-ticket-schema")
    public static let severity = Severity.warning
    public static let summary = "No ticket schema was found, so `ticket.*` paths are unchecked; reported once per run."
    public static let example = RuleExample(
        bad: #"""

            """#,
        good: #"""

            """#)
    public static let details = """
        Reported once, on the first file, when neither `--ticket-schema` nor
        `schemas/ticket.schema.json` exists: `ticket.*` paths are then not checked. It concerns the
        run, not a file, so its example is a command line: `sop lint sops/` in a folder without
        `schemas/ticket.schema.json`.
        """
}
