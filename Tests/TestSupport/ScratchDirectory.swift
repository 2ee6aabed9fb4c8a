import Foundation

/// Fresh temporary folders for tests. They all live under one folder per test process, which is
/// removed when the process exits, so a test run leaves nothing behind in the temporary directory.
public enum ScratchDirectory {
    /// `$TMPDIR/sopkit-tests-PID`, created (and its removal at exit registered) on first use.
    private static let root: URL = {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("sopkit-tests-\(ProcessInfo.processInfo.processIdentifier)")
        atexit { try? FileManager.default.removeItem(at: ScratchDirectory.root) }
        return root
    }()

    /// A new, empty folder whose name starts with `prefix`.
    public static func make(_ prefix: String) throws -> URL {
        let dir = root.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}
