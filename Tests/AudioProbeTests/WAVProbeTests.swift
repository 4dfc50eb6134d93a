import TestSupport
import Testing
@testable import AudioProbe

@Suite("WAV duration from a stream")
struct WAVProbeTests {
    // MARK: Measured

    @Test func pcm16Stereo44k1_isTimedByBlocksAndRate() {
        let bytes = WAVSynth.file(fmt: WAVSynth.fmt(channels: 2, sampleRate: 44100, bits: 16), dataSize: 44100 * 4 * 5 / 2)
        #expect(probeAllWays(bytes).info == AudioInfo(format: .wav, durationSeconds: 2.5, sampleRate: 44100, channels: 2))
    }

    @Test func float64_isAccepted() {
        let bytes = WAVSynth.file(fmt: WAVSynth.fmt(tag: 3, channels: 1, sampleRate: 8000, bits: 64), dataSize: 8 * 4000)
        #expect(probeAllWays(bytes).info?.durationSeconds == 0.5)
    }

    @Test func extensiblePCM24Bit_usesItsSubformat() {
        let bytes = WAVSynth.file(fmt: WAVSynth.extensibleFmt(subformat: 1, channels: 2, sampleRate: 48000, bits: 24), dataSize: 6 * 48000)
        #expect(probeAllWays(bytes).info == AudioInfo(format: .wav, durationSeconds: 1, sampleRate: 48000, channels: 2))
    }

    @Test func extensibleFloat_usesItsSubformat() {
        let bytes = WAVSynth.file(fmt: WAVSynth.extensibleFmt(subformat: 3, channels: 6, sampleRate: 48000, bits: 32), dataSize: 24 * 12000)
        #expect(probeAllWays(bytes).info?.durationSeconds == 0.25)
    }

    @Test func pcmWithAWrongByteRate_isTimedByBlocksNotByteRate() {
        // RFC 2361 / WAVE: avgBytesPerSec should be rate × blockAlign; the probe does not depend on it.
        let bytes = WAVSynth.file(fmt: WAVSynth.fmt(channels: 1, sampleRate: 16000, bits: 16, byteRate: 1234), dataSize: 32000)
        #expect(probeAllWays(bytes).info?.durationSeconds == 1)
    }

    @Test func partialFinalBlock_isNotCounted() {
        let bytes = WAVSynth.file(fmt: WAVSynth.fmt(channels: 2, sampleRate: 1000, bits: 16), dataSize: 4 * 1000 + 3)
        #expect(probeAllWays(bytes).info?.durationSeconds == 1)
    }

    @Test func streamedSizeAllOnes_usesBytesReceived() {
        let bytes = WAVSynth.file(fmt: WAVSynth.fmt(channels: 1, sampleRate: 16000, bits: 16), dataSize: 8000,
                                  declaredDataSize: 0xFFFF_FFFF, riffSize: 0xFFFF_FFFF)
        #expect(probeAllWays(bytes).info?.durationSeconds == 0.25)
    }

    @Test func dataSizeZero_usesBytesReceived() {
        let bytes = WAVSynth.file(fmt: WAVSynth.fmt(channels: 1, sampleRate: 16000, bits: 16), dataSize: 16000,
                                  declaredDataSize: 0, riffSize: 0)
        #expect(probeAllWays(bytes).info?.durationSeconds == 0.5)
    }

    @Test func truncatedUpload_usesBytesReceived() {
        let bytes = WAVSynth.file(fmt: WAVSynth.fmt(channels: 1, sampleRate: 16000, bits: 16), dataSize: 3200,
                                  declaredDataSize: 32000)
        #expect(probeAllWays(bytes).info?.durationSeconds == 0.1)
    }

    @Test func oddSizedChunkBeforeData_isSkippedWithItsPadByte() {
        let list = WAVSynth.chunk("LIST", Array("INFOx".utf8))
        #expect(list.count == 8 + 5 + 1)
        let bytes = WAVSynth.file(fmt: WAVSynth.fmt(channels: 1, sampleRate: 8000, bits: 8), before: [list], dataSize: 8000)
        #expect(probeAllWays(bytes).info?.durationSeconds == 1)
    }

    @Test func largeUnknownChunks_areSkippedWithoutBeingBuffered() {
        let big = WAVSynth.chunk("bext", [UInt8](repeating: 0x55, count: 300_000))
        let junk = WAVSynth.chunk("JUNK", [UInt8](repeating: 0, count: 4093))
        let bytes = WAVSynth.file(fmt: WAVSynth.fmt(channels: 1, sampleRate: 8000, bits: 16), before: [big, junk], dataSize: 16000)
        var probe = AudioProbe()
        var maxBuffered = 0
        for start in stride(from: 0, to: bytes.count, by: 1000) {
            probe.consume(bytes[start..<min(bytes.count, start + 1000)])
            maxBuffered = max(maxBuffered, probe.bufferedByteCount)
        }
        #expect(probe.finish().info?.durationSeconds == 1)
        #expect(maxBuffered <= 40)
    }

