import TestSupport
import Testing
@testable import AudioProbe

@Suite("MP3 duration from a stream")
struct MP3ProbeTests {
    /// The duration of `frames` MPEG-1 layer III frames at 44.1 kHz, computed as the probe must.
    static func seconds(_ frames: Int) -> Double { Double(frames * 1152) / 44100 }

    // MARK: Measured

    @Test func cbrStream_countsEveryFrame() {
        let info = probeAllWays(MP3Synth.cbrStream(frames: 100)).info
        #expect(info == AudioInfo(format: .mp3, durationSeconds: Self.seconds(100), sampleRate: 44100, channels: 2))
    }

    @Test func vbrStream_withChangingBitrates_countsEveryFrame() {
        var bytes: [UInt8] = []
        for (i, kbps) in [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320].enumerated() {
            bytes += MP3Synth.frame(MP3Synth.header(bitrateIndex: i + 1),
                                    length: MP3Synth.frameLength(.mpeg1, layer: 3, kbps: kbps, sampleRate: 44100, padding: false))
        }
        #expect(probeAllWays(bytes).info?.durationSeconds == Self.seconds(14))
    }

    @Test func leadingInfoXingAndVBRIFrames_areNotCounted() {
        for tag in ["Info", "Xing"] {
            #expect(probeAllWays(MP3Synth.infoFrame(tag: tag) + MP3Synth.cbrStream(frames: 10)).info?.durationSeconds == Self.seconds(10))
        }
        var vbri = MP3Synth.frame(MP3Synth.header(), length: 417)
        vbri.replaceSubrange(36..<40, with: Array("VBRI".utf8))
        #expect(probeAllWays(vbri + MP3Synth.cbrStream(frames: 10)).info?.durationSeconds == Self.seconds(10))
    }

    @Test func infoTagInALaterFrame_isJustAudio() {
        let bytes = MP3Synth.cbrStream(frames: 3) + MP3Synth.infoFrame() + MP3Synth.cbrStream(frames: 3)
        #expect(probeAllWays(bytes).info?.durationSeconds == Self.seconds(7))
    }

    @Test func id3v2Tag_isSkipped() {
        let bytes = MP3Synth.id3v2(bodySize: 20_000) + MP3Synth.cbrStream(frames: 20)
        #expect(probeAllWays(bytes).info?.durationSeconds == Self.seconds(20))
    }

    @Test func id3v2TagWithFooter_isSkipped() {
        let bytes = MP3Synth.id3v2(bodySize: 300, footer: true) + MP3Synth.cbrStream(frames: 20)
        #expect(probeAllWays(bytes).info?.durationSeconds == Self.seconds(20))
    }

    @Test func paddingBetweenTagAndFirstFrame_isSearchedPast() {
        let bytes = MP3Synth.id3v2(bodySize: 50) + [UInt8](repeating: 0, count: 3000) + MP3Synth.cbrStream(frames: 20)
        #expect(probeAllWays(bytes).info?.durationSeconds == Self.seconds(20))
    }

    @Test func id3v1AndAPEv2Tags_atTheEnd_areIgnored() {
        let bytes = MP3Synth.cbrStream(frames: 20) + MP3Synth.apeTag() + MP3Synth.id3v1()
        #expect(probeAllWays(bytes).info?.durationSeconds == Self.seconds(20))
        #expect(probeAllWays(MP3Synth.cbrStream(frames: 20) + MP3Synth.id3v1()).info?.durationSeconds == Self.seconds(20))
    }

    @Test func junkAfterFrames_isIgnored() {
        var random = SeededRandom(seed: 9)
        let bytes = MP3Synth.cbrStream(frames: 20) + random.bytes(10_000)
        #expect(probeAllWays(bytes).info?.durationSeconds == Self.seconds(20))
    }

    @Test func shortJunkBetweenFrames_isResyncedPast() {
        let bytes = MP3Synth.cbrStream(frames: 10) + [UInt8](repeating: 0x11, count: 1000) + MP3Synth.cbrStream(frames: 10)
        #expect(probeAllWays(bytes).info?.durationSeconds == Self.seconds(20))
    }

    @Test func framesWithAnotherSampleRate_areNotCounted() {
        // 48 kHz frames spliced after 44.1 kHz ones are a different stream: counting stops.
        let other = MP3Synth.frame(MP3Synth.header(rateIndex: 1), length: 384)
        let bytes = MP3Synth.cbrStream(frames: 10) + Array([[UInt8]](repeating: other, count: 10).joined())
        #expect(probeAllWays(bytes).info?.durationSeconds == Self.seconds(10))
    }

    @Test func truncatedLastFrame_isNotCounted() {
        let bytes = MP3Synth.cbrStream(frames: 10)
        #expect(probeAllWays(Array(bytes.dropLast(100))).info?.durationSeconds == Self.seconds(9))
    }

    @Test func crcProtectedFrames_areSizedTheSame() {
        let frame = MP3Synth.frame(MP3Synth.header(crc: true), length: 417)
        let bytes = Array([[UInt8]](repeating: frame, count: 5).joined())
        #expect(probeAllWays(bytes).info?.durationSeconds == Self.seconds(5))
    }

