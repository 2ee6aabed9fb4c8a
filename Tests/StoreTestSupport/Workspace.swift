import Foundation
import SOPCore
import SOPExpression
import SOPJSON
import SOPService
import TestSupport

/// A temporary SOP folder and store for one test: the store under test (`StoreUnderTest`), or
/// a SQLite file when the test is about SQLite.
public struct Workspace {
    public let dir: URL
    /// Where the store is: a file path or a PostgreSQL URL.
    public let location: String
    public let service: RunService

    public init(_ sops: [String: String], sqlite: Bool = false) throws {
        dir = try ScratchDirectory.make("sop-store")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("sops"), withIntermediateDirectories: true)
        for (name, text) in sops {
            try text.write(to: dir.appendingPathComponent("sops/\(name).sop.yaml"), atomically: true, encoding: .utf8)
        }
        location = sqlite ? dir.appendingPathComponent("runs.sqlite").path : StoreUnderTest.newLocation(in: dir)
        service = RunService(store: try StoreUnderTest.open(location), sopsFolder: dir.appendingPathComponent("sops").path, schema: nil)
    }

    /// Another service on the same store, as another process would open it.
    public func reopened() throws -> RunService {
        RunService(store: try StoreUnderTest.open(location), sopsFolder: dir.appendingPathComponent("sops").path, schema: nil)
    }
}

public let complaint = """
    sop: complaint
    version: 1
    title: Complaint
    start: listen
    states:
      listen:
        title: Listen
        transitions: [{to: escalate, on: declined}, {to: closed, on: accepted}]
      escalate:
        title: Escalate
        call: escalation
        transitions:
          - to: closed
            when: child.outcome == 'resolved'
          - to: failed
            when: child.outcome == 'unresolved'
      closed: {title: Closed, end: closed}
      failed: {title: Failed, end: failed}
    """

public let escalation = """
    sop: escalation
    version: 1
    title: Escalation
    start: assess
    states:
      assess:
        title: Assess
        enter:
          - set: {ticket.escalated: true}
        transitions:
          - to: resolved
            on: fixed
          - to: unresolved
            after: 2d
      resolved: {title: Resolved, end: resolved}
      unresolved: {title: Unresolved, end: unresolved}
    """

public let ana = Actor(id: "ana", role: "agent")
public let sue = Actor(id: "sue", role: "supervisor")
public func at(_ s: String) -> Int64 { CivilTime.parseDateTime(s)! }
public let t0 = at("2026-11-02T09:00:00Z")

/// The service's operations as the tests write them: as one actor (the command line's way).
extension RunService {
    public func start(sop id: String, ticket: JSONValue, runID: String?, actor: Actor, now: Int64) throws -> RunState {
        try start(sop: id, ticket: ticket, runID: runID, as: .actor(actor), now: now).run
    }

    public func step(_ run: String, _ command: StepCommand, actor: Actor, now: Int64, requestID: String? = nil) throws -> StepResult {
        try step(run, command, as: .actor(actor), now: now, requestID: requestID)
    }

    public func startBulk(sop id: String, tickets: [(line: Int, ticket: JSONValue)], actor: Actor, now: Int64,
                          batch: Int = 5000) throws -> (started: [String], failed: [(line: Int, reason: String)]) {
        try startBulk(sop: id, tickets: tickets, as: .actor(actor), now: now, batch: batch)
    }
}
