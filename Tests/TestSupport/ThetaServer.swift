import Foundation

/// A theta-console a test talks to: the binary over a socket (`ServerProcess`), or the app in the
/// test's own process through its router (`InProcessServer`, in ThetaConsoleTests). The helpers
/// below work on either, so a test reads the same whichever tier runs it.
public protocol ThetaServer {
    var adminToken: String? { get }
    /// Sends one request (`Host: localhost`, the headers given, and a Content-Length for a body)
    /// and returns its response as read off the wire.
    func request(_ method: String, _ path: String, headers: [String: String], body: [UInt8]?) throws -> WireResponse
    /// A new connection of the server's own: TCP to the binary, a socketpair in process.
    func connection() throws -> RawHTTPClient
}

extension ThetaServer {
    public var authorization: [String: String] { ["Authorization": "Bearer \(adminToken ?? "")"] }

    public func request(_ method: String, _ path: String, headers: [String: String] = [:]) throws -> WireResponse {
        try request(method, path, headers: headers, body: nil)
    }

    public func request(_ method: String, _ path: String, headers: [String: String] = [:], json: String) throws -> WireResponse {
        var headers = headers
        headers["Content-Type"] = headers["Content-Type"] ?? "application/json"
        return try request(method, path, headers: headers, body: Array(json.utf8))
    }

    /// One request with a Host of the test's choosing, on a new connection.
    public func request(_ path: String, method: String = "GET", host: String, headers: [String: String] = [:],
                        body: String? = nil) throws -> WireResponse {
        let client = try connection()
        var text = "\(method) \(path) HTTP/1.1\r\nHost: \(host)\r\n"
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { text += "\(name): \(value)\r\n" }
        if let body { text += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
        try client.send(text + "\r\n" + (body ?? ""))
        return try client.readResponse()
    }

    // MARK: - Admin API shortcuts

    public func get(_ path: String) throws -> WireResponse {
        try request("GET", path, headers: authorization, body: nil)
    }

    public func post(_ path: String, json: String) throws -> WireResponse {
        try request("POST", path, headers: authorization, json: json)
    }

    public func patch(_ path: String, json: String) throws -> WireResponse {
        try request("PATCH", path, headers: authorization, json: json)
    }

    public func delete(_ path: String) throws -> WireResponse {
        try request("DELETE", path, headers: authorization, body: nil)
    }

    /// Creates a key through the API and returns (id, secret).
    public func createKey(name: String = "test key", extra: String = "") throws -> (id: String, secret: String) {
        let response = try post("/v1/keys", json: #"{"name": "\#(name)"\#(extra)}"#)
        guard response.status == 201, let id = response.object["id"] as? String, let key = response.object["key"] as? String else {
            throw ClientError("create failed: \(response.status) \(response.detail ?? "")")
        }
        return (id, key)
    }

    /// POSTs a multipart upload to an emulated endpoint with an `x-api-key`.
    public func upload(_ path: String, key: String?, audio: [UInt8] = AudioFiles.wav(seconds: 1),
                       fields: [(String, String)] = []) throws -> WireResponse {
        let body = MultipartBody.upload(audio, fields: fields)
        var headers = ["Content-Type": body.contentType]
        if let key { headers["x-api-key"] = key }
        return try request("POST", path, headers: headers, body: body.finished())
    }
}

extension WireResponse {
    /// A whole response as wire bytes (head, then exactly its body).
    public static func parse(_ bytes: [UInt8], headRequest: Bool = false) throws -> WireResponse {
        guard let end = bytes.firstRange(of: [13, 10, 13, 10]) else { throw ClientError("no end of head in the response") }
        var response = try parseHead(String(decoding: bytes[..<end.lowerBound], as: UTF8.self))
        if !headRequest && response.mayHaveBody {
            response.body = Array(bytes[end.upperBound...])
        }
        return response
    }

    /// The status line and header fields of a response head (without its blank line).
    static func parseHead(_ head: String) throws -> WireResponse {
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw ClientError("bad status line: \(head)") }
        let headers = lines.compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return WireResponse(status: status, headers: headers, body: [])
    }

    var mayHaveBody: Bool { !(status == 204 || status == 304 || (100..<200).contains(status)) }
}
