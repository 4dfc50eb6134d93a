/// Where the answer to an accepted upload comes from, once the local gate has let it through.
enum AnswerSource: Sendable {
    /// The emulation (the default).
    case emulator
    /// Recordings (`serve --replay DIR`): a matching one's body, else the emulation, or with
    /// `strict` a 404 that names what is missing.
    case replay(ReplayBook)
    /// The real service (`serve --upstream URL`), recording its 200s when told to.
    case upstream(Upstream)

    /// What an upload must collect for this source.
    var collect: UploadSink.Collect {
        switch self {
        case .emulator: []
        case .replay: [.audioHash]
        case .upstream: [.audioHash, .rawBody]
        }
    }
}
