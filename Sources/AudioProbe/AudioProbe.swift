/// Measures the duration of a WAV or MP3 upload as it streams past, without holding it.
///
/// Feed every byte of the upload to `consume` in any chunking, then call `finish`. The probe keeps
/// a small bounded buffer (a chunk or frame header, a `fmt ` chunk, or an MP3 sync search window of
/// a few KiB) and otherwise only counts: chunk bodies, audio data and frame bodies are skipped as
/// they arrive, so memory does not grow with the upload. It never traps on any input; malformed
/// input ends in an `AudioError`.
public struct AudioProbe: Sendable {
    enum State: Sendable, Equatable {
        case sniff
        // WAV
        case riffHeader
        case chunkHeader
        case fmtChunk(size: Int)
        case factChunk(size: Int)
        case ds64Chunk(size: Int)
        case chunkBody
        case dataBody
        // MP3
        case id3Header
        case id3Body
        case mp3Search
        case mp3Header
        case mp3FrameBody
        /// Everything after what was needed is ignored.
        case trailer
        case failed(AudioError)
    }

    /// Every byte handed to `consume`, counted.
    public private(set) var bytesSeen = 0

    var state = State.sniff
    var format: AudioFormat?
    /// Bytes the current state is looking at; `step` runs once `pending.count >= need`.
    var pending: [UInt8] = []
    var need = 4
    /// Bytes to pass over unread before the current skipping state ends.
    var skip = 0
    var wav = WAVProgress()
    var mp3 = MP3Progress()

    public init() {
        pending.reserveCapacity(64)
    }

    /// The error already known, if the upload is certainly not measurable; callers may stop early.
    public var failure: AudioError? {
        if case .failed(let error) = state { return error }
        return nil
    }

    /// Feeds the next bytes of the upload. Cheap: skipped regions cost O(1) per call.
    public mutating func consume(_ bytes: ArraySlice<UInt8>) {
        bytesSeen &+= bytes.count
        var input = bytes
        while true {
            switch state {
            case .trailer, .failed: return
            default: break
            }
            if skip > 0 {
                guard !input.isEmpty else { return }
                let n = min(skip, input.count)
                skip -= n
                input = input.dropFirst(n)
                if state == .dataBody { wav.dataReceived &+= n }
                if skip == 0 { skipEnded() }
            } else if pending.count >= need {
                step()
            } else {
                guard !input.isEmpty else { return }
                let n = min(need - pending.count, input.count)
                pending.append(contentsOf: input.prefix(n))
                input = input.dropFirst(n)
            }
        }
    }

    /// The measurement, once every byte has been consumed.
    public func finish() -> Result<AudioInfo, AudioError> {
        switch state {
        case .failed(let error):
            return .failure(error)
        case .sniff:
            return .failure(AudioError(bytesSeen == 0 ? "audio file is empty" : "audio is not a WAV or MP3 file"))
        default:
            break
        }
        switch format {
        case .wav?: return finishWAV()
        case .mp3?: return finishMP3()
        case nil: return .failure(AudioError("audio is not a WAV or MP3 file"))
        }
    }

    /// How many bytes the probe holds right now; tests use it to prove memory stays bounded.
    var bufferedByteCount: Int { pending.count }

    // MARK: - Driving the states

    /// Runs when `pending` holds at least `need` bytes. Every path consumes some of `pending`,
    /// starts a skip, raises `need` above `pending.count`, or ends the probe, so `consume` always
    /// makes progress.
    mutating func step() {
        switch state {
        case .sniff: sniff()
        case .riffHeader: riffHeader()
        case .chunkHeader: chunkHeader()
        case .fmtChunk(let size): fmtChunk(size: size)
        case .factChunk(let size): factChunk(size: size)
        case .ds64Chunk(let size): ds64Chunk(size: size)
        case .id3Header: id3Header()
        case .mp3Search: searchStep()
        case .mp3Header: frameHeader()
        case .chunkBody, .dataBody, .id3Body, .mp3FrameBody, .trailer, .failed:
            // Skipping and terminal states never wait on `pending`.
            fail("audio probe reached an impossible state")
        }
    }

    /// Enters a skipping state; a zero-length skip ends at once.
    mutating func beginSkip(_ count: Int, in skipping: State) {
        pending.removeAll(keepingCapacity: true)
        state = skipping
        skip = count
        if count == 0 { skipEnded() }
    }

    /// Waits for `count` bytes in `next`.
    mutating func expect(_ count: Int, in next: State) {
        pending.removeAll(keepingCapacity: true)
        state = next
        need = count
    }

    mutating func skipEnded() {
        switch state {
        case .chunkBody: expect(8, in: .chunkHeader)
        case .dataBody: dataEnded()
        case .id3Body: beginSearch(window: MP3Progress.initialSearchWindow)
        case .mp3FrameBody: frameEnded()
        default: fail("audio probe reached an impossible state")
        }
    }

    mutating func fail(_ detail: String) {
        pending = []
        skip = 0
        state = .failed(AudioError(detail))
    }

    mutating func ignoreTheRest() {
        pending = []
        skip = 0
        state = .trailer
    }

    // MARK: - Sniffing

    private mutating func sniff() {
        let head = pending[...]
        if head.matches("RIFF", at: 0) || head.matches("RF64", at: 0) || head.matches("BW64", at: 0) {
            format = .wav
            state = .riffHeader
            need = 12
        } else if head.matches("ID3", at: 0) {
            format = .mp3
            state = .id3Header
            need = 10
        } else if MPEGAudioFrameHeader(head) != nil {
            format = .mp3
            beginSearch(window: MP3Progress.initialSearchWindow, keeping: true)
        } else {
            fail("audio is not a WAV or MP3 file")
        }
    }
}
