/// The `fmt ` chunk of a WAVE file (Microsoft "Multimedia Programming Interface and Data
/// Specifications 1.0", and WAVEFORMATEXTENSIBLE from the Windows DDK), checked.
struct WAVFormat: Sendable, Equatable {
    /// The format tag, or for WAVE_FORMAT_EXTENSIBLE the tag its sub-format GUID names
    /// (nil when the GUID is not one of the KSDATAFORMAT_SUBTYPE_* family).
    let formatTag: Int?
    let channels: Int
    let sampleRate: Int
    let byteRate: Int
    let blockAlign: Int
    let bitsPerSample: Int

    static let pcm = 0x0001
    static let ieeeFloat = 0x0003
    static let extensible = 0xFFFE

    /// The longest prefix of a `fmt ` chunk that is read; anything after is skipped unread.
    static let maxReadLength = 40

    /// Whether samples are stored uncompressed, so block count and sample rate give the duration exactly.
    var isUncompressed: Bool { formatTag == Self.pcm || formatTag == Self.ieeeFloat }

    /// Parses the first `min(chunkSize, 40)` bytes of a `fmt ` chunk.
    init(_ bytes: ArraySlice<UInt8>) throws(AudioError) {
        guard bytes.count >= 16 else { throw AudioError("WAV fmt chunk is too short") }
        var tag: Int? = bytes.uint16LE(at: 0)
        channels = bytes.uint16LE(at: 2)
        sampleRate = bytes.uint32LE(at: 4)
        byteRate = bytes.uint32LE(at: 8)
        blockAlign = bytes.uint16LE(at: 12)
        bitsPerSample = bytes.uint16LE(at: 14)

        if tag == Self.extensible {
            // cbSize (22), valid bits, channel mask, then a GUID whose first two bytes are the real tag.
            guard bytes.count >= 40, bytes.uint16LE(at: 16) >= 22 else {
                throw AudioError("WAV fmt chunk is too short for WAVE_FORMAT_EXTENSIBLE")
            }
            let guidTail: [UInt8] = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71]
            tag = bytes[(bytes.startIndex + 26)..<(bytes.startIndex + 40)].elementsEqual(guidTail)
                ? bytes.uint16LE(at: 24) : nil
        }
        formatTag = tag

        guard channels >= 1 else { throw AudioError("WAV file has no channels") }
        guard sampleRate >= 1 else { throw AudioError("WAV file has a sample rate of 0") }
        guard blockAlign >= 1 else { throw AudioError("WAV file has a block alignment of 0") }
        switch tag {
        case Self.pcm?:
            guard (1...64).contains(bitsPerSample) else { throw AudioError("WAV file has an unsupported PCM sample size") }
            // Samples are stored in whole bytes, so 12-bit audio takes two (WAVE spec, "Data Packing for PCM").
            guard blockAlign == channels * ((bitsPerSample + 7) / 8) else {
                throw AudioError("WAV file has a block alignment that does not match its channels and sample size")
            }
        case Self.ieeeFloat?:
            guard bitsPerSample == 32 || bitsPerSample == 64 else {
                throw AudioError("WAV file has an unsupported floating-point sample size")
            }
            guard blockAlign == channels * bitsPerSample / 8 else {
                throw AudioError("WAV file has a block alignment that does not match its channels and sample size")
            }
        default:
            // Compressed formats (ADPCM, A-law, MP3-in-WAV, ...): only the byte rate can time them.
            guard byteRate >= 1 else { throw AudioError("WAV file has a byte rate of 0") }
        }
    }
}