    @Test func chunksAfterData_areIgnored() {
        let list = WAVSynth.chunk("LIST", [UInt8](repeating: 1, count: 99))
        let bytes = WAVSynth.file(fmt: WAVSynth.fmt(channels: 1, sampleRate: 8000, bits: 16), dataSize: 1600, after: [list])
            + [0xDE, 0xAD, 0xBE, 0xEF]
        #expect(probeAllWays(bytes).info?.durationSeconds == 0.1)
    }

    @Test func dataBeforeFmt_isStillMeasured() {
        var body = Bytes()
        body.ascii("WAVE")
        body.raw(WAVSynth.chunk("data", [UInt8](repeating: 0, count: 801)))
        body.raw(WAVSynth.chunk("fmt ", WAVSynth.fmt(channels: 1, sampleRate: 800, bits: 8)))
        var file = Bytes()
        file.ascii("RIFF")
        file.u32(body.bytes.count)
        file.raw(body.bytes)
        #expect(probeAllWays(file.bytes).info?.durationSeconds == 801.0 / 800.0)
    }

    @Test func rf64_takesTheDataSizeFromDs64() {
        var ds64 = Bytes()
        ds64.u64(0)
        ds64.u64(16000)
        ds64.u64(8000)
        ds64.u32(0)
        let bytes = WAVSynth.file(fmt: WAVSynth.fmt(channels: 1, sampleRate: 16000, bits: 16), before: [], dataSize: 32000,
                                  declaredDataSize: 0xFFFF_FFFF, riffID: "RF64", riffSize: 0xFFFF_FFFF)
        // ds64 must come first: rebuild with it ahead of fmt.
        let withDs64 = Array(bytes[..<12]) + WAVSynth.chunk("ds64", ds64.bytes) + Array(bytes[12...])
        #expect(probeAllWays(withDs64).info?.durationSeconds == 0.5)
    }

    @Test func compressedFormat_isTimedByByteRate() {
        // A-law (tag 6), 8 kHz mono: 8000 bytes a second.
        let bytes = WAVSynth.file(fmt: WAVSynth.fmt(tag: 6, channels: 1, sampleRate: 8000, bits: 8, extra: []), dataSize: 12000)
        #expect(probeAllWays(bytes).info?.durationSeconds == 1.5)
    }

    @Test func compressedFormat_usesAFactChunkThatAgreesWithTheData() {
        // IMA ADPCM-like: 256-byte blocks of 505 samples at 8 kHz → byte rate 4055.
        var fact = Bytes()
        fact.u32(4000)
        let fmt = WAVSynth.fmt(tag: 0x11, channels: 1, sampleRate: 8000, bits: 4, blockAlign: 256, byteRate: 4055, extra: [0xF9, 0x01])
        let bytes = WAVSynth.file(fmt: fmt, before: [WAVSynth.chunk("fact", fact.bytes)], dataSize: 256 * 8)
        #expect(probeAllWays(bytes).info?.durationSeconds == 0.5)
    }

    @Test func compressedFormat_ignoresAFactChunkThatUnderstatesTheData() {
        var fact = Bytes()
        fact.u32(1)
        let fmt = WAVSynth.fmt(tag: 0x11, channels: 1, sampleRate: 8000, bits: 4, blockAlign: 256, byteRate: 4055, extra: [0xF9, 0x01])
        let bytes = WAVSynth.file(fmt: fmt, before: [WAVSynth.chunk("fact", fact.bytes)], dataSize: 256 * 8)
        #expect(probeAllWays(bytes).info?.durationSeconds == 2048.0 / 4055.0)
    }

    // MARK: Refused

    @Test func emptyInput_isRejected() {
        #expect(probeAllWays([]).detail == "audio file is empty")
    }

    @Test func randomBytes_areRejected() {
        var random = SeededRandom(seed: 42)
        var bytes = random.bytes(5000)
        bytes[0] = 0x00
        #expect(probeAllWays(bytes).detail == "audio is not a WAV or MP3 file")
    }

    @Test func riffThatIsNotWave_isRejected() {
        #expect(probeAllWays(Array("RIFF\u{4}\0\0\0AVI LIST".utf8)).detail == "audio is not a WAV or MP3 file")
    }

    @Test func headerCutShort_isRejected() {
        #expect(probeAllWays(Array("RIFF\u{4}\0\0\0WA".utf8)).detail == "WAV file is truncated")
    }

