import Foundation
import Glibc
import HTTPServer
import Logging
import Testing
import TestSupport

/// HTTPS on the server's own loops: a local CA made once, curl as the client that verifies it,
/// and raw sockets for what a TLS client would never send (plain HTTP, a cut or stalled handshake).
@Suite("HTTPServer: TLS", .onOwnThreads)
struct TLSServerTests {
    /// A server with an HTTP and an HTTPS listener, on a CA made in a folder of its own.
    final class Secure: @unchecked Sendable {
        let folder = TemporaryDirectory()
        let files: TLSServerContext.LocalFiles
        let server: HTTPServer
        let port: Int
        let tlsPort: Int

        init(handshakeTimeout: Double = 10) throws {
            files = try TLSServerContext.localFiles(in: folder.path + "/tls")
            let context = try TLSServerContext(certificateFile: files.certificate, keyFile: files.key)
            (server, port) = try LiveServerTests.startServer { configuration in
                configuration.tls = TLSListener(port: 0, context: context)
                configuration.handshakeTimeout = handshakeTimeout
            }
            tlsPort = try #require(server.tlsPort)
        }

        deinit { server.shutdown(grace: 1) }

        /// curl against the HTTPS port, verifying with the local CA; `options` go before the URL.
        func curl(_ path: String, host: String = "localhost", _ options: [String] = []) throws -> CLIResult {
            try ChildProcess.run("/usr/bin/curl", ["-sS", "--max-time", "20", "--cacert", files.authority] + options
                                 + ["-w", "\n%{http_code} %{num_connects} %{ssl_verify_result}", "https://\(host):\(tlsPort)\(path)"])
        }
    }

    @Test func curlVerifiesTheLocalCA_onLocalhostAnd127001_andKeepsTheConnection() throws {
        let secure = try Secure()
        #expect(secure.files.created)
        let named = try secure.curl("/items/7")
        #expect(named.status == 0 && named.stdout == "\"7\"\n200 1 0", "\(named.stderr)")
        let address = try secure.curl("/items/8", host: "127.0.0.1")
        #expect(address.status == 0 && address.stdout == "\"8\"\n200 1 0", "\(address.stderr)")
        // Two requests, one connection: the second finds the first's session still open.
        let twice = try ChildProcess.run("/usr/bin/curl", ["-sS", "--cacert", secure.files.authority, "-o", "/dev/null", "-o", "/dev/null",
                                                            "-w", "%{http_code} %{num_connects}\n",
                                                            "https://localhost:\(secure.tlsPort)/items/1", "https://localhost:\(secure.tlsPort)/items/2"])
        #expect(twice.stdout == "200 1\n200 0\n", "\(twice.stderr)")
        // The plain port still speaks HTTP.
        #expect(try RawHTTPClient(port: secure.port).request("GET", "/items/9").status == 200)
    }

    @Test func theLocalFilesAreMadeOnce_withPrivateKeys_andReused() throws {
        let secure = try Secure()
        let keyMode = try FileManager.default.attributesOfItem(atPath: secure.files.key)[.posixPermissions] as? Int
        #expect(keyMode == 0o600)
        let before = try Data(contentsOf: URL(fileURLWithPath: secure.files.certificate))
        let again = try TLSServerContext.localFiles(in: secure.folder.path + "/tls")
        #expect(!again.created && again.authority == secure.files.authority)
        #expect(try Data(contentsOf: URL(fileURLWithPath: secure.files.certificate)) == before)
    }

    @Test func largeAnswersAndUploads_crossTLSWhole() throws {
        let secure = try Secure()
        let big = try ChildProcess.run("/usr/bin/curl", ["-sS", "--cacert", secure.files.authority, "-o", "/dev/null",
                                                          "-w", "%{http_code} %{size_download}", "https://localhost:\(secure.tlsPort)/big"])
        #expect(big.stdout == "200 1000000", "\(big.stderr)")
        let upload = secure.folder.path + "/upload.bin"
        try Data(repeating: 0x62, count: 3_000_000).write(to: URL(fileURLWithPath: upload))
        let counted = try secure.curl("/count", ["--data-binary", "@" + upload, "-H", "Content-Type: application/octet-stream"])
        #expect(counted.status == 0 && counted.stdout.hasSuffix("200 1 0"), "\(counted.stdout) \(counted.stderr)")
    }

