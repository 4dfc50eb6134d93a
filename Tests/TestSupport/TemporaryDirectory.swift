import Foundation

/// A fresh folder per test. It goes when the value is released, or, inside a test that keeps
/// evidence (`.keepsEvidence`), when that test ends: kept if the test failed.
public final class TemporaryDirectory: @unchecked Sendable {
    public let path: String
    private let evidence: TestEvidence?

    public init() {
        let base = FileManager.default.temporaryDirectory.path
        path = base + "/theta-test-" + UUID().uuidString.prefix(12)
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        evidence = TestEvidence.current
    }

    public func file(_ name: String) -> String { path + "/" + name }

    deinit {
        if evidence?.adopt(folder: path) == true { return }
        try? FileManager.default.removeItem(atPath: path)
    }
}

extension TemporaryDirectory {
    /// An admin-token file, `admin-token`, holding `token` and a newline, with `mode`.
    public func adminTokenFile(mode: mode_t, token: String = "from-a-file-0123456789") throws -> String {
        let path = file("admin-token")
        try (token + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, mode)
        return path
    }
}
