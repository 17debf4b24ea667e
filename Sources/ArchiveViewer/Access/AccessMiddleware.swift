import Foundation
import Hummingbird

/// Guards every request when the viewer has a token: a bearer header, or the
/// cookie that a one-time `?token=` link sets. The link answers with a
/// redirect to the same page without the token, so it leaves the address bar
/// and the browser's history.
struct AccessMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: AccessToken
    static var cookieName: String { "archive_token" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let items = URLBuilder.parseQuery(request.uri.query ?? "")
        if let offered = items.first(where: { $0.name == "token" })?.value {
            guard token.matches(offered) else { throw Self.refusal }
            let rest = items.filter { $0.name != "token" }
            var response = Response.redirect(to: request.uri.path + URLBuilder.query(rest), type: .normal)
            response.setCookie(Cookie(name: Self.cookieName, value: offered, path: "/", secure: false, httpOnly: true, sameSite: .strict))
            response.headers[.cacheControl] = "no-store"
            return response
        }
        let bearer = request.headers[.authorization].flatMap { value -> String? in
            value.lowercased().hasPrefix("bearer ") ? String(value.dropFirst(7)).trimmingCharacters(in: .whitespaces) : nil
        }
        let cookie = request.cookies[Self.cookieName]?.value
        guard let candidate = bearer ?? cookie, token.matches(candidate) else { throw Self.refusal }
        return try await next(request, context)
    }

    static var refusal: ViewerError {
        var error = ViewerError(status: .unauthorized, message: """
            This archive needs its token. Open the link the server printed with ?token=… added \
            (the token is in the server's --token-file), or send Authorization: Bearer <token>.
            """)
        error.headers[.wwwAuthenticate] = "Bearer"
        return error
    }
}
