import SOPCore

/// Someone acting through a token: an actor id and every role the token grants. The service
/// picks, for each step, the role that may take it; a caller never names their own role.
public struct Caller: Sendable, Hashable {
    public var id: String
    public var roles: [String]

    public init(id: String, roles: [String]) {
        self.id = id
        self.roles = roles
    }
}

/// Who asks for an operation. Every operation of the service takes one, whichever interface
/// asks (the command line, the HTTP API, the MCP server, the console).
public enum Acting: Sendable {
    /// One actor with one role (the command line's `--actor`): the SOP's roles decide each step,
    /// and every run can be seen (whoever can open the store can read it).
    case actor(Actor)
    /// A caller with several roles (a token): sees only the SOPs one of its roles acts in, and
    /// the service chooses, for each step, the role that may take it (403 when none may).
    case caller(Caller)

    /// The system itself: timers, a helpdesk's updates, replays, scenario tests.
    public static let system = Acting.actor(.system)

    /// The caller, for an operation that limits what a token's holder sees.
    public var caller: Caller? {
        if case .caller(let caller) = self { return caller }
        return nil
    }

    /// The roles to show a run's events for: the caller's, or the actor's one role.
    public var roles: [String] {
        switch self {
        case .actor(let actor): return [actor.role]
        case .caller(let caller): return caller.roles
        }
    }
}

/// Where a command's time came from (docs/runtime.md, "Store and concurrency").
public enum TimeStamp: Sendable {
    /// A time the user gave (`--now`, a test's clock): a command earlier than the run's last
    /// change is refused, since the user asked for that time.
    case given
    /// A reading of this process's clock (a server's request, a command without `--now`). Two
    /// machines' clocks differ, and one may have been stepped back: a command earlier than the
    /// run's last change (made by a machine whose clock is ahead) is recorded at that change's
    /// time rather than refused.
    case clock

    /// The time a command at `now` is recorded at on a run last changed at `lastChange`.
    public func time(_ now: Int64, after lastChange: Int64) -> Int64 {
        self == .clock ? max(now, lastChange) : now
    }
}

/// One step as every interface asks for it: the command line, the HTTP API, the MCP server and
/// the console.
public struct StepRequest: Sendable {
    public var run: String
    public var command: StepCommand
    public var who: Acting
    public var now: Int64
    /// The same id twice applies once (`--request-id`, `Idempotency-Key`).
    public var requestID: String?
    /// The run versions the caller accepts (`If-Match`: the step is taken if the run is at any of
    /// them); nil to step whatever is stored. Empty when the caller's entity tags name no version
    /// (`If-Match: "abc"`): a condition that is false, so the step is refused as stale.
    public var expectedVersions: Set<Int>?
    /// Where `now` came from: a time the user gave is refused when the run was last changed
    /// later; a reading of this process's clock is raised to the run's last change.
    public var stamp: TimeStamp

    public init(run: String, command: StepCommand, who: Acting, now: Int64, requestID: String? = nil, expectedVersion: Int? = nil,
                expectedVersions: Set<Int>? = nil, stamp: TimeStamp = .given) {
        self.run = run
        self.command = command
        self.who = who
        self.now = now
        self.stamp = stamp
        self.requestID = requestID
        self.expectedVersions = expectedVersions ?? expectedVersion.map { [$0] }
    }
}
