/// What the frame walk has learned so far.
struct MP3Progress: Sendable {
    /// The first frame trusted; later frames must agree with it on version, layer and sample rate.
    var reference: MPEGAudioFrameHeader?
    /// Complete audio frames counted (a leading Xing/Info/VBRI tag frame is not one).
    var frames = 0
    /// The index in `pending` of the next position to try as a frame start.
    var scanPosition = 0
    /// Positions tried since this search began, against `window`.
    var scanned = 0
    var window = 0

    /// How far past an ID3v2 tag (or the start) the first pair of frames may begin.
    static let initialSearchWindow = 64 * 1024
    /// How far past a lost sync the stream may pick up again before the rest is ignored.
    static let resyncWindow = 4 * 1024
    /// Tried positions that may sit in `pending` before it is trimmed.
    static let trimThreshold = 1024
}

extension AudioProbe {
    /// ID3v2 header (id3.org ID3v2.4.0-structure §3.1): "ID3", version, flags, syncsafe size.
    mutating func id3Header() {
        let h = pending[...]
        let sizeBytes = h[(h.startIndex + 6)..<(h.startIndex + 10)]
        guard h.byte(at: 3) != 0xFF, h.byte(at: 4) != 0xFF, sizeBytes.allSatisfy({ $0 < 0x80 }) else {
            return fail("MP3 file has a malformed ID3v2 tag")
        }
        // Syncsafe: 7 bits per byte, so at most 2^28 - 1; a footer adds 10 more bytes.
        let size = sizeBytes.reduce(0) { $0 << 7 | Int($1) }
        let footer = h.byte(at: 5) & 0x10 != 0 ? 10 : 0
        beginSkip(size + footer, in: .id3Body)
    }

    /// Starts looking for two consecutive compatible frames, in what `pending` holds and beyond.
    mutating func beginSearch(window: Int, keeping: Bool = false) {
        if !keeping { pending.removeAll(keepingCapacity: true) }
        state = .mp3Search
        mp3.scanPosition = 0
        mp3.scanned = 0
        mp3.window = window
        need = 4
    }

    /// Scans `pending` for a frame whose successor begins exactly where it ends, and whose header
    /// agrees with it. One valid-looking header is not enough: random bytes pass that test about
    /// once in 7,000 positions, two linked headers about once in a billion.
    mutating func searchStep() {
        if mp3.scanPosition >= MP3Progress.trimThreshold {
            pending.removeFirst(mp3.scanPosition)
            mp3.scanPosition = 0
        }
        while mp3.scanPosition + 4 <= pending.count {
            let at = mp3.scanPosition
            if let first = MPEGAudioFrameHeader(pending[at...]), mp3.reference.map(first.isCompatible) ?? true {
                let next = at + first.frameLength
                if next + 4 > pending.count {
                    need = next + 4
                    return
                }
                if let second = MPEGAudioFrameHeader(pending[next...]), second.isCompatible(with: first) {
                    return framesFound(first, at: at, next: next)
                }
            }
            mp3.scanPosition += 1
            mp3.scanned += 1
            if mp3.scanned > mp3.window {
                if mp3.reference == nil { return fail("MP3 stream has no valid frames") }
                // Junk after the audio: stop counting and ignore the rest.
                return ignoreTheRest()
            }
        }
        // Nothing to try yet: keep only the last three bytes, which may begin a header.
        pending.removeFirst(mp3.scanPosition)
        mp3.scanPosition = 0
        need = pending.count + 1
    }

    private mutating func framesFound(_ first: MPEGAudioFrameHeader, at start: Int, next: Int) {
        if mp3.reference == nil {
            mp3.reference = first
            // The stream's first frame may be a LAME/Xing "Info"/"Xing" or a "VBRI" tag frame.
            if !first.isTagFrame(pending[start..<next]) { mp3.frames += 1 }
        } else {
            mp3.frames += 1
        }
        // Walk on from the successor, whose header is in hand, along with anything after it.
        pending.removeFirst(next)
        state = .mp3Header
        need = 4
    }

    /// Walks the frames `pending` holds from a frame boundary, then skips the rest of the last one
    /// as it streams in. Frames only count once their last byte has arrived.
    mutating func frameHeader() {
        var position = 0
        while position + 4 <= pending.count {
            let bytes = pending[position...]
            guard let reference = mp3.reference, let header = MPEGAudioFrameHeader(bytes), header.isCompatible(with: reference) else {
                pending.removeFirst(position)
                // ID3v1 ("TAG", 128 bytes), APEv2 ("APETAGEX") and Lyrics3 ("LYRICS") tags end a file.
                if bytes.matches("TAG", at: 0) || bytes.matches("APET", at: 0) || bytes.matches("LYRI", at: 0) {
                    return ignoreTheRest()
                }
                return beginSearch(window: MP3Progress.resyncWindow, keeping: true)
            }
            let end = position + header.frameLength
            guard end <= pending.count else {
                return beginSkip(end - pending.count, in: .mp3FrameBody)
            }
            mp3.frames += 1
            position = end
        }
        // Fewer than four bytes of the next header: wait for the rest.
        pending.removeFirst(position)
        need = 4
    }

    /// A frame's last byte arrived: it counts.
    mutating func frameEnded() {
        mp3.frames += 1
        expect(4, in: .mp3Header)
    }

    func finishMP3() -> Result<AudioInfo, AudioError> {
        guard let reference = mp3.reference, mp3.frames > 0 else {
            return .failure(AudioError("MP3 stream has no valid frames"))
        }
        let samples = mp3.frames * reference.samplesPerFrame
        return .success(AudioInfo(format: .mp3, durationSeconds: Double(samples) / Double(reference.sampleRate),
                                  sampleRate: reference.sampleRate, channels: reference.channels))
    }
}