    @Test func mpeg2Layer3Mono_has576SamplesPerFrame() {
        // MPEG-2, 22.05 kHz, 64 kbit/s: 72 × 64000 / 22050 = 208 bytes.
        let frame = MP3Synth.frame(MP3Synth.header(.mpeg2, bitrateIndex: 8, mono: true), length: 208)
        let info = probeAllWays(Array([[UInt8]](repeating: frame, count: 10).joined())).info
        #expect(info == AudioInfo(format: .mp3, durationSeconds: 5760.0 / 22050.0, sampleRate: 22050, channels: 1))
    }

    @Test func mpeg25Layer3_isMeasured() {
        // MPEG-2.5, 8 kHz (rate index 2), 8 kbit/s: 72 × 8000 / 8000 = 72 bytes.
        let frame = MP3Synth.frame(MP3Synth.header(.mpeg25, bitrateIndex: 1, rateIndex: 2, mono: true), length: 72)
        let info = probeAllWays(Array([[UInt8]](repeating: frame, count: 10).joined())).info
        #expect(info == AudioInfo(format: .mp3, durationSeconds: 5760.0 / 8000.0, sampleRate: 8000, channels: 1))
    }

    @Test func mpeg1Layer2_has1152SamplesPerFrame() {
        // Layer II, 48 kHz, 192 kbit/s: 144 × 192000 / 48000 = 576 bytes.
        let length = MP3Synth.frameLength(.mpeg1, layer: 2, kbps: 192, sampleRate: 48000, padding: false)
        let frame = MP3Synth.frame(MP3Synth.header(layer: 2, bitrateIndex: 10, rateIndex: 1), length: length)
        #expect(length == 576)
        #expect(probeAllWays(Array([[UInt8]](repeating: frame, count: 10).joined())).info?.durationSeconds == 11520.0 / 48000.0)
    }

    @Test func mpeg1Layer1_has384SamplesPerFrame_inFourByteSlots() {
        // Layer I, 32 kHz, 448 kbit/s, padded: (12 × 448000 / 32000 + 1) × 4 = 676 bytes.
        let length = MP3Synth.frameLength(.mpeg1, layer: 1, kbps: 448, sampleRate: 32000, padding: true)
        let frame = MP3Synth.frame(MP3Synth.header(layer: 1, bitrateIndex: 14, rateIndex: 2, padding: true), length: length)
        #expect(length == 676)
        #expect(probeAllWays(Array([[UInt8]](repeating: frame, count: 10).joined())).info?.durationSeconds == 3840.0 / 32000.0)
    }

    @Test func largestFrame_mpeg2Layer2At8kHz_isMeasured() {
        // MPEG-2 layer II, 160 kbit/s, 8 kHz... is MPEG-2.5 only; at 16 kHz: 144 × 160000 / 16000 + 1 = 1441.
        let frame = MP3Synth.frame(MP3Synth.header(.mpeg2, layer: 2, bitrateIndex: 14, rateIndex: 2, padding: true), length: 1441)
        #expect(probeAllWays(Array([[UInt8]](repeating: frame, count: 4).joined())).info?.durationSeconds == 4 * 1152.0 / 16000.0)
    }

    // MARK: Refused

    @Test func loneHeaderFollowedByGarbage_isRejected() {
        var random = SeededRandom(seed: 3)
        let bytes: [UInt8] = [0xFF, 0xFB, 0x90, 0x00] + random.bytes(3000).map { $0 & 0x7F }
        #expect(probeAllWays(bytes).detail == "MP3 stream has no valid frames")
    }

    @Test func singleFrame_isNotEnoughToTrust() {
        #expect(probeAllWays(MP3Synth.cbrStream(frames: 1)).detail == "MP3 stream has no valid frames")
    }

    @Test func infoFrameWithoutAudio_hasNoValidFrames() {
        #expect(probeAllWays(MP3Synth.infoFrame() + MP3Synth.frame(MP3Synth.header(), length: 200)).detail == "MP3 stream has no valid frames")
    }

    @Test func id3TagAlone_hasNoValidFrames() {
        #expect(probeAllWays(MP3Synth.id3v2(bodySize: 1000)).detail == "MP3 stream has no valid frames")
    }

    @Test func id3TagFollowedByNoise_hasNoValidFrames() {
        var random = SeededRandom(seed: 11)
        #expect(probeAllWays(MP3Synth.id3v2(bodySize: 10) + random.bytes(80_000)).detail == "MP3 stream has no valid frames")
    }

    @Test func malformedID3Size_isRejected() {
        let bytes: [UInt8] = Array("ID3".utf8) + [4, 0, 0, 0x80, 0, 0, 0] + MP3Synth.cbrStream(frames: 3)
        #expect(probeAllWays(bytes).detail == "MP3 file has a malformed ID3v2 tag")
    }

    @Test func freeFormatFrames_areNotRecognised() {
        // Bitrate index 0 ("free format") has no frame length to skip by.
        let frame = MP3Synth.frame(MP3Synth.header(bitrateIndex: 0), length: 417)
        #expect(probeAllWays(frame + frame).detail == "audio is not a WAV or MP3 file")
    }

    @Test func reservedSampleRate_isNotRecognised() {
        #expect(probeAllWays(MP3Synth.header(rateIndex: 3) + [UInt8](repeating: 0, count: 500)).detail == "audio is not a WAV or MP3 file")
    }
}
