import ArchiveKit
import Foundation
import Hummingbird

/// What a request cannot get, and why: each error carries its HTTP status
/// (as Hummingbird's `HTTPResponseError` asks) and renders itself as a page,
/// or as `{"error": …}` under `/api/`.
public struct ViewerError: Error, Sendable, HTTPResponseError {
    public let status: HTTPResponse.Status
    public let message: String
    /// Extra headers (`Allow` on a 405, `Content-Range` on a 416).
    var headers: HTTPFields = [:]

    public static func notFound(_ message: String) -> ViewerError { ViewerError(status: .notFound, message: message) }
    public static func badRequest(_ message: String) -> ViewerError { ViewerError(status: .badRequest, message: message) }

    /// Phrases an error from the query layer or the store; anything else is
    /// reported without its details, which may name files.
    static func from(_ error: any Error) -> ViewerError {
        switch error {
        case let error as ViewerError: error
        case let error as QueryError:
            if case .timedOut = error {
                ViewerError(status: .serviceUnavailable, message: "The query took too long and was stopped. Narrow the filters and try again.")
            } else {
                .badRequest(error.description)
            }
        case let error as FilterError: .badRequest(error.description)
        case let error as HTTPError: ViewerError(status: error.status, message: error.body ?? error.status.reasonPhrase)
        case is StoreError: ViewerError(status: .internalServerError, message: "The archive cannot be read right now; the server's terminal says why.")
        default: ViewerError(status: .internalServerError, message: "Something went wrong on the server.")
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response: Response
        if request.uri.path.hasPrefix("/api/") {
            response = Responses.json(.object(JSONObject([("error", .string(message))])), status: status)
        } else {
            response = Responses.html(Layout.page(title: status.reasonPhrase, section: nil, body: """
                <h1>\(String(status.code)) \(status.reasonPhrase)</h1>
                <p class="error">\(message)</p>
                <p><a href="/">All calls</a></p>
                """), status: status)
        }
        for field in headers { response.headers.append(field) }
        return response
    }
}

/// The viewer's response bodies: one place sets their types.
enum Responses {
    static func html(_ html: HTML, status: HTTPResponse.Status = .ok) -> Response {
        text(html.markup, type: "text/html; charset=utf-8", status: status)
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        text(value.prettyText + "\n", type: "application/json; charset=utf-8", status: status)
    }

    /// JSON already written (by the CLI's `RowWriter`).
    static func jsonText(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        self.text(text, type: "application/json; charset=utf-8", status: status)
    }

    static func text(_ text: String, type: String, status: HTTPResponse.Status = .ok) -> Response {
        var buffer = ByteBuffer()
        buffer.writeString(text)
        return Response(status: status, headers: [.contentType: type], body: .init(byteBuffer: buffer))
    }
}
