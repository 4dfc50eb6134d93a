import Foundation
import Glibc
import Testing
import TestSupport

/// `serve --tls-self-signed DIR`: the binary makes a local CA once, serves HTTPS beside HTTP, and
/// curl, trusting only that CA, reaches the emulated API.
@Suite("HTTPS: serve with a local CA (the binary)", .keepsEvidence)
struct HTTPSTests {
    private static func secureLines(of server: ServerProcess) throws -> (port: Int, authority: String) {
        try server.secureEndpoint()
    }

    private static func transcribe(port: Int, authority: String, key: String, audio: String) throws -> CLIResult {
        try ChildProcess.run("/usr/bin/curl", ["-sS", "--max-time", "20", "--cacert", authority, "-H", "x-api-key: \(key)",
                                               "-F", "file=@\(audio);type=audio/wav", "-w", "\n%{http_code}",
                                               "https://localhost:\(port)/transcribe"])
    }

    @Test func curlReachesTranscribeOverHTTPS_andTheNextStartReusesTheSameCA() throws {
        let folder = TemporaryDirectory()
        let tls = folder.path + "/tls"
        let audio = folder.file("hello.wav")
        try Data(AudioFiles.wav(seconds: 2)).write(to: URL(fileURLWithPath: audio))

        let first = try ServerProcess(arguments: ["--tls-self-signed", tls, "--tls-port", "0", "--plan", "pro"], directory: folder)
        let (port, authority) = try Self.secureLines(of: first)
        #expect(authority == tls + "/ca.pem")
        for name in ["ca-key.pem", "server-key.pem"] {
            let mode = try FileManager.default.attributesOfItem(atPath: tls + "/" + name)[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(name)")
        }
        let key = try first.createKey()
        let answer = try Self.transcribe(port: port, authority: authority, key: key.secret, audio: audio)
        #expect(answer.status == 0 && answer.stdout.hasSuffix("\n200"), "\(answer.stdout) \(answer.stderr)")
        #expect(answer.stdout.contains(#""text":"Welcome to Theta One AI!""#))
        // HTTP goes on beside it, on its own port.
        #expect(try first.get("/healthz").status == 200)
        let authorityBytes = try Data(contentsOf: URL(fileURLWithPath: authority))
        #expect(first.stop() == 0)

        // A second start finds the files and reuses them: a CA the client already trusts still works.
        let second = try ServerProcess(arguments: ["--tls-self-signed", tls, "--tls-port", "0", "--plan", "pro"],
                                       databasePath: first.databasePath, directory: folder)
        let (again, sameAuthority) = try Self.secureLines(of: second)
        let authorityNow = try Data(contentsOf: URL(fileURLWithPath: authority))
        #expect(sameAuthority == authority && authorityNow == authorityBytes)
        let reused = try Self.transcribe(port: again, authority: authority, key: key.secret, audio: audio)
        #expect(reused.stdout.hasSuffix("\n200"), "\(reused.stdout) \(reused.stderr)")
        #expect(!second.stderr.contains(key.secret) && !second.stdout.contains(key.secret))
    }

    @Test func badTLSOptions_stopStartUp_sayingWhy() throws {
        let folder = TemporaryDirectory()
        let alone = try runCLI(["serve", "--port", "0", "--db", ":memory:", "--tls-cert", folder.file("cert.pem")])
        #expect(alone.status != 0 && alone.stderr.contains("give --tls-cert and --tls-key together"), "\(alone.stderr)")
        let missing = try runCLI(["serve", "--port", "0", "--db", ":memory:", "--tls-port", "0",
                                  "--tls-cert", folder.file("cert.pem"), "--tls-key", folder.file("key.pem")])
        #expect(missing.status != 0 && missing.stderr.contains("--tls-cert/--tls-key: cannot read the certificate"), "\(missing.stderr)")
        // Keys others may read are refused, as ssh refuses them.
        let tls = folder.path + "/tls"
        let made = try ServerProcess(arguments: ["--tls-self-signed", tls, "--tls-port", "0"], directory: folder)
        _ = try Self.secureLines(of: made)
        #expect(made.stop() == 0)
        chmod(tls + "/server-key.pem", 0o644)
        let open = try runCLI(["serve", "--port", "0", "--db", ":memory:", "--tls-port", "0", "--tls-self-signed", tls])
        #expect(open.status != 0 && open.stderr.contains("--tls-self-signed:") && open.stderr.contains("too open"), "\(open.stderr)")
    }

    @Test func aStalledHandshake_isClosedAtTheDeadlineServeWasGiven() throws {
        let folder = TemporaryDirectory()
        let server = try ServerProcess(arguments: ["--tls-self-signed", folder.path + "/tls", "--tls-port", "0",
                                                   "--handshake-timeout", "\(0.5 * timeoutScale)"], directory: folder)
        let (port, _) = try Self.secureLines(of: server)
        let client = try RawHTTPClient(port: port, timeout: 20 * timeoutScale)
        try client.send([0x16, 0x03, 0x01, 0x02, 0x00])  // a record header, and no record
        let started = Date()
        #expect(client.waitForClose())
        #expect(Date().timeIntervalSince(started) < 5 * timeoutScale, "closed by the 0.5 s deadline, not the 10 s default")
        #expect(try server.get("/healthz").status == 200)
    }
}
