import SOPExpression
import SOPJSON
import SOPStore

extension RunSummary {
    /// A run in a list, as `sop runs --format json` and `GET /v1/runs` both give it: every member
    /// always there (`outcome` and `sla_due` null when the run has none).
    public var json: JSONValue {
        .object([("run", .string(run)), ("sop", .string(sop)), ("state", .string(state)), ("status", .string(status)),
                 ("outcome", .optional(outcome)), ("updated_at", .string(CivilTime.formatDateTime(updatedAt))),
                 ("sla_due", slaDue.map { .string(CivilTime.formatDateTime($0)) } ?? .null), ("sla_breached", .bool(slaBreached))])
    }
}
