import Foundation
import Synchronization

/// Audio made in memory for tests: a PCM WAV of an exact duration.
public enum AudioFiles {
    /// A 16-bit PCM WAV header for `dataBytes` bytes of samples.
    public static func wavHeader(dataBytes: Int, sampleRate: Int = 16_000, channels: Int = 1) -> [UInt8] {
        let blockAlign = channels * 2
        var bytes: [UInt8] = []
        func u32(_ v: Int) { bytes += withUnsafeBytes(of: UInt32(truncatingIfNeeded: v).littleEndian, Array.init) }
        func u16(_ v: Int) { bytes += withUnsafeBytes(of: UInt16(truncatingIfNeeded: v).littleEndian, Array.init) }
        bytes += Array("RIFF".utf8); u32(36 + dataBytes); bytes += Array("WAVE".utf8)
        bytes += Array("fmt ".utf8); u32(16); u16(1); u16(channels); u32(sampleRate); u32(sampleRate * blockAlign); u16(blockAlign); u16(16)
        bytes += Array("data".utf8); u32(dataBytes)
        return bytes
    }

    /// A WAV of `seconds` of a quiet tone. Made once per shape: tests upload the same second of
    /// audio thousands of times, and making it (sixteen thousand `sin` calls, unoptimized) cost more
    /// than the upload.
    public static func wav(seconds: Double, sampleRate: Int = 16_000, channels: Int = 1) -> [UInt8] {
        let shape = "\(seconds)/\(sampleRate)/\(channels)"
        if let made = made.withLock({ $0[shape] }) { return made }
        let bytes = makeWAV(seconds: seconds, sampleRate: sampleRate, channels: channels)
        made.withLock { $0[shape] = bytes }
        return bytes
    }

    private static let made = Mutex<[String: [UInt8]]>([:])

    private static func makeWAV(seconds: Double, sampleRate: Int, channels: Int) -> [UInt8] {
        let frames = Int((seconds * Double(sampleRate)).rounded())
        var samples = [UInt8](repeating: 0, count: frames * channels * 2)
        for i in 0..<frames {
            let value = Int16(sin(Double(i) * 2 * .pi * 440 / Double(sampleRate)) * 2000)
            for c in 0..<channels {
                let offset = (i * channels + c) * 2
                samples[offset] = UInt8(truncatingIfNeeded: value)
                samples[offset + 1] = UInt8(truncatingIfNeeded: value >> 8)
            }
        }
        return wavHeader(dataBytes: samples.count, sampleRate: sampleRate, channels: channels) + samples
    }
}

/// A multipart/form-data body, built the way clients do.
public struct MultipartBody {
    public let boundary: String
    public private(set) var bytes: [UInt8] = []

    public init(boundary: String = "theta-test-boundary-7MA4YWxkTrZu0gW") {
        self.boundary = boundary
    }

    public var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    public mutating func addText(_ name: String, _ value: String) {
        bytes += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
    }

    public mutating func addFile(_ data: [UInt8], name: String = "file", filename: String = "audio.wav", type: String = "audio/wav") {
        bytes += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\nContent-Type: \(type)\r\n\r\n".utf8)
        bytes += data
        bytes += Array("\r\n".utf8)
    }

    public func finished() -> [UInt8] {
        bytes + Array("--\(boundary)--\r\n".utf8)
    }

    /// A form with one audio file and optional text parts, for the emulated endpoints.
    public static func upload(_ audio: [UInt8], fields: [(String, String)] = []) -> MultipartBody {
        var body = MultipartBody()
        for (name, value) in fields { body.addText(name, value) }
        body.addFile(audio)
        return body
    }
}
