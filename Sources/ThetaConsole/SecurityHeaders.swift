import HTTPServer

/// Response policies that apply across routes.
enum SecurityHeaders {
    @Sendable
    static func apply(_ head: RequestHead, _ response: inout Response) {
        // API answers must never be cached: they hold key records and, once, a secret.
        if head.path.hasPrefix("/v1/") {
            response.headers.set("Cache-Control", "no-store")
        }
        response.headers.set("X-Content-Type-Options", "nosniff")
        if response.headers["Content-Type"]?.hasPrefix("text/html") == true {
            response.headers.set("Content-Security-Policy", "default-src 'self'")
            response.headers.set("X-Frame-Options", "DENY")
            response.headers.set("Referrer-Policy", "no-referrer")
        }
    }
}
