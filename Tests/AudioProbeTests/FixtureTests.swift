import Testing
@testable import AudioProbe

/// A committed file made by sox, ffmpeg, lame or espeak-ng, with what ffprobe 5.1 says about it.
/// See Fixtures/README.md for the commands.
struct Fixture: Sendable, CustomTestStringConvertible {
    let name: String
    let format: AudioFormat
    let sampleRate: Int
    let channels: Int
    /// ffprobe's `format=duration`.
    let ffprobeDuration: Double
    /// How far the probe may be from ffprobe: exact for PCM, a frame's worth of slack for MP3.
    let tolerance: Double

    var testDescription: String { name }
}

@Suite("Committed audio fixtures")
struct FixtureTests {
    static let fixtures: [Fixture] = [
        // WAV: one sample frame is one block, so these are exact.
        Fixture(name: "pcm_16k_mono_s16_1s.wav", format: .wav, sampleRate: 16000, channels: 1, ffprobeDuration: 1.0, tolerance: 0),
        // 110250 samples per channel from the fact chunk; soxi, timing by bytes, says 2.507823.
        Fixture(name: "adpcm_44k1_stereo_2.5s.wav", format: .wav, sampleRate: 44100, channels: 2, ffprobeDuration: 2.5, tolerance: 0),
        Fixture(name: "float32_8k_mono_0.25s.wav", format: .wav, sampleRate: 8000, channels: 1, ffprobeDuration: 0.25, tolerance: 0),
        Fixture(name: "list_chunk_8k_mono_0.5s.wav", format: .wav, sampleRate: 8000, channels: 1, ffprobeDuration: 0.5, tolerance: 0),
        // espeak-ng "Welcome to Theta One.": 32912 samples at 22050 Hz.
        Fixture(name: "espeak_welcome_22k05_mono.wav", format: .wav, sampleRate: 22050, channels: 1, ffprobeDuration: 32912.0 / 22050.0, tolerance: 0),
        // MP3: lame adds an encoder delay and pads the last frame, so every file is longer than the
        // audio it was made from (2.0, 3.0, 1.0, 2.0 s). Neither ffprobe nor the probe counts the
        // leading Info/Xing tag frame; both count 78, 116, 40 and 58 audio frames.
        Fixture(name: "mp3_cbr128_44k1_stereo_2s.mp3", format: .mp3, sampleRate: 44100, channels: 2, ffprobeDuration: 2.037551, tolerance: 0.05),
        Fixture(name: "mp3_vbr_v4_44k1_3s.mp3", format: .mp3, sampleRate: 44100, channels: 2, ffprobeDuration: 3.030204, tolerance: 0.05),
        Fixture(name: "mp3_id3v2_id3v1_44k1_mono_1s.mp3", format: .mp3, sampleRate: 44100, channels: 1, ffprobeDuration: 1.044898, tolerance: 0.05),
        Fixture(name: "mp3_mpeg2_16k_mono_2s.mp3", format: .mp3, sampleRate: 16000, channels: 1, ffprobeDuration: 2.088, tolerance: 0.05),
    ]

    @Test(arguments: fixtures)
    func fixture_matchesFFprobe_howeverItIsChunked(_ expected: Fixture) throws {
        let bytes = try fixture(expected.name)
        for seed in [1, 2, 3] as [UInt64] {
            let result = probeAllWays(bytes, seed: seed)
            let info = try #require(result.info, "\(expected.name): \(result.detail ?? "")")
            #expect(info.format == expected.format)
            #expect(info.sampleRate == expected.sampleRate)
            #expect(info.channels == expected.channels)
            #expect(abs(info.durationSeconds - expected.ffprobeDuration) <= expected.tolerance + 1e-9,
                    "\(expected.name): \(info.durationSeconds) s, ffprobe \(expected.ffprobeDuration) s")
        }
    }

    @Test func mp3Fixtures_countWholeFrames_exactlyAsFFprobeDoes() throws {
        // ffprobe's duration is frames × samples per frame ÷ rate; the probe's must be the same number.
        let frames = ["mp3_cbr128_44k1_stereo_2s.mp3": (78, 1152, 44100), "mp3_vbr_v4_44k1_3s.mp3": (116, 1152, 44100),
                      "mp3_id3v2_id3v1_44k1_mono_1s.mp3": (40, 1152, 44100), "mp3_mpeg2_16k_mono_2s.mp3": (58, 576, 16000)]
        for (name, (count, perFrame, rate)) in frames {
            let info = try #require(probe(try fixture(name)).info)
            #expect(info.durationSeconds == Double(count * perFrame) / Double(rate), "\(name)")
        }
    }

    @Test func fixturesTogether_stayWithinTheCommitBudget() throws {
        let total = try Self.fixtures.reduce(0) { $0 + (try fixture($1.name)).count }
        #expect(total < 320 * 1024)
    }

    @Test func truncatedFixtures_measureWhatArrived() throws {
        // Half of a PCM WAV is half the audio: the data chunk's declared size is not believed.
        let wav = try fixture("pcm_16k_mono_s16_1s.wav")
        let halfWAV = probeAllWays(Array(wav[..<(44 + 16000)]))
        #expect(halfWAV.info?.durationSeconds == 0.5)

        // Half of a CBR MP3 is about half its frames; a frame cut short does not count.
        let mp3 = try fixture("mp3_cbr128_44k1_stereo_2s.mp3")
        let halfMP3 = try #require(probeAllWays(Array(mp3[..<(mp3.count / 2)])).info)
        #expect(abs(halfMP3.durationSeconds - 2.037551 / 2) < 0.03)
    }
}
