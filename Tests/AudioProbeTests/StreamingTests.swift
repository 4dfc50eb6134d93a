import TestSupport
import Testing
@testable import AudioProbe

@Suite("Bounded memory and speed on large uploads")
struct StreamingTests {
    @Test func hundredMiBWAV_in64KiBSlices_isMeasuredFastInConstantMemory() {
        let dataSize = 100 * 1024 * 1024
        let slice = [UInt8](repeating: 0, count: 64 * 1024)
        var probe = AudioProbe()
        probe.consume(WAVSynth.pcmHeader(channels: 2, sampleRate: 48000, dataSize: dataSize)[...])
        var maxBuffered = probe.bufferedByteCount
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            for _ in 0..<(dataSize / slice.count) {
                probe.consume(slice[...])
                maxBuffered = max(maxBuffered, probe.bufferedByteCount)
            }
        }
        #expect(probe.finish().info?.durationSeconds == Double(dataSize) / (48000 * 4))
        #expect(probe.bytesSeen == 44 + dataSize)
        #expect(maxBuffered <= 40)
        #expect(elapsed < .seconds(1), "took \(elapsed)")
    }

    @Test func eightMiBMP3_in64KiBSlices_isMeasuredInConstantMemory() {
        let frames = 20_000
        let bytes = MP3Synth.id3v2(bodySize: 4096) + MP3Synth.cbrStream(frames: frames) + MP3Synth.id3v1()
        var probe = AudioProbe()
        var maxBuffered = 0
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            for start in stride(from: 0, to: bytes.count, by: 64 * 1024) {
                probe.consume(bytes[start..<min(bytes.count, start + 64 * 1024)])
                maxBuffered = max(maxBuffered, probe.bufferedByteCount)
            }
        }
        #expect(probe.finish().info?.durationSeconds == Double(frames) * 1152 / 44100)
        // At most a search trim threshold plus the largest frame and a header.
        #expect(maxBuffered <= 1024 + 2881 + 4)
        #expect(elapsed < .seconds(2), "took \(elapsed)")
    }

    @Test func mutatedFixtures_neverTrap() throws {
        // A cheap stand-in for the libFuzzer target: flip bytes and cut files short; any result is fine.
        var random = SeededRandom(seed: 1234)
        for known in FixtureTests.fixtures {
            let original = try fixture(known.name)
            for _ in 0..<40 {
                var bytes = Array(original.prefix(Int.random(in: 0...min(original.count, 6000), using: &random)))
                for _ in 0..<Int.random(in: 1...8, using: &random) where !bytes.isEmpty {
                    bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                }
                _ = probe(bytes, chunkSizes: [Int.random(in: 1...97, using: &random)])
            }
        }
    }
}
