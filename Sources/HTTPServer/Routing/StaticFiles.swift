import FoundationEssentials
import Glibc

/// Serves files under one folder, with ETag revalidation. Paths are resolved safely: no `..`
/// segment is accepted, and the resolved real path (symlinks followed) must stay inside the root.
public struct StaticFiles: Sendable {
    public let root: String
    private let realRoot: String
    public var maxFileSize = 16 * 1024 * 1024

    public init?(root: String) {
        guard let real = Self.realPath(root) else { return nil }
        guard Self.isDirectory(real) else { return nil }
        self.root = root
        self.realRoot = real
    }

    /// The response for a GET or HEAD, or nil when no file matches (the caller answers 404).
    public func respond(_ head: RequestHead) -> Response? {
        guard let relative = Self.relativePath(String(head.path)) else { return nil }
        var candidate = realRoot + "/" + relative
        if relative.isEmpty || Self.isDirectory(candidate) {
            candidate += (candidate.hasSuffix("/") ? "" : "/") + "index.html"
        }
        // Follow symlinks, then insist the file is still inside the root.
        guard let real = Self.realPath(candidate), real.hasPrefix(realRoot + "/") else { return nil }
        var info = stat()
        guard stat(real, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        let size = Int(info.st_size)
        guard size <= maxFileSize else { return nil }
        let modified = Int64(info.st_mtim.tv_sec) * 1_000_000 + Int64(info.st_mtim.tv_nsec) / 1_000
        let etag = "\"\(String(size, radix: 16))-\(String(modified, radix: 16))\""

        var headers = HTTPHeaders()
        headers.add("Content-Type", MIMEType.forPath(real))
        headers.add("ETag", etag)
        headers.add("Cache-Control", "no-cache")
        if let match = head.headers["If-None-Match"],
           match == "*" || match.split(separator: ",").contains(where: { $0.trimmingSpaces() == etag || $0.trimmingSpaces() == "W/" + etag }) {
            return Response(status: 304, headers: headers)
        }
        guard let data = FileManager.default.contents(atPath: real) else { return nil }
        return Response(status: 200, headers: headers, body: Array(data))
    }

    /// The percent-decoded path below the root, or nil if it could escape or is malformed.
    static func relativePath(_ path: String) -> String? {
        guard let decoded = path.removingPercentEncoding() else { return nil }
        var parts: [Substring] = []
        for part in decoded.split(separator: "/", omittingEmptySubsequences: true) {
            // No parent or hidden segments, no NUL or backslash tricks.
            guard part != "..", part != ".", !part.hasPrefix("."), !part.contains("\0"), !part.contains("\\") else { return nil }
            parts.append(part)
        }
        return parts.joined(separator: "/")
    }

    private static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

/// Content types by extension, each text type with its charset.
public enum MIMEType {
    public static func forPath(_ path: String) -> String {
        let name = path.split(separator: "/").last ?? ""
        let dot = name.lastIndex(of: ".")
        let pathExtension = dot.map { name[name.index(after: $0)...] } ?? ""
        switch pathExtension.lowercased() {
        case "html", "htm": return "text/html; charset=utf-8"
        case "css": return "text/css; charset=utf-8"
        case "js", "mjs": return "text/javascript; charset=utf-8"
        case "json", "map": return "application/json; charset=utf-8"
        case "yaml", "yml": return "application/yaml; charset=utf-8"
        case "txt", "md": return "text/plain; charset=utf-8"
        case "svg": return "image/svg+xml; charset=utf-8"
        case "png": return "image/png"
        case "jpg", "jpeg": return "image/jpeg"
        case "ico": return "image/x-icon"
        case "webp": return "image/webp"
        case "woff2": return "font/woff2"
        case "wasm": return "application/wasm"
        default: return "application/octet-stream"
        }
    }
}
