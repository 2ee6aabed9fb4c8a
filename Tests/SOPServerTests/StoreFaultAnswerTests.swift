import HTTPTypes
@testable import SOPServer
import SOPService
import Testing

/// What an HTTP caller is told of a store's fault: the status and kind, with a reason in words of
/// the server's own — never the store's message, which names the database's address and the
/// failing statement (the log has it) — except that a commit whose outcome is unknown says so.
@Suite struct StoreFaultAnswerTests {
    let address = "postgres://ops@db.internal:5432/support"

    @Test func eachFaultHasItsStatusAndNoneShowsTheStoresMessage() {
        let cases: [(RunError, Int, String)] = [
            (.unavailable("the run store at \(address) cannot be reached: connection refused"), 503, "store_unavailable"),
            (.full("SQLite error 13: database or disk is full - while executing `COMMIT TRANSACTION`"), 507, "store_full"),
            (.damaged("SQLite error 11: database disk image is malformed - while executing `SELECT data FROM runs`"), 500, "store_damaged"),
            (.store("the run store failed: \(address) said no"), 500, "store"),
        ]
        for (error, status, kind) in cases {
            let answer = APIError(error)
            #expect(answer.status.code == status && answer.kind == kind, "\(error)")
            #expect(!answer.reason.contains("postgres://") && !answer.reason.contains("SQLite error") && !answer.reason.contains("while executing"),
                    "\(answer.reason)")
            #expect(answer.reason.contains("log"), "\(answer.reason)")
        }
        #expect(APIError(.unavailable("x")).response.headers[.retryAfter] == "2")
    }

    @Test func aCommitWhoseOutcomeIsUnknownSaysSoAndHowToRetry() {
        let error = RunError.unavailable("the connection to the run store at \(address) was lost while committing: "
                                         + "the transaction may or may not have been kept (PostgreSQL: connection closed)")
        let answer = APIError(error)
        #expect(answer.status.code == 503)
        #expect(answer.reason.contains("may or may not have been kept") && answer.reason.contains("Idempotency-Key"), "\(answer.reason)")
        #expect(!answer.reason.contains("postgres://"))
    }

    @Test func aDamagedRunKeepsItsReason() {
        let answer = APIError(.damagedRun(run: "r-7", record: 3, reason: "its hash does not match its content"))
        #expect(answer.status.code == 409 && answer.kind == "damaged_run")
        #expect(answer.reason.contains("r-7") && answer.reason.contains("record 3") && answer.reason.contains("sop verify r-7"), "\(answer.reason)")
    }
}
