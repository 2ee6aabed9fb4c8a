import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SOPCore
import SOPJSON
import SOPService
import SOPStore

/// An HTTP error answer: a status and the same object the command line prints with
/// `--format json` (`error` kind, `reason`, `instead`), with the HTTP status beside them.
struct APIError: Error {
    var status: HTTPResponse.Status
    var kind: String
    var reason: String
    var instead: [String] = []
    /// Each refused input of a refused step (`fields` in the body, only when there are some).
    var fields: [StepRejection.InputRejection] = []

    static func badRequest(_ reason: String) -> APIError { APIError(status: .badRequest, kind: "bad_request", reason: reason) }
    static func notFound(_ reason: String, kind: String = "not_found") -> APIError { APIError(status: .notFound, kind: kind, reason: reason) }
    /// `Retry-After` on a 503: the store cannot be reached now (a PostgreSQL restart takes a few
    /// seconds), or a report ran past its limit.
    static let retryAfterSeconds = 2

    static let unauthorized = APIError(status: .unauthorized, kind: "unauthorized",
                                       reason: "give a valid token: Authorization: Bearer sop_… (from `sop token create`)")

    /// The answer for an error of the run service.
    init(_ error: RunError) {
        kind = error.kind
        reason = Self.publicReason(error) ?? error.reason
        instead = error.instead
        fields = error.fields
        switch error {
        case .rejected: status = .unprocessableContent
        case .unknownRun, .unknownSOP: status = .notFound
        case .invalidSOP: status = .unprocessableContent
        case .idTaken: status = .conflict
        case .store, .damaged: status = .internalServerError
        case .unavailable: status = .serviceUnavailable
        case .full: status = HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage")
        case .damagedRun: status = .conflict
        case .forbidden: status = .forbidden
        case .versionMismatch: status = .preconditionFailed
        case .badRequest: status = .badRequest
        case .timeLimit: status = .serviceUnavailable
        }
    }

    /// What a caller is told of a store failure: its kind in words, not the store's own message
    /// (which names the database's address and the failing statement, and may reach a caller
    /// whose token could not be checked). The server logs the whole message.
    static func publicReason(_ error: RunError) -> String? {
        switch error {
        case .unavailable(let message) where message.contains(StoreFault.outcomeUnknown):
            return "the connection to the run store was lost while committing: the change may or may not have been kept; send it "
                + "again with the same Idempotency-Key (it is applied at most once), or read the run first"
        case .unavailable: return "the run store cannot be reached now; try again shortly (the server's log says why)"
        case .full: return "the run store is full (no space left where it is kept); nothing was written; reads go on, and writes "
            + "succeed again once space is freed (the server's log says more)"
        case .damaged: return "the run store is damaged where this request reads (the server's log names what could not be read; "
            + "`sop verify` names the runs)"
        case .store: return "the run store failed (the server's log says why)"
        default: return nil
        }
    }

    init(status: HTTPResponse.Status, kind: String, reason: String, instead: [String] = []) {
        self.status = status
        self.kind = kind
        self.reason = reason
        self.instead = instead
    }

    var response: Response {
        var members = ErrorObject.members(kind: kind, reason: reason, instead: instead, fields: fields)
        members["status"] = .int(status.code)
        let body = JSONValue.object(members)
        var response = JSONResponse.make(body, status: status)
        if status == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer realm=\"sopkit\"" }
        if status == .serviceUnavailable { response.headers[.retryAfter] = String(Self.retryAfterSeconds) }
        return response
    }
}

enum JSONResponse {
    static func make(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: value.render())))
    }
}

/// Reading requests: bodies bounded in size and depth, parsed by sopkit's strict JSON parser.
enum RequestReading {
    /// The default body limit (`--max-ticket-size`: tickets and patches arrive in bodies).
    static let maxBody = 1 << 20
    static let maxDepth = 64

