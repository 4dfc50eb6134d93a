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
