import Foundation
import Testing
import TestSupport

/// A key restricted to address ranges: refused with 401 from anywhere else. The peer's address is
/// the one a socketpair connection is given (`InProcessServer.connect(remoteAddress:)`); how TCP
/// reports IPv6 and IPv4-mapped peers is tested against the binary.
@Suite("Keys: IP allowlist", .onOwnThreads)
struct KeyAllowlistTests {
    private func upload(_ server: InProcessServer, from source: String, key: String) throws -> WireResponse {
        let body = MultipartBody.upload(AudioFiles.wav(seconds: 1))
        let client = try server.connect(remoteAddress: source)
        return try client.request("POST", "/transcribe", headers: ["Content-Type": body.contentType, "x-api-key": key],
                                  body: body.finished())
    }

    @Test func aKeyWorksOnlyFromItsRanges_onIPv4() throws {
        let server = try InProcessServer(arguments: ["--plan", "pro"])
        let only1 = try server.createKey(name: "one host", extra: #", "allowed_cidrs": ["127.0.0.1/32"]"#)
        #expect(try upload(server, from: "127.0.0.1", key: only1.secret).status == 200)
        let refused = try upload(server, from: "127.0.0.2", key: only1.secret)
        #expect(refused.status == 401)
        #expect(refused.detail == "API key is not allowed from this address (127.0.0.2).")

        let wide = try server.createKey(name: "loopback", extra: #", "allowed_cidrs": ["10.0.0.0/8", "127.0.0.0/8"]"#)
        #expect(try upload(server, from: "127.0.0.2", key: wide.secret).status == 200)
        let open = try server.createKey(name: "anywhere", extra: #", "allowed_cidrs": []"#)
        #expect(try upload(server, from: "127.0.0.2", key: open.secret).status == 200)
        // The refusal counts against the key, like any other 4xx after the key lookup.
        #expect(try server.get("/v1/keys/\(only1.id)").object["requests_4xx"] as? Int == 1)
    }

    @Test func entriesAreParsedStrictly_andTheFieldAndEntryAreNamed() throws {
        let server = try InProcessServer(arguments: ["--plan", "pro"])
        let cases: [(String, String)] = [
            (#"["10.0.0.1/8"]"#, "allowed_cidrs[0]: 10.0.0.1/8 has host bits set; did you mean 10.0.0.0/8?"),
            (#"["127.0.0.0/8", "10.0.0.0"]"#, "allowed_cidrs[1]: 10.0.0.0 is not a CIDR (address/prefix length)"),
            (#"["10.0.0.0/33"]"#, "allowed_cidrs[0]: 10.0.0.0/33: the prefix length must be from 0 to 32"),
            (#"["010.0.0.0/8"]"#, "allowed_cidrs[0]: 010.0.0.0 is not an IPv4 or IPv6 address"),
            (#"["fe80::1/64"]"#, "allowed_cidrs[0]: fe80::1/64 has host bits set; did you mean fe80::/64?"),
            (#"[7]"#, "allowed_cidrs[0] must be a string such as 10.0.0.0/8"),
            ("\"10.0.0.0/8\"", "allowed_cidrs must be a list of at most 32 CIDRs"),
            ("[" + (0..<33).map { #""10.0.\#($0).0/24""# }.joined(separator: ",") + "]", "allowed_cidrs must be a list of at most 32 CIDRs"),
        ]
        for (list, detail) in cases {
            let response = try server.post("/v1/keys", json: #"{"name": "x", "allowed_cidrs": \#(list)}"#)
            #expect(response.status == 422 && response.detail == detail, "\(list): \(response.detail ?? "")")
        }
        let canonical = try server.post("/v1/keys", json: #"{"name": "v6", "allowed_cidrs": ["2001:DB8:0:0::/32", "::1/128"]}"#)
        #expect(canonical.object["allowed_cidrs"] as? [String] == ["2001:db8::/32", "::1/128"])
    }
}
