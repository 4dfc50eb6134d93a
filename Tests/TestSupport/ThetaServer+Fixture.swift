import Foundation
import Testing

/// Shortcuts the fixture and billing tests of both tiers share.
extension ThetaServer {
    /// `POST /v1/faults` with `json`.
    public func addFault(_ json: String) throws -> WireResponse {
        try post("/v1/faults", json: json)
    }

    /// The account's `"balance":…` member as sent, for comparing balances exactly.
    public func balanceText(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let text = try get("/v1/account").text
        return String(text[try #require(text.range(of: #""balance":[^,]+"#, options: .regularExpression),
                                        sourceLocation: sourceLocation)])
    }

    /// Moves a `--fake-time` clock on by `seconds`, and expects the move to be taken.
    public func advanceClock(_ seconds: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(try post("/v1/clock", json: #"{"advance_seconds": \#(seconds)}"#).status == 200, sourceLocation: sourceLocation)
    }

    /// The newest 100 ledger entries.
    public func ledgerEntries() throws -> [[String: Any]] {
        try get("/v1/account/ledger?limit=100").object["data"] as? [[String: Any]] ?? []
    }
}
