import Foundation
import Glibc
import Testing
import TestSupport

/// `serve --audit-retention-days N` as the CLI checks it (the pruning itself runs in process:
/// ThetaConsoleTests/AuditRetentionTests).
@Suite("Audit retention: the flag", .keepsEvidence)
struct AuditRetentionFlagTests {
    @Test func retentionBelowOneDay_isAUsageError() throws {
        let result = try runCLI(["serve", "--port", "0", "--db", ":memory:", "--audit-retention-days", "0"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--audit-retention-days must be at least 1"))
    }
}
