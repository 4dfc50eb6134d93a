import KeyStore

/// The `detail` strings of the emulated API that the real service leaves unstated. The documented
/// 400 strings live with the options validation; see docs/decisions.md for all of them.
enum SpeechErrors {
    static let missingKey = "Missing API key. Send it in the x-api-key header."
    static let duplicateKey = "Send exactly one x-api-key header."
    static let invalidKey = "Invalid API key."
    static let inactiveKey = "API key is inactive."
    static let expiredKey = "API key has expired."
    /// A key with an allowlist, used from an address not on it. The real service documents no
    /// allowlist; the address is named so the cause is plain (decisions.md).
    static func addressNotAllowed(_ address: String) -> String {
        "API key is not allowed from this address (\(address))."
    }
    static let unavailable = "The service is temporarily unavailable. Retry shortly."
    static let fileRequired = "file is required"
    /// The defaults of injected faults (`/v1/faults`), where the rule gives no `detail`.
    static let internalError = "Internal server error."
    static let badGateway = "Bad gateway: the upstream service did not answer."
    static let processingTimeout = "Processing took too long: the request timed out."
    /// The recording proxy's answers when the upstream gave none it could pass on (decisions.md).
    static func upstreamFailed(_ why: String) -> String { "Bad gateway: the upstream service \(why)." }
    static let upstreamBusy = "The service is temporarily unavailable: too many requests are waiting for the upstream. Retry shortly."
    /// `serve --replay-strict`, for a request no recording matches.
    static func noRecording(_ endpoint: EmulatedEndpoint, audioSHA256: String?, optionsSHA256: String) -> String {
        "No recording for \(endpoint.rawValue) with audio_sha256 \(audioSHA256 ?? "(no file)") and options_sha256 "
            + "\(optionsSHA256). Record it with serve --upstream URL --record DIR, or drop --replay-strict for the emulated answer."
    }

    static func planLacks(_ plan: Plan, _ endpoint: EmulatedEndpoint) -> String {
        "Your plan (\(plan.displayName)) does not include \(endpoint.rawValue). Upgrade to Starter or higher."
    }

    static func noCredits(_ balanceMicro: Int64) -> String {
        "Out of credits: the balance is \(Credits.format(micro: balanceMicro)) credits."
    }

    static func rateLimited(_ limit: Int) -> String {
        "Rate limit exceeded: at most \(limit) requests per minute for this API key."
    }

    static func tooLarge(_ limit: Int) -> String {
        "Upload too large: the limit is \(limit / (1024 * 1024)) MiB."
    }

    static func invalidAudio(_ reason: String) -> String {
        "Invalid audio file: \(reason)"
    }
}
