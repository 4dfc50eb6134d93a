import FoundationEssentials
import HTTPServer
import KeyStore

/// The console's files as built into the binary (from `public/`), served with strong ETags.
struct EmbeddedFiles: Sendable {
    private struct File: Sendable {
        let body: [UInt8]
        let contentType: String
        let etag: String
    }
    private let files: [String: File]

    init(prefix: String = "public/") {
        var files: [String: File] = [:]
        for (path, text) in embeddedFiles where path.hasPrefix(prefix) {
            let relative = String(path.dropFirst(prefix.count))
            let body = Array(text.utf8)
            let digest = SHA256.hex(Array(SHA256.digest(body).prefix(12)))
            files[relative] = File(body: body, contentType: MIMEType.forPath(relative), etag: "\"\(digest)\"")
        }
        self.files = files
    }

    func respond(_ head: RequestHead) -> Response? {
        var path = String(head.path.dropFirst())
        if path.isEmpty || path.hasSuffix("/") { path += "index.html" }
        guard let file = files[path] ?? files[path + "/index.html"] else { return nil }
        var headers = HTTPHeaders([("Content-Type", file.contentType), ("ETag", file.etag), ("Cache-Control", "no-cache")])
        if let match = head.headers["If-None-Match"],
           match == "*" || match.split(separator: ",").contains(where: { $0.trimmingWhitespace() == file.etag }) {
            return Response(status: 304, headers: headers)
        }
        headers.set("Content-Type", file.contentType)
        return Response(status: 200, headers: headers, body: file.body)
    }
}

/// The OpenAPI description served at `/openapi.yaml`, from `docs/openapi.yaml` at build time.
enum OpenAPIDocument {
    static var yaml: String { embeddedFiles["docs/openapi.yaml"] ?? "" }
}