    @Test func missingFmt_isRejected() {
        let bytes = WAVSynth.file(fmt: nil, dataSize: 100)
        #expect(probeAllWays(bytes).detail == "WAV file has no fmt chunk")
    }

    @Test func missingData_isRejected() {
        var file = Bytes()
        file.ascii("RIFF")
        file.u32(28)
        file.ascii("WAVE")
        file.raw(WAVSynth.chunk("fmt ", WAVSynth.fmt(channels: 1, sampleRate: 8000, bits: 16)))
        #expect(probeAllWays(file.bytes).detail == "WAV file has no data chunk")
    }

    @Test func dataWithNoWholeFrame_isRejected() {
        let bytes = WAVSynth.file(fmt: WAVSynth.fmt(channels: 2, sampleRate: 8000, bits: 16), dataSize: 3)
        #expect(probeAllWays(bytes).detail == "WAV file has no audio")
    }

    @Test func zeroChannels_isRejected() {
        let bytes = WAVSynth.file(fmt: WAVSynth.fmt(channels: 0, sampleRate: 8000, bits: 16, blockAlign: 2), dataSize: 100)
        #expect(probeAllWays(bytes).detail == "WAV file has no channels")
    }

    @Test func zeroSampleRate_isRejected() {
        let bytes = WAVSynth.file(fmt: WAVSynth.fmt(channels: 1, sampleRate: 0, bits: 16), dataSize: 100)
        #expect(probeAllWays(bytes).detail == "WAV file has a sample rate of 0")
    }

    @Test func pcmBlockAlignThatContradictsChannelsAndBits_isRejected() {
        let bytes = WAVSynth.file(fmt: WAVSynth.fmt(channels: 2, sampleRate: 8000, bits: 16, blockAlign: 2), dataSize: 100)
        #expect(probeAllWays(bytes).detail == "WAV file has a block alignment that does not match its channels and sample size")
    }

    @Test func floatWithOddSampleSize_isRejected() {
        let bytes = WAVSynth.file(fmt: WAVSynth.fmt(tag: 3, channels: 1, sampleRate: 8000, bits: 24), dataSize: 300)
        #expect(probeAllWays(bytes).detail == "WAV file has an unsupported floating-point sample size")
    }

    @Test func compressedWithoutByteRate_isRejected() {
        let bytes = WAVSynth.file(fmt: WAVSynth.fmt(tag: 6, channels: 1, sampleRate: 8000, bits: 8, byteRate: 0), dataSize: 100)
        #expect(probeAllWays(bytes).detail == "WAV file has a byte rate of 0")
    }

    @Test func shortFmtChunk_isRejected() {
        let bytes = WAVSynth.file(fmt: Array(WAVSynth.fmt(channels: 1, sampleRate: 8000, bits: 16)[..<14]), dataSize: 100)
        #expect(probeAllWays(bytes).detail == "WAV fmt chunk is too short")
    }

    @Test func extensibleWithoutItsExtension_isRejected() {
        let bytes = WAVSynth.file(fmt: WAVSynth.fmt(tag: 0xFFFE, channels: 1, sampleRate: 8000, bits: 16), dataSize: 100)
        #expect(probeAllWays(bytes).detail == "WAV fmt chunk is too short for WAVE_FORMAT_EXTENSIBLE")
    }

    @Test func secondFmtChunk_isRejected() {
        let fmt = WAVSynth.fmt(channels: 1, sampleRate: 8000, bits: 16)
        let bytes = WAVSynth.file(fmt: fmt, before: [WAVSynth.chunk("fmt ", fmt)], dataSize: 100)
        #expect(probeAllWays(bytes).detail == "WAV file has more than one fmt chunk")
    }

    @Test func binaryChunkID_isRejected() {
        let bytes = WAVSynth.file(fmt: WAVSynth.fmt(channels: 1, sampleRate: 8000, bits: 16),
                                  before: [[0x00, 0xFF, 0x01, 0x02, 4, 0, 0, 0, 1, 2, 3, 4]], dataSize: 100)
        #expect(probeAllWays(bytes).detail == "WAV file has a malformed chunk header")
    }

    @Test func invalidAudio_isReportedBeforeTheUploadEnds() {
        var probe = AudioProbe()
        probe.consume(WAVSynth.file(fmt: WAVSynth.fmt(channels: 1, sampleRate: 0, bits: 16), dataSize: 0)[...])
        #expect(probe.failure == AudioError("WAV file has a sample rate of 0"))
        probe.consume([UInt8](repeating: 0, count: 1000)[...])
        #expect(probe.finish() == .failure(AudioError("WAV file has a sample rate of 0")))
    }
}
