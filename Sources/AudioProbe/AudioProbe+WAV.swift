/// What the chunk walk has learned so far.
struct WAVProgress: Sendable {
    var fmt: WAVFormat?
    /// Samples per channel from a `fact` chunk (required for compressed formats).
    var factSamples: Int?
    /// The 64-bit data size from an RF64/BW64 `ds64` chunk (EBU Tech 3306).
    var ds64DataSize: Int?
    var dataStarted = false
    /// The size the `data` chunk declares, or nil when it is unknown (a streamed WAV).
    var dataDeclared: Int?
    /// Bytes of the `data` chunk that actually arrived.
    var dataReceived = 0
}

extension AudioProbe {
    /// "RIFF" size "WAVE" (or "RF64"/"BW64" with a ds64 chunk for files over 4 GiB).
    mutating func riffHeader() {
        guard pending[...].matches("WAVE", at: 8) else { return fail("audio is not a WAV or MP3 file") }
        // The RIFF size is not trusted: streamed writers leave it 0 or 0xFFFFFFFF.
        expect(8, in: .chunkHeader)
    }

    mutating func chunkHeader() {
        let header = pending[...]
        // A chunk id is four printable ASCII characters (a FOURCC).
        guard header.prefix(4).allSatisfy({ $0 >= 0x20 && $0 <= 0x7E }) else {
            return fail("WAV file has a malformed chunk header")
        }
        let size = header.uint32LE(at: 4)
        // RIFF chunks are word-aligned: an odd-sized body is followed by one pad byte.
        let padded = size + (size & 1)

        if header.matches("fmt ", at: 0) {
            guard wav.fmt == nil else { return fail("WAV file has more than one fmt chunk") }
            guard size >= 16 else { return fail("WAV fmt chunk is too short") }
            expect(min(size, WAVFormat.maxReadLength), in: .fmtChunk(size: size))
        } else if header.matches("data", at: 0) {
            guard !wav.dataStarted else { return fail("WAV file has more than one data chunk") }
            wav.dataStarted = true
            if size == 0xFFFF_FFFF, let large = wav.ds64DataSize {
                wav.dataDeclared = large
            } else if size == 0 || size == 0xFFFF_FFFF {
                // A WAV written to a pipe cannot go back to fill in its sizes; the data runs to the end.
                wav.dataDeclared = nil
            } else {
                wav.dataDeclared = size
            }
            beginSkip(wav.dataDeclared ?? Int.max, in: .dataBody)
        } else if header.matches("fact", at: 0), size >= 4 {
            expect(4, in: .factChunk(size: size))
        } else if header.matches("ds64", at: 0), size >= 16 {
            expect(16, in: .ds64Chunk(size: size))
        } else {
            // LIST, bext, cue, JUNK, PAD, id3 and anything unknown: skipped without being read.
            beginSkip(padded, in: .chunkBody)
        }
    }

    mutating func fmtChunk(size: Int) {
        do {
            wav.fmt = try WAVFormat(pending[...])
        } catch {
            return fail(error.detail)
        }
        if wav.dataStarted { return ignoreTheRest() }
        beginSkip(size - pending.count + (size & 1), in: .chunkBody)
    }

    mutating func factChunk(size: Int) {
        wav.factSamples = pending[...].uint32LE(at: 0)
        beginSkip(size - 4 + (size & 1), in: .chunkBody)
    }

    mutating func ds64Chunk(size: Int) {
        // riffSize (8 bytes), then dataSize (8 bytes). A size beyond Int is treated as unknown.
        let dataSize = pending[...].uint64LE(at: 8)
        wav.ds64DataSize = dataSize <= UInt64(Int.max) ? Int(dataSize) : nil
        beginSkip(size - 16 + (size & 1), in: .chunkBody)
    }

    mutating func dataEnded() {
        // Only reached when the declared size arrived in full.
        guard wav.fmt == nil, let declared = wav.dataDeclared else { return ignoreTheRest() }
        // `data` before `fmt ` is unusual but legal RIFF; keep walking to find the format.
        beginSkip(declared & 1, in: .chunkBody)
    }

    func finishWAV() -> Result<AudioInfo, AudioError> {
        if case .riffHeader = state { return .failure(AudioError("WAV file is truncated")) }
        guard let fmt = wav.fmt else { return .failure(AudioError("WAV file has no fmt chunk")) }
        guard wav.dataStarted else { return .failure(AudioError("WAV file has no data chunk")) }
        // A truncated upload, or a streamed WAV, is measured by what arrived, in whole blocks.
        let blocks = wav.dataReceived / fmt.blockAlign
        guard blocks > 0 else { return .failure(AudioError("WAV file has no audio")) }

        let duration: Double
        if fmt.isUncompressed {
            // Exact: one block is one sample frame. The byte rate field is not trusted.
            duration = Double(blocks) / Double(fmt.sampleRate)
        } else {
            let bytes = blocks * fmt.blockAlign
            let byteDuration = Double(bytes) / Double(fmt.byteRate)
            // A compressed format's last block is padded, so the fact chunk's sample count is the
            // exact length. Trust it only for a complete data chunk, and only when it agrees with
            // the byte count to within one block, so a forged fact chunk cannot shorten the bill.
            if let samples = wav.factSamples, samples > 0, wav.dataDeclared == wav.dataReceived {
                let factDuration = Double(samples) / Double(fmt.sampleRate)
                let oneBlock = Double(fmt.blockAlign) / Double(fmt.byteRate)
                duration = abs(factDuration - byteDuration) <= oneBlock ? factDuration : byteDuration
            } else {
                duration = byteDuration
            }
        }
        return .success(AudioInfo(format: .wav, durationSeconds: duration, sampleRate: fmt.sampleRate, channels: fmt.channels))
    }
}
