import HTTPTypes
import Hummingbird

/// What every answer carries and every request is held to: read-only methods,
/// a bounded URL, and headers that keep a page to its own origin. It sits
/// outermost, so refusals and error pages get the same headers.
struct SafetyMiddleware<Context: RequestContext>: RouterMiddleware {
    static var maxURLBytes: Int { 8192 }

    /// Only this server's own scripts, styles, images and media; no inline
    /// script or handler, no framing, forms that post back here only.
    static var contentSecurityPolicy: String {
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
            + "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            guard request.method == .get || request.method == .head else {
                var error = ViewerError(status: .methodNotAllowed, message: "The archive viewer is read-only: only GET and HEAD are answered.")
                error.headers[.allow] = "GET, HEAD"
                throw error
            }
            guard request.uri.string.utf8.count <= Self.maxURLBytes else {
                throw ViewerError(status: .uriTooLong, message: "The address is longer than \(Self.maxURLBytes) bytes.")
            }
            response = try await next(request, context)
        } catch {
            response = try ViewerError.from(error).response(from: request, context: context)
        }
        response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.referrerPolicy] = "no-referrer"
        response.headers[.xFrameOptions] = "DENY"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }
}

extension HTTPField.Name {
    static var referrerPolicy: Self { Self("Referrer-Policy")! }
    static var xFrameOptions: Self { Self("X-Frame-Options")! }
    static var link: Self { Self("Link")! }
}
