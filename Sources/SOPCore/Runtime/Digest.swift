import Crypto
import Foundation

/// SHA-256 digests as `sha256:` and lower-case hex, the form runs and journals use.
public enum Digest {
    public static func sha256(_ bytes: [UInt8]) -> String {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = Array("sha256:".utf8)
        out.reserveCapacity(71)
        for byte in SHA256.hash(data: bytes) {
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func sha256(_ text: String) -> String {
        sha256(Array(text.utf8))
    }
}
