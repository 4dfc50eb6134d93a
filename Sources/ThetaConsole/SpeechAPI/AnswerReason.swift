/// Why the emulated API answered a request the way it did, for the request journal
/// (`GET /v1/requests`, `reason`) and for tests that verify against it. It never changes the
/// answer on the wire: the status and `detail` are the documented ones.
enum AnswerReason: String, Sendable, CaseIterable {
    /// A 200 from the emulation.
    case ok
    /// A 200 whose body a response stub gave.
    case stub
    /// An answer a fault rule made: a status, a reset connection, a timeout or a truncated answer.
    /// A `delay_ms` fault keeps the answer's own reason.
    case fault
    case keyMissing = "key_missing"
    case keyDuplicate = "key_duplicate"
    /// A malformed or unknown key: both are answered "Invalid API key.".
    case keyUnknown = "key_unknown"
    case keyInactive = "key_inactive"
    case keyExpired = "key_expired"
    case addressNotAllowed = "address_not_allowed"
    case planExcludesEndpoint = "plan_excludes_endpoint"
    case outOfCredits = "out_of_credits"
    case rateLimited = "rate_limited"
    /// Any 400: not multipart, a bad form, options or audio.
    case invalidRequest = "invalid_request"
    case tooLarge = "too_large"
    /// 503: the key could not be looked up.
    case unavailable
    /// An answer the upstream gave (`serve --upstream`), whatever its status.
    case upstream
    /// No answer from the upstream: unreachable, a certificate that did not verify, a timeout, an
    /// answer cut off or not JSON, or too many requests already on their way (502, 503 or 504).
    case upstreamFailed = "upstream_failed"
    /// A 200 whose body a recording gave (`serve --replay`).
    case replayed
    /// `serve --replay-strict`: no recording matched (404).
    case noRecording = "no_recording"

    /// The reason for an upload's own answer, which is a 200, a 400 or a 413.
    init(uploadStatus status: Int) {
        self = switch status {
        case 200: .ok
        case 413: .tooLarge
        default: .invalidRequest
        }
    }
}
