import Crypto
import Foundation
import SOPJSON

/// The check a step makes of its run's journal before it writes: every stored record hashes to
/// the hash it carries, names the record before it as `prev`, and sits in its place (its run and
/// seq), and the last one is the run's `last_hash`. A record edited by hand, a record lost from
/// the middle or the end, or bytes flipped inside one, all break it; `sop verify` then says
/// what broke (`Replay` also replays the journal, which a step does not).
///
/// It works on the stored text, without parsing it: the store keeps a record as its canonical
/// content with `,"hash":"…"` as the last member (`JournalRecord.sealForStore`), so the content
/// the hash covers is the text without that member, and `prev`, `run` and `seq` sit side by side
/// in it (members in canonical order). A text of another shape (a record stored by an older
/// sopkit) is parsed and checked as verify checks it. docs/decisions.md gives the cost.
public enum StoredChain {
    /// Where the chain breaks: the first record that does not fit (its position in the journal,
    /// or nil when the records are whole but the run's `last_hash` is not the last one's).
    public struct Break: Sendable, Equatable, Error {
        public var record: Int?
        public var reason: String

        public init(record: Int?, reason: String) {
            self.record = record
            self.reason = reason
        }
    }

    /// nil when `texts` (a run's stored records, in seq order) form an unbroken chain ending at
    /// `lastHash`; else where it breaks.
    public static func check(_ texts: [String], run: String, lastHash: String?) -> Break? {
        var previous: String?
        for (i, text) in texts.enumerated() {
            let hash: String
            switch canonical(text, run: run, seq: i, prev: previous) {
            case .success(let h): hash = h
            case .failure(let broken): return broken
            case nil:
                // Not the shape sopkit stores, or not its hash: read it as verify does.
                do {
                    let record = try JournalReadError.decode(text, run: run, seq: i)
                    guard record.run == run, record.seq == i else { return Break(record: i, reason: "the record is not in its place (run '\(record.run)', seq \(record.seq))") }
                    guard record.prev == previous else { return Break(record: i, reason: "its prev does not match the hash of record \(i - 1)") }
                    guard let h = record.hash, h == record.computedHash else {
                        return Break(record: i, reason: "its hash does not match its content (the record was changed)")
                    }
                    hash = h
                } catch {
                    return Break(record: i, reason: "it cannot be read: \(error.reason)")
                }
            }
            previous = hash
        }
        guard previous == lastHash else {
            return Break(record: texts.isEmpty ? nil : texts.count - 1,
                         reason: "the run's last hash is not its last record's (records are missing from the journal's end)")
        }
        return nil
    }

    /// `,"hash":"sha256:` and 64 hex digits and `"}`: how a stored record ends.
    private static let hashMember = Array(#","hash":"sha256:"#.utf8)
    private static let hashLength = 64
    private static let suffixLength = hashMember.count + hashLength + 2

    /// The record's hash when `text` is a record in the stored shape whose content gives its hash
    /// (a failure when it is not in its place); nil when it must be parsed to tell.
    private static func canonical(_ text: String, run: String, seq: Int, prev: String?) -> Result<String, Break>? {
        var text = text
        // Native strings (what the stores hand back) are contiguous UTF-8: read in place.
        return text.withUTF8 { bytes -> Result<String, Break>? in
            let end = bytes.count - suffixLength
            guard end > 0, bytes[bytes.count - 2] == UInt8(ascii: "\""), bytes[bytes.count - 1] == UInt8(ascii: "}"),
                  bytes[end..<end + hashMember.count].elementsEqual(hashMember) else { return nil }
            let hex = UnsafeBufferPointer(rebasing: bytes[(end + hashMember.count)..<(bytes.count - 2)])
            // The content is the text up to the hash member, closed.
            var hasher = SHA256()
            hasher.update(bufferPointer: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[..<end])))
            hasher.update(data: [UInt8(ascii: "}")])
            // Not the hash: a changed record, or one whose members are in another order (written
            // as `json()` renders it, which also ends with `hash`). Parsing tells the two apart.
            guard matches(hasher.finalize(), hex) else { return nil }
            // prev, run and seq are neighbours in the canonical content, in this order.
            let place = #""prev":"# + (prev.map { "\"\($0)\"" } ?? "null") + #","run":"# + JSONValue.string(run).render() + #","seq":\#(seq),"#
            guard contains(UnsafeBufferPointer(rebasing: bytes[..<end]), place) else {
                return .failure(Break(record: seq, reason: prev == nil && seq == 0 ? "it does not begin the chain"
                                                                                 : "its prev is not the hash of record \(seq - 1), or it is not record \(seq) of the run"))
            }
            return .success("sha256:" + String(decoding: hex, as: UTF8.self))
        }
    }

    /// True when `hex` is `digest` in lower-case hexadecimal.
    private static func matches(_ digest: SHA256.Digest, _ hex: UnsafeBufferPointer<UInt8>) -> Bool {
        let digits = Array("0123456789abcdef".utf8)
        var i = 0
        for byte in digest {
            guard hex[i] == digits[Int(byte >> 4)], hex[i + 1] == digits[Int(byte & 0x0F)] else { return false }
            i += 2
        }
        return i == hex.count
    }

    private static func contains(_ haystack: UnsafeBufferPointer<UInt8>, _ needle: String) -> Bool {
        var needle = needle
        return needle.withUTF8 { needle in
            guard let h = haystack.baseAddress, let n = needle.baseAddress, needle.count <= haystack.count else { return needle.isEmpty }
            let first = n.pointee
            for i in 0...(haystack.count - needle.count) where h[i] == first && memcmp(h + i, n, needle.count) == 0 {
                return true
            }
            return false
        }
    }
}
