import Foundation
import Glibc
import Testing

/// A folder for `theta-console scan`, beside a server whose keys were made through its API: one key
/// of each status, a look-alike, a binary file and a .git folder. Both tiers scan it: the binary
/// (EndToEndTests/LeakScanTests) and the CLI in process (ThetaConsoleTests/LeakScanTests).
public struct LeakTree<Server: ThetaServer> {
    public let server: Server
    public let root: String
    public let live: (id: String, secret: String)
    public let inactive: (id: String, secret: String)
    public let expired: (id: String, secret: String)
    /// Well-formed, made in another database: unknown to this one.
    public let foreign: String
    public var secrets: [String] { [live.secret, inactive.secret, expired.secret, foreign] }

    /// Makes the keys on `server` and writes the tree under `directory`. The expired key expires
    /// 2 s after it is made, on the real clock the CLI's scanner reads: this waits until the
    /// server reports it expired.
    public init(server: Server, directory: TemporaryDirectory, foreign: String) throws {
        self.server = server
        self.foreign = foreign
        let expiry = ISO8601DateFormatter().string(from: Date().addingTimeInterval(2))
        expired = try server.createKey(name: "expiring", extra: #", "expires_at": "\#(expiry)""#)
        live = try server.createKey(name: "live")
        inactive = try server.createKey(name: "inactive")
        #expect(try server.delete("/v1/keys/\(inactive.id)").status == 200)

        root = directory.file("tree")
        try write("config/app.env", "# settings\nTHETA_KEY=\(live.secret)\n")
        try write("notes.md", "Keys look like sk-theta-abcd…wxyz.\nA typo: \(Self.lookalike(of: live.secret))\nold: \(inactive.secret)\n")
        try write("old.txt", "  \(expired.secret)")
        try write("sub/deep/leak.yaml", "key: \"\(foreign)\"\n")
        try write("data.bin", "PK\u{0}\u{3}\u{4} \(live.secret)")
        try write(".git/config", "[remote]\n\ttoken = \(live.secret)\n")
        try write("clean.txt", "nothing to see\n")
        // The server's own answer says when the expiry has passed (the CLI then sees it too).
        let expiredID = expired.id
        #expect(try waitUntil(timeout: 10 * timeoutScale) {
            try server.get("/v1/keys/\(expiredID)").object["status"] as? String == "expired"
        }, "the key made to expire in 2 s never read as expired")
    }

    public func write(_ name: String, _ text: String) throws {
        let path = root + "/" + name
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    public func hint(_ secret: String) -> String {
        String(secret.prefix(13)) + "\u{2026}" + String(secret.suffix(4))
    }

    /// One character changed: a key's look-alike, which fails its checksum.
    public static func lookalike(of key: String) -> String {
        String(key.dropLast()) + (key.hasSuffix("A") ? "B" : "A")
    }
}

/// No run may print a full key, nor its random part.
public func expectNoSecret(_ results: [CLIResult], _ secrets: [String], sourceLocation: SourceLocation = #_sourceLocation) {
    for result in results {
        for secret in secrets {
            let random = String(secret.dropFirst(9).prefix(32))
            #expect(!result.stdout.contains(random) && !result.stderr.contains(random), "a key was printed",
                    sourceLocation: sourceLocation)
        }
    }
}
