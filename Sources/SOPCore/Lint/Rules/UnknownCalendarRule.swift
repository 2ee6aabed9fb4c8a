import SOPDiagnostics

/// `unknown-calendar`: a business timer names a calendar that no `*.calendar.yaml` of the SOP's
/// folder defines. Reported by the linter's cross-file pass, and when an SOP is compiled to run.
public enum UnknownCalendarRule: LintRule {
    public static let id = RuleID("unknown-calendar")
    public static let severity = Severity.error
    public static let summary = "A business timer names a calendar that no calendar file of the SOP folder defines."
    public static let example = RuleExample(
        bad: #"""
                after: {business: 2d, calendar: support-us}
            """#,
        good: #"""
                after: {business: 2d, calendar: support-eu}
            """#)
    public static let details = """
        Calendars are the `*.calendar.yaml` files of the SOP folder and of its `calendars/` folder
        (docs/calendars.md). References resolve within the files given to one `sop lint` run and
        the calendars of their folders (and of `--sops`), so an SOP linted by name finds its
        folder's calendars. A calendar file with errors still defines its id: its errors are
        reported once, at the calendar, not again at every SOP that names it.
        """

    static func diagnostic(_ reference: Located<String>, file: String, known: [String]) -> Diagnostic {
        let guess = Suggestions.didYouMean(reference.value, at: reference.span, in: known)
        var d = Diagnostic(file: file, span: reference.span, rule: Self.self,
                           message: "no calendar '\(reference.value)' is defined"
                               + (known.isEmpty ? " (there are no calendar files)" : "; the calendars are \(known.joined(separator: ", "))"),
                           help: guess?.help ?? "add \(reference.value).calendar.yaml to the SOP folder's calendars/ folder")
        d.fixes = guess.map { [$0.fix] } ?? []
        return d
    }
}
