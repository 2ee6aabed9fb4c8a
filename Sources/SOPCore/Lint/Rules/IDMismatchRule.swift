import SOPDiagnostics

/// `sops/NAME.sop.yaml` should hold `sop: NAME`, so people and tools find an SOP by its id.
public struct IDMismatchRule: SOPRule {
    public static let id = RuleID("id-mismatch")
    public static let severity = Severity.warning
    public static let summary = "The SOP's id (`sop:`) differs from its file name."
    public static let example = RuleExample(
        bad: #"""
            sop: returns-v2
            """#,
        good: #"""
            sop: id-mismatch
            """#)

    public init() {}

    func check(_ context: RuleContext, into sink: inout DiagnosticSink) {
        // By bytes: a search by Character would segment the whole path into graphemes.
        let path = context.path.utf8
        let fileName = path.lastIndex(of: UInt8(ascii: "/")).map { String(context.path[path.index(after: $0)...]) } ?? context.path
        guard let suffix = [".sop.yaml", ".sop.yml"].first(where: { fileName.hasSuffix($0) }) else { return }
        let name = String(fileName.dropLast(suffix.count))
        let id = context.sop.id
        guard name != id.value else { return }
        sink.report(id.span, Self.self, "the SOP's id '\(id.value)' differs from its file name '\(fileName)'",
                    help: "rename the file to \(id.value)\(suffix), or set 'sop: \(name)'")
    }
}
