import HTTPServer

/// Response policies that apply across routes.
enum SecurityHeaders {
    @Sendable
    static func apply(_ head: RequestHead, _ response: inout Response) {
        // API answers must never be cached: they hold key records and, once, a secret.
        if head.path.hasPrefix("/v1/") {
            response.headers.set("Cache-Control", "no-store")
        }
        // On every response, whatever its type: an SVG or a JSON body opened as a page is a
        // document too. No <base> and no form may send the page elsewhere; no other site may frame it.
        response.headers.set("X-Content-Type-Options", "nosniff")
        response.headers.set("Content-Security-Policy", contentSecurityPolicy)
        response.headers.set("X-Frame-Options", "DENY")
        response.headers.set("Referrer-Policy", "no-referrer")
    }

    static let contentSecurityPolicy = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}
