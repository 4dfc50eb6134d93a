import TestSupport
import Foundation
import Testing
@testable import AudioProbe

/// Probes bytes fed in the given slice sizes (cycled); whole when empty.
func probe(_ bytes: [UInt8], chunkSizes: [Int] = []) -> Result<AudioInfo, AudioError> {
    var probe = AudioProbe()
    var offset = 0
    var turn = 0
    while offset < bytes.count {
        let size = chunkSizes.isEmpty ? bytes.count : chunkSizes[turn % chunkSizes.count]
        let end = min(bytes.count, offset + size)
        probe.consume(bytes[offset..<end])
        offset = end
        turn += 1
    }
    #expect(probe.bytesSeen == bytes.count)
    return probe.finish()
}

/// Probes whole, one byte at a time, and in random slice sizes from a fixed seed, and insists all
/// three agree: how an upload is chunked must never change its measurement.
func probeAllWays(_ bytes: [UInt8], seed: UInt64 = 7, sourceLocation: SourceLocation = #_sourceLocation) -> Result<AudioInfo, AudioError> {
    let whole = probe(bytes)
    let trickled = probe(bytes, chunkSizes: [1])
    var random = SeededRandom(seed: seed)
    let sizes = (0..<64).map { _ in Int.random(in: 1...700, using: &random) }
    let chunked = probe(bytes, chunkSizes: sizes)
    #expect(whole == trickled, "byte-at-a-time probe differs", sourceLocation: sourceLocation)
    #expect(whole == chunked, "random-chunk probe differs", sourceLocation: sourceLocation)
    return whole
}

extension Result where Success == AudioInfo, Failure == AudioError {
    var info: AudioInfo? { try? get() }

    var detail: String? {
        if case .failure(let error) = self { return error.detail }
        return nil
    }
}

/// The bytes of a committed fixture in Tests/AudioProbeTests/Fixtures.
func fixture(_ name: String) throws -> [UInt8] {
    let url = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil)).appendingPathComponent(name)
    return [UInt8](try Data(contentsOf: url))
}
