import HTTPServer

/// Response policies that apply across routes.
enum SecurityHeaders {
    /// On every response, whatever its type (an SVG or a JSON body opened as a page is a document
    /// too), error answers to unparsable requests included: no <base> and no form may send the
    /// page elsewhere, and no other site may frame it.
    static func register(in router: inout RouterBuilder) {
        router.headerOnEveryResponse("X-Content-Type-Options", "nosniff")
        router.headerOnEveryResponse("Content-Security-Policy", contentSecurityPolicy)
        router.headerOnEveryResponse("X-Frame-Options", "DENY")
        router.headerOnEveryResponse("Referrer-Policy", "no-referrer")
        router.filter(noStore)
    }

    static let contentSecurityPolicy = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    /// API answers must never be cached: they hold key records and, once, a secret.
    @Sendable
    static func noStore(_ head: RequestHead, _ response: inout Response) {
        if head.path.utf8.starts(with: "/v1/".utf8) {
            response.headers.set("Cache-Control", "no-store")
        }
    }
}
