import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SOPCore
import SOPJSON
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
    static let unauthorized = APIError(status: .unauthorized, kind: "unauthorized",
                                       reason: "give a valid token: Authorization: Bearer sop_… (from `sop token create`)")

    /// The answer for an error of the run service.
    init(_ error: RunError) {
        kind = error.kind
        reason = error.reason
        instead = error.instead
        fields = error.fields
        switch error {
        case .rejected: status = .unprocessableContent
        case .unknownRun, .unknownSOP: status = .notFound
        case .invalidSOP: status = .unprocessableContent
        case .idTaken: status = .conflict
        case .store: status = .internalServerError
        case .forbidden: status = .forbidden
        case .versionMismatch: status = .preconditionFailed
        case .badRequest: status = .badRequest
        }
    }

    init(status: HTTPResponse.Status, kind: String, reason: String, instead: [String] = []) {
        self.status = status
        self.kind = kind
        self.reason = reason
        self.instead = instead
    }

    var response: Response {
        var members: JSONObject = [("error", .string(kind)), ("reason", .string(reason)), ("instead", .array(instead.map { .string($0) }))]
        if !fields.isEmpty { members["fields"] = RunError.json(fields: fields) }
        members["status"] = .int(status.code)
        let body = JSONValue.object(members)
        var response = JSONResponse.make(body, status: status)
        if status == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer realm=\"sopkit\"" }
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

    /// A version from `If-Match` (`"3"`, `W/"3"` or `3`); nil without the header.
    static func ifMatch(_ request: Request) throws -> Int? {
        guard let raw = request.headers[.ifMatch] else { return nil }
        var text = raw.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("W/") { text.removeFirst(2) }
        text = text.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        guard let version = Int(text), version >= 0 else {
            throw APIError.badRequest("If-Match must name a run version such as \"3\", found '\(raw)'")
        }
        return version
    }

    static func query(_ request: Request, _ name: String) -> String? {
        request.uri.queryParameters.get(name).map { String($0) }
    }
}

extension JSONValue {
    var stringValue: String? { if case .string(let s) = self { s } else { nil } }
}
