import Foundation
import Hummingbird

/// JSON responses of the internal API. Error bodies are `{"error": "<one line>"}`, plus the
/// running run's id on a 409.
enum APIResponse {
    static func json(_ status: HTTPResponse.Status, _ body: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings, numbers and records cannot fail.
        return json(status, data: (try? encoder.encode(body)) ?? Data("{}".utf8))
    }

    static func json(_ status: HTTPResponse.Status, data: Data) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                 body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    struct ErrorBody: Encodable {
        var error: String
        var runId: String?
    }

    static func error(_ status: HTTPResponse.Status, _ message: String, runId: String? = nil) -> Response {
        json(status, ErrorBody(error: message, runId: runId))
    }

    /// The one body of every refused credential: missing, malformed or wrong look the same.
    static var unauthorized: Response {
        Response(status: .unauthorized, headers: unauthorizedFields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: unauthorizedBody)))
    }

    static let unauthorizedBody = Data(#"{"error":"unauthorized"}"#.utf8)
    static let unauthorizedFields: HTTPFields = [.contentType: "application/json; charset=utf-8", .wwwAuthenticate: "Bearer"]
}
