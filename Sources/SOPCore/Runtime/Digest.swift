import Crypto
import Foundation

/// SHA-256 digests as `sha256:` and lower-case hex, the form runs and journals use.
public enum Digest {
    public static func sha256(_ bytes: [UInt8]) -> String {
        "sha256:" + SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    public static func sha256(_ text: String) -> String {
        sha256(Array(text.utf8))
    }
}
