// fuzz target audio: the input is an upload, as the client sent it (WAV, MP3 or anything else).
//
// Checks:
// - `consume` and `finish` never trap;
// - whole, byte-at-a-time, split-once and random-piece feeding give the same result (the
//   differential oracle), and the same early `failure` once the input is in;
// - a measurement is finite and positive, with a positive sample rate and channel count;
// - `bytesSeen` counts every byte, and the probe never buffers more than a search trim threshold
//   plus the largest MPEG frame and a header (the bound StreamingTests also asserts).

/// 1024 (trim threshold) + 2881 (largest frame) + 4 (a header).
let maxBufferedBytes = MP3Progress.trimThreshold + 2881 + 4

func probe(_ bytes: [UInt8], _ chunking: Chunking) -> (Result<AudioInfo, AudioError>, AudioError?) {
    var probe = AudioProbe()
    var firstFailure: AudioError?
    for piece in chunking.pieces(of: bytes) {
        probe.consume(piece)
        // Plain `if`s: this loop runs once per byte, and `failure` copies the state.
        if probe.bufferedByteCount > maxBufferedBytes {
            require(false, "probe buffers \(probe.bufferedByteCount) bytes (\(chunking))")
        }
        if firstFailure == nil, case .failed = probe.state { firstFailure = probe.failure }
    }
    require(probe.failure == firstFailure, "the failure changed from \(String(describing: firstFailure)) (\(chunking))")
    probe.consume(bytes[0..<0])
    require(probe.bytesSeen == bytes.count, "bytesSeen \(probe.bytesSeen) for \(bytes.count) bytes (\(chunking))")
    let result = probe.finish()
    if let failure = probe.failure {
        require(result == .failure(failure), "finish disagrees with failure \(failure) (\(chunking))")
    }
    return (result, probe.failure)
}

func fuzzAudio(_ bytes: [UInt8]) {
    let (whole, wholeFailure) = probe(bytes, .whole)
    if case .success(let info) = whole {
        require(info.durationSeconds.isFinite && info.durationSeconds > 0, "duration \(info.durationSeconds)")
        require(info.sampleRate > 0 && info.channels > 0, "sample rate \(info.sampleRate), channels \(info.channels)")
    }
    for chunking in Chunking.all(for: bytes).dropFirst() {
        let (other, otherFailure) = probe(bytes, chunking)
        require(other == whole && otherFailure == wholeFailure, """
            \(chunking) feeding differs from whole for \(bytes.count) bytes starting \(swiftLiteral(bytes.prefix(48))):
              whole: \(whole)
              \(chunking): \(other)
            """)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzAudio(inputBytes(data, size))
    return 0
}
