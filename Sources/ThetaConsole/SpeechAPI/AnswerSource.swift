/// Where the answer to an accepted upload comes from, once the local gate has let it through: the
/// emulation (the default), recordings (`serve --replay DIR`: a matching one's body, else the
/// emulation, or with `--replay-strict` a 404 that names what is missing), the real service
/// (`serve --upstream URL`, recording its 200s when told to), or recordings first and the real
/// service for what they lack (both given: `--replay DIR --upstream URL --record DIR`).
///
/// A struct of two optionals rather than an enum with a payload per case: a multi-payload enum
/// keeps its tag in the spare bits of the reference, which LeakSanitizer does not take for a
/// pointer, so it reported the long-lived book or upstream as leaked at exit.
struct AnswerSource: Sendable {
    let replay: ReplayBook?
    let upstream: Upstream?

    static let emulator = AnswerSource(replay: nil, upstream: nil)

    /// What an upload must collect for this source.
    var collect: UploadSink.Collect {
        upstream != nil ? [.audioHash, .rawBody] : replay != nil ? [.audioHash] : []
    }
}
