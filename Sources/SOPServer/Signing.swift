import Crypto
import Foundation

/// The webhook signature, the same both ways: `Sop-Signature: v1=HEX`, the HMAC-SHA256, keyed
/// with the shared secret, of the `Sop-Timestamp` value (Unix seconds), a full stop and the raw
/// body. The timestamp inside the signature is what makes a replay outside the window fail.
public enum Signing {
    public static func signature(secret: [UInt8], timestamp: String, body: [UInt8]) -> String {
        var message = Array(timestamp.utf8)
        message.append(UInt8(ascii: "."))
        message += body
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: secret))
        return "v1=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    /// Whether `header` holds a valid signature (compared in constant time).
    public static func verify(_ header: String, secret: [UInt8], timestamp: String, body: [UInt8]) -> Bool {
        let expected = Array(signature(secret: secret, timestamp: timestamp, body: body).utf8)
        // Several signatures may be sent (a secret being rotated): any one valid one will do.
        return header.split(separator: ",").contains { candidate in
            let given = Array(candidate.trimmingCharacters(in: .whitespaces).utf8)
            guard given.count == expected.count else { return false }
            var difference: UInt8 = 0
            for (a, b) in zip(given, expected) { difference |= a ^ b }
            return difference == 0
        }
    }

    /// Reads a secret from a file, the one rule for the inbound (`--hook-secret-file`) and the
    /// outbound (`--webhook-secret-file`) key: the file's exact bytes, but for one final line
    /// break (`\n` or `\r\n`) that an editor or `echo` adds. Spaces, tabs and any further line
    /// break are part of the key, so a helpdesk that signs with the bytes it was given agrees
    /// with the server (docs/server.md). Refuses a short file and one that others may read.
    public static func readSecret(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SecretError(description: "\(path): the secret file cannot be read")
        }
        var bytes = [UInt8](data)
        if bytes.last == 0x0A {
            bytes.removeLast()
            if bytes.last == 0x0D { bytes.removeLast() }
        }
        guard bytes.count >= 16 else { throw SecretError(description: "\(path): a secret must be at least 16 bytes") }
        var info = stat()
        if stat(path, &info) == 0, info.st_mode & 0o077 != 0 {
            throw SecretError(description: "\(path): the secret file may be read by others; make it private (chmod 600)")
        }
        return bytes
    }

    public struct SecretError: Error, CustomStringConvertible {
        public var description: String
    }
}
