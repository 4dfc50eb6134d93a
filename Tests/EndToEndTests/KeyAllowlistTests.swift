import Foundation
import Testing
import TestSupport

/// A key restricted to address ranges: refused with 401 from anywhere else.
@Suite("Keys: IP allowlist (the binary: addresses as TCP gives them)", .keepsEvidence)
struct KeyAllowlistTests {
    private func upload(port: Int, host: String = "127.0.0.1", from source: String?, key: String) throws -> WireResponse {
        let body = MultipartBody.upload(AudioFiles.wav(seconds: 1))
        let client = try RawHTTPClient(port: port, host: host, source: source)
        return try client.request("POST", "/transcribe", headers: ["Content-Type": body.contentType, "x-api-key": key],
                                  body: body.finished())
    }

    @Test func ipv6Peers_andIPv4MappedPeers_matchTheirEntries() throws {
        // Dual stack: an IPv4 client arrives as ::ffff:127.0.0.2 and matches an IPv4 entry.
        let server = try ServerProcess(arguments: ["--host", "::", "--plan", "pro"])
        let v4 = try server.createKey(name: "v4", extra: #", "allowed_cidrs": ["127.0.0.2/32"]"#)
        let v6 = try server.createKey(name: "v6", extra: #", "allowed_cidrs": ["::1/128"]"#)
        #expect(try upload(port: server.port, from: "127.0.0.2", key: v4.secret).status == 200)
        #expect(try upload(port: server.port, from: "127.0.0.1", key: v4.secret).status == 401)
        #expect(try upload(port: server.port, host: "::1", from: nil, key: v6.secret).status == 200)
        #expect(try upload(port: server.port, host: "::1", from: nil, key: v4.secret).status == 401)
        #expect(try upload(port: server.port, from: "127.0.0.1", key: v6.secret).status == 401)
    }
}
