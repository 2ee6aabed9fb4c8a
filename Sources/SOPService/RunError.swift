import SOPCore
import SOPDiagnostics
import SOPJSON
import SOPStore

/// Why a run command could not be carried out.
public enum RunError: Error, CustomStringConvertible {
    /// The step was refused (exit 1); nothing changed.
    case rejected(StepRejection)
    /// No run has this id (exit 2).
    case unknownRun(String)
    /// No SOP has this id in the SOP folder (exit 2).
    /// No SOP has the id: the ids there are, and the errors of the SOP files that do not decode.
    case unknownSOP(String, [String], unreadable: [String] = [])
    /// The SOP has lint errors and cannot run (exit 2).
    case invalidSOP(CompiledSOP.CompileError)
    /// A run with this id exists for another SOP or ticket (exit 1).
    case idTaken(String)
    /// The store failed (exit 2).
    case store(String)
    /// The store cannot be reached now (HTTP 503 with `Retry-After`; exit 2): nothing was changed,
    /// or — when the connection was lost while committing — the message says the change may have
    /// been kept. Trying again (with the same request id) is safe.
    case unavailable(String)
    /// The disk under the store is full (HTTP 507; exit 2): nothing was written. Reads go on.
    case full(String)
    /// The store's file is damaged (HTTP 500; exit 2).
    case damaged(String)
    /// The run's journal chain is broken, so it is not stepped (HTTP 409; exit 2): `record` is
    /// the first record found wrong (its `seq`), when known.
    case damagedRun(run: String, record: Int?, reason: String)
    /// The caller holds no role that may do this (HTTP 403; exit 1).
    case forbidden(String)
    /// The run is no longer at the version the caller read (HTTP 412; exit 1).
    /// `expected` is empty when the caller's condition named no version at all.
    case versionMismatch(expected: [Int], current: Int)
    /// The request itself is wrong: a bad filter, a malformed body (HTTP 400; exit 2).
    case badRequest(String)
    /// A long read (a report) ran past its time limit and was stopped (HTTP 503; exit 2).
    case timeLimit(Duration)

    public var description: String {
        switch self {
        case .rejected(let r): return "rejected: " + r.description
        case .unknownRun(let id): return "no run has the id '\(id)'"
        case .unknownSOP(let id, let known, let unreadable):
            return "no SOP '\(id)' in the SOP folder" + (Suggestions.didYouMean(id, in: known).map { "; \($0)" } ?? "")
                + (unreadable.isEmpty ? "" : "\nthese SOP files cannot be read (one may be '\(id)'):\n" + unreadable.joined(separator: "\n"))
        case .invalidSOP(let e): return "the SOP has lint errors and cannot run:\n" + e.description
        case .idTaken(let id): return "a run with the id '\(id)' already exists for another SOP or ticket"
        case .store(let message): return message
        case .unavailable(let message): return "the run store cannot be reached now; try again shortly: " + message
        case .full(let message): return "the run store is full (no space left where it is kept); nothing was written: " + message
        case .damaged(let message): return "the run store is damaged: " + message
        case .damagedRun(let run, let record, let reason):
            return "run \(run) is not stepped: its journal is damaged" + (record.map { " at record \($0)" } ?? "") + " (\(reason)); "
                + "`sop verify \(run)` says what is wrong"
        case .forbidden(let reason): return "forbidden: " + reason
        case .versionMismatch(let expected, let current) where expected.isEmpty:
            return "the run is at version \(current), and the condition names no run version; read the run and send its ETag"
        case .versionMismatch(let expected, let current):
            return "the run is at version \(current), not \(expected.map(String.init).joined(separator: " or ")): it changed since you read it; read it again"
        case .badRequest(let reason): return reason
        case .timeLimit(let limit):
            // Not "ask for a shorter period": a report reads the whole journal whatever its period
            // or SOPs (docs/decisions.md), so that would not help.
            return "the report took longer than its limit of \(Self.seconds(limit)) (it reads the whole journal, whatever the period "
                + "or SOPs); raise the server's --report-time-limit, or run `sop report`, which has no limit"
        }
    }

