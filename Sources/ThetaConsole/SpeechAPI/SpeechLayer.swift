import HTTPServer
import KeyStore

/// A layer around the emulated API: what may happen to a request besides the emulation. The
/// fixture's faults, stubs and request log are the one such layer (`Fixture/FixtureLayer.swift`).
/// `SpeechAPI` calls it at three points and knows nothing of what it does there; while the layer
/// has nothing to do (`isActive` false: no rule, no stub, no log), requests pass it by.
protocol SpeechLayer: Sendable {
    /// Whether the layer has anything to do now: checked once per request, so it must be cheap.
    var isActive: Bool { get }

    /// After the key passed the 401 gate, before the plan, the balance and the rate limit.
    /// `epoch` is the usage epoch the request read at its gate: a fixture reset since makes it old.
    func afterKey(_ key: APIKeyRecord, endpoint: EmulatedEndpoint, limit: Int, epoch: UInt64) -> SpeechLayerVerdict

    /// A request answered from its head, by the gate or by the layer, and why; `keyID` once the
    /// key is known.
    func answeredAtHead(_ decision: HeadDecision, endpoint: EmulatedEndpoint, keyID: String?, reason: AnswerReason,
                        epoch: UInt64)
}

/// What a layer decides once the key is known.
enum SpeechLayerVerdict {
    /// Answer this instead, for this reason: the request goes no further, and is not billed or counted.
    case answer(HeadDecision, AnswerReason)
    /// Go on through the gate. `counted: false` is a request the layer means to break: it is never
    /// billed or counted, and it does not use up the rate limit (it only reads it). The upload's
    /// sink collects `collect` and is handed to `wrap`, whose sink the connection then feeds.
    case proceed(counted: Bool, collect: UploadSink.Collect, wrap: @Sendable (UploadSink) -> any BodySink)
}
