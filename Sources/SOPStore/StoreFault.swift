/// What kind of failure a store's error is: what a client is told and whether trying again can
/// help. Each store says which of its errors are which (`StoreFaultError`); an error no store
/// classifies is a plain store failure.
public enum StoreFault: String, Sendable, Equatable {
    /// The store cannot be reached now: the database is restarting or down, a connection was
    /// cut, the write lock was not free in time. Trying again later can succeed (HTTP 503 with
    /// `Retry-After`).
    case unavailable
    /// The disk (or the database's quota) is full: nothing was written; writes succeed again once
    /// space is freed, and reads go on (HTTP 507).
    case full
    /// The store's file or a record in it is damaged: trying again does not help (HTTP 500).
    case damaged

    /// What a store's message says when a connection was lost while committing: whether the
    /// transaction was kept is unknown (the servers tell their callers so in words of their own).
    public static let outcomeUnknown = "the transaction may or may not have been kept"

    /// The fault of `error`, if a store classified it.
    public static func of(_ error: any Error) -> StoreFault? {
        (error as? any StoreFaultError)?.storeFault
    }
}

/// An error a store can classify.
public protocol StoreFaultError: Error {
    var storeFault: StoreFault? { get }
}
