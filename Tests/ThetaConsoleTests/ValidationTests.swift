import Foundation
import Testing
import TestSupport

@Suite("Admin API: validation of POST /v1/keys", .onOwnThreads)
struct ValidationTests {
    static let invalidBodies: [(json: String, field: String)] = [
        (#"{}"#, "name"),
        (#"{"name": ""}"#, "name"),
        (#"{"name": "   "}"#, "name"),
        (#"{"name": "\#(String(repeating: "n", count: 101))"}"#, "name"),
        (#"{"name": "tab\there"}"#, "name"),
        (#"{"name": "bell\u0007"}"#, "name"),
        (#"{"name": 5}"#, "name"),
        (#"{"name": "x", "rate_limit_rpm": 0}"#, "rate_limit_rpm"),
        (#"{"name": "x", "rate_limit_rpm": 101}"#, "rate_limit_rpm"),
        (#"{"name": "x", "rate_limit_rpm": 10.5}"#, "rate_limit_rpm"),
        (#"{"name": "x", "rate_limit_rpm": "10"}"#, "rate_limit_rpm"),
        (#"{"name": "x", "expires_at": "tomorrow"}"#, "expires_at"),
        (#"{"name": "x", "expires_at": "2020-01-01"}"#, "expires_at"),
        (#"{"name": "x", "expires_at": "2020-01-01T00:00:00Z"}"#, "expires_at"),
        (#"{"name": "x", "expires_at": "2099-02-30"}"#, "expires_at"),
        (#"{"name": "x", "colour": "blue"}"#, "colour"),
    ]

    @Test(arguments: invalidBodies.indices)
    func invalidField_gets422NamingIt(index: Int) throws {
        let (json, field) = Self.invalidBodies[index]
        let server = try InProcessServer()
        let response = try server.post("/v1/keys", json: json)
        #expect(response.status == 422, "\(json)")
        #expect(response.detail?.contains(field) == true, "\(response.detail ?? "nil") should name \(field)")
        #expect((try server.get("/v1/keys").object["data"] as? [Any])?.isEmpty == true)
    }

    @Test func validBoundaries_areAccepted() throws {
        let server = try InProcessServer(arguments: ["--plan", "pro"])
        let hundred = String(repeating: "é", count: 100)
        #expect(try server.post("/v1/keys", json: #"{"name": "\#(hundred)", "rate_limit_rpm": 1}"#).status == 201)
        #expect(try server.post("/v1/keys", json: #"{"name": "  padded  ", "rate_limit_rpm": 100, "expires_at": "2099-01-01T12:00:00+09:00"}"#).status == 201)
        let defaults = try server.post("/v1/keys", json: #"{"name": "defaults", "expires_at": null}"#)
        #expect(defaults.status == 201)
        #expect(defaults.object["rate_limit_rpm"] as? Int == 100)
        #expect(defaults.object["expires_at"] is NSNull)
        let padded = (try server.get("/v1/keys").object["data"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
        #expect(padded?.contains("padded") == true)
    }

    @Test func maxKeyRPM_raisesTheCeiling() throws {
        let server = try InProcessServer(arguments: ["--max-key-rpm", "1000", "--plan", "enterprise"])
        #expect(try server.post("/v1/keys", json: #"{"name": "contract", "rate_limit_rpm": 1000}"#).status == 201)
        #expect(try server.post("/v1/keys", json: #"{"name": "contract", "rate_limit_rpm": 1001}"#).status == 422)
    }

    @Test(arguments: [#"{"name": "x""#, #"{"name": "x",}"#, "not json", "", #"{"name": "x", "name": "y"}"#])
    func malformedJSON_gets400(body: String) throws {
        let server = try InProcessServer()
        let response = try server.post("/v1/keys", json: body)
        #expect(response.status == 400)
        #expect(response.detail?.hasPrefix("malformed JSON") == true)
    }

    @Test func nonObjectJSON_gets422() throws {
        let server = try InProcessServer()
        #expect(try server.post("/v1/keys", json: #"["name"]"#).status == 422)
    }

    @Test(arguments: ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"])
    func nonJSONContentType_gets415(type: String) throws {
        let server = try InProcessServer()
        let response = try server.request("POST", "/v1/keys",
                                         headers: server.authorization.merging(["Content-Type": type]) { $1 },
                                         json: #"{"name":"x"}"#)
        #expect(response.status == 415)
    }

    @Test func jsonWithCharset_isAccepted() throws {
        let server = try InProcessServer()
        let response = try server.request("POST", "/v1/keys",
                                         headers: server.authorization.merging(["Content-Type": "application/json; charset=utf-8"]) { $1 },
                                         json: #"{"name":"x"}"#)
        #expect(response.status == 201)
    }

    @Test func bodyOver64KiB_gets413BeforeItIsRead() throws {
        let server = try InProcessServer()
        let client = try server.connect()
        // Only the head is sent: the 413 must come without the body.
        try client.send("POST /v1/keys HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(server.adminToken!)\r\nContent-Type: application/json\r\nContent-Length: \(64 * 1024 + 1)\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 413)
        #expect(response.header("Connection") == "close")
    }
}