    @Test func plainHTTPToTheTLSPort_isToldToUseHTTPS_inPlainHTTP() throws {
        let secure = try Secure()
        let client = try RawHTTPClient(port: secure.tlsPort)
        let response = try client.request("GET", "/items/1")
        #expect(response.status == 400 && response.detail == "this port speaks HTTPS: use https://")
        #expect(client.waitForClose())
        #expect(try secure.curl("/items/2").stdout.hasSuffix("200 1 0"), "the port still serves TLS")
    }

    @Test func aTruncatedHandshake_isClosed_andTheConnectionIsForgotten() throws {
        let secure = try Secure()
        let baseline = secure.server.connectionCount
        let client = try RawHTTPClient(port: secure.tlsPort)
        // A TLS record header announcing a 512-byte ClientHello, and then only part of it.
        try client.send([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03])
        shutdown(client.fd, Int32(SHUT_WR))
        #expect(client.waitForClose())
        #expect(waitUntil { secure.server.connectionCount == baseline })
        // Garbage that is not TLS at all.
        let noise = try RawHTTPClient(port: secure.tlsPort)
        try noise.send([0x16] + [UInt8](repeating: 0xff, count: 64))
        #expect(noise.waitForClose())
        #expect(try secure.curl("/items/3").stdout.hasSuffix("200 1 0"))
    }

    @Test func aStalledHandshake_isClosedAtItsDeadline_withoutSpinningTheLoop() throws {
        let secure = try Secure(handshakeTimeout: 0.5 * timeoutScale)
        let client = try RawHTTPClient(port: secure.tlsPort, timeout: 10 * timeoutScale)
        try client.send([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])
        let wakeUps = secure.server.loopWakeUps
        let started = Date()
        #expect(client.waitForClose())
        let waited = Date().timeIntervalSince(started)
        #expect(waited >= 0.4 * timeoutScale, "closed at the deadline, not before: \(waited) s")
        // The deadline sweep wakes each loop 4 times a second; a loop spinning on the socket would
        // wake thousands of times.
        #expect(secure.server.loopWakeUps - wakeUps < 200 * Int(max(1, waited)), "\(secure.server.loopWakeUps - wakeUps) wake-ups")
    }

    @Test func anSNIForAnotherHost_getsThisCertificate_whichTheClientRefuses() throws {
        let secure = try Secure()
        let resolve = ["--resolve", "other.example:\(secure.tlsPort):127.0.0.1"]
        let refused = try secure.curl("/items/4", host: "other.example", resolve)
        #expect(refused.status == 60, "curl: the name is not in the certificate: \(refused.stderr)")
        let insecure = try secure.curl("/items/5", host: "other.example", resolve + ["--insecure"])
        #expect(insecure.status == 0 && insecure.stdout.hasPrefix("\"5\"\n200"), "\(insecure.stderr)")
    }

    @Test func tlsBelow1_2_isRefused() throws {
        let secure = try Secure()
        let old = try ChildProcess.run("/usr/bin/openssl", ["s_client", "-connect", "127.0.0.1:\(secure.tlsPort)", "-tls1_1"],
                                       input: [])
        #expect(old.status != 0 && !old.stdout.contains("Cipher is TLS"), "\(old.stdout)")
        let current = try ChildProcess.run("/usr/bin/openssl", ["s_client", "-connect", "127.0.0.1:\(secure.tlsPort)", "-tls1_2",
                                                                 "-CAfile", secure.files.authority], input: [])
        #expect(current.stdout.contains("Verify return code: 0 (ok)"), "\(current.stdout)")
    }
}
