import Hummingbird

/// Internal-service auth (docs/operations.md, "Tokens"): `Authorization: Bearer <token>`. A missing, malformed or
/// wrong token gets the same 401; credentials in the query string are refused outright, so
/// that they are not taken from URLs, which end up in proxies' and shells' logs.
struct ServiceAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let tokens: ServiceTokens

    /// Query parameters that carry credentials by common convention.
    static var credentialParameters: Set<String> { ["access_token", "token", "auth", "authorization", "api_key", "apikey", "bearer"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let query = request.uri.queryParameters
        if query.contains(where: { Self.credentialParameters.contains($0.key.lowercased()) || tokens.accepts($0.key) || tokens.accepts($0.value) }) {
            context.logger.notice("request refused: credentials in the query string")
            return APIResponse.error(.badRequest, "credentials are accepted only in the Authorization header, never in the URL")
        }
        guard let token = Self.bearerToken(request.headers[values: .authorization]), tokens.accepts(token) else {
            context.logger.notice("request refused: missing or invalid credentials")
            return APIResponse.unauthorized
        }
        return try await next(request, context)
    }

    /// The token of exactly one `Authorization: Bearer <token>` header, or nil.
    static func bearerToken(_ values: [String]) -> Substring? {
        guard values.count == 1, let value = values.first else { return nil }
        let parts = value.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return parts[1]
    }
}