    static func body(_ request: Request, limit: Int = maxBody) async throws -> [UInt8] {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit { throw tooLarge(limit) }
        do {
            var request = request
            let buffer = try await request.collectBody(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch {
            throw tooLarge(limit)
        }
    }

    static func tooLarge(_ limit: Int) -> APIError {
        APIError(status: .contentTooLarge, kind: "too_large",
                 reason: "the request body is larger than " + (limit == maxBody ? "1 MiB" : "\(limit) bytes")
                    + "; the server's --max-ticket-size sets the limit")
    }

    /// The body as a JSON object, requiring a JSON media type (`application/json` or, with
    /// `mergePatch`, `application/merge-patch+json`).
    static func object(_ request: Request, mergePatch: Bool = false, limit: Int = maxBody) async throws -> JSONObject {
        let type = request.headers[.contentType]?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let wanted = mergePatch ? "application/merge-patch+json" : "application/json"
        guard type == wanted else {
            throw APIError(status: .unsupportedMediaType, kind: "unsupported_media_type",
                           reason: "send the body as \(wanted)\(type.map { ", not \($0)" } ?? "")")
        }
        let bytes = try await body(request, limit: limit)
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes, maxDepth: maxDepth)
        } catch {
            throw APIError.badRequest(error.problem("request body"))
        }
        guard case .object(let members) = value else { throw APIError.badRequest("the request body must be a JSON object") }
        return members
    }

    /// Refuses members other than `allowed` (a typo must not be silently ignored).
    static func onlyKnown(_ object: JSONObject, _ allowed: [String], what: String) throws {
        for (key, _) in object where !allowed.contains(key) {
            throw APIError.badRequest("unknown field '\(key)' in \(what); it takes \(allowed.map { "'\($0)'" }.joined(separator: ", "))")
        }
    }

    /// The versions an `If-Match` header accepts; nil without the header or with `*` (any run
    /// that exists). RFC 9110 §13.1.1: the header is `*` or a list of entity tags, and it is true
    /// when one of them matches. A tag is `"3"` (`W/"3"` and a bare `3` are taken too); a
    /// well-formed tag that is not a version (`"abc"`) matches no run, so it adds nothing and a
    /// header of only such tags is false (412). Only a header that is not a list of entity tags
    /// is a bad request (400).
    static func ifMatch(_ request: Request) throws -> Set<Int>? {
        guard let raw = request.headers[.ifMatch] else { return nil }
        guard let tags = EntityTags.parse(raw) else {
            throw APIError.badRequest("If-Match must be a list of entity tags such as \"3\" (a run's ETag), found '\(raw)'")
        }
        if tags.contains("*") { return nil }
        return Set(tags.compactMap { tag in tag.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } ? Int(tag) : nil })
    }

    static func query(_ request: Request, _ name: String) -> String? {
        request.uri.queryParameters.get(name).map { String($0) }
    }
}

extension JSONValue {
    var stringValue: String? { if case .string(let s) = self { s } else { nil } }
}

/// The entity tags of an `If-Match` header (RFC 9110 §8.8.3): `*`, or a comma-separated list of
/// `"opaque"` or `W/"opaque"`; the opaque parts are returned. A bare run of digits is taken as
/// a tag too, as the server always took `If-Match: 3`. Nil when the header is not such a list.
enum EntityTags {
    static func parse(_ header: String) -> [String]? {
        let text = Array(header.utf8)
        var tags: [String] = []
        var i = 0
        func skipSpace() { while i < text.count, text[i] == 0x20 || text[i] == 0x09 { i += 1 } }
        while true {
            skipSpace()
            // Empty list elements (`"1", , "2"`) are allowed by the list syntax.
            if i < text.count, text[i] == UInt8(ascii: ",") { i += 1; continue }
            if i == text.count { break }
            if text[i] == UInt8(ascii: "*") {
                tags.append("*"); i += 1
            } else {
                if text[i] == UInt8(ascii: "W"), i + 1 < text.count, text[i + 1] == UInt8(ascii: "/") { i += 2 }
                if i < text.count, text[i] == UInt8(ascii: "\"") {
                    i += 1
                    let start = i
                    // etagc: %x21 / %x23-7E / obs-text — anything visible but a double quote.
                    while i < text.count, text[i] == 0x21 || (text[i] >= 0x23 && text[i] != 0x7F) { i += 1 }
                    guard i < text.count, text[i] == UInt8(ascii: "\"") else { return nil }
                    tags.append(String(decoding: text[start..<i], as: UTF8.self))
                    i += 1
                } else {
                    let start = i
                    while i < text.count, text[i] >= UInt8(ascii: "0"), text[i] <= UInt8(ascii: "9") { i += 1 }
                    guard i > start else { return nil }
                    tags.append(String(decoding: text[start..<i], as: UTF8.self))
                }
            }
            skipSpace()
            if i == text.count { break }
            guard text[i] == UInt8(ascii: ",") else { return nil }
            i += 1
        }
        return tags.isEmpty ? nil : tags
    }
}