    /// A stable name for the kind of error, as JSON error objects and HTTP bodies give it.
    public var kind: String {
        switch self {
        case .rejected: return "refused"
        case .unknownRun: return "unknown_run"
        case .unknownSOP: return "unknown_sop"
        case .invalidSOP: return "invalid_sop"
        case .idTaken: return "conflict"
        case .store: return "store"
        case .unavailable: return "store_unavailable"
        case .full: return "store_full"
        case .damaged: return "store_damaged"
        case .damagedRun: return "damaged_run"
        case .forbidden: return "forbidden"
        case .versionMismatch: return "stale_version"
        case .badRequest: return "bad_request"
        case .timeLimit: return "time_limit"
        }
    }

    /// The reason alone (without the kind's prefix) and what is possible instead.
    public var reason: String {
        switch self {
        case .rejected(let r): return r.reason
        case .forbidden(let reason): return reason
        default: return description
        }
    }

    public var instead: [String] {
        if case .rejected(let r) = self { return r.instead }
        return []
    }

    /// The command line's exit code (CLI.md: 1 for a refusal, 2 when the command could not work).
    public var exitCode: Int32 {
        switch self {
        case .rejected, .idTaken, .forbidden, .versionMismatch: return 1
        case .unknownRun, .unknownSOP, .invalidSOP, .store, .badRequest, .timeLimit: return 2
        case .unavailable, .full, .damaged, .damagedRun: return 2
        }
    }

    /// A failure of the store as the error to report: by its fault when the store classified it
    /// (`StoreFault`), else `.store` with `context` before its words. A `RunError` is itself.
    public static func fromStore(_ error: any Error, _ context: String = "the run store failed") -> RunError {
        if let error = error as? RunError { return error }
        switch StoreFault.of(error) {
        case .unavailable: return .unavailable("\(error)")
        case .full: return .full("\(error)")
        case .damaged: return .damaged("\(error)")
        case nil: return .store("\(context): \(error)")
        }
    }

    /// A failure of the store (not of the request): a step that meets one fails as a whole.
    public var isStoreFailure: Bool {
        switch self {
        case .store, .unavailable, .full, .damaged: return true
        default: return false
        }
    }

    /// `60 s`, `0.5 s`: a limit as the option that set it reads.
    static func seconds(_ d: Duration) -> String {
        let (s, atto) = d.components
        guard atto != 0 else { return "\(s) s" }
        return "\(Double(s) + Double(atto) / 1e18) s"
    }

    /// Each refused input of a refused step, with its own reason (empty otherwise).
    public var fields: [StepRejection.InputRejection] {
        if case .rejected(let r) = self { return r.inputs }
        return []
    }

    /// `fields` as JSON: `[{"input": NAME, "reason": …, "instead": […]}]`.
    public static func json(fields: [StepRejection.InputRejection]) -> JSONValue {
        .array(fields.map { f in
            .object([("input", .string(f.input)), ("reason", .string(f.reason)), ("instead", .array(f.instead.map { .string($0) }))])
        })
    }

    /// The error as one JSON object: `{"error": KIND, "reason": …, "instead": […], "exit": N}`,
    /// with `fields` (each refused input) when a step's inputs were refused.
    public var json: JSONValue {
        var members = ErrorObject.members(kind: kind, reason: reason, instead: instead, fields: fields)
        members["exit"] = .int(Int(exitCode))
        return .object(members)
    }
}

/// The one shape of an error every interface answers with: `{"error": KIND, "reason": …,
/// "instead": […]}`, with `fields` (each refused input, when a step's inputs were refused).
/// The command line adds `exit`, the HTTP API `status`.
public enum ErrorObject {
    public static func members(kind: String, reason: String, instead: [String] = [],
                               fields: [StepRejection.InputRejection] = []) -> JSONObject {
        var members: JSONObject = [("error", .string(kind)), ("reason", .string(reason)), ("instead", .array(instead.map { .string($0) }))]
        if !fields.isEmpty { members["fields"] = RunError.json(fields: fields) }
        return members
    }
}
