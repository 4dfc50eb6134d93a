import Foundation
import Glibc
import Testing
import TestSupport

/// The security review's findings, each driven through the binary: file modes whatever the path's
/// form, no creation through a link.
@Suite("Security: files, hosts, origins, names and headers (the binary)", .keepsEvidence)
struct SecurityFindingsTests {
    static func mode(_ path: String) -> mode_t? {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & 0o777 : nil
    }

    /// The database, its -wal and its -shm are 0600 for a plain path and for a `file:` URI, with the
    /// umask the test runner has (usually 022).
    @Test(arguments: [false, true])
    func databaseFiles_areOwnerOnly_whateverThePathsForm(uri: Bool) throws {
        let directory = TemporaryDirectory()
        let path = directory.file("theta db.sqlite3")
        let location = uri ? "file:" + path.replacingOccurrences(of: " ", with: "%20") + "?cache=private" : path
        let server = try ServerProcess(databasePath: location, directory: directory)
        _ = try server.createKey()
        for file in [path, path + "-wal", path + "-shm"] {
            #expect(Self.mode(file) == 0o600, "\(file): mode \(Self.mode(file).map { String($0, radix: 8) } ?? "missing")")
        }
        #expect(!FileManager.default.fileExists(atPath: directory.file(location)), "no file named after the URI")
    }

    /// A --db that is a link to nothing is refused: theta-console never creates its database
    /// through a link. The link's target is not created.
    @Test func databasePath_thatIsALinkToNothing_isRefused_andNothingIsCreated() throws {
        let directory = TemporaryDirectory()
        let target = directory.file("elsewhere.sqlite3")
        let link = directory.file("theta.sqlite3")
        #expect(symlink(target, link) == 0)
        for location in [link, "file:" + link] {
            let refused = try runCLI(["serve", "--port", "0", "--db", location, "--admin-token", "test-admin-token-0123456789"])
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("\(link) is a symbolic link to a file that does not exist"), "\(refused.stderr)")
            #expect(!FileManager.default.fileExists(atPath: target))
            let cli = try runCLI(["keys", "list", "--db", location])
            #expect(cli.status == 1 && !FileManager.default.fileExists(atPath: target))
        }
    }

    /// Two keys whose names look the same cannot be made: an invisible character is refused, by
    /// the API and the CLI alike, naming the code point.
    @Test func keyNames_withInvisibleCharacters_areRefused_byTheAPIAndTheCLI() throws {
        let server = try ServerProcess()
        let refused = try server.post("/v1/keys", json: #"{"name": "ci\u200bkey"}"#)  // JSON's escape: U+200B
        #expect(refused.status == 422)
        #expect(refused.detail == "name must not contain invisible characters (found U+200B)")
        let cli = try runCLI(["keys", "create", "--name", "ci\u{FEFF}key", "--db", server.databasePath])
        #expect(cli.status == 64 && cli.stderr.contains("name must not contain invisible characters (found U+FEFF)"), "\(cli.stderr)")
        #expect(try server.post("/v1/keys", json: #"{"name": "ci 👩🏽‍💻"}"#).status == 201)
    }

    /// Every response carries the security headers, whatever its type: an SVG from --public-dir,
    /// JSON, a 404, a speech answer.
    @Test func hostsOtherThanLocalNames_get403_onEveryRoute_unlessAllowed() throws {
        let server = try ServerProcess(arguments: ["--allowed-host", "theta.test", "--allowed-host", ".corp.test"])
        let key = try server.createKey()
        for path in ["/", "/openapi.yaml", "/v1/keys", "/healthz"] {
            let refused = try server.request(path, host: "evil.example:\(server.port)", headers: server.authorization)
            #expect(refused.status == 403, "\(path)")
            #expect(refused.detail == "Host \"evil.example\" is not allowed: on a loopback address theta-console answers only "
                        + "localhost, *.localhost, IP addresses and its --host; to serve this name, start it with --allowed-host evil.example")
        }
        let upload = try server.request("/transcribe", method: "POST", host: "rebound.example", headers: ["x-api-key": key.secret], body: "{}")
        #expect(upload.status == 403)
        for host in ["localhost", "localhost:\(server.port)", "app.localhost", "127.0.0.1:\(server.port)", "[::1]:\(server.port)",
                     "10.1.2.3", "THETA.test", "theta.test:\(server.port)", "a.corp.test", "corp.test"] {
            #expect(try server.request("/v1/keys", host: host, headers: server.authorization).status == 200, "\(host)")
        }
        #expect(try server.request("/v1/keys", host: "corp.test.evil", headers: server.authorization).status == 403)
        let bad = try runCLI(["serve", "--port", "0", "--db", ":memory:", "--allowed-host", "a.test:8080"])
        #expect(bad.status == 64 && bad.stderr.contains("--allowed-host must be a host name"))
    }

    /// A page on another site can make a browser send requests with no-cors: to /v1/ they get 403
    /// before any token check, so they can neither guess the token nor write audit rows.
}
